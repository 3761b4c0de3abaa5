"""Migrations as a tested contract, on SQLite and PostgreSQL.

- pytest-alembic's four standard checks (single head, upgrade, models match the DDL, every
  step down and up again), run through its runner (its pytest plugin is switched off in
  pyproject: 0.13.1's collector breaks under pytest 9), both with the Connection claimtrack
  passes and with the plain Engine of pytest-alembic's documented `alembic_engine` setup;
- a database filled at each revision with representative data (tests/migration_fixtures/)
  upgrades to head, and back, without losing or changing a row;
- run_migration's transaction: a failing migration leaves the schema, alembic_version and the
  data as they were; on SQLite, a batch migration (copy table, drop the old one) keeps every
  row although foreign keys cascade, and foreign keys are on and enforced afterwards.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import pytest_alembic
from migration_fixtures import GENERATORS, TRANSFORMED
from pytest_alembic.config import Config as RunnerConfig
from pytest_alembic.tests import default as standard
from sqlalchemy import MetaData, select, text
from sqlalchemy.exc import IntegrityError

from claimtrack import db as claimtrack_db
from claimtrack.db import (
    SCHEMA_REVISION,
    Database,
    alembic_config,
    head_revision,
    resolve_url,
    run_migration,
)


@pytest.fixture
def blank(blank_db_url) -> Database:
    database = Database(resolve_url(blank_db_url), create=True)
    yield database
    database.dispose()


@pytest.fixture
def alembic_runner(blank: Database):
    with blank.engine.connect() as conn:
        config = RunnerConfig(alembic_config=alembic_config())
        with pytest_alembic.runner(config=config, engine=conn) as runner:
            yield runner


@pytest.mark.parametrize(
    "check",
    [
        standard.test_single_head_revision,
        standard.test_upgrade,
        standard.test_model_definitions_match_ddl,
        standard.test_up_down_consistency,
    ],
    ids=["single-head", "upgrade", "model-matches-ddl", "up-down-consistency"],
)
def test_pytest_alembic_standard_checks(alembic_runner, check):
    check(alembic_runner)


@pytest.fixture
def alembic_engine(blank_db_url):
    """pytest-alembic's documented setup: a fixture of this name returning a plain Engine."""
    from sqlalchemy import create_engine

    engine = create_engine(resolve_url(blank_db_url))
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    "check",
    [
        standard.test_single_head_revision,
        standard.test_upgrade,
        standard.test_model_definitions_match_ddl,
        standard.test_up_down_consistency,
    ],
    ids=["single-head", "upgrade", "model-matches-ddl", "up-down-consistency"],
)
def test_pytest_alembic_standard_checks_with_its_documented_engine_setup(alembic_engine, check):
    config = RunnerConfig(alembic_config=alembic_config())
    with pytest_alembic.runner(config=config, engine=alembic_engine) as runner:
        check(runner)


def test_the_revision_claimtrack_expects_is_the_head():
    assert SCHEMA_REVISION == head_revision()


# --- data survives every upgrade ------------------------------------------------------------


def snapshot(database: Database, tables: list[str]) -> dict[str, list[tuple]]:
    """Every row of the given tables, as (column, value) pairs in primary-key order."""
    result = {}
    with database.engine.connect() as conn:
        meta = MetaData()
        meta.reflect(conn, only=tables)
        for name in tables:
            table = meta.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings()
            result[name] = [tuple(sorted(row.items())) for row in rows]
    return result


