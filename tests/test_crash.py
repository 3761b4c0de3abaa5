"""kill -9 at random moments during a migration and during a large import.

Each run starts the real `claimtrack` in a subprocess on a copy of the same database and
SIGKILLs it: half the time at a random moment of the whole run, half the time at a random
moment after it has taken the write lock (so inside its transaction). Then the database must
open, pass PRAGMA integrity_check and foreign_key_check (SQLite), and hold exactly the state
before the command or the state after it — never anything between — and running the command
again must complete with the state after.

Timestamps written by the command are left out of the comparison (a re-run writes other
times); everything else, ids included, must match. Set CLAIMTRACK_CRASH_SEED to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from migration_fixtures import GENERATORS
from sqlalchemy import MetaData, inspect, select

from claimtrack.db import PG_WRITE_LOCK, Database, head_revision, resolve_url, run_migration
from claimtrack.history_log import verify_chain

SEED = int(os.environ.get("CLAIMTRACK_CRASH_SEED", random.randrange(1 << 30)))
# Kill points per engine, and data sizes: the CI run, and the soak run (--soak).
POINTS = {"sqlite": 20, "postgres": 4}
SOAK_POINTS = 100
MIGRATION_SCALE = {"ci": 400, "soak": 5000}  # copies of the 0001 example data set
IMPORT_CLAIMS = {"ci": 2000, "soak": 10000}  # each with 2 evidence items and a link
SIZES = [pytest.param("ci"), pytest.param("soak", marks=pytest.mark.slow)]
TIMESTAMPS = {"created_at", "updated_at", "at"}
# Each history event's hash covers its time, so a re-run writes other hashes too; the chain is
# checked for soundness instead (`chain_sound`).
TIME_DERIVED = TIMESTAMPS | {"hash"}


# --- the database's state, comparable across runs ---------------------------------------------


def state(url: str, *, ids: bool = True) -> dict:
    """Schema and every row of every table (command timestamps excluded; ids too when
    `ids` is false)."""
    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            names = sorted(inspect(conn).get_table_names())
            meta = MetaData()
            meta.reflect(conn, only=names)
            rows = {}
            for name in names:
                table = meta.tables[name]
                columns = [
                    c
                    for c in table.columns
                    if c.name not in TIME_DERIVED
                    and (ids or not (c.name == "id" or c.name.endswith("_id")))
                    # history's JSON snapshots name evidence ids
                    and (ids or not (name == "history" and c.name in ("before", "after")))
                ]
                if not columns:
                    continue
                rows[name] = sorted(
                    (tuple(map(repr, row)) for row in conn.execute(select(*columns))),
                )
            if database.dialect == "sqlite":
                # A table a batch migration copied lists its constraints in the order Alembic
                # found them (a set's): the same table, other text. Its lines are compared as
                # a set.
                schema = sorted(
                    (kind, name, sorted(line.rstrip(", ") for line in (sql or "").splitlines()))
                    for kind, name, sql in conn.exec_driver_sql(
                        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
                    )
                )
            else:
                schema = sorted(
                    conn.exec_driver_sql(
                        "SELECT table_name, column_name, data_type FROM information_schema.columns"
                        " WHERE table_schema = 'public'"
                    ).fetchall()
                )
                schema += sorted(
                    conn.exec_driver_sql(
                        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
                    ).fetchall()
                )
    finally:
        database.dispose()
    return {"schema": schema, "rows": rows}


def chain_sound(url: str) -> None:
    """The history's hash chain holds after the crash and after the re-run."""
    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            if "history" in inspect(conn).get_table_names() and "hash" in {
                c["name"] for c in inspect(conn).get_columns("history")
            }:
                _count, problems, _head = verify_chain(conn)
                assert problems == [], problems[:3]
    finally:
        database.dispose()


