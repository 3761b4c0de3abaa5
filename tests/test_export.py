"""claimtrack export: lossless JSONL round trips (hypothesis over random datasets), the CSV
sheet with formulas neutralised, ClaimReview JSON-LD checked field by field, filters, and
files written atomically."""

from __future__ import annotations

import csv
import io
import json
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from transfer_helpers import BASE, SEED, write_jsonl

from claimtrack.transfer.exports import claimreview_problems


def test_jsonl_round_trip_of_the_seed(cli, tmp_path, db_url, engine_name, request):
    cli.ok("import", str(SEED))
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "two independent informants")
    cli.ok("evidence", "remove", "1", "--reason", "testing removal")
    first = cli.ok("export").stdout
    # The records, then the restore section (every row and the history: test_history_export).
    records = first.split('{"type": "restore"')[0]
    assert records.count("\n") == 30 + 1
    assert '"removed_reason": "testing removal"' in first
    path = tmp_path / "out.jsonl"
    path.write_text(first, encoding="utf-8")
    other = request.getfixturevalue("blank_db_url")
    from conftest import Cli

    empty = Cli(other)
    empty.ok("init")
    empty.ok("import", str(path))
    assert empty.ok("export").stdout == first
    assert empty.ok("export", "--format", "json").json() == [
        json.loads(x) for x in records.splitlines()
    ]


def test_export_to_a_file_refuses_to_overwrite(cli, tmp_path):
    cli.ok("import", str(write_jsonl(tmp_path / "b.jsonl", BASE)))
    out = tmp_path / "out.jsonl"
    run = cli.ok("export", "-o", str(out))
    assert run.stderr == f"Exported 8 records to {out}\n"
    run = cli("export", "-o", str(out), "--format", "csv")
    assert run.exit_code == 1
    assert run.stderr == (
        f"Error: {out} already exists: choose another -o FILE, or add --force to replace it\n"
    )
    cli.ok("export", "-o", str(out), "--format", "csv", "--force")
    assert out.read_text().startswith("claim_key,claim_text,")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("claimtrack.db")) == [
        "b.jsonl",
        "out.jsonl",
    ]


def test_csv_export_neutralises_formulas_and_reimports(cli, tmp_path):
    records = [
        {"type": "source", "key": "s", "name": '=HYPERLINK("http://x")'},
        {"type": "claim", "key": "c", "text": "+1 more", "tags": ["-tag"]},
    ] + [
        {"type": "evidence", "claim": "c", "source": "s", "stance": "supports", "quote": q}
        for q in ("@SUM(A1)", "-2", "=1+1", "plain")
    ]
    cli.ok("import", str(write_jsonl(tmp_path / "f.jsonl", records)))
    text = cli.ok("export", "--format", "csv").stdout
    got = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [r["quote"] for r in got] == ["'@SUM(A1)", "'-2", "'=1+1", "plain"]
    assert {r["source_name"] for r in got} == {'\'=HYPERLINK("http://x")'}
    assert {r["claim_text"] for r in got} == {"'+1 more"}
    assert {r["tags"] for r in got} == {"'-tag"}
    path = tmp_path / "sheet.csv"
    path.write_text(text, encoding="utf-8", newline="")
    cli.ok("import", str(path))
    from claimtrack.output.csv import csv_cell

    assert [csv_cell(v) for v in ("\tx", "\rx", "a=b", 3)] == ["'\tx", "'\rx", "a=b", 3]


