"""Several OS processes writing and reading one database at once.

Writers run the real command line in-process, many commands each: adding evidence, editing
claims, and adding sources and claims whose generated keys all collide on the same stem.
Readers check, in one read transaction, that every command's rows and its history arrived
together. Afterwards every write must be there exactly once, history's "before" of each edit
must be the "after" of the previous one (the writes were serialised), and no command may have
failed. A lock that cannot be had gives one clean line and exit 1, with nothing written.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from claimtrack.db import PG_WRITE_LOCK

CLAIMS = 10
SHARED_SOURCE = "Shared wire service"
SHARED_CLAIM = "Writers race for the same key"


def _command(worker: int, i: int) -> list[str]:
    """The i-th command of a writer; the mix touches every kind of write."""
    tag = f"w{worker}-{i}"
    claim = f"c{(worker + i) % CLAIMS}"
    kind = i % 5
    if kind == 0:
        return ["claim", "edit", claim, "--notes", tag]
    if kind == 1:
        return ["source", "add", SHARED_SOURCE, "--notes", tag]
    if kind == 2:
        return ["claim", "add", f"{SHARED_CLAIM} {tag}", "--tag", f"writer-{worker}"]
    stance = "--supports" if i % 2 else "--contradicts"
    return ["evidence", "add", claim, "--source", f"s{worker}", stance, "--quote", tag]


def _writer(url: str, worker: int, commands: int) -> list[str]:
    from conftest import Cli

    cli = Cli(url)
    failures = []
    for i in range(commands):
        args = _command(worker, i)
        run = cli(*args, env={"CLAIMTRACK_ACTOR": f"writer-{worker}"})
        # stderr may carry a warning (a near-duplicate claim); never an error or a lock.
        trouble = "Error" in run.stderr or "locked" in run.stderr or "Traceback" in run.stderr
        if run.exit_code != 0 or trouble or run.exception is not None:
            failures.append(f"{args}: exit {run.exit_code}: {run.stderr.strip()} {run.exception!r}")
    return failures


def _reader(url: str, stop_file: str) -> tuple[int, list[str]]:
    """Until the writers are done: counts of rows and of their history events, read in one
    transaction, must match; and read commands must succeed."""
    from conftest import Cli
    from sqlalchemy import text

    from claimtrack.db import Database, resolve_url

    cli = Cli(url)
    database = Database(resolve_url(url))
    pairs = {
        "sources": "source.add",
        "claims": "claim.add",
        "evidence": "evidence.add",
    }
    failures: list[str] = []
    checks = 0
    last: dict[str, int] = {}
    while not os.path.exists(stop_file) and len(failures) < 5:
        with database.session() as session:
            for table, action in pairs.items():
                rows = session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
                time.sleep(0.002)  # give the writers a chance to commit between the two reads
                events = session.execute(
                    text("SELECT count(*) FROM history WHERE action = :a"), {"a": action}
                ).scalar()
                if rows != events:
                    failures.append(f"{table}: {rows} rows but {events} {action} events")
                if rows < last.get(table, 0):
                    failures.append(f"{table}: went back from {last[table]} to {rows}")
                last[table] = rows
        for args in (["claim", "list", "--json"], ["claim", "show", "c0", "--json"]):
            run = cli(*args)
            if run.exit_code != 0 or run.stderr:
                failures.append(f"{args}: exit {run.exit_code}: {run.stderr.strip()}")
            else:
                json.loads(run.stdout)
        checks += 1
        time.sleep(0.05)
    database.dispose()
    return checks, failures


def _hammer(cli, tmp_path: Path, *, writers: int, commands: int, readers: int) -> dict:
    cli.ok("claim", "add", "Seed claim", "--key", "c0")
    for number in range(1, CLAIMS):
        cli.ok("claim", "add", f"Seed claim {number}", "--key", f"c{number}")
    for worker in range(writers):
        cli.ok("source", "add", f"Writer {worker} source", "--key", f"s{worker}")
    stop_file = tmp_path / "writers-done"
    started = time.monotonic()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(writers + readers, mp_context=spawn) as pool:
        reading = [pool.submit(_reader, cli.url, str(stop_file)) for _ in range(readers)]
        writing = [pool.submit(_writer, cli.url, w, commands) for w in range(writers)]
        write_failures = [f for future in writing for f in future.result()]
        stop_file.touch()
        read_results = [future.result() for future in reading]
    elapsed = time.monotonic() - started
    assert write_failures == []
    assert [f for _, failures in read_results for f in failures] == []
    reads = sum(checks for checks, _ in read_results)
    assert reads > 0
    return {"elapsed": elapsed, "reads": reads}


def _assert_every_write_landed_once(url: str, *, writers: int, commands: int) -> None:
    from sqlalchemy import text

    from claimtrack.db import Database, resolve_url

    expected = [(w, i, _command(w, i)[:2]) for w in range(writers) for i in range(commands)]
    database = Database(resolve_url(url))
    with database.session() as session:

        def all_rows(sql: str, **params) -> list:
            return list(session.execute(text(sql), params))

        quotes = Counter(q for (q,) in all_rows("SELECT quote FROM evidence WHERE quote LIKE 'w%'"))
        wanted = {f"w{w}-{i}" for w, i, c in expected if c == ["evidence", "add"]}
        assert set(quotes) == wanted and set(quotes.values()) == {1}

        source_keys = [
            k for (k,) in all_rows("SELECT key FROM sources WHERE name = :n", n=SHARED_SOURCE)
        ]
        n_sources = sum(1 for _, _, c in expected if c == ["source", "add"])
        assert sorted(source_keys) == sorted(
            ["shared-wire-service"] + [f"shared-wire-service-{n}" for n in range(2, n_sources + 1)]
        )
        notes = Counter(
            n for (n,) in all_rows("SELECT notes FROM sources WHERE name = :n", n=SHARED_SOURCE)
        )
        assert set(notes.values()) == {1} and len(notes) == n_sources

        texts = Counter(
            t
            for (t,) in all_rows("SELECT text FROM claims WHERE text LIKE :p", p=SHARED_CLAIM + "%")
        )
        n_claims = sum(1 for _, _, c in expected if c == ["claim", "add"])
        assert len(texts) == n_claims and set(texts.values()) == {1}

        for table, action in (
            ("sources", "source.add"),
            ("claims", "claim.add"),
            ("evidence", "evidence.add"),
        ):
            rows = session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            events = session.execute(
                text("SELECT count(*) FROM history WHERE action = :a"), {"a": action}
            ).scalar()
            assert rows == events, table

        edits = all_rows(
            "SELECT claim_id, before, after FROM history WHERE action = 'claim.edit' ORDER BY id"
        )
        edited = Counter(json.loads(after)["notes"] for _, _, after in edits)
        wanted_edits = {f"w{w}-{i}" for w, i, c in expected if c == ["claim", "edit"]}
        assert set(edited) == wanted_edits and set(edited.values()) == {1}
        # Serialised: each edit's "before" is exactly what the previous edit of that claim left.
        previous: dict[int, str | None] = {}
        for claim_id, before, after in edits:
            assert json.loads(before)["notes"] == previous.get(claim_id)
            previous[claim_id] = json.loads(after)["notes"]
        for claim_id, notes_now in all_rows("SELECT id, notes FROM claims WHERE key LIKE 'c_'"):
            assert notes_now == previous.get(claim_id)
    database.dispose()


def _figures(engine_name: str, writers: int, commands: int, result: dict) -> None:
    print(
        f"\n[{engine_name}] {writers} writers x {commands} commands held: "
        f"{writers * commands} writes in {result['elapsed']:.1f} s "
        f"({writers * commands / result['elapsed']:.0f}/s), {result['reads']} consistent reads"
    )


# (writers, commands each). PostgreSQL writers queue on one lock and each command opens its own
# server connection, so they are slower: the full 8 x 250 runs with --soak.
SIZES = {"sqlite": (4, 250), "postgres": (8, 40)}
SOAK_SIZES = {"sqlite": (8, 1000), "postgres": (8, 250)}


def test_concurrent_writers_and_readers_lose_nothing(cli, engine_name, tmp_path):
    writers, commands = SIZES[engine_name]
    result = _hammer(cli, tmp_path, writers=writers, commands=commands, readers=2)
    _assert_every_write_landed_once(cli.url, writers=writers, commands=commands)
    _figures(engine_name, writers, commands, result)


@pytest.mark.slow
def test_soak_many_writers(cli, engine_name, tmp_path):
    writers, commands = SOAK_SIZES[engine_name]
    result = _hammer(cli, tmp_path, writers=writers, commands=commands, readers=2)
    _assert_every_write_landed_once(cli.url, writers=writers, commands=commands)
    _figures(engine_name, writers, commands, result)


def _init(url: str) -> tuple[int, str]:
    from conftest import Cli

    run = Cli(url)("init")
    return run.exit_code, run.stderr


def test_concurrent_init_of_one_new_database(blank_db_url, engine_name):
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(4, mp_context=spawn) as pool:
        results = list(pool.map(_init, [blank_db_url] * 4))
    assert results == [(0, "")] * 4
    from claimtrack.db import SCHEMA_REVISION, open_database

    database = open_database(blank_db_url)
    assert database.schema_revision() == SCHEMA_REVISION
    database.dispose()


# --- a lock that cannot be had ---------------------------------------------------------------


def _hold_write_lock(engine_name: str, url: str):
    """Another connection holding the write lock, as a long claimtrack write would."""
    if engine_name == "sqlite":
        conn = sqlite3.connect(url, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE claims SET notes = 'held' WHERE key = 'halt'")
        return conn
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    conn = psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    )
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (PG_WRITE_LOCK,))
    conn.execute("UPDATE claims SET notes = 'held' WHERE key = 'halt'")
    return conn


LOCKED = (
    "Error: the database is busy: another claimtrack kept it locked for more than 0.3 s; "
    "try again, or raise CLAIMTRACK_BUSY_TIMEOUT\n"
)


@pytest.mark.parametrize(
    "args",
    [
        ["evidence", "add", "halt", "--source", "dnk", "--supports", "--quote", "late"],
        ["claim", "edit", "halt", "--notes", "late"],
        ["source", "add", "Late source"],
        ["claim", "add", "A late claim", "--tag", "late"],
    ],
    ids=["evidence-add", "claim-edit", "source-add", "claim-add"],
)
def test_a_lock_that_cannot_be_had_fails_cleanly(cli, engine_name, db_dump, args):
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("claim", "add", "The crackdown had largely stopped by June 2018.", "--key", "halt")
    before = db_dump(cli.url)
    holder = _hold_write_lock(engine_name, cli.url)
    try:
        started = time.monotonic()
        run = cli(*args, env={"CLAIMTRACK_BUSY_TIMEOUT": "0.3"})
        waited = time.monotonic() - started
        assert (run.exit_code, run.stdout, run.stderr) == (1, "", LOCKED)
        assert run.exception is None
        assert 0.25 <= waited < 5
        # Readers are not blocked by a writer, and see what was committed before it.
        shown = cli.ok("claim", "show", "halt", "--json").json()
        assert shown["notes"] is None
    finally:
        holder.rollback()
        holder.close()
    assert db_dump(cli.url) == before
    cli.ok(*args)
