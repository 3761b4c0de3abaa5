"""The sheet's rows checked a batch at a time, column by column (transfer/imports/sheet_rows.py):
on any mix of good and bad cells, what a row gives is what the full check gives it alone, and
does not depend on the rows checked beside it. A claim or source whose cells repeat a row the
import took whole is left out of later rows; one that repeats a refused row is not."""

from __future__ import annotations

import csv
import json
import random

import pytest
from transfer_helpers import rows

from claimtrack import values
from claimtrack.transfer.imports import rows as row_checks
from claimtrack.transfer.imports import staging
from claimtrack.transfer.imports.sheet_rows import SheetRows
from claimtrack.transfer.problems import BadRow, Where
from claimtrack.transfer.sheet import SHEET_FIELDS

# Cells for each field: good ones, bad ones, blank, of only spaces (or a tab behind an
# export's quote), guarded by an export's quote, with a NUL or a lone surrogate, non-ASCII.
SPACES = ["  ", " \t ", "'\t"]
TEXTS = ["", "A claim.", "  padded  ", "양강도 report", "'=formula", "'-1 minus", "nul\x00",
         "lone \ud800", "'' quoted", "x" * 40, "   "]  # fmt: skip
CELLS = {
    "claim_key": ["", "c1", "c2", "bad key!", "'=c1", " c1 ", *SPACES],
    "claim_text": TEXTS,
    "source_key": ["", "s1", "s2", "no good", " s1", *SPACES],
    "source_name": TEXTS,
    "stance": ["supports", "contradicts", "for", "maybe", "", " Neutral ", "'=supports", "  "],
    "credibility": ["", "1", "6", "9", "x", " 3 ", *SPACES],
    "reliability": ["", "A", "f", "G", " C ", *SPACES],
    "quote": TEXTS,
    "url": TEXTS,
    "via": ["", "dnk", "ryg; dnk", "relay\x00", "Relay one", "  "],
    "observed": ["", "2018-07-06", "2018-02-30", "2018-07", *SPACES],
    "tags": ["", "a", "a;b", "b;a", "A ;  ; b", "x" * 201, "nul\x00", "  "],
    "key": ["", "e1", "2024", "bad key!", "'=e1", *SPACES],
    "notes": TEXTS,
    "verdict": ["", "", "", "true", "confirmed", "none", "perhaps", "  "],
    "verdict_reason": ["", "later reporting", "nul\x00", "  "],
}


def _sheet_rows(taken=None, fields=SHEET_FIELDS) -> SheetRows:
    index = {name: at for at, name in enumerate(fields)}
    return SheetRows(
        index=index,
        width=len(fields),
        columns={name: name.upper() for name in fields},
        stance_map={"for": "supports"},
        verdict_map={"true": "confirmed"},
        taken=taken,
    )


GOOD = {
    name: [cell for cell in cells if cell in ("", "c1", "s1", "supports", "3", "A", "a;b")]
    for name, cells in CELLS.items()
}
GOOD["claim_text"] = GOOD["source_name"] = GOOD["quote"] = ["Text.", "  padded  ", "양강도", ""]
GOOD["stance"] = ["supports", "for", " Neutral "]


def _random_rows(rng: random.Random, count: int, fields=SHEET_FIELDS) -> list[list[str]]:
    """Rows whose cells are mostly good (one in 12 drawn from all of the field's cells)."""
    return [
        [rng.choice(CELLS[name] if rng.random() < 1 / 12 else GOOD[name]) for name in fields]
        for _ in range(count)
    ]


def _given(result):
    """A row's outcome, comparable: its problems as shown, or what it gives."""
    if isinstance(result, BadRow):
        return [str(problem) for problem in result.problems]
    return result


@pytest.mark.parametrize("seed", range(5))
def test_a_batch_gives_each_row_what_the_full_check_gives_it_alone(seed):
    rng = random.Random(seed)
    batch = _random_rows(rng, 600)
    wheres = [Where("sheet.csv", line) for line in range(2, 602)]
    checker = _sheet_rows()
    got = checker.batch(wheres, batch)
    full = [checker._checked(where, row, None) for where, row in zip(wheres, batch, strict=True)]
    taken = [result for result in got if not isinstance(result, BadRow)]
    assert len(taken) > 20  # good rows are common enough to test the fast path
    assert [_given(result) for result in got] == [_given(result) for result in full]


@pytest.mark.parametrize("seed", range(3))
def test_a_row_gives_the_same_alone_or_beside_others(seed):
    rng = random.Random(seed)
    fields = ("claim_key", "claim_text", "source_name", "stance", "quote", "tags")
    batch = _random_rows(rng, 300, fields)
    wheres = [Where("sheet.csv", line) for line in range(2, 302)]
    together = _sheet_rows(fields=fields).batch(wheres, batch)
    alone = [
        _sheet_rows(fields=fields).batch([where], [row])[0]
        for where, row in zip(wheres, batch, strict=True)
    ]
    assert [_given(result) for result in together] == [_given(result) for result in alone]