def test_filters_select_claims_and_what_they_need(cli, tmp_path):
    cli.ok("import", str(SEED))
    out = cli.ok("export", "--tag", "kim-jong-un").stdout
    kinds = [(r["type"], r.get("key") or r.get("claim")) for r in map(json.loads, out.splitlines())]
    # the informant and Daily NK relayed both items (--via): the export carries them too
    assert kinds == [
        ("source", "central-message"),
        ("source", "dailynk"),
        ("source", "dnk-north-hamgyong"),
        ("source", "kju-remarks"),
        ("source", "mid-progress-report"),
        ("claim", "kju-order"),
        ("evidence", "kju-order"),
        ("evidence", "kju-order"),
    ]
    out = cli.ok("export", "--status", "corroborated", "--format", "csv").stdout
    assert {r["claim_key"] for r in csv.DictReader(io.StringIO(out))} == {"halt", "backlash"}
    out = cli.ok("export", "--source", "dnk-ryanggang", "--format", "csv").stdout
    assert {r["claim_key"] for r in csv.DictReader(io.StringIO(out))} == {
        "halt",
        "decrees-down",
        "backlash",
        "officials-disapprove",
    }
    assert cli.ok("export", "--since", "2999-01-01").stdout == ""
    run = cli("export", "--status", "famous")
    assert run.exit_code == 2 and "--status: 'famous' is not valid" in run.stderr


def test_claimreview_has_the_fields_google_requires(cli, tmp_path):
    records = BASE + [
        {"type": "claim", "key": "fly", "text": "Pigs fly."},
        {
            "type": "evidence",
            "claim": "fly",
            "source": "dnk",
            "stance": "supports",
            "url": "https://example.com/pigs",
        },
        {"type": "verdict", "claim": "fly", "verdict": "debunked", "reason": "They do not."},
    ]
    cli.ok("import", str(write_jsonl(tmp_path / "r.jsonl", records)))
    run = cli("export", "--format", "claimreview")
    assert run.exit_code == 2  # a missing option: a usage error
    assert "--review-url: '' is not valid; expected the http(s) address" in run.stderr
    reviews = cli.ok(
        "export",
        "--format",
        "claimreview",
        "--review-url",
        "https://checks.example.org/",
        "--author",
        "Example Checks",
    ).json()
    assert [r["url"] for r in reviews] == [
        "https://checks.example.org/fly",
        "https://checks.example.org/halt",
    ]
    fly, halt = reviews
    assert fly["@context"] == "https://schema.org" and fly["@type"] == "ClaimReview"
    assert fly["claimReviewed"] == "Pigs fly."
    assert fly["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "Debunked",
    }
    assert fly["author"] == {"@type": "Organization", "name": "Example Checks"}
    assert len(fly["datePublished"]) == 10 and fly["reviewBody"] == "They do not."
    assert fly["itemReviewed"] == {
        "@type": "Claim",
        "author": {"@type": "Organization", "name": "Daily NK"},
        "appearance": [{"@type": "CreativeWork", "url": "https://example.com/pigs"}],
    }
    assert halt["reviewRating"]["alternateName"] == "Confirmed"
    assert halt["itemReviewed"] == {
        "@type": "Claim",
        "datePublished": "2018-06",
        "author": {"@type": "Person", "name": "Ryanggang informant"},
    }
    assert all(claimreview_problems(r) == [] for r in reviews)
    broken = dict(fly, url="ftp://x", reviewRating={"@type": "Rating"})
    del broken["claimReviewed"]
    assert claimreview_problems(broken) == [
        "claimReviewed is missing",
        "url is not an http(s) address",
        "reviewRating.alternateName is missing",
    ]


def test_claimreview_leaves_out_a_removed_claim_as_the_other_formats_do(cli, tmp_path):
    records = BASE + [
        {"type": "claim", "key": "fly", "text": "Pigs fly."},
        {"type": "verdict", "claim": "fly", "verdict": "debunked", "reason": "They do not."},
    ]
    cli.ok("import", str(write_jsonl(tmp_path / "r.jsonl", records)))
    cli.ok("claim", "remove", "fly", "--reason", "out of scope", "--yes")
    reviews = cli.ok(
        "export", "--format", "claimreview", "--review-url", "https://checks.example.org/"
    ).json()
    assert [r["url"] for r in reviews] == ["https://checks.example.org/halt"]
    exported = [json.loads(line) for line in cli.ok("export").stdout.splitlines()]
    assert "fly" not in {r["key"] for r in exported if r["type"] == "claim"}


