"""`db check` (schema, integrity, references, derived-from chains, history), `db backup`, and
owner-only permissions of new SQLite files."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from claimtrack.db import Database, resolve_url

OK_LINES = [
    "ok: the schema matches the models",
    "ok: PRAGMA integrity_check: ok",
    "ok: every reference points at an existing row",
    "ok: no derived-from loops; every origin is the end of its chain",
    "ok: every history event points at an existing claim, source or evidence item",
    "ok: every claim, source and evidence item has one creation event (its own, or its import's)",
    "ok: search indexing is live",
    "ok: every history event matches the hash chain; triggers keep history append-only",
]
PG_INTEGRITY = "ok: storage integrity is the PostgreSQL server's own (no file to check)"


def ok_lines(engine_name: str) -> str:
    lines = list(OK_LINES)
    if engine_name == "postgres":
        lines[1] = PG_INTEGRITY
        lines[6] = "ok: search triggers are live (suspension is transaction-local on PostgreSQL)"
    return "\n".join(lines) + "\n"


@pytest.fixture
def filled(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--reliability", "C")
    cli.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "dnk")
    cli.ok("source", "add", "Copy of the wire", "--key", "copy", "--derived-from", "wire")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("claim", "add", "The crackdown had largely stopped.", "--key", "halt", "-s", "ryg")
    cli.ok("evidence", "add", "halt", "--source", "copy", "--supports", "--via", "dnk")
    return cli


def tamper(url: str, *statements: str) -> None:
    """Write behind claimtrack's back, with foreign keys not enforced, as a damaged or
    hand-edited database would be."""
    database = Database(resolve_url(url))
    with database.engine.connect() as conn:
        if database.dialect == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        with conn.begin():
            if database.dialect == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for statement in statements:
                conn.execute(text(statement))
        if database.dialect == "sqlite":
            conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
    database.dispose()


def test_check_passes_on_a_sound_database(filled, engine_name):
    run = filled.ok("db", "check")
    assert (run.stdout, run.stderr) == (ok_lines(engine_name), "")
    data = filled.ok("db", "check", "--json").json()
    assert data["ok"] is True and data["problems"] == []
    assert [c["name"] for c in data["checks"]] == [
        "schema",
        "integrity",
        "references",
        "derived-from",
        "history",
        "creation",
        "search",
        "chain",
    ]


def test_check_finds_loops_stale_origins_dangling_rows_and_orphaned_history(filled, engine_name):
    tamper(
        filled.url,
        # a loop: dnk is made to derive from copy, which derives (via wire) from dnk
        "UPDATE sources SET derived_from_id = (SELECT id FROM sources WHERE key = 'copy') "
        "WHERE key = 'dnk'",
        # a stale origin: ryg is its own origin, but says dnk
        "UPDATE sources SET origin_id = (SELECT id FROM sources WHERE key = 'dnk') "
        "WHERE key = 'ryg'",
        "UPDATE evidence SET via_id = 9999 WHERE via_id IS NOT NULL",
        "UPDATE history SET source_id = 8888 WHERE action = 'source.add' AND source_id = "
        "(SELECT id FROM sources WHERE key = 'wire')",
    )
    run = filled("db", "check")
    assert run.exit_code == 1
    assert run.stdout == "".join(
        line + "\n"
        for line in ok_lines(engine_name).splitlines()
        if "schema" in line or "integrity" in line or "search" in line or "hash chain" in line
    )
    history_id = Database(resolve_url(filled.url))
    with history_id.engine.connect() as conn:
        event = conn.execute(text("SELECT id FROM history WHERE source_id = 8888")).scalar()
        evidence = conn.execute(text("SELECT id FROM evidence WHERE via_id = 9999")).scalar()
        wire = conn.execute(text("SELECT id FROM sources WHERE key = 'wire'")).scalar()
    history_id.dispose()
    assert run.stderr == (
        f"references: 1 evidence row (id {evidence}) with a via_id that points at no row of "
        "sources\n"
        "derived-from: loop: dnk → copy → wire → dnk\n"
        "derived-from: source 'ryg': origin is 'dnk' but its derived-from chain ends at 'ryg'\n"
        f"history: 1 history row (id {event}) with a source_id that points at no row of sources\n"
        f"creation: 1 source (id {wire}) has no creation event: written outside claimtrack, or "
        "its events were deleted\n"
        "Error: the database failed 4 of 8 checks (references, derived-from, history, "
        "creation); restore a backup, or repair the rows named above\n"
    )
    data = filled("db", "check", "--json").json()
    assert data["ok"] is False
    assert [c["name"] for c in data["checks"] if not c["ok"]] == [
        "references",
        "derived-from",
        "history",
        "creation",
    ]
    assert (
        len(data["problems"]) == 5
        and data["problems"][1] == "derived-from: loop: dnk → copy → wire → dnk"
    )


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_check_reports_a_damaged_index(filled):
    filled.ok("claim", "verdict", "halt", "confirmed", "--reason", "two informants")
    path = Path(filled.url)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = conn.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'ix_claims_verdict'"
    ).fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with path.open("r+b") as handle:
        handle.seek((root - 1) * page_size)
        page = handle.read(page_size)
        handle.seek((root - 1) * page_size + page.index(b"confirmed"))
        handle.write(b"conXirmed")
    run = filled("db", "check")
    assert run.exit_code == 1
    assert "integrity" not in run.stdout
    assert run.stderr.startswith("integrity: row 1 missing from index ix_claims_verdict\n")
    assert run.stderr.endswith(
        "Error: the database failed 1 of 8 checks (integrity); restore a backup, or repair "
        "the rows named above\n"
    )


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_check_finds_a_search_index_that_does_not_match_the_rows(filled, engine_name):
    """The FTS5 index references the rows (migration 0007): a row changed behind its triggers'
    back leaves entries that no longer match, and a rebuild through the migrations mends it."""
    tamper(
        filled.url,
        "INSERT INTO search_suspended (id) VALUES (1)",
        "UPDATE claims SET text = 'Rice prices rose' WHERE key = 'halt'",
        "DELETE FROM search_suspended",
    )
    run = filled("db", "check")
    assert run.exit_code == 1
    assert run.stderr.startswith(
        "search: the full-text index does not match the rows (they were written with its "
        "triggers dropped or suspended): rebuild it with `claimtrack db downgrade 0006` then "
        "`claimtrack db upgrade` (back up first)\n"
    )
    filled.ok("db", "downgrade", "0006")
    filled.ok("db", "upgrade")
    assert filled.ok("db", "check").stdout == ok_lines(engine_name)
    assert filled.ok("search", "rice", "--json").json()[0]["key"] == "halt"


# --- backup -----------------------------------------------------------------------------------


def mode(path: Path) -> str:
    return oct(stat.S_IMODE(path.stat().st_mode))


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_sqlite_backup_is_a_complete_owner_only_database(filled, tmp_path):
    from conftest import Cli

    target = tmp_path / "backups" / "claims.db"
    target.parent.mkdir()
    run = filled.ok("db", "backup", str(target))
    size = target.stat().st_size
    assert run.stdout == (
        f"Backed up {filled.url} to {target} ({size:,} bytes, schema "
        f"{filled.ok('db', 'current', '--json').json()['revision']}, SQLite online backup)\n"
    )
    assert mode(target) == "0o600"
    assert sorted(p.name for p in target.parent.iterdir()) == ["claims.db"]
    copy = Cli(str(target))
    assert (
        copy.ok("claim", "show", "halt", "--json").json()
        == filled.ok("claim", "show", "halt", "--json").json()
    )
    assert copy.ok("db", "check").exit_code == 0

    again = filled("db", "backup", str(target))
    assert (again.exit_code, again.stdout) == (1, "")
    assert again.stderr == (
        f"Error: {target} already exists: a backup never overwrites; give a new file name\n"
    )
    assert target.stat().st_size == size


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_sqlite_backup_while_writing_is_a_consistent_snapshot(filled, tmp_path):
    from claimtrack.services.evidence import add_evidence

    stop = threading.Event()
    written = []

    def write() -> None:
        database = Database(resolve_url(filled.url))
        while not stop.is_set():
            with database.session(write=True, actor="writer") as session:
                add_evidence(session, claim="halt", source="dnk", stance="supports")
            written.append(1)
        database.dispose()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for number in range(5):
            target = tmp_path / f"during-{number}.db"
            filled.ok("db", "backup", str(target))
            conn = sqlite3.connect(target)
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            items, events = conn.execute(
                "SELECT (SELECT count(*) FROM evidence),"
                " (SELECT count(*) FROM history WHERE action = 'evidence.add')"
            ).fetchone()
            conn.close()
            assert items == events
    finally:
        stop.set()
        writer.join()
    assert written


@pytest.mark.parametrize("engine_name", ["postgres"], indirect=True)
def test_postgres_backup_runs_pg_dump(filled, tmp_path):
    import shutil
    import subprocess

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    target = tmp_path / "claims.dump"
    run = filled.ok("db", "backup", str(target), "--json")
    assert run.json()["method"] == "pg_dump --format=custom"
    assert mode(target) == "0o600"
    listing = subprocess.run(
        ["pg_restore", "--list", str(target)], capture_output=True, text=True, check=True
    ).stdout
    assert "TABLE DATA public claims" in listing


@pytest.mark.parametrize("engine_name", ["postgres"], indirect=True)
def test_postgres_backup_without_pg_dump_says_what_to_run(filled, tmp_path):
    from sqlalchemy.engine import make_url

    target = tmp_path / "claims.dump"
    run = filled("db", "backup", str(target), env={"PATH": str(tmp_path)})
    where = make_url(filled.url).render_as_string(hide_password=True)
    where = where.replace("postgresql+psycopg", "postgresql")
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr == (
        "Error: PostgreSQL databases are backed up with pg_dump, which is not on PATH: install "
        f"the PostgreSQL client tools and run: pg_dump --format=custom --file FILE '{where}'\n"
    )
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_new_sqlite_files_are_readable_by_their_owner_only(tmp_path, umask):
    from conftest import Cli

    path = tmp_path / "new" / "claims.db"
    old = os.umask(umask)
    try:
        Cli(str(path)).ok("init")
        database = Database(resolve_url(str(path)))
        with database.session(write=True) as session:
            session.execute(text("INSERT INTO tags (name) VALUES ('x')"))
            wal, shm = Path(str(path) + "-wal"), Path(str(path) + "-shm")
            assert wal.exists() and shm.exists()
            assert (mode(path), mode(wal), mode(shm)) == ("0o600", "0o600", "0o600")
        database.dispose()
    finally:
        os.umask(old)
