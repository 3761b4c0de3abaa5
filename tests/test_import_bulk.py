"""Bulk imports into SQLite: indexes dropped for the load come back exactly (also when the
import is refused), the search index covers every row written, and a re-import is a no-op."""

from __future__ import annotations

import sqlite3

import pytest

from claimtrack.transfer.imports import sqlite_bulk

ROWS = sqlite_bulk.MIN_ROWS + 500


def _write_sheet(path, rows: int, *, bad_last: bool = False) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("claim_key,claim_text,source_key,stance,credibility,quote\n")
        for n in range(rows):
            stance = ("supports", "contradicts", "neutral")[n % 3]
            if bad_last and n == rows - 1:
                stance = "maybe"
            handle.write(
                f"c{n % 700},Claim number {n % 700} about rice {n % 700},s{n % 90},"
                f"{stance},{n % 6 + 1},quote {n} zq{n}\n"
            )


def _schema(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        return conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
        ).fetchall()


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_bulk_import_restores_the_indexes_and_indexes_every_row(cli, db_url, tmp_path, db_dump):
    before = _schema(db_url)
    assert any(name == "ix_evidence_claim_status" for _, name, _, _ in before)
    sheet = tmp_path / "big.csv"
    _write_sheet(sheet, ROWS)
    run = cli.ok("import", str(sheet), "--json", "--on-duplicate", "ignore")
    assert run.json()["counts"]["evidence"]["created"] == ROWS
    assert _schema(db_url) == before
    cli.ok("db", "check")
    with sqlite3.connect(db_url) as conn:
        indexed = conn.execute(
            "SELECT count(*) FROM search_index WHERE kind = 'evidence'"
        ).fetchone()[0]
        plan = " ".join(
            row[3]
            for row in conn.execute(
                "EXPLAIN QUERY PLAN SELECT * FROM evidence WHERE claim_id = 1 AND stance = 'x'"
            )
        )
    assert indexed == ROWS
    assert "ix_evidence_claim_status" in plan
    hits = cli.ok("search", f"zq{ROWS - 1}", "--json").json()
    assert [hit["type"] for hit in hits] == ["evidence"]
    written = db_dump(db_url)
    again = cli.ok("import", str(sheet), "--json", "--on-duplicate", "ignore").json()
    assert again["counts"]["evidence"] == {"created": 0, "updated": 0, "unchanged": ROWS}
    assert db_dump(db_url) == written


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_refused_bulk_import_leaves_schema_and_rows_as_they_were(cli, db_url, tmp_path, db_dump):
    before_schema, before_rows = _schema(db_url), db_dump(db_url)
    sheet = tmp_path / "bad.csv"
    _write_sheet(sheet, ROWS, bad_last=True)
    run = cli("import", str(sheet))
    assert run.exit_code == 1 and f"bad.csv:{ROWS + 1}: stance" in run.stderr
    assert _schema(db_url) == before_schema
    assert db_dump(db_url) == before_rows