# --- round trips over random datasets (SQLite: a fresh database per example) ---------------

KEYS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip())
OPTIONAL = st.none() | TEXT


@st.composite
def datasets(draw) -> list[dict]:
    n_sources = draw(st.integers(1, 5))
    sources = []
    for i in range(n_sources):
        record = {
            "type": "source",
            "key": f"s{i}",
            "name": draw(TEXT),
            "reliability": draw(st.sampled_from("ABCDEF")),
            "kind": draw(st.sampled_from(["outlet", "informant", "document"])),
        }
        if i and draw(st.booleans()):
            record["derived_from"] = f"s{draw(st.integers(0, i - 1))}"
        if (url := draw(OPTIONAL)) is not None:
            record["url"] = url
        sources.append(record)
    claim_keys = sorted(draw(st.sets(KEYS, min_size=1, max_size=5)))
    claims = [
        {
            "type": "claim",
            "key": k,
            "text": draw(TEXT),
            "tags": draw(st.lists(st.sampled_from(["x", "y", "Zed", "a b"]), max_size=3)),
            "event_date": draw(st.sampled_from([None, "2018", "2018-06", "2018-06-14"])),
        }
        for k in claim_keys
    ]
    evidence = []
    for _ in range(draw(st.integers(0, 8))):
        record = {
            "type": "evidence",
            "claim": draw(st.sampled_from(claim_keys)),
            "source": draw(st.sampled_from(sources))["key"],
            "stance": draw(st.sampled_from(["supports", "contradicts", "neutral"])),
            "credibility": draw(st.integers(1, 6)),
            "quote": draw(OPTIONAL),
            "url": draw(OPTIONAL),
            "notes": draw(OPTIONAL),
            "observed": draw(st.sampled_from([None, "2020-01-31"])),
        }
        if draw(st.booleans()):
            chain = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3, unique_by=id))
            keys = [hop["key"] for hop in chain]
            record["via"] = keys[0] if len(keys) == 1 and draw(st.booleans()) else keys
        if draw(st.integers(0, 5)) == 0:
            record["removed_reason"] = draw(TEXT)
        evidence.append(record)
    links = []
    pairs = draw(
        st.sets(st.tuples(st.sampled_from(claim_keys), st.sampled_from(claim_keys)), max_size=4)
    )
    for first, second in sorted(pairs):
        if first != second:
            links.append(
                {
                    "type": "link",
                    "claim": first,
                    "other": second,
                    "relation": draw(st.sampled_from(["supports", "contradicts"])),
                }
            )
    verdicts = [
        {
            "type": "verdict",
            "claim": k,
            "verdict": "debunked",
            "reason": draw(TEXT),
            "confidence": draw(st.sampled_from(["low", "high"])),
        }
        for k in claim_keys
        if draw(st.booleans())
    ]
    records = sources + claims + evidence + links + verdicts
    return draw(st.permutations(records))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=datasets())
def test_random_datasets_round_trip(data, sqlite_template, tmp_path_factory):
    from conftest import Cli

    work = tmp_path_factory.mktemp("rt")
    first_db, second_db = work / "1.db", work / "2.db"
    shutil.copyfile(sqlite_template, first_db)
    shutil.copyfile(sqlite_template, second_db)
    one, two = Cli(str(first_db)), Cli(str(second_db))
    one.ok("import", str(write_jsonl(work / "in.jsonl", data)))
    first = one.ok("export").stdout
    (work / "out.jsonl").write_text(first, encoding="utf-8")
    two.ok("import", str(work / "out.jsonl"))
    assert two.ok("export").stdout == first
    again = one.ok("import", str(work / "in.jsonl"), "--json").json()["counts"]
    assert all(c["created"] == 0 and c["updated"] == 0 for c in again.values())
    exported = [json.loads(line) for line in first.split("\n") if line]
    assert sum(r["type"] == "evidence" for r in exported) == sum(
        r["type"] == "evidence" for r in data
    )


