"""The via chain: who passed an item on, in order (police → Ryanggang informant → Daily NK),
recorded whole by the CLI, shown by claim show, evidence list and explain, kept by --as-of,
and carried through every import and export format."""

from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture
def relayed(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "Police (Ryanggang)", "--key", "police")
    cli.ok("source", "add", "Detainees (Ryanggang)", "--key", "detainees")
    cli.ok("claim", "add", "The crackdown met strong popular backlash.", "--key", "backlash")
    return cli


def test_every_via_is_kept_in_order_and_the_first_is_the_channel(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg",
               "--via", "dnk")  # fmt: skip
    relayed.ok("evidence", "add", "backlash", "-s", "detainees", "--supports", "--via", "ryg")
    shown = relayed.ok("claim", "show", "backlash", "--json").json()
    assert [(e["source"], e["via"], e["via_chain"]) for e in shown["evidence"]] == [
        ("police", "ryg", ["ryg", "dnk"]),
        ("detainees", "ryg", ["ryg"]),
    ]
    listed = relayed.ok("evidence", "list", "backlash", "--json").json()
    assert [e["via_chain"] for e in listed] == [["ryg", "dnk"], ["ryg"]]
    assert "ryg → dnk" in relayed.ok("evidence", "list", "backlash").stdout
    assert "ryg → dnk" in relayed.ok("claim", "show", "backlash").stdout

    explained = relayed.ok("explain", "backlash", "--json").json()
    assert explained["channels"] == ["ryg"]
    assert explained["channel_warning"].startswith("all support comes through one channel: ryg")
    items = [item for origin in explained["origins"] for item in origin["items"]]
    assert [item["via_chain"] for item in items] == [["ryg", "dnk"], ["ryg"]]
    text = relayed.ok("explain", "backlash").stdout
    assert "#1 police (supports, credibility 6, via ryg → dnk)" in text
    report = relayed.ok("report", "--json").json()
    [row] = report["claims"] if isinstance(report, dict) else report
    assert row["channels"] == ["ryg"]


def test_an_item_without_via_has_an_empty_chain(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "ryg", "--supports")
    [item] = relayed.ok("evidence", "list", "backlash", "--json").json()
    assert (item["via"], item["via_chain"]) == (None, [])


@pytest.mark.parametrize(
    ("vias", "message"),
    [
        (["ryg", "ryg"], "--via: 'ryg' is not valid; expected each source once in the chain, not twice"),
        (["police"], "--via: 'police' is not valid; expected each source once in the chain, not the item's own --source"),
        (["ryg", "nobody"], "no source"),
    ],
)  # fmt: skip
def test_a_chain_that_repeats_a_source_or_names_an_unknown_one_is_refused(
    relayed, db_dump, vias, message
):
    before = db_dump(relayed.url)
    args = [arg for via in vias for arg in ("--via", via)]
    run = relayed("evidence", "add", "backlash", "-s", "police", "--supports", *args)
    # A bad --via value is a usage error (exit 2); a source that does not exist, exit 1.
    assert run.exit_code == (1 if message == "no source" else 2)
    assert run.stderr.startswith("Error: ") and message in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert db_dump(relayed.url) == before


def test_via_and_derived_from_naming_the_same_source_for_one_item_is_a_warning(relayed):
    relayed.ok("source", "add", "Police, as told by the informant", "--key", "told",
               "--derived-from", "ryg")  # fmt: skip
    run = relayed.ok("evidence", "add", "backlash", "-s", "told", "--supports", "--via", "ryg")
    assert run.stdout == "Added evidence 1\n"
    assert run.stderr == (
        "Warning: evidence 1: ryg is both on this item's via chain and what its source told is "
        "derived from: the person who said it is the source, those who passed it on are --via, "
        "--derived-from is for a source that repeats another; keep one\n"
    )
    clean = relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg")
    assert clean.stderr == ""


def test_as_of_keeps_the_chain(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg",
               "--via", "dnk")  # fmt: skip
    later = relayed.ok("explain", "backlash", "--as-of", "2999-01-01", "--json").json()
    [origin] = later["origins"]
    assert origin["items"][0]["via_chain"] == ["ryg", "dnk"]