def expected_at_head(before: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    if not TRANSFORMED:
        return before
    return {
        table: [
            tuple((c, TRANSFORMED.get((table, c), lambda v: v)(v)) for c, v in row) for row in rows
        ]
        for table, rows in before.items()
    }


def only_columns(after: dict[str, list[tuple]], before: dict[str, list[tuple]]):
    """Drop columns added by later migrations, so rows compare on what existed before."""
    kept = {}
    for table, rows in after.items():
        names = {c for c, _ in before[table][0]} if before[table] else set()
        kept[table] = [tuple((c, v) for c, v in row if c in names) for row in rows]
    return kept


def assert_sound(database: Database) -> None:
    if database.dialect != "sqlite":
        return
    with database.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


@pytest.mark.parametrize("revision", sorted(GENERATORS))
def test_a_filled_database_upgrades_to_head_and_back_without_losing_a_row(
    blank, blank_db_url, revision
):
    from conftest import Cli

    run_migration(blank, "upgrade", revision)
    with blank.engine.begin() as conn:
        counts = GENERATORS[revision](conn)
    tables = sorted(counts)
    before = snapshot(blank, tables)
    assert {t: len(rows) for t, rows in before.items()} == counts

    run_migration(blank, "upgrade", "head")
    assert blank.schema_revision() == head_revision()
    assert only_columns(snapshot(blank, tables), before) == expected_at_head(before)
    assert_sound(blank)

    cli = Cli(blank_db_url)
    assert cli.ok("db", "check").exit_code == 0
    halt = cli.ok("claim", "show", "halt", "--json").json()
    assert (halt["verdict"], halt["support_origins"], len(halt["evidence"])) == ("confirmed", 1, 2)
    assert {item["via"] for item in halt["evidence"]} == {"dnk"}
    # 0006: the one via each item had becomes a one-element via chain.
    assert {tuple(item["via_chain"]) for item in halt["evidence"]} == {("dnk",)}
    assert cli.ok("source", "show", "copy", "--json").json()["origin"] == "dnk"
    assert cli.ok("source", "show", "dailynk-old", "--json").json()["key"] == "dnk"
    cli.ok("evidence", "add", "bare", "--source", "rodong", "--supports")

    blank.dispose()
    run_migration(blank, "downgrade", revision)
    after_down = only_columns(snapshot(blank, tables), before)
    for table in tables:
        if table not in ("evidence", "history"):  # the CLI just added one item, and its event
            assert after_down[table] == before[table], table
    assert_sound(blank)
    run_migration(blank, "upgrade", "head")
    assert_sound(blank)


# --- one transaction per migration ----------------------------------------------------------


@pytest.fixture
def extra_migration(tmp_path, monkeypatch):
    """Install one more revision after head into a copy of the migrations, for this test."""
    directory = tmp_path / "migrations"
    shutil.copytree(claimtrack_db.migrations_dir(), directory)
    monkeypatch.setattr(claimtrack_db, "migrations_dir", lambda: directory)
    head = head_revision()

    def install(upgrade: str, downgrade: str = "pass") -> str:
        def body(code: str) -> str:
            return textwrap.indent(textwrap.dedent(code).strip(), "    ")

        source = "\n".join(
            [
                '"""test-only revision"""',
                "import sqlalchemy as sa",
                "from alembic import op",
                "",
                'revision = "9999"',
                f"down_revision = {head!r}",
                "branch_labels = None",
                "depends_on = None",
                "",
                "",
                "def upgrade():",
                body(upgrade),
                "",
                "",
                "def downgrade():",
                body(downgrade),
                "",
            ]
        )
        (directory / "versions" / "9999_test_only.py").write_text(source)
        return head

    return install


def _filled(database: Database) -> dict[str, int]:
    run_migration(database, "upgrade", "0001")
    with database.engine.begin() as conn:
        counts = GENERATORS["0001"](conn)
    run_migration(database, "upgrade", "head")
    return counts


def test_a_failing_migration_leaves_schema_version_and_data_as_they_were(
    blank, extra_migration, db_dump
):
    _filled(blank)
    head = extra_migration(
        """
        op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("UPDATE claims SET notes = 'half-migrated'")
        op.add_column("sources", sa.Column("extra", sa.Text()))
        raise RuntimeError("migration failed half-way")
        """
    )
    before = db_dump(blank.url)
    with pytest.raises(RuntimeError, match="half-way"):
        run_migration(blank, "upgrade", "head")
    assert blank.schema_revision() == head
    with blank.engine.connect() as conn:
        meta = MetaData()
        meta.reflect(conn)
        assert "half_done" not in meta.tables
        assert "extra" not in meta.tables["sources"].c
    assert db_dump(blank.url) == before
    assert_sound(blank)


def test_the_cli_reports_a_failing_migration_in_one_line(blank, blank_db_url, extra_migration):
    from conftest import Cli

    _filled(blank)
    extra_migration('raise RuntimeError("migration failed half-way")')
    run = Cli(blank_db_url)("db", "upgrade")
    assert run.exit_code == 1
    assert run.stderr == (
        "Error: unexpected RuntimeError: migration failed half-way; nothing was written. "
        "Run again with --debug for the traceback and report it\n"
    )


BATCH_UPGRADE = """
    # Move-and-copy every table that others refer to: claims (claim_tags and claim_links
    # cascade from it), sources and evidence (history and evidence restrict deletes).
    for name in ("claims", "sources", "evidence"):
        with op.batch_alter_table(name, recreate="always") as batch:
            batch.add_column(sa.Column("extra", sa.Text(), nullable=True))
"""
BATCH_DOWNGRADE = """
    for name in ("claims", "sources", "evidence"):
        with op.batch_alter_table(name, recreate="always") as batch:
            batch.drop_column("extra")
"""


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_batch_migrations_keep_every_row_and_foreign_keys_stay_on(blank, extra_migration):
    counts = _filled(blank)
    tables = sorted(counts)
    before = snapshot(blank, tables)
    triggers = sqlite_triggers(blank)
    assert {"search_claims_au", "history_no_update"} <= {name for name, _ in triggers}
    extra_migration(BATCH_UPGRADE, BATCH_DOWNGRADE)

    run_migration(blank, "upgrade", "head")
    assert only_columns(snapshot(blank, tables), before) == before
    assert_sound(blank)
    # the rebuilt tables keep their triggers (the search index follows edits), and the search
    # view that names them still reads
    assert sqlite_triggers(blank) == triggers
    with blank.engine.connect() as conn:
        conn.exec_driver_sql("SELECT count(*) FROM search_content").scalar()
    with blank.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(text("INSERT INTO claim_tags (claim_id, tag_id) VALUES (9999, 1)"))

    run_migration(blank, "downgrade", "-1")
    assert snapshot(blank, tables) == before
    assert sqlite_triggers(blank) == triggers
    assert_sound(blank)


def sqlite_triggers(database: Database) -> list[tuple[str, str]]:
    with database.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        ).fetchall()


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_why_foreign_keys_are_off_during_a_batch_migration(blank, extra_migration, db_dump):
    """With foreign keys on, dropping the old copy of `claims` would cascade into claim_tags
    and be refused for evidence: the same migration outside run_migration fails."""
    from alembic import command

    _filled(blank)
    extra_migration(BATCH_UPGRADE, BATCH_DOWNGRADE)
    before = db_dump(blank.url)
    with blank.engine.connect() as conn, pytest.raises(IntegrityError):
        with conn.begin():
            command.upgrade(alembic_config(conn), "head")
    assert db_dump(blank.url) == before


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_a_migration_that_would_leave_dangling_rows_is_rolled_back(blank, extra_migration, db_dump):
    from claimtrack.errors import DatabaseError

    _filled(blank)
    head = extra_migration("op.execute(\"DELETE FROM sources WHERE key = 'ryg'\")")
    before = db_dump(blank.url)
    with pytest.raises(DatabaseError, match=r"rows pointing at missing rows .*nothing was changed"):
        run_migration(blank, "upgrade", "head")
    assert blank.schema_revision() == head
    assert db_dump(blank.url) == before
    assert_sound(blank)


def test_migrations_directory_is_shipped_with_the_package():
    directory = Path(claimtrack_db.migrations_dir())
    assert (directory / "env.py").exists()
    assert sorted(p.name[:4] for p in (directory / "versions").glob("[0-9]*.py"))[-1] == (
        head_revision()
    )