def differences(now: dict, expected: dict) -> str:
    """Which parts of two states differ, briefly (for failure messages)."""
    if now["schema"] != expected["schema"]:
        import difflib

        a, b = set(now["schema"]), set(expected["schema"])
        return "schema differs:\n" + "\n".join(
            difflib.unified_diff(
                [str(x) for x in sorted(b - a)], [str(x) for x in sorted(a - b)], lineterm=""
            )
        )
    notes = []
    for table in sorted(set(now["rows"]) | set(expected["rows"])):
        a, b = set(now["rows"].get(table, [])), set(expected["rows"].get(table, []))
        if a != b:
            notes.append(
                f"{table}: {len(a - b)} rows not expected, e.g. {sorted(a - b)[:1]}; "
                f"{len(b - a)} missing, e.g. {sorted(b - a)[:1]}"
            )
    return "; ".join(notes)


def sqlite_soundness(path: Path) -> tuple[str, list]:
    conn = sqlite3.connect(path)
    try:
        return (
            conn.execute("PRAGMA integrity_check").fetchone()[0],
            conn.execute("PRAGMA foreign_key_check").fetchall(),
        )
    finally:
        conn.close()


# --- the engines: copies of a prepared database, and "is someone writing?" ------------------


class SqliteCopies:
    engine = "sqlite"

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.count = 0

    def new(self) -> str:
        path = self.tmp_path / f"db{self.count}.sqlite"
        self.count += 1
        return str(path)

    def copy(self, original: str) -> str:
        target = self.new()
        checkpoint(original)
        shutil.copyfile(original, target)
        return target

    def drop(self, url: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(url + suffix).unlink(missing_ok=True)

    def writing(self, url: str) -> bool:
        conn = sqlite3.connect(url, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            conn.close()

    def sound(self, url: str) -> None:
        assert sqlite_soundness(Path(url)) == ("ok", [])


class PostgresCopies:
    engine = "postgres"

    def __init__(self, server):
        self.server = server
        self.probes: dict[str, object] = {}

    def new(self) -> str:
        return self.server.create(from_template=False)

    def copy(self, original: str) -> str:
        from sqlalchemy.engine import make_url

        name = make_url(original).database
        with self.server.admin() as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (name,),
            )
        import uuid

        target = "ct_" + uuid.uuid4().hex[:16]
        with self.server.admin() as conn:
            conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{name}"')
        return make_url(original).set(database=target).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        probe = self.probes.pop(url, None)
        if probe is not None:
            probe.close()
        self.server.drop(url)

    def writing(self, url: str) -> bool:
        import psycopg

        if url not in self.probes:
            dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
            self.probes[url] = psycopg.connect(dsn)
        conn = self.probes[url]
        free = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (PG_WRITE_LOCK,)).fetchone()
        conn.rollback()
        return not free[0]

    def sound(self, url: str) -> None:
        pass  # the server recovers a dead client's transaction by rolling it back


def checkpoint(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


@pytest.fixture
def copies(engine_name, tmp_path, request):
    if engine_name == "sqlite":
        return SqliteCopies(tmp_path)
    return PostgresCopies(request.getfixturevalue("postgres"))


# --- the crash loop ---------------------------------------------------------------------------


def claimtrack(url: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "CLAIMTRACK_ACTOR": "tester"}  # as the in-process Cli
    env.pop("CLAIMTRACK_DEBUG", None)
    # stderr goes to a file, not a pipe: a pipe nobody reads while the command runs would
    # block a command that writes more than the pipe holds, and the loop would wait forever.
    error_log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "claimtrack", "--db", url, *args],
        stdout=subprocess.DEVNULL,
        stderr=error_log,
        env=env,
    )
    process.error_log = error_log
    return process


@dataclass
class Tally:
    killed_while_writing: int = 0  # inside the command's write transaction
    killed_otherwise: int = 0  # starting up, before the lock, or after the commit
    finished_first: int = 0
    outcomes: list[str] = field(default_factory=list)

    @property
    def crash_points(self) -> int:
        return self.killed_while_writing + self.killed_otherwise


