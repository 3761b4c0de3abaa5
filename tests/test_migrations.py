"""The schema comes from migrations only: `claimtrack init` and `claimtrack db upgrade |
downgrade | current | check` from an empty database and back, on every engine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli

from claimtrack.db import SCHEMA_REVISION, Database, head_revision, resolve_url

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def blank(blank_db_url) -> Cli:
    return Cli(blank_db_url)


def table_names(url: str) -> set[str]:
    from sqlalchemy import inspect

    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        database.dispose()


def test_schema_revision_in_db_py_is_alembic_head():
    from alembic.script import ScriptDirectory

    from claimtrack.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [SCHEMA_REVISION], "update SCHEMA_REVISION in claimtrack/db.py"
    assert head_revision() == SCHEMA_REVISION


def test_init_creates_the_schema_once_and_is_idempotent(blank):
    first = blank.ok("init").stdout
    assert first.startswith("Created claimtrack database at ")
    assert first.endswith(f"(schema {SCHEMA_REVISION})\n")
    assert {
        "sources",
        "claims",
        "tags",
        "claim_tags",
        "evidence",
        "claim_links",
        "history",
        "key_aliases",
        "alembic_version",
    } <= table_names(blank.url)
    again = blank.ok("init").stdout
    assert again.endswith(f"is up to date (schema {SCHEMA_REVISION})\n")
    assert blank.ok("db", "current").stdout == f"{SCHEMA_REVISION} (head)\n"
    assert blank.ok("db", "current", "--json").json() == {
        "revision": SCHEMA_REVISION,
        "head": SCHEMA_REVISION,
        "current": True,
    }
    assert blank.ok("db", "check").stdout.startswith("ok: the schema matches the models\n")
    assert blank.ok("db", "check", "--json").json()["ok"] is True


def test_db_upgrade_from_empty_then_downgrade_to_base_and_back(blank):
    assert blank.ok("db", "upgrade").stdout == f"Schema: empty → {SCHEMA_REVISION}\n"
    assert blank.ok("db", "upgrade").stdout == f"Schema already at {SCHEMA_REVISION}\n"
    blank.ok("source", "add", "Daily NK", "--key", "dnk")
    blank.ok("claim", "add", "The crackdown had largely stopped.", "--key", "halt", "-s", "dnk")

    assert blank.ok("db", "downgrade", "base").stdout == (
        f"Schema: {SCHEMA_REVISION} → base (empty)\n"
    )
    assert table_names(blank.url) <= {"alembic_version"}
    assert blank.ok("db", "current").stdout == f"empty (head is {SCHEMA_REVISION})\n"
    run = blank("claim", "list")
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr.endswith(
        "is not a claimtrack database yet: run `claimtrack init` to create it\n"
    )

    blank.ok("db", "upgrade")
    assert blank.ok("claim", "list", "--json").json() == []
    assert blank.ok("db", "check").stdout.startswith("ok: the schema matches the models\n")


def test_one_step_down_is_refused_by_commands_until_upgraded(blank):
    from alembic.script import ScriptDirectory

    from claimtrack.db import alembic_config

    previous = ScriptDirectory.from_config(alembic_config()).get_revision(SCHEMA_REVISION)
    if previous.down_revision is None:
        pytest.skip("only one revision: nothing to step down to")
    blank.ok("init")
    blank.ok("source", "add", "Daily NK", "--key", "dnk")
    blank.ok("db", "downgrade", "-1")
    run = blank("source", "list")
    assert run.exit_code == 1
    assert f"is at schema revision {previous.down_revision}, this claimtrack needs " in run.stderr
    assert "run `claimtrack db upgrade`" in run.stderr
    upgraded = blank.ok("db", "upgrade").stdout
    assert upgraded == f"Schema: {previous.down_revision} → {SCHEMA_REVISION}\n"
    assert [s["key"] for s in blank.ok("source", "list", "--json").json()] == ["dnk"]


def test_db_check_fails_when_the_database_drifts_from_the_models(blank):
    from sqlalchemy import text

    blank.ok("init")
    database = Database(resolve_url(blank.url))
    with database.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_evidence_claim_status"))
    database.dispose()
    run = blank("db", "check")
    assert run.exit_code == 1
    assert "schema" not in run.stdout  # the other checks pass, and say so on stdout
    assert run.stderr == (
        "drift: add_index ix_evidence_claim_status\n"
        "Error: the database schema and the models differ; a migration is missing\n"
    )
    run = blank("db", "check", "--json")
    assert run.exit_code == 1
    assert run.json()["ok"] is False
    assert run.json()["problems"] == ["add_index ix_evidence_claim_status"]


def test_commands_on_a_missing_sqlite_file_say_to_init(tmp_path):
    path = tmp_path / "nowhere" / "claimtrack.db"
    cli = Cli(str(path))
    message = (
        f"Error: no claimtrack database at {path}: create it with `claimtrack init`, "
        "or point --db (or CLAIMTRACK_DB) at an existing one\n"
    )
    for args in (
        ["claim", "list"],
        ["db", "current"],
        ["db", "check"],
        ["db", "downgrade", "base"],
    ):
        run = cli(*args)
        assert (run.exit_code, run.stdout, run.stderr) == (1, "", message), args
    assert not path.exists()
    cli.ok("init")
    assert path.exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_alembic_ini_at_the_top_level_works_for_developers(tmp_path):
    alembic = Path(sys.executable).parent / "alembic"
    if not (ROOT / "alembic.ini").exists() or not alembic.exists():
        pytest.skip("needs alembic.ini in a checkout and the alembic command")
    path = tmp_path / "dev.db"
    env = {**os.environ, "CLAIMTRACK_DB": str(path)}
    done = subprocess.run(
        [str(alembic), "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert Cli(str(path)).ok("db", "current").stdout == f"{SCHEMA_REVISION} (head)\n"


@pytest.mark.parametrize("args", [["db", "downgrade", "zzz"], ["db", "upgrade", "0999"]])
def test_an_unknown_revision_is_refused_and_changes_nothing(cli, db_dump, args):
    before = db_dump(cli.url)
    run = cli(*args)
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr.startswith(
        f"Error: REVISION: {args[2]!r} is not valid; expected a revision this claimtrack knows, "
        "e.g. head, base, -1 or 0001 ("
    )
    assert db_dump(cli.url) == before
    assert cli.ok("db", "current").stdout == f"{SCHEMA_REVISION} (head)\n"


def test_a_fit_recorded_in_history_keeps_the_schema_at_0011_or_later(blank, db_dump):
    """0011 lets history hold `model.fit` events (no claim or source); going below it would
    have to remove them from an append-only history, so the downgrade is refused, one line."""
    blank.ok("init")
    blank.ok("claim", "add", "Backed by one outlet.", "--key", "one")
    blank.ok("source", "add", "Daily NK", "--key", "dnk", "--reliability", "C")
    blank.ok("evidence", "add", "one", "--source", "dnk", "--supports")
    blank.ok("calibrate")
    before = db_dump(blank.url)
    run = blank("db", "downgrade", "0010")
    assert run.exit_code == 1
    assert run.stderr == (
        "Error: history records fits of the score (claimtrack calibrate: 1), which cannot be "
        "removed (history is append-only) and which revisions before 0011 do not allow; stay "
        "at 0011 or later\n"
    )
    assert db_dump(blank.url) == before
    assert "every history event matches the hash chain" in blank.ok("db", "check").stdout


def test_an_import_event_keeps_the_schema_at_0012_or_later(blank, db_dump, tmp_path):
    """0012 lets history hold an import's one event (no claim or source); going below it would
    have to remove it from an append-only history, so the downgrade is refused, one line."""
    blank.ok("init")
    sheet = tmp_path / "sheet.jsonl"
    sheet.write_text('{"type": "claim", "key": "one", "text": "One claim."}\n', encoding="utf-8")
    blank.ok("import", str(sheet))
    before = db_dump(blank.url)
    run = blank("db", "downgrade", "0011")
    assert run.exit_code == 1
    assert run.stderr == (
        "Error: history records imports as one event each (1), which cannot be removed "
        "(history is append-only) and which revisions before 0012 do not allow; stay at 0012 "
        "or later\n"
    )
    assert db_dump(blank.url) == before
    assert blank.ok("db", "check").exit_code == 0