def test_a_good_text_is_its_strip_through_each_text_parser():
    """The batch takes a column of storable text to its cells' strips: what the text fields'
    parsers give each cell alone."""
    parsers = {row_checks.CLAIM["text"], row_checks.SOURCE["name"], row_checks.EVIDENCE["quote"]}
    parsers |= {row_checks.EVIDENCE["url"], row_checks.EVIDENCE["notes"]}
    assert parsers <= {values.required_text, values.optional_text}
    for text in ("  padded  ", "양강도 report", "\tx\n", "a  b"):
        assert all(parse(text, field="") == text.strip() for parse in parsers)


def test_claims_and_sources_already_taken_are_left_out_of_later_rows():
    taken = staging.Taken()
    checker = _sheet_rows(taken, fields=("claim_key", "claim_text", "source_key", "stance", "via"))
    first = checker.batch([Where("f", 2)], [["c1", "Claim", "s1", "supports", "dnk"]])[0]
    assert [kind for kind, _ in first] == ["claim", "source", "source", "evidence"]
    for _, intent in first[:3]:
        taken.add(intent.digest)
    again = checker.batch(
        [Where("f", 3), Where("f", 4)],
        [["c1", "Claim", "s1", "supports", "dnk"], ["c1", "Claim ", "s1", "neutral", ""]],
    )
    assert [kind for kind, _ in again[0]] == ["evidence"]
    assert [kind for kind, _ in again[1]] == ["claim", "evidence"]  # another cell: checked
    assert again[0][0][1].claim_key == "c1" and again[0][0][1].via_name == "dnk"


@pytest.fixture(params=["on disk", "in memory"])
def staged(request, monkeypatch):
    if request.param == "on disk":
        monkeypatch.setattr(staging, "SPILL", 0)


def test_a_row_that_repeats_a_refused_row_is_checked_again(cli, tmp_path, staged):
    lines = ["claim_key,claim_text,source_key,source_name,stance"]
    lines += [f"c{n},Claim {n},s{n % 3},Source {n % 3},supports" for n in range(600)]
    lines += [
        "c1,Other text,s1,Source 1,supports",  # line 602: refused (one claim, one text)
        "c1,Other text,s1,Source 1,supports",  # line 603: the same cells, refused again
        "c900,New claim,s1,Other name,supports",  # line 604: refused (one source, one name)
        "c900,New claim,s2,Source 2,supports",  # line 605: taken, c900 created
        "c1,Claim 1,s1,Source 1,neutral",  # line 606: a repeat, taken
    ]
    path = tmp_path / "sheet.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    run = cli.ok("import", str(path), "--skip-errors", str(rejects), "--json")
    assert json.loads(run.stdout)["rejected"] == 3
    with rejects.open(encoding="utf-8") as handle:
        refused = [(row[1], row[2], row[4]) for row in list(csv.reader(handle))[1:]]
    assert refused == [  # a leading ' is doubled in the rejects file
        ("602", "text", f"''Claim 1' as at {path}:3 (one claim, one text)"),
        ("603", "text", f"''Claim 1' as at {path}:3 (one claim, one text)"),
        ("604", "name", f"''Source 1' as at {path}:3 (one source, one name)"),
    ]
    assert rows(cli.url, "SELECT text FROM claims WHERE key = 'c900'") == [("New claim",)]
    assert rows(cli.url, "SELECT count(*) FROM evidence") == [(602,)]


def test_a_bad_claim_text_beside_a_verdict_is_named(cli, tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text(
        "claim_key,claim_text,source_name,stance,verdict\nc1,nul \x00 here,Daily NK,supports,confirmed\n",
        encoding="utf-8",
    )
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert run.stderr.splitlines()[0] == (
        f"{path}:2: claim_text: <text with a NUL byte> — expected text without NUL bytes"
    )


def test_a_cell_of_only_spaces_is_not_given_on_both_paths(cli, tmp_path):
    """A spreadsheet shows a cell of spaces as empty: a key so given is generated and a grade
    takes its default (line 2), and a refused row is refused for its bad cells only, not for
    those (line 3, which goes through the full check)."""
    path = tmp_path / "sheet.csv"
    header = "claim_key,claim_text,source_key,source_name,stance,credibility,reliability,key\n"
    path.write_text(header + "  ,Claim one,\t,Daily NK,supports,  ,  ,  \n", encoding="utf-8")
    cli.ok("import", str(path))
    found = rows(
        cli.url,
        "SELECT c.text, s.key, s.reliability, e.credibility FROM evidence e "
        "JOIN claims c ON c.id = e.claim_id JOIN sources s ON s.id = e.source_id",
    )
    assert found == [("Claim one", "daily-nk", "F", 6)]
    path.write_text(header + "  ,Claim two, ,Daily NK,maybe,  ,  ,  \n", encoding="utf-8")
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert run.stderr.splitlines()[0] == (
        f"{path}:2: stance: 'maybe' — expected one of supports, contradicts, neutral"
    )
    assert "credibility" not in run.stderr and "reliability" not in run.stderr