RELAYED_RECORDS = [
    {"type": "source", "key": "dnk", "name": "Daily NK", "kind": "outlet", "reliability": "C"},
    {"type": "source", "key": "ryg", "name": "Ryanggang informant", "kind": "informant"},
    {"type": "source", "key": "police", "name": "Police (Ryanggang)"},
    {"type": "source", "key": "detainees", "name": "Detainees (Ryanggang)"},
    {"type": "claim", "key": "backlash", "text": "The crackdown met strong popular backlash."},
    {"type": "evidence", "key": "e1", "claim": "backlash", "source": "police",
     "stance": "supports", "via": ["ryg", "dnk"]},
    {"type": "evidence", "key": "e2", "claim": "backlash", "source": "detainees",
     "stance": "supports", "via": "ryg"},
    {"type": "evidence", "key": "e3", "claim": "backlash", "source": "ryg", "stance": "neutral"},
]  # fmt: skip


def chains(cli, claim="backlash"):
    evidence = cli.ok("evidence", "list", claim, "--json").json()
    return [(item["source"], item["via_chain"]) for item in evidence]


EXPECTED = [("police", ["ryg", "dnk"]), ("detainees", ["ryg"]), ("ryg", [])]


def write_records(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv"])
def test_the_chain_round_trips_through_every_format(cli, tmp_path, fmt):
    from conftest import Cli

    cli.ok("import", str(write_records(tmp_path / "in.jsonl", RELAYED_RECORDS)))
    assert chains(cli) == EXPECTED
    out = tmp_path / f"out.{fmt}"
    cli.ok("export", "--format", fmt, "-o", str(out))
    text = out.read_text(encoding="utf-8")
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [row["via"] for row in rows] == ["ryg;dnk", "ryg", ""]
    else:
        records = json.loads(text) if fmt == "json" else [json.loads(x) for x in text.splitlines()]
        vias = [r.get("via") for r in records if r["type"] == "evidence"]
        assert vias == [["ryg", "dnk"], "ryg", None]

    fresh = Cli(str(tmp_path / "fresh.db"))
    fresh.ok("init")
    fresh.ok("import", str(out))
    assert chains(fresh) == EXPECTED
    again = cli.ok("import", str(out), "--json").json()["counts"]["evidence"]
    assert (again["created"], again["updated"]) == (0, 0)


def test_reimporting_a_changed_chain_updates_it_records_history_and_as_of_sees_the_old_one(
    cli, tmp_path
):
    cli.ok("import", str(write_records(tmp_path / "in.jsonl", RELAYED_RECORDS)))
    moment = max(event["at"] for event in cli.ok("history", "backlash", "--json").json())
    changed = [dict(r) for r in RELAYED_RECORDS]
    changed[5]["via"] = ["ryg"]
    changed[6]["via"] = ["ryg", "dnk"]
    counts = cli.ok("import", str(write_records(tmp_path / "changed.jsonl", changed)), "--json")
    assert counts.json()["counts"]["evidence"]["updated"] == 2
    assert chains(cli) == [("police", ["ryg"]), ("detainees", ["ryg", "dnk"]), ("ryg", [])]
    edits = [
        e for e in cli.ok("history", "backlash", "--json").json() if e["action"] == "evidence.edit"
    ]
    assert sorted((e["before"]["via_chain"], e["after"]["via_chain"]) for e in edits) == [
        (["ryg"], ["ryg", "dnk"]),
        (["ryg", "dnk"], ["ryg"]),
    ]
    old = cli.ok("explain", "backlash", "--as-of", moment, "--json").json()
    items = [item for origin in old["origins"] for item in origin["items"]]
    assert [item["via_chain"] for item in items] == [["ryg", "dnk"], ["ryg"]]


def test_a_sheet_via_cell_takes_hops_separated_by_semicolons(cli, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,source_name,stance,via\n"
        "backlash,The crackdown met strong popular backlash.,Police,supports,Ryanggang informant; Daily NK\n"
        "backlash,,Detainees,supports,Ryanggang informant\n",
        encoding="utf-8",
    )  # fmt: skip
    assert (
        cli.ok("import", str(sheet), "--dry-run", "--json").json()["counts"]["evidence"]["created"]
        == 2
    )
    cli.ok("import", str(sheet))
    assert [chain for _, chain in chains(cli)] == [
        ["ryanggang-informant", "daily-nk"],
        ["ryanggang-informant"],
    ]
    again = cli.ok("import", str(sheet), "--json").json()["counts"]["evidence"]
    assert (again["created"], again["updated"]) == (0, 0)


def test_a_record_whose_later_hop_is_unknown_is_refused(cli, tmp_path, db_dump):
    records = [*RELAYED_RECORDS[:5], {**RELAYED_RECORDS[5], "via": ["ryg", "nobody"]}]
    before = db_dump(cli.url)
    run = cli("import", str(write_records(tmp_path / "bad.jsonl", records)))
    assert run.exit_code == 1
    assert "bad.jsonl:6: via: 'nobody' — expected the key of a source" in run.stderr
    assert db_dump(cli.url) == before


def test_merging_a_source_that_is_a_later_hop_moves_the_hop(cli, tmp_path):
    records = [
        {"type": "source", "key": "dailynk", "name": "Daily NK (old key)"},
        *RELAYED_RECORDS[1:5],
        {**RELAYED_RECORDS[5], "via": ["ryg", "dailynk"]},
    ]
    cli.ok("import", str(write_records(tmp_path / "in.jsonl", records)))
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("source", "merge", "dnk", "dailynk", "--yes")
    assert chains(cli) == [("police", ["ryg", "dnk"])]
    report = cli.ok("report", "--source", "dnk", "--json").json()
    rows = report["claims"] if isinstance(report, dict) else report
    assert [row["key"] for row in rows] == ["backlash"]


def test_evidence_edit_replaces_the_whole_chain_and_as_of_sees_the_old_one(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg")
    moment = max(e["at"] for e in relayed.ok("history", "backlash", "--json").json())
    edited = relayed.ok("evidence", "edit", "1", "--via", "ryg", "--via", "dnk", "--json").json()
    assert (edited["before"], edited["after"]) == (
        {"via_chain": ["ryg"]},
        {"via_chain": ["ryg", "dnk"]},
    )
    assert chains(relayed) == [("police", ["ryg", "dnk"])]
    old = relayed.ok("claim", "show", "backlash", "--as-of", moment, "--json").json()
    assert [e["via_chain"] for e in old["evidence"]] == [["ryg"]]
    relayed.ok("evidence", "edit", "1", "--via", "dnk")
    assert chains(relayed) == [("police", ["dnk"])]
    relayed.ok("evidence", "edit", "1", "--via", "")
    assert chains(relayed) == [("police", [])]
    run = relayed("evidence", "edit", "1", "--via", "dnk", "--via", "dnk")
    assert run.exit_code == 2 and "not twice" in run.stderr


def test_the_seed_examples_teach_one_convention(cli, tmp_path):
    """tests/seed_example.py and seeds/ record who said it as the source and who passed it on
    as the via chain: entering them warns about nothing, and backlash's three speakers are
    three origins through one channel, the informant."""
    from pathlib import Path

    from seed_example import enter_seed

    class Quiet:
        url = cli.url

        def ok(self, *args):
            run = cli.ok(*args)
            assert run.stderr == "", (args, run.stderr)
            return run

    enter_seed(Quiet())
    backlash = cli.ok("explain", "backlash", "--json").json()
    assert (backlash["status"], backlash["support_origins"], backlash["channels"]) == (
        "corroborated",
        2,
        ["src-ryanggang"],
    )
    items = [item for origin in backlash["origins"] for item in origin["items"]]
    assert {tuple(item["via_chain"]) for item in items} == {("src-ryanggang", "dnk")}

    from conftest import Cli

    seeded = Cli(str(tmp_path / "seed.db"))
    seeded.ok("init")
    seeds = Path(__file__).resolve().parents[1] / "seeds" / "dailynk-crackdown-2018.jsonl"
    seeded.ok("import", str(seeds))
    explained = seeded.ok("explain", "backlash", "--json").json()
    assert (explained["support_origins"], explained["channels"]) == (3, ["dnk-ryanggang"])
    assert "through one channel: dnk-ryanggang" in explained["channel_warning"]
    listed = seeded.ok("evidence", "list", "backlash", "--json").json()
    assert {tuple(e["via_chain"]) for e in listed} == {("dnk-ryanggang", "dailynk")}


def test_import_warns_about_a_source_named_both_via_and_derived_from(cli, tmp_path):
    records = [
        *RELAYED_RECORDS[:5],
        {"type": "source", "key": "told", "name": "Police, as told", "derived_from": "ryg"},
        {"type": "evidence", "claim": "backlash", "source": "told", "stance": "supports",
         "via": ["ryg", "dnk"]},
        {"type": "evidence", "claim": "backlash", "source": "police", "stance": "supports",
         "via": ["ryg", "dnk"]},
    ]  # fmt: skip
    path = write_records(tmp_path / "in.jsonl", records)
    run = cli.ok("import", str(path))
    assert run.stderr == (
        f"Warning: {path}:7: ryg is both on this item's via chain and what its source told is "
        "derived from: keep one (via: who passed it on; derived_from: a source that repeats "
        "another)\n"
    )
    assert chains(cli) == [("told", ["ryg", "dnk"]), ("police", ["ryg", "dnk"])]
    again = cli.ok("import", str(path), "--json").json()
    assert again["warning_count"] == 1 and len(again["warnings"]) == 1


def test_source_edit_derived_from_a_source_its_items_came_via_is_a_warning(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg",
               "--via", "dnk")  # fmt: skip
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--neutral")
    run = relayed.ok("source", "edit", "police", "--derived-from", "dnk")
    assert run.stderr == (
        "Warning: evidence 1: dnk is both on this item's via chain and what its source police "
        "is derived from: the person who said it is the source, those who passed it on are "
        "--via, --derived-from is for a source that repeats another; keep one\n"
    )
    assert relayed.ok("source", "edit", "police", "--derived-from", "").stderr == ""


def test_origins_sharing_a_channel_are_discounted_when_others_do_not(relayed):
    """Police and detainees both speak through the Ryanggang informant; Daily NK reports on
    its own. The two that share the informant keep (1 + 0.5) / 2 = 0.75 of their weight each,
    Daily NK all of its own; the report's fast path and the item-by-item path agree."""
    import math

    cli = relayed
    cli.ok("evidence", "add", "backlash", "--source", "police", "--supports", "--via", "ryg")
    cli.ok("evidence", "add", "backlash", "--source", "detainees", "--supports", "--via", "ryg")
    cli.ok("evidence", "add", "backlash", "--source", "dnk", "--supports", "--credibility", "3")
    explained = cli.ok("explain", "backlash", "--json").json()
    factors = {o["origin"]: o["channel_factor"] for o in explained["origins"]}
    assert factors == {"police": 0.75, "detainees": 0.75, "dnk": 1.0}
    assert not explained["single_channel"]
    assert explained["channel_warning"].startswith(
        "2 of 3 supporting origins come through one channel, ryg (police, detainees)"
    )
    # Police and detainees are ungraded F with items graded 6 (share 0.3) by default.
    f, c = math.log(0.55 / 0.45) * 0.3, math.log(0.7 / 0.3) * 0.5
    assert explained["log_odds"] == pytest.approx(2 * 0.75 * f + c, abs=1e-4)
    fields = ("score", "assessed_confidence", "score_interval", "single_channel")

    def row(*args):
        report = cli.ok("report", "--json", *args).json()
        (found,) = [r for r in report["claims"] if r["key"] == "backlash"]
        return tuple(found[f] for f in fields)

    assert row() == row("--detail")
    assert row()[0] == explained["score"]