def test_jsonl_export_carries_key_aliases_and_import_restores_them(cli, request, tmp_path):
    from conftest import Cli

    cli.ok("source", "add", "S", "--key", "s")
    cli.ok("claim", "add", "First claim", "--key", "one")
    cli.ok("claim", "add", "Second claim", "--key", "two")
    cli.ok("claim", "merge", "one", "two", "--yes")
    cli.ok("source", "edit", "s", "--new-key", "s2")
    exported = cli.ok("export").stdout
    assert '{"type": "alias", "entity": "claim", "alias": "two", "key": "one"}' in exported
    assert '{"type": "alias", "entity": "source", "alias": "s", "key": "s2"}' in exported
    path = tmp_path / "out.jsonl"
    path.write_text(exported, encoding="utf-8")
    other = Cli(request.getfixturevalue("blank_db_url"))
    other.ok("init")
    first = other.ok("import", str(path), "--json").json()
    assert first["counts"]["alias"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert other.ok("claim", "show", "two", "--json").json()["key"] == "one"
    assert other.ok("source", "show", "s", "--json").json()["key"] == "s2"
    again = other.ok("import", str(path), "--json").json()
    assert again["counts"]["alias"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert other.ok("export").stdout == exported
    # An alias that is a live key, or that names another claim, is a bad row.
    clash = tmp_path / "clash.jsonl"
    clash.write_text(
        '{"type": "claim", "key": "three", "text": "A live claim"}\n'
        '{"type": "alias", "entity": "claim", "alias": "three", "key": "one"}\n'
        '{"type": "alias", "entity": "claim", "alias": "two", "key": "three"}\n'
    )
    run = cli("import", str(clash))
    assert run.exit_code == 1
    assert f"{clash}:2: alias: 'three' — expected a former key" in run.stderr
    assert f"{clash}:3: alias: 'two' — expected an alias of the claim" in run.stderr


def test_csv_export_round_trips_formulas_quotes_and_tags(cli, request, tmp_path):
    from conftest import Cli

    cli.ok("source", "add", "=Outlet", "--key", "s")
    cli.ok("source", "add", "Relay", "--key", "r")
    cli.ok("claim", "add", "--key", "c", "--tag", "foo;bar", "--tag", "x\\y", "--", "-2+3 held")
    cli.ok("evidence", "add", "c", "--source", "s", "--supports", "--quote", "'quoted' text")
    cli.ok("evidence", "add", "c", "--source", "s", "--contradicts", "--quote", "@home")
    cli.ok("evidence", "add", "c", "--source", "s", "--neutral", "--quote", "+1", "--via", "r")
    sheet = tmp_path / "out.csv"
    cli.ok("export", "--format", "csv", "-o", str(sheet))
    text = sheet.read_text(encoding="utf-8")
    assert "'-2+3 held" in text and "''quoted' text" in text and r"foo\;bar;x\\y" in text
    # Re-imported into the same database: nothing new, no duplicate evidence.
    again = cli.ok("import", str(sheet), "--json").json()["counts"]
    assert again["evidence"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert again["claim"]["updated"] == 0 and again["source"]["updated"] == 0
    other = Cli(request.getfixturevalue("blank_db_url"))
    other.ok("init")
    other.ok("import", str(sheet))
    claim = other.ok("claim", "show", "c", "--json").json()
    assert claim["text"] == "-2+3 held" and sorted(claim["tags"]) == ["foo;bar", "x\\y"]
    assert sorted(e["quote"] for e in claim["evidence"]) == ["'quoted' text", "+1", "@home"]
    assert other.ok("source", "show", "s", "--json").json()["name"] == "=Outlet"
    assert other.ok("export", "--format", "csv").stdout.replace("\r\n", "\n") == text.replace(
        "\r\n", "\n"
    )
