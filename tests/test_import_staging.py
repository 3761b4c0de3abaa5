"""Pass 1 of an import on disk (transfer/imports/staging.py): once more claims and sources are
held than staging.SPILL, they move to a scratch file and rows are checked against it a batch
at a time. Forced here from the first batch, the import merges, refuses and re-imports
exactly as with the entities in dicts (the other import tests run below SPILL)."""

from __future__ import annotations

import csv
import json

import pytest
from test_import_csv import HEADER
from transfer_helpers import rows, summary

from claimtrack.transfer.imports import staging

ROWS = 2_400  # more than two batches of rows (formats.BATCH)
CONFLICT = 1_702  # a line: claim c5 again with another text


def _sheet(path) -> None:
    lines = [HEADER]
    for n in range(ROWS):
        line = n + 2
        claim = f"c{n % 300},Claim {n % 300}" if n % 10 else f",Loose claim {n // 10 % 5}"
        if line == CONFLICT:
            claim = "c5,Other text"
        via = f"Relay {n % 7}" if n % 3 == 0 else ""
        tags = "a" if n // 300 % 2 else "b"
        lines.append(f"{claim},s{n % 40},Source {n % 40},supports,3,C,quote {n},,{via},,{tags}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(params=["on disk", "in memory"])
def spills(request, monkeypatch):
    """The batches that moved the entities to disk: forced at the first one, or none."""
    spills = []
    spill = staging.StagedEntities._spill

    def counted(self):
        spills.append(1)
        spill(self)

    if request.param == "on disk":
        monkeypatch.setattr(staging, "SPILL", 0)
    monkeypatch.setattr(staging.StagedEntities, "_spill", counted)
    return spills


def test_staged_entities_merge_and_refuse_as_held_in_memory(cli, tmp_path, spills, db_dump):
    path = tmp_path / "big.csv"
    _sheet(path)
    rejects = tmp_path / "rejects.csv"
    run = cli.ok("import", str(path), "--skip-errors", str(rejects), "--json")
    assert len(spills) == (staging.SPILL == 0)
    data = json.loads(run.stdout)
    assert data["rejected"] == 1
    counts = summary(run)
    assert counts["claim"]["created"] == 270 + 5  # c{k} (k % 10 != 0), five loose ones
    assert counts["source"]["created"] == 40 + 7
    assert counts["evidence"]["created"] == ROWS - 1
    with rejects.open(encoding="utf-8") as handle:
        got = list(csv.reader(handle))
    assert got[1][:5] == [
        str(path),
        str(CONFLICT),
        "text",
        "Other text",
        f"''Claim 5' as at {path}:7 (one claim, one text)",  # a leading ' is doubled
    ]
    assert rows(cli.url, "SELECT text FROM claims WHERE key = 'c5'") == [("Claim 5",)]
    tags = cli.ok("claim", "show", "c5", "--json").json()["tags"]
    assert tags == ["a", "b"]  # merged from rows in different batches
    relays = rows(cli.url, "SELECT count(*) FROM sources WHERE name LIKE 'Relay %'")
    assert relays == [(7,)]

    before = db_dump(cli.url)
    again = cli.ok("import", str(path), "--skip-errors", str(tmp_path / "again.csv"), "--json")
    assert all(c["created"] == c["updated"] == 0 for c in summary(again).values())
    assert db_dump(cli.url) == before