def calibrate(copies, original: str, args: list[str]) -> tuple[float, float, float]:
    """Seconds from the start of the command until it takes the write lock, until it lets it
    go, and until it exits."""
    url = copies.copy(original)
    started = time.monotonic()
    process = claimtrack(url, *args)
    locked_at = released_at = None
    deadline = started + 600
    while process.poll() is None:
        assert time.monotonic() < deadline, "the command ran for more than 10 minutes"
        writing = copies.writing(url)
        if writing and locked_at is None:
            locked_at = time.monotonic()
        elif not writing and locked_at is not None and released_at is None:
            released_at = time.monotonic()
        time.sleep(0.002)
    ended = time.monotonic()
    process.error_log.seek(0)
    assert process.returncode == 0, process.error_log.read().decode()
    assert locked_at is not None, "the command never held the write lock long enough to see"
    copies.drop(url)
    return locked_at - started, (released_at or ended) - started, ended - started


def crash_many(copies, original: str, args: list[str], before: dict, after: dict, rerun, points):
    """Kill the command `points` times; one kill in four at any moment of its run, the others
    at a random moment while it holds the write lock."""
    rng = random.Random(SEED)
    locked, released, total = calibrate(copies, original, args)
    window = released - locked  # how long the lock is held; shrunk when runs finish first
    tally = Tally()
    state_without_ids = after_without_ids(copies, original, args)
    attempt = 0
    # Half the kills must land inside the transaction; on a loaded machine, or once the write
    # got faster, aimed kills can miss it, so keep aiming (a shrinking window) until they do.
    while tally.crash_points < points or tally.killed_while_writing < points // 2:
        attempt += 1
        assert attempt < points * 6, (
            f"the kills kept missing the write transaction (seed {SEED}): {tally}"
        )
        aimed = attempt % 4 != 1
        url = copies.copy(original)
        process = claimtrack(url, *args)
        started = time.monotonic()
        if not aimed:
            time.sleep(rng.uniform(0, total))
        else:
            deadline = started + total * 5 + 5
            while process.poll() is None and not copies.writing(url):
                assert time.monotonic() < deadline, "the command never took the write lock"
                time.sleep(0.001)
            time.sleep(rng.uniform(0, window))
        was_writing = process.poll() is None and copies.writing(url)
        if process.poll() is not None:
            tally.finished_first += 1
            window *= 0.7
        else:
            process.send_signal(signal.SIGKILL)
            if was_writing:
                tally.killed_while_writing += 1
            else:
                tally.killed_otherwise += 1
                if aimed:  # the lock was already let go: aim earlier
                    window *= 0.7
        process.wait()

        copies.sound(url)
        chain_sound(url)
        now = state(url)
        where = f"seed {SEED}, attempt {attempt}"
        assert now in (before, after), f"state between before and after ({where}): " + differences(
            now, after
        )
        tally.outcomes.append("before" if now == before else "after")
        rerun(url)
        if now == before:
            copies.sound(url)
            # PostgreSQL sequences move on in a transaction that is rolled back, so after a
            # kill the re-run may hand out other ids there; everything else must be equal.
            exact = copies.engine == "sqlite"
            expected = after if exact else state_without_ids
            chain_sound(url)
            rerun_state = state(url, ids=exact)
            assert rerun_state == expected, f"the re-run did not complete ({where}): " + (
                differences(rerun_state, expected)
            )
        copies.drop(url)
    return tally


def after_without_ids(copies, original: str, args: list[str]) -> dict | None:
    if copies.engine == "sqlite":
        return None
    url = copies.copy(original)
    process = claimtrack(url, *args)
    assert process.wait() == 0
    result = state(url, ids=False)
    copies.drop(url)
    return result


def report(what: str, engine: str, tally: Tally) -> None:
    print(
        f"\n[{engine}] {what}: {tally.crash_points} kill -9 points survived "
        f"({tally.killed_while_writing} inside its write transaction, "
        f"{tally.killed_otherwise} outside it; {tally.finished_first} runs finished first); "
        f"states: {tally.outcomes.count('before')} before, {tally.outcomes.count('after')} after;"
        f" seed {SEED}"
    )


