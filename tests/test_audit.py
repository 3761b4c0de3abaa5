"""History is append-only and tamper-evident on both engines: triggers refuse changes made
with SQL, every event is chained by its hash to the one before, `db check` and
`history --verify` name the first event that no longer matches, and migration 0009 chains a
database's existing events."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Cli
from migration_fixtures import GENERATORS
from sqlalchemy import text

from claimtrack.db import Database, open_database, resolve_url, run_migration
from claimtrack.history_log import GENESIS, event_hash, verify_chain, verify_records


@pytest.fixture
def story(cli):
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("claim", "add", "The crackdown had largely stopped.", "--key", "halt")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--quote", "멈췄다")
    return cli


def stored(url: str) -> list:
    database = Database(resolve_url(url))
    with database.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM history ORDER BY id")).mappings().all()
    database.dispose()
    return rows


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_sqlite_refuses_to_update_or_delete_history_through_the_sqlite3_module(story):
    conn = sqlite3.connect(story.url)
    for statement in (
        "UPDATE history SET actor = 'mallory'",
        "UPDATE history SET after = '{}' WHERE action = 'evidence.add'",
        "DELETE FROM history WHERE action = 'evidence.add'",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="history is append-only"):
            conn.execute(statement)
    conn.close()
    story.ok("db", "check")


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_a_dropped_trigger_and_an_altered_event_are_caught_by_db_check(story):
    story.ok("source", "add", "Daily NK", "--key", "dnk")
    conn = sqlite3.connect(story.url)
    conn.execute("DROP TRIGGER history_no_update")
    conn.execute(
        "UPDATE history SET after = replace(after, '멈췄다', 'continues') "
        "WHERE action = 'evidence.add'"
    )
    event = conn.execute("SELECT id FROM history WHERE action = 'evidence.add'").fetchone()[0]
    conn.commit()
    conn.close()
    run = story("db", "check")
    assert run.exit_code == 1
    assert run.stderr.splitlines()[:2] == [
        "chain: the trigger history_no_update is missing or disabled: history can be changed "
        "with SQL; find out who removed it, and compare the chain's head with a copy kept "
        "elsewhere",
        f"chain: event {event} (evidence.add by tester, "
        + run.stderr.splitlines()[1].split(", ", 1)[1],
    ]
    assert "does not match its hash" in run.stderr.splitlines()[1]
    verify = story("history", "halt", "--verify")
    assert verify.exit_code == 1 and f"event {event} (evidence.add" in verify.stderr
    assert story.ok("history", "dnk", "--verify").stdout == (
        "ok: 1 history events of dnk match the chain\n"
    )
    head = story("db", "check", "--head")
    assert head.exit_code == 1 and "this head is not trustworthy" in head.stderr


def test_a_deleted_event_breaks_the_chain_at_the_event_after_it(story, engine_name):
    database = Database(resolve_url(story.url))
    with database.engine.begin() as conn:
        if engine_name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER history_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE history DISABLE TRIGGER history_append_only")
        ids = conn.exec_driver_sql("SELECT id FROM history ORDER BY id").scalars().all()
        conn.exec_driver_sql(f"DELETE FROM history WHERE id = {ids[1]}")
    database.dispose()
    run = story("db", "check")
    assert run.exit_code == 1
    assert f"chain: event {ids[2]} (evidence.add by tester" in run.stderr


def test_every_event_is_chained_to_the_one_before_by_its_content(story, tmp_path):
    sheet = tmp_path / "more.jsonl"
    sheet.write_text(
        "\n".join(
            json.dumps({"type": "claim", "key": f"c{n}", "text": f"Claim {n} was made."})
            for n in range(30)
        ),
        encoding="utf-8",
    )
    story.ok("import", str(sheet))
    story.ok("claim", "merge", "halt", "c1", "--yes")
    rows = stored(story.url)
    assert len(rows) == 3 + 1 + 1  # by hand, the import's one event, the merge
    previous = GENESIS
    for row in rows:
        at = _aware(row["at"])
        previous = event_hash(
            previous,
            at,
            row["actor"],
            row["db_user"],
            row["action"],
            row["entity"],
            row["before"],
            row["after"],
            row["reason"],
        )
        assert row["hash"] == previous
        assert row["db_user"]
    head = story.ok("db", "check", "--head", "--json").json()
    assert (head["ok"], head["events"], head["hash"]) == (True, 5, previous)
    assert story.ok("db", "check", "--head").stdout.startswith(f"head: event {rows[-1]['id']} at ")


def _aware(value):
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def test_the_migration_chains_the_events_a_database_already_holds(blank, blank_db_url):
    run_migration(blank, "upgrade", "0008")
    with blank.engine.begin() as conn:
        GENERATORS["0001"](conn)
        old = conn.exec_driver_sql("SELECT count(*) FROM history").scalar()
    assert old >= 3
    run_migration(blank, "upgrade", "head")
    rows = stored(blank_db_url)
    assert len(rows) == old and all(row["hash"] for row in rows)
    assert all(row["db_user"] is None for row in rows)
    first = rows[0]
    assert first["hash"] == event_hash(
        GENESIS,
        _aware(first["at"]),
        first["actor"],
        None,
        first["action"],
        first["entity"],
        first["before"],
        first["after"],
        first["reason"],
    )
    cli = Cli(blank_db_url)
    cli.ok("db", "check")
    cli.ok("evidence", "add", "bare", "--source", "rodong", "--supports")
    cli.ok("db", "check")
    # Events chained by the migration are protected like the others.
    with blank.engine.begin() as conn:
        if blank.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER history_no_update")
        else:
            conn.exec_driver_sql("ALTER TABLE history DISABLE TRIGGER history_append_only")
        conn.exec_driver_sql(f"UPDATE history SET reason = 'edited' WHERE id = {first['id']}")
    blank.dispose()
    run = cli("db", "check")
    assert run.exit_code == 1 and f"chain: event {first['id']} (" in run.stderr


@pytest.fixture
def blank(blank_db_url) -> Database:
    database = open_database(blank_db_url, create=True, check=False)
    yield database
    database.dispose()


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_a_rewritten_chain_passes_db_check_but_not_against_a_kept_head(story):
    kept = story.ok("db", "check", "--head", "--json").json()["hash"]
    story.ok("db", "check", "--head", "--kept", kept)
    # Whoever can drop the triggers can alter an event and recompute every hash after it.
    conn = sqlite3.connect(story.url)
    conn.execute("DROP TRIGGER history_no_update")
    conn.execute("UPDATE history SET reason = 'forged' WHERE action = 'claim.add'")
    previous = GENESIS
    rows = conn.execute(
        "SELECT id, at, actor, db_user, action, entity, before, after, reason FROM history "
        "ORDER BY id"
    ).fetchall()
    for row_id, at, *rest in rows:
        previous = event_hash(previous, _aware(at), *rest)
        conn.execute("UPDATE history SET hash = ? WHERE id = ?", (previous, row_id))
    conn.execute(SQLITE_NO_UPDATE)
    conn.commit()
    conn.close()
    story.ok("db", "check")
    run = story("db", "check", "--head", "--kept", kept)
    assert run.exit_code == 1
    assert f"chain: no event carries the kept head {kept}: history was rewritten" in run.stderr
    assert story("db", "check", "--kept", kept).exit_code == 2


SQLITE_NO_UPDATE = (
    "CREATE TRIGGER history_no_update BEFORE UPDATE OF id, at, actor, db_user, action, entity, "
    'evidence_id, "before", "after", reason, hash ON history '
    "BEGIN SELECT RAISE(ABORT, 'history is append-only: an event cannot be changed'); END"
)


def test_concurrent_writers_append_one_unbroken_chain(db_url):
    """Three processes writing at once (services and imports): each flush chains onto the head
    under the write lock, so no two events ever chain onto the same one."""
    binary = Path(sys.executable).parent / "claimtrack"
    script = (
        'for n in 1 2 3; do "$0" --db "$1" source add "Source $2 $n" >/dev/null || exit 1; '
        'printf \'{"type":"claim","text":"Claim %s %s was made."}\\n\' "$2" "$n" > "$3/$2-$n.jsonl"; '
        '"$0" --db "$1" import "$3/$2-$n.jsonl" >/dev/null || exit 1; done'
    )
    with tempfile.TemporaryDirectory() as spool:
        writers = [
            subprocess.Popen(["sh", "-c", script, str(binary), db_url, f"w{i}", spool])
            for i in range(3)
        ]
        assert [writer.wait(timeout=300) for writer in writers] == [0, 0, 0]
    rows = stored(db_url)
    assert len(rows) == 3 * 3 * 2
    assert len({row["hash"] for row in rows}) == len(rows)
    Cli(db_url).ok("db", "check")


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_the_chain_travels_between_engines_and_exported_events_are_verified(
    story, request, tmp_path
):
    """Until exports carry the whole history, the events are moved as an export would carry
    them (decoded JSON, ISO times): verify_records accepts them, and the same rows written
    into PostgreSQL verify there; a changed exported event is named by its position."""
    story.ok("claim", "edit", "halt", "--place", "Hyesan", "--reason", "named in 량강도")
    rows = stored(story.url)
    exported = [
        {
            **{k: row[k] for k in ("actor", "db_user", "action", "entity", "reason", "hash")},
            "at": _aware(row["at"]).isoformat(),
            "before": json.loads(row["before"]) if row["before"] else None,
            "after": json.loads(row["after"]) if row["after"] else None,
        }
        for row in rows
    ]
    assert verify_records(json.loads(json.dumps(exported, ensure_ascii=False))) == []
    exported[2]["after"]["quote"] = "계속됐다"
    assert [p.split(" (")[0] for p in verify_records(exported)] == ["history event 3"]

    server = request.getfixturevalue("postgres")
    url = server.create()
    try:
        target = Database(resolve_url(url))
        with target.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # no FKs
            conn.execute(
                text(
                    "INSERT INTO history (id, at, actor, db_user, action, entity, claim_id, "
                    "source_id, evidence_id, before, after, reason, hash) VALUES (:id, :at, "
                    ":actor, :db_user, :action, :entity, :claim_id, :source_id, :evidence_id, "
                    ":before, :after, :reason, :hash)"
                ),
                [{**row, "at": _aware(row["at"])} for row in rows],
            )
        with target.engine.connect() as conn:
            count, problems, last = verify_chain(conn)
        target.dispose()
        assert (count, problems, last.hash) == (len(rows), [], rows[-1]["hash"])
    finally:
        server.drop(url)
