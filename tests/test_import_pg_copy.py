"""What the import stores is what the file says, on PostgreSQL's binary COPY path as on SQLite's
inserts: tabs, newlines, carriage returns, backslashes, quotes, COPY's own markers (\\N, \\.),
non-ASCII, text of 200,000 characters; absent values are NULL. Ids reserved from the
sequences in bulk follow on from ids other writers took, and interleaved draws do not break
them."""

from __future__ import annotations

import csv
import json

import pytest
from transfer_helpers import rows, write_jsonl

from claimtrack.db import Database, resolve_url

TRICKY = [
    "tab\there and\tthere",
    "line one\nline two\r\nline three\rend",
    "back\\slash \\N \\. \\t \\\\ at the end\\",
    "\\N",
    "\\.",
    "quotes \"double\" and 'single', commas, ;semicolons;",
    "량강도 혜산 – “curly” — Ærøskøbing ñ 🙂",
    "long " + "x" * 200_000,
]


def _records() -> list[dict]:
    records = [
        {"type": "source", "key": "dnk", "name": 'Daily\tNK \\ "wire"', "notes": TRICKY[2]},
        {"type": "source", "key": "bare", "name": "Bare source"},
    ]
    for number, value in enumerate(TRICKY):
        records.append(
            {
                "type": "claim",
                "key": f"c{number}",
                "text": f"Claim {number}: {value}",
                "place": value,
                "notes": value,
                "tags": ["tag with space", "ünïcode"],
            }
        )
        records.append(
            {
                "type": "evidence",
                "key": f"e{number}",
                "claim": f"c{number}",
                "source": "dnk",
                "stance": "supports",
                "quote": value,
                "url": f"https://example.org/{number}?q=a\\b",
                "notes": value,
            }
        )
    records.append(
        {"type": "evidence", "claim": "c0", "source": "bare", "stance": "neutral", "quote": None}
    )
    return records


def test_tricky_text_is_stored_exactly_and_absent_values_are_null(cli, tmp_path):
    path = write_jsonl(tmp_path / "tricky.jsonl", _records())
    cli.ok("import", str(path))
    stored = rows(cli.url, "SELECT key, place, notes FROM claims ORDER BY key")
    assert stored == [(f"c{n}", value, value) for n, value in enumerate(TRICKY)]
    evidence = rows(
        cli.url, "SELECT key, quote, notes, locator FROM evidence WHERE key IS NOT NULL ORDER BY id"
    )
    assert evidence == [
        (f"e{n}", value, value, f"https://example.org/{n}?q=a\\b") for n, value in enumerate(TRICKY)
    ]
    assert rows(
        cli.url,
        "SELECT quote IS NULL, notes IS NULL, locator IS NULL, key IS NULL, via_id IS NULL, "
        "observed IS NULL, removed_at IS NULL FROM evidence WHERE source_id = "
        "(SELECT id FROM sources WHERE key = 'bare')",
    ) == [(True,) * 7]
    assert rows(cli.url, "SELECT name, notes, url FROM sources ORDER BY key") == [
        ("Bare source", None, None),
        ('Daily\tNK \\ "wire"', TRICKY[2], None),
    ]
    assert rows(cli.url, "SELECT name FROM tags ORDER BY name") == [
        ("tag with space",),
        ("ünïcode",),
    ]
    found = {(r["type"], r["key"]) for r in cli.ok("search", "ærøskøbing", "--json").json()}
    (e6,) = rows(cli.url, "SELECT id FROM evidence WHERE key = 'e6'")[0]
    assert found >= {("claim", "c6"), ("evidence", str(e6))}
    # Importing the same file again finds every row as stored: nothing changes.
    run = cli.ok("import", str(path), "--json")
    counts = json.loads(run.stdout)["counts"]
    assert counts["evidence"] == {"created": 0, "updated": 0, "unchanged": len(TRICKY) + 1}
    assert counts["claim"] == {"created": 0, "updated": 0, "unchanged": len(TRICKY)}
    # History keeps the text exactly too (COPY on PostgreSQL): the changes a re-import makes
    # are recorded per item with their before and after.
    changed = write_jsonl(
        tmp_path / "changed.jsonl",
        [dict(r, notes="changed") if r.get("key", "").startswith("e") else r for r in _records()],
    )
    cli.ok("import", str(changed))
    history = {
        (json.loads(before)["notes"], json.loads(after)["notes"])
        for before, after in rows(
            cli.url, "SELECT before, after FROM history WHERE action = 'evidence.edit'"
        )
    }
    assert history == {(value, "changed") for value in TRICKY}


def test_a_sheet_with_quoted_newlines_and_tabs_round_trips(cli, tmp_path):
    sheet = tmp_path / "sheet.csv"
    with sheet.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["claim_key", "claim_text", "source_name", "stance", "quote", "notes"])
        for number, value in enumerate(TRICKY[:-1]):
            writer.writerow([f"k{number}", f"Claim {number}", "Daily NK", "supports", value, value])
    cli.ok("import", str(sheet))
    assert rows(cli.url, "SELECT quote, notes FROM evidence ORDER BY id") == [
        (value.strip(), value.strip()) for value in TRICKY[:-1]
    ]


@pytest.fixture
def pg_conn(engine_name, db_url):
    if engine_name != "postgres":
        pytest.skip("the COPY path is PostgreSQL's")
    database = Database(resolve_url(db_url))
    with database.connect(write=True) as conn:
        yield conn
    database.dispose()


def test_copy_keeps_null_and_empty_text_apart(pg_conn):
    from claimtrack.transfer.imports.pg_copy import PgCopy

    pg_conn.exec_driver_sql("CREATE TEMP TABLE copied (id integer, body text, label varchar(5))")
    values = [(1, "", ""), (2, None, None), (3, "\\N", "\t"), (4, "a\x7fb\x01c", "é")]
    PgCopy(pg_conn).copy_rows("copied", ("id", "body", "label"), values)
    assert [tuple(r) for r in pg_conn.exec_driver_sql("SELECT * FROM copied ORDER BY id")] == values


def test_reserved_ids_follow_other_draws_from_the_sequence(pg_conn):
    from claimtrack.transfer.imports.pg_copy import PgCopy

    copier = PgCopy(pg_conn)
    taken = pg_conn.exec_driver_sql("SELECT nextval('tags_id_seq')").scalar()
    first = copier.reserve_ids("tags", 3)
    assert list(first) == [taken + 1, taken + 2, taken + 3]
    # Ids drawn by someone else during the statement leave gaps (claimtrack's own writers
    # queue on the write lock; hand-written SQL need not): the exact list comes back.
    pg_conn.exec_driver_sql("ALTER SEQUENCE tags_id_seq INCREMENT BY 3")
    assert copier.reserve_ids("tags", 4) == [first[-1] + 3 * n for n in range(1, 5)]
