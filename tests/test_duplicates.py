"""Duplicate detection: precision and recall on a hand-labelled set (tests/data), canonical
URLs and names, `claim add --on-duplicate`, `import --on-duplicate`, `claimtrack duplicates`."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from transfer_helpers import StageRecorder

from claimtrack.services.duplicates import (
    ClaimIndex,
    canonical_url,
    normalise_name,
    text_similarity,
)
from claimtrack.settings import DEFAULT_SETTINGS

LABELLED = json.loads((Path(__file__).parent / "data" / "duplicates.json").read_text())
THRESHOLD = DEFAULT_SETTINGS.duplicate_threshold


def _precision_recall(pairs, predict, truth) -> tuple[float, float]:
    tp = sum(1 for p in pairs if predict(p) and p[truth])
    fp = sum(1 for p in pairs if predict(p) and not p[truth])
    fn = sum(1 for p in pairs if not predict(p) and p[truth])
    return tp / (tp + fp), tp / (tp + fn)


def test_claim_duplicates_precision_and_recall_on_the_labelled_set():
    pairs = LABELLED["claims"]
    assert sum(p["duplicate"] for p in pairs) == 21 and len(pairs) == 41
    precision, recall = _precision_recall(
        pairs, lambda p: text_similarity(p["a"], p["b"]) >= THRESHOLD, "duplicate"
    )
    # Measured: precision 0.75 (7 one-word changes of meaning are flagged), recall 1.0.
    assert recall >= 0.95
    assert precision >= 0.74


def test_url_and_name_variants_are_matched_exactly():
    precision, recall = _precision_recall(
        LABELLED["urls"], lambda p: canonical_url(p["a"]) == canonical_url(p["b"]), "same"
    )
    assert (precision, recall) == (1.0, 1.0)
    precision, recall = _precision_recall(
        LABELLED["names"], lambda p: normalise_name(p["a"]) == normalise_name(p["b"]), "same"
    )
    assert (precision, recall) == (1.0, 1.0)


def test_similarity_by_hand():
    # {anti, socialist, crackdown, stop, june, 2018} vs {crackdown, stop, june, 2018}: 4/6
    # (function words and hedges such as "largely" / "mostly" left out)
    assert text_similarity(
        "The anti-socialist crackdown had largely stopped by June 2018.",
        "By June 2018 the crackdown had mostly stopped",
    ) == pytest.approx(0.6667)
    # Same words, different year: Jaccard 3/5, halved.
    assert text_similarity(
        "The crackdown had largely stopped by June 2018.",
        "The crackdown had largely stopped by June 2019.",
    ) == pytest.approx(0.3)
    # Negated: identical content words (1.0), halved.
    assert text_similarity("The crackdown stopped", "The crackdown never stopped") == 0.5
    assert text_similarity("the of and", "the of and") == 0.0
    assert canonical_url("mailto:x@example.org") is None and canonical_url("") is None


def test_prefix_filter_finds_exactly_the_pairs_all_pairs_would():
    rng = random.Random(7)
    words = [f"w{i}" for i in range(60)]
    texts = [" ".join(rng.sample(words, rng.randint(2, 8))) for _ in range(400)]
    index = ClaimIndex(0.5)
    for number, text in enumerate(texts):
        index.add(str(number), text)
    found = {(a, b) for a, b, _ in index.pairs()}
    expected = {
        (a, b)
        for b in range(len(texts))
        for a in range(b)
        if text_similarity(texts[a], texts[b]) >= 0.5
    }
    assert {tuple(sorted(p)) for p in found} == expected
    assert len(expected) > 20


@pytest.fixture
def logged(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--url", "https://www.dailynk.com/english/")
    cli.ok("source", "add", "The DailyNK", "--key", "dnk2")
    cli.ok(
        "source",
        "add",
        "Daily NK site",
        "--key",
        "dnk3",
        "--url",
        "http://dailynk.com/english?utm_source=x",
    )
    cli.ok(
        "claim",
        "add",
        "The anti-socialist crackdown had largely stopped by June 2018.",
        "--key",
        "halt",
        "--tag",
        "crackdown",
    )
    return cli


def test_claim_add_warns_by_default_off_a_terminal(logged, db_dump, db_url):
    run = logged.ok("claim", "add", "By June 2018 the crackdown had mostly stopped.", "--key", "h2")
    assert run.stdout == "Added claim h2\n"
    assert run.stderr == (
        "Warning: claim h2 looks like one already logged:\n"
        "  1. halt (similarity 0.67): The anti-socialist crackdown had largely stopped by June "
        "2018.\n"
        "  merge it with: claimtrack claim merge halt h2\n"
    )
    run = logged.ok("claim", "add", "Rice prices rose in Hyesan.", "--on-duplicate", "warn")
    assert (run.stdout, run.stderr) == ("Added claim rice-prices-rose-in-hyesan\n", "")


def test_claim_add_skip_adds_nothing_and_prints_the_existing_key(logged, db_dump, db_url):
    before = db_dump(db_url)
    run = logged.ok(
        "claim", "add", "By June 2018, the crackdown had largely stopped!", "--on-duplicate", "skip"
    )
    assert run.stdout == (
        "Skipped: likely duplicate of claim halt (similarity 0.67); nothing added\n"
    )
    run = logged.ok(
        "claim",
        "add",
        "By June 2018, the crackdown had largely stopped!",
        "--on-duplicate",
        "skip",
        "--quiet",
    )
    assert run.stdout == "halt\n"
    assert db_dump(db_url) == before


def test_claim_add_merge_joins_the_existing_claim(logged):
    run = logged.ok(
        "claim",
        "add",
        "By June 2018 the crackdown had mostly stopped.",
        "--key",
        "h2",
        "--tag",
        "purge",
        "--source",
        "dnk",
        "--on-duplicate",
        "merge",
    )
    assert run.stdout == "Merged into claim halt\n"
    shown = logged.ok("claim", "show", "h2", "--json").json()
    assert shown["key"] == "halt"
    assert shown["tags"] == ["crackdown", "purge"]
    assert [e["source"] for e in shown["evidence"]] == ["dnk"]
    assert [c["key"] for c in logged.ok("claim", "list", "--json").json()] == ["halt"]


def test_claim_add_bad_mode(logged):
    run = logged("claim", "add", "x", "--on-duplicate", "always")
    assert (run.exit_code, run.stderr) == (
        2,
        "Error: --on-duplicate: 'always' is not valid; expected one of ask, warn, skip, merge\n",
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("s\n", "skip"), ("m\n", "merge"), ("l\n", "link"), ("x\na\n", "add")],
)
def test_claim_add_asks_on_a_terminal(logged, monkeypatch, answer, expected):
    import claimtrack.cli.look_alikes as look_alikes

    monkeypatch.setattr(look_alikes, "can_ask", lambda: True)
    run = logged.ok(
        "claim",
        "add",
        "By June 2018 the crackdown had mostly stopped.",
        "--key",
        "h2",
        input=answer,
    )
    assert "1. halt (similarity 0.67)" in run.stderr
    keys = [c["key"] for c in logged.ok("claim", "list", "--json").json()]
    if expected in ("skip", "merge"):
        assert keys == ["halt"]
    else:
        assert keys == ["h2", "halt"]
    if expected == "link":
        # (CliRunner echoes the typed answer to stdout.)
        assert run.stdout.endswith("Added claim h2, linked as supporting halt\n")
        links = logged.ok("claim", "show", "h2", "--json").json()["links"]
        assert links == [{"direction": "out", "relation": "supports", "claim": "halt"}]
    if expected == "add":
        assert "Please answer a, m, l or s (not 'x')" in run.stderr


def test_duplicates_lists_claims_and_sources(logged):
    logged.ok("claim", "add", "By June 2018 the crackdown had mostly stopped.", "--key", "h2")
    logged.ok("claim", "add", "Rice prices rose in Hyesan.", "--key", "rice")
    data = logged.ok("duplicates", "--json").json()
    assert [(d["type"], d["keys"], d["reason"]) for d in data] == [
        ("claim", ["halt", "h2"], "similar text"),
        ("source", ["dnk", "dnk2"], "same name"),
        ("source", ["dnk", "dnk3"], "same URL"),
    ]
    assert data[0]["similarity"] == pytest.approx(0.6667)
    run = logged.ok("duplicates", "--type", "claim")
    assert run.stdout == (
        "claims halt ~ h2  (similarity 0.67)\n"
        "  halt: The anti-socialist crackdown had largely stopped by June 2018.\n"
        "  h2: By June 2018 the crackdown had mostly stopped.\n"
    )
    assert logged.ok("duplicates", "--type", "claim", "--threshold", "0.9", "--json").json() == []
    run = logged("duplicates", "--threshold", "2")
    assert (run.exit_code, run.stderr) == (
        2,
        "Error: --threshold: 2.0 is not valid; expected a number above 0 and at most 1\n",
    )


def test_import_warns_about_and_merges_duplicates(logged, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,source_key,stance,quote\n"
        'h2,"By June 2018, the crackdown had mostly stopped.",dnk,supports,it stopped\n'
        "h3,Police in Hyesan took bribes,dnk,supports,\n"
        "h4,Police in Hyesan were taking bribes,dnk,supports,\n",
        encoding="utf-8",
    )
    run = logged.ok("import", str(sheet), "--json")
    pairs = run.json()["duplicates"]
    assert [(p["keys"], p["action"]) for p in pairs] == [
        (["halt", "h2"], "warned"),
        (["h3", "h4"], "warned"),
    ]
    (tmp_path / "again.csv").write_text(
        "claim_key,claim_text,source_key,stance\nh5,Police in Hyesan took bribes!,dnk,supports\n",
        encoding="utf-8",
    )
    run = logged.ok("import", str(tmp_path / "again.csv"))
    assert run.stderr == (
        "Warning: 2 likely duplicate pairs with new claims:\n"
        "  h5 ~ h3 (similarity 1.00)\n"
        "  h5 ~ h4 (similarity 0.60)\n"
        "  list them with `claimtrack duplicates`; merge with `claimtrack claim merge KEEP OTHER`\n"
    )


def test_import_merge_mode_is_idempotent(logged, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,source_key,stance,quote\n"
        'h2,"By June 2018, the crackdown had mostly stopped.",dnk,supports,it stopped\n',
        encoding="utf-8",
    )
    first = logged.ok("import", str(sheet), "--on-duplicate", "merge", "--json").json()
    assert [(p["keys"], p["action"]) for p in first["duplicates"]] == [(["halt", "h2"], "merged")]
    shown = logged.ok("claim", "show", "h2", "--json").json()
    assert shown["key"] == "halt" and [e["quote"] for e in shown["evidence"]] == ["it stopped"]
    again = logged.ok("import", str(sheet), "--on-duplicate", "merge", "--json").json()
    assert again["counts"]["claim"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert again["counts"]["evidence"]["created"] == 0
    assert again["duplicates"] == []


def _plain_prefix_pairs(texts, t, common_block, max_block):
    """The index's documented rule written plainly: every pair of claims that share a probed
    prefix word, scored with `similarity` (no positional or front filtering)."""
    from collections import Counter, defaultdict
    from math import ceil

    from claimtrack.services.duplicates import signature, similarity

    signatures = [signature(text) for text in texts]
    frequency = Counter(token for s in signatures for token in s.tokens)
    order = sorted(
        (i for i, s in enumerate(signatures) if s.tokens), key=lambda i: len(signatures[i].tokens)
    )
    index = defaultdict(list)
    found = set()
    for i in order:
        words = sorted(signatures[i].tokens, key=lambda w: (frequency[w], w))
        size = len(words)
        prefix = size - ceil(t * size - 1e-9) + 1
        probed = False
        for word in words[:prefix]:
            block = index[word]
            if len(block) > max_block or (probed and len(block) > common_block):
                block.append(i)
                continue
            probed = True
            for j in block:
                if len(signatures[j].tokens) >= t * size - 1e-9:
                    score = similarity(signatures[i], signatures[j])
                    if score >= t:
                        found.add((min(i, j), max(i, j), score))
            block.append(i)
    return found


def test_index_finds_what_the_plain_prefix_rule_finds_on_templated_text():
    # Templated claims (common head words, rarer tail words, numbers, names, negations) and
    # near-copies, with small block limits so that common words are skipped as at scale.
    rng = random.Random(11)
    heads = ["Police in Hyesan", "Border guards in Musan", "Traders in Sinuiju", "Cadres"]
    verbs = ["arrested", "fined", "did not stop", "searched", "never paid"]
    tail = [f"w{i}" for i in range(300)]
    texts = []
    for _ in range(1500):
        words = rng.sample(tail, rng.randint(3, 7)) + [str(rng.choice([2018, 2019, 5, 50]))]
        text = f"{rng.choice(heads)} {rng.choice(verbs)} " + " ".join(words)
        texts.append(text)
        if rng.random() < 0.2:
            copy = text.split()
            copy.pop(rng.randrange(len(copy)))
            texts.append(" ".join(copy))
    for t, common_block, max_block in ((0.6, 5, 60), (0.5, 20, 20_000), (0.8, 100, 20_000)):
        index = ClaimIndex(t, common_block=common_block, max_block=max_block)
        for number, text in enumerate(texts):
            index.add(number, text)
        expected = _plain_prefix_pairs(texts, t, common_block, max_block)
        assert set(index.pairs()) == expected
        assert len(expected) > 50


def test_import_names_its_duplicate_check_to_the_progress_display(database, tmp_path):
    """After the rows, the bar says what the import is still doing (on 100,000 new claims
    the check takes tens of seconds), and the time reported covers it."""
    from claimtrack.transfer import import_files

    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,source_key,source_name,stance\n"
        "h3,Police in Hyesan took bribes,dnk,Daily NK,supports\n"
        "h4,Police in Hyesan were taking bribes,dnk,Daily NK,supports\n",
        encoding="utf-8",
    )

    recorder = StageRecorder()
    with database.session(write=True, actor="test") as session:
        result = import_files(session, files=[str(sheet)], progress=recorder)
    assert recorder.stages == [
        "reading rows",
        "merging claims and sources",
        "writing rows: resolving the claims and sources of 2 evidence items",
        "writing rows: comparing evidence with the items stored",
        "writing rows: inserting the new evidence items",
        "writing rows: 2 of 2",
        "search index",
        "duplicate check: 2 new claims",
    ]
    assert [p["keys"] for p in result.duplicates] == [["h3", "h4"]]
    assert result.seconds > 0


def test_a_large_import_names_every_phase_indexes_included(database, tmp_path):
    """12,000 evidence rows into an empty table: the secondary indexes are rebuilt at the end
    (transfer.imports.sqlite_bulk), and the bar says so."""
    from claimtrack.transfer import import_files

    sheet = tmp_path / "sheet.csv"
    rows = [
        f"c{i % 300},Claim {i % 300} about w{i % 300},dnk,supports,q{i}\n" for i in range(12_000)
    ]
    sheet.write_text("claim_key,claim_text,source_key,stance,quote\n" + "".join(rows), "utf-8")

    recorder = StageRecorder()
    with database.session(write=True, actor="test") as session:
        import_files(session, files=[str(sheet)], progress=recorder, on_duplicate="ignore")
    phases = [label.split(":")[0] for label in recorder.stages]
    expected = ["reading rows", "merging claims and sources", "writing rows"]
    if database.dialect == "sqlite":
        expected.append("indexes")
    assert list(dict.fromkeys(phases)) == [*expected, "search index"]
    writing = [label for label in recorder.stages if label.startswith("writing rows")]
    assert writing[-1] == "writing rows: 12,000 of 12,000"


def _sheet(tmp_path, count: int, prefix: str = "n") -> str:
    sheet = tmp_path / f"{prefix}.csv"
    lines = [
        f"{prefix}{i},Police in Hyesan took bribes {i} times,dnk,supports\n" for i in range(count)
    ]
    sheet.write_text("claim_key,claim_text,source_key,stance\n" + "".join(lines), "utf-8")
    return str(sheet)


def test_import_steps_aside_above_the_documented_number_of_new_claims(
    logged, tmp_path, monkeypatch
):
    from claimtrack.services import duplicates

    monkeypatch.setattr(duplicates, "IMPORT_CHECK_MAX_NEW", 2)
    run = logged.ok("import", _sheet(tmp_path, 3))
    assert (
        "Did not check 3 new claims for duplicates (more than 2, so the import did not wait): "
        "run `claimtrack duplicates --type claim` to list likely duplicate claims\n"
    ) in run.stdout
    assert run.stderr == ""
    run = logged.ok("import", _sheet(tmp_path, 3, "m"), "--on-duplicate", "ignore")
    assert "Did not check the new claims for duplicates (--on-duplicate ignore)\n" in run.stdout


def test_import_reports_what_its_duplicate_check_did(logged, tmp_path, monkeypatch):
    from claimtrack.services import duplicates

    monkeypatch.setattr(duplicates, "IMPORT_CHECK_MAX_NEW", 2)
    monkeypatch.setattr(duplicates, "IMPORT_MAX_CANDIDATES", 1)
    # merge always checks (the user asked for the merges), whatever the number of new claims
    done = logged.ok("import", _sheet(tmp_path, 3), "--on-duplicate", "merge", "--json").json()
    check = done["duplicate_check"]
    assert check["capped_claims"] >= 1
    assert check == {
        "done": "checked",
        "new_claims": 3,
        "max_new_claims": 2,
        "max_candidates_per_claim": 1,
        "max_pairs_per_claim": 20,
        "capped_claims": check["capped_claims"],
    }


def test_candidates_and_pairs_per_claim_are_capped():
    index = ClaimIndex(0.6, max_candidates=3)
    for number in range(10):
        index.add(number, "Police in Hyesan took bribes")
    found = list(index.pairs())
    # each claim is scored against at most 3 of those before it: 0+1+2+3*7 pairs
    assert len(found) == 24 and index.capped == 6


def test_import_keeps_at_most_the_documented_pairs_per_new_claim(logged, tmp_path):
    from claimtrack.services.duplicates import IMPORT_MAX_PAIRS

    sheet = tmp_path / "same.csv"
    lines = [f"s{i},Police in Hyesan took bribes,dnk,supports\n" for i in range(25)]
    sheet.write_text("claim_key,claim_text,source_key,stance\n" + "".join(lines), "utf-8")
    pairs = logged.ok("import", str(sheet), "--json").json()["duplicates"]
    per_claim = {}
    for pair in pairs:
        for key in pair["keys"]:
            per_claim[key] = per_claim.get(key, 0) + 1
    assert max(per_claim.values()) <= IMPORT_MAX_PAIRS
    assert len(per_claim) == 25 and len(pairs) < 25 * 24 // 2  # every claim, not every pair


def test_look_alike_source_names_are_duplicates(cli):
    for name in (
        "Daily NK",
        "D\u0430ily NK",
        "Daily NK\u200b",
        "\uff24aily \uff2e\uff2b",
        "Dαily NK",
        "\u13a0aily NK",  # Cherokee Ꭰ
        "Daily N\u212a",  # Kelvin sign
        "Dail\u0443 NK",  # Cyrillic у
    ):
        cli.ok("source", "add", name, "--on-duplicate", "warn")
    cli.ok("source", "add", "Daily News")
    pairs = [p for p in cli.ok("duplicates", "--json").json() if p["type"] == "source"]
    assert {tuple(p["texts"]) for p in pairs} >= {
        ("Daily NK", "D\u0430ily NK"),
        ("Daily NK", "Daily NK\u200b"),
        ("Daily NK", "\uff24aily \uff2e\uff2b"),
        ("Daily NK", "Dαily NK"),
        ("Daily NK", "\u13a0aily NK"),
        ("Daily NK", "Daily N\u212a"),
        ("Daily NK", "Dail\u0443 NK"),
    }
    assert all("Daily News" not in p["texts"] for p in pairs)
    assert {p["match"] for p in pairs} == {"dailynk"}


def test_an_import_creating_look_alike_sources_warns(cli, tmp_path):
    sheet = tmp_path / "la.csv"
    sheet.write_text(
        "claim_text,source_name,stance\n"
        "The crackdown stopped,Daily NK,supports\n"
        "The crackdown stopped,D\u0430ily NK,supports\n"
        "The crackdown stopped,Daily NK\u200b,supports\n",
        encoding="utf-8",
    )
    run = cli.ok("import", str(sheet))
    assert "Warning: 2 new sources look like another source" in run.stderr
    assert "'D\u0430ily NK' ~ 'Daily NK'" in run.stderr
    assert "'Daily NK\\u200b' ~ 'Daily NK'" in run.stderr
    other = tmp_path / "other.csv"
    other.write_text("claim_text,source_name,stance\nAnother claim,DAILY  NK!,supports\n")
    data = cli.ok("import", str(other), "--json").json()
    looks = [p for p in data["duplicates"] if p["type"] == "source"]
    assert [(p["texts"][1], p["reason"], p["action"]) for p in looks] == [
        ("DAILY  NK!", "look-alike name", "warned")
    ]
    third = tmp_path / "third.csv"
    third.write_text("claim_text,source_name,stance\nThird claim,Dαily NK,supports\n")
    data = cli.ok("import", str(third), "--json", "--on-duplicate", "ignore").json()
    assert [p for p in data["duplicates"] if p["type"] == "source"] == []


def test_a_new_source_never_takes_a_key_that_is_an_alias(cli, tmp_path):
    sheet = tmp_path / "twins.csv"
    sheet.write_text(
        "claim_text,source_name,stance\n"
        "The crackdown stopped,Daily NK,supports\n"
        "The crackdown stopped,Daily NK\u200b,supports\n",
        encoding="utf-8",
    )
    cli.ok("import", str(sheet))
    cli.ok("source", "merge", "daily-nk", "daily-nk-2", "--yes")
    # The sheet still names the merged-away source, so importing it again creates it anew:
    # under a key of its own, not under 'daily-nk-2', which now resolves to daily-nk.
    cli.ok("import", str(sheet))
    keys = [s["key"] for s in cli.ok("source", "list", "--json").json()]
    assert keys == ["daily-nk", "daily-nk-3"]
    assert cli.ok("source", "show", "daily-nk-2", "--json").json()["key"] == "daily-nk"


def test_on_duplicate_merge_takes_a_look_alike_name_for_the_source(cli, tmp_path):
    """Three spellings of one outlet in one sheet would be three independent origins and make
    the claim corroborated; with --on-duplicate merge they are one source, and importing the
    sheet again changes nothing."""
    sheet = tmp_path / "la.csv"
    sheet.write_text(
        "claim_text,source_name,stance\n"
        "The crackdown stopped,Daily NK,supports\n"
        "The crackdown stopped,D\u0430ily NK,supports\n"
        "The crackdown stopped,Daily NK\u200b,supports\n",
        encoding="utf-8",
    )
    data = cli.ok("import", str(sheet), "--on-duplicate", "merge", "--json").json()
    assert data["counts"]["source"]["created"] == 1
    joined = [p for p in data["duplicates"] if p["type"] == "source"]
    assert [(p["texts"], p["keys"], p["action"]) for p in joined] == [
        (["Daily NK", "D\u0430ily NK"], ["daily-nk", "daily-nk"], "merged"),
        (["Daily NK", "Daily NK\u200b"], ["daily-nk", "daily-nk"], "merged"),
    ]
    assert [s["key"] for s in cli.ok("source", "list", "--json").json()] == ["daily-nk"]
    claim = cli.ok("claim", "list", "--json").json()[0]
    assert (claim["status"], claim["support_origins"]) == ("unverified", 1)

    again = cli.ok("import", str(sheet), "--on-duplicate", "merge", "--json").json()
    assert {
        kind: c["created"] + c["updated"] for kind, c in again["counts"].items()
    } == dict.fromkeys(again["counts"], 0)
    # A later sheet naming the outlet with a Greek alpha joins the stored source too.
    later = tmp_path / "later.csv"
    later.write_text("claim_text,source_name,stance\nAnother claim,D\u03b1ily NK,supports\n")
    run = cli.ok("import", str(later), "--on-duplicate", "merge")
    assert "Took 1 source name for the source each looks like:" in run.stdout
    assert "'D\u03b1ily NK' ~ 'Daily NK': daily-nk" in run.stdout
    assert [s["key"] for s in cli.ok("source", "list", "--json").json()] == ["daily-nk"]