# --- during a migration -----------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_kill_during_migration_leaves_previous_or_next_revision(copies, engine_name, size):
    points = POINTS[engine_name] if size == "ci" else SOAK_POINTS
    head = head_revision()
    start = "0001" if head != "0001" else None
    original = copies.new()
    database = Database(resolve_url(original), create=True)
    if start:
        run_migration(database, "upgrade", start)
        with database.engine.begin() as conn:
            GENERATORS[start](conn, scale=MIGRATION_SCALE[size])
    database.dispose()
    before = state(original)

    finished = copies.copy(original)
    migrated = Database(resolve_url(finished))
    run_migration(migrated, "upgrade", "head")
    migrated.dispose()
    after = state(finished)
    assert after != before
    copies.drop(finished)

    def rerun(url: str) -> None:
        database = Database(resolve_url(url))
        run_migration(database, "upgrade", "head")
        assert database.schema_revision() == head
        database.dispose()

    tally = crash_many(copies, original, ["db", "upgrade"], before, after, rerun, points)
    report(f"migration {start or 'empty'} -> {head}", engine_name, tally)
    assert tally.killed_while_writing >= points // 2
    copies.drop(original)


# --- during a large import --------------------------------------------------------------------


def write_import_file(path: Path, claims: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for s in range(40):
            record = {
                "type": "source",
                "key": f"src-{s}",
                "name": f"Source {s}",
                "reliability": "ABCDEF"[s % 6],
            }
            if s >= 20:
                record["derived_from"] = f"src-{s - 20}"
            out.write(json.dumps(record) + "\n")
        for c in range(claims):
            out.write(
                json.dumps(
                    {
                        "type": "claim",
                        "key": f"claim-{c}",
                        "text": f"Imported claim number {c} — 번호 {c}",
                        "tags": [f"batch-{c % 7}"],
                        "event_date": "2018-06",
                    }
                )
                + "\n"
            )
            for e in range(2):
                out.write(
                    json.dumps(
                        {
                            "type": "evidence",
                            "claim": f"claim-{c}",
                            "source": f"src-{(c + e * 7) % 40}",
                            "stance": "supports" if (c + e) % 3 else "contradicts",
                            "credibility": 1 + (c + e) % 6,
                            "quote": f"quote {c}/{e}",
                        }
                    )
                    + "\n"
                )
            if c:
                out.write(
                    json.dumps(
                        {
                            "type": "link",
                            "claim": f"claim-{c}",
                            "other": f"claim-{c - 1}",
                            "relation": "supports",
                        }
                    )
                    + "\n"
                )


@pytest.mark.parametrize("size", SIZES)
def test_kill_during_large_import_leaves_all_or_nothing(copies, engine_name, tmp_path, size):
    points = POINTS[engine_name] if size == "ci" else SOAK_POINTS
    from conftest import Cli

    original = copies.new()
    Cli(original).ok("init")
    cli = Cli(original)
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("claim", "add", "Already there before the import", "--key", "claim-0", "--tag", "old")
    before = state(original)

    data = tmp_path / "big.jsonl"
    write_import_file(data, IMPORT_CLAIMS[size])
    finished = copies.copy(original)
    Cli(finished).ok("import", str(data))
    after = state(finished)
    assert len(after["rows"]["evidence"]) == IMPORT_CLAIMS[size] * 2
    copies.drop(finished)

    def rerun(url: str) -> None:
        run = Cli(url)("import", str(data))
        assert run.exit_code == 0, run.stderr

    tally = crash_many(copies, original, ["import", str(data)], before, after, rerun, points)
    report(f"import of {data.stat().st_size // 1024} KiB JSONL", engine_name, tally)
    assert tally.killed_while_writing >= points // 2
    copies.drop(original)
