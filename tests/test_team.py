"""A team's shared PostgreSQL database: roles given by `claimtrack db grant`, authorship by
the authenticated database user, and a history no role but the owner can touch (and the
owner's changes caught by `db check`).

Each test makes its own login roles with passwords (named with a uuid: roles are cluster-wide)
and a database owned by one of them, connects as each with its password, and drops them all
afterwards; nothing depends on the server trusting connections without a password.
"""

from __future__ import annotations

import json
import shutil
import uuid
from dataclasses import dataclass

import psycopg
import pytest
from conftest import Cli, _psycopg_dsn
from sqlalchemy.engine import make_url

from claimtrack.db import head_revision


@dataclass
class Team:
    names: dict[str, str]  # owner/reader/analyst/admin -> role name
    urls: dict[str, str]

    def cli(self, who: str) -> Cli:
        return Cli(self.urls[who])

    def connect(self, who: str):
        return psycopg.connect(_psycopg_dsn(self.urls[who]), autocommit=True)


@pytest.fixture
def team(postgres):
    tag = uuid.uuid4().hex[:10]
    names = {who: f"ct_{who}_{tag}" for who in ("owner", "reader", "analyst", "admin")}
    password = f"pw-{tag}"
    database = f"ct_team_{tag}"
    base = make_url(postgres.url)
    urls = {
        who: base.set(username=name, password=password, database=database).render_as_string(
            hide_password=False
        )
        for who, name in names.items()
    }
    with postgres.admin() as conn:
        for name in names.values():
            conn.execute(f"CREATE ROLE {name} LOGIN PASSWORD '{password}'")
        conn.execute(f'CREATE DATABASE "{database}" OWNER {names["owner"]}')
    team = Team(names, urls)
    try:
        team.cli("owner").ok("init")
        for who in ("reader", "analyst"):
            team.cli("owner").ok("db", "grant", names[who], "--role", who)
        # The first admin is made by a role that may hand out the owner role (here a superuser).
        superuser = base.set(database=database).render_as_string(hide_password=False)
        Cli(superuser).ok("db", "grant", names["admin"], "--role", "admin")
        yield team
    finally:
        with postgres.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for name in names.values():
                conn.execute(f"DROP ROLE IF EXISTS {name}")


def seed(cli: Cli) -> None:
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("claim", "add", "The crackdown had largely stopped.", "--key", "halt")


def test_a_reader_reads_every_report_and_is_refused_a_write_naming_its_role(team, tmp_path):
    seed(team.cli("analyst"))
    reader = team.cli("reader")
    assert reader.ok("report", "--format", "json").json()["claims"][0]["key"] == "halt"
    reader.ok("claim", "list")
    reader.ok("history", "halt")
    reader.ok("db", "check")
    if shutil.which("pg_dump"):
        reader.ok("db", "backup", str(tmp_path / "team.dump"))
    refused = reader("evidence", "add", "halt", "--source", "ryg", "--supports")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: database user {team.names['reader']} has the reader role here: it may run "
        "read commands only (report, list, show, search, export, history); an admin can let it "
        f"write with `claimtrack db grant {team.names['reader']} --role analyst`\n"
    )
    assert reader.ok("claim", "show", "halt", "--json").json()["evidence"] == []


def test_an_analysts_writes_record_the_database_user_beside_the_declared_actor(team):
    analyst = team.cli("analyst")
    seed(analyst)
    analyst.ok(
        "evidence", "add", "halt", "--source", "ryg", "--supports", env={"CLAIMTRACK_ACTOR": "kim"}
    )
    events = analyst.ok("history", "halt", "--json").json()
    assert [(e["actor"], e["db_user"]) for e in events] == [
        ("kim", team.names["analyst"]),
        ("tester", team.names["analyst"]),
    ]
    shown = analyst.ok("history", "halt").stdout
    assert f"kim (as {team.names['analyst']})" in shown


def test_an_analyst_imports_edits_merges_and_searches(team, tmp_path):
    analyst = team.cli("analyst")
    sheet = tmp_path / "sheet.jsonl"
    sheet.write_text(
        "".join(
            json.dumps(record) + "\n"
            for record in (
                {"type": "source", "key": "dnk", "name": "Daily NK"},
                {"type": "claim", "key": "halt", "text": "The crackdown stopped."},
                {"type": "claim", "key": "stopped", "text": "The crackdown had stopped."},
                {"type": "evidence", "claim": "halt", "source": "dnk", "stance": "supports"},
            )
        ),
        encoding="utf-8",
    )
    analyst.ok("import", str(sheet))
    analyst.ok("source", "edit", "dnk", "--reliability", "B", "--reason", "track record")
    analyst.ok("claim", "verdict", "halt", "confirmed", "--reason", "two informants")
    analyst.ok("claim", "merge", "halt", "stopped", "--yes")
    assert [r["key"] for r in team.cli("reader").ok("search", "crackdown", "--json").json()] == [
        "halt"
    ]
    events = analyst.ok("history", "halt", "--json").json()
    assert {e["db_user"] for e in events} == {team.names["analyst"]}
    team.cli("reader").ok("db", "check")


def test_an_analyst_imports_a_sheet_large_enough_to_be_analyzed(team, tmp_path):
    """An import that grows a table past autovacuum's threshold runs ANALYZE before it commits;
    a role that does not own the tables has it skipped (a server warning, not an error)."""
    analyst = team.cli("analyst")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,source_name,stance,quote\n"
        + "".join(f"k{n},Claim {n} on rice,Daily NK,supports,raid {n}\n" for n in range(120)),
        encoding="utf-8",
    )
    analyst.ok("import", str(sheet))
    assert len(team.cli("reader").ok("search", "rice", "--json", "--limit", "500").json()) == 120


def test_an_analyst_can_neither_change_nor_delete_history_through_sql(team):
    seed(team.cli("analyst"))
    with team.connect("analyst") as conn:
        for statement in (
            "UPDATE history SET actor = 'someone else'",
            "DELETE FROM history",
            "TRUNCATE history",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    team.cli("analyst").ok("db", "check")


def test_the_owners_update_is_refused_by_the_trigger_and_caught_by_db_check_once_disabled(team):
    seed(team.cli("analyst"))
    with team.connect("owner") as conn:
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            conn.execute("UPDATE history SET actor = 'mallory' WHERE action = 'claim.add'")
        conn.execute("ALTER TABLE history DISABLE TRIGGER history_append_only")
        conn.execute("UPDATE history SET actor = 'mallory' WHERE action = 'claim.add'")
        event = conn.execute("SELECT id FROM history WHERE actor = 'mallory'").fetchone()[0]
    run = team.cli("reader")("db", "check")
    assert run.exit_code == 1
    assert (
        "chain: the trigger history_append_only is missing or disabled: history can be changed "
        "with SQL;" in run.stderr
    )
    assert f"chain: event {event} (claim.add by mallory, " in run.stderr
    verify = team.cli("reader")("history", "halt", "--verify")
    assert verify.exit_code == 1 and f"event {event} (claim.add by mallory" in verify.stderr
    assert team.cli("reader")("history", "ryg", "--verify").exit_code == 0


def test_merges_still_refile_history_and_the_chain_holds(team):
    analyst = team.cli("analyst")
    seed(analyst)
    analyst.ok(
        "claim",
        "add",
        "By June the crackdown had stopped.",
        "--key",
        "stopped",
        "--on-duplicate",
        "warn",
    )
    analyst.ok("claim", "merge", "halt", "stopped", "--yes")
    assert analyst.ok("history", "halt", "--verify").stdout.startswith("ok: 3 history events")
    analyst.ok("db", "check")


def test_an_admin_migrates_and_the_grants_survive_the_migration(team):
    admin = team.cli("admin")
    admin.ok("db", "downgrade", "-1")
    admin.ok("db", "upgrade")
    seed(team.cli("analyst"))
    team.cli("reader").ok("report")
    assert team.cli("reader")("source", "add", "X").exit_code == 1
    with team.connect("owner") as conn:
        owners = {
            row[0]
            for row in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
    assert owners == {team.names["owner"]}
    # An admin makes another admin, then takes it back.
    extra = team.names["reader"]
    admin.ok("db", "grant", extra, "--role", "admin")
    team.cli("reader").ok("source", "add", "Y", "--key", "y")
    admin.ok("db", "revoke", extra)
    with team.connect("reader") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT 1 FROM claims")


def test_dry_run_prints_the_exact_sql_and_changes_nothing(team):
    reader = team.names["reader"]
    run = team.cli("owner").ok("db", "grant", reader, "--role", "analyst", "--dry-run")
    assert f"GRANT INSERT, UPDATE (claim_id, source_id) ON history TO {reader};" in run.stdout
    assert run.stdout.endswith("-- dry run: nothing was changed\n")
    with team.connect("owner") as conn:
        assert conn.execute(
            f"SELECT has_table_privilege('{reader}', 'claims', 'INSERT')"
        ).fetchone() == (False,)
    for line in run.stdout.splitlines()[:-1]:
        assert line.endswith(";") and line.split()[0] in ("GRANT", "REVOKE", "ALTER")


def test_a_superuser_owned_database_gets_no_admin_and_sqlite_gets_no_roles(cli, engine_name):
    run = cli("db", "grant", "someone", "--role", "reader")
    assert run.exit_code == 1
    if engine_name == "sqlite":
        assert run.stderr.startswith("Error: roles are for PostgreSQL databases")
    else:
        assert "an existing PostgreSQL role" in run.stderr


def test_an_analyst_cannot_migrate_or_grant_and_is_told_why(team):
    analyst = team.cli("analyst")
    for args in (
        ("db", "downgrade", "-1"),
        ("db", "grant", team.names["reader"], "--role", "analyst"),
    ):
        run = analyst(*args)
        assert run.exit_code == 1
        assert run.stderr.startswith("Error: the database refused: ")
        assert "(migrations and grants need an admin" in run.stderr
        assert run.stderr.count("\n") == 1
    # the downgrade was refused: the database is still at the head revision
    assert team.cli("owner").ok("db", "current").stdout == f"{head_revision()} (head)\n"


def test_an_unknown_role_names_the_option(cli):
    run = cli("db", "grant", "someone", "--role", "editor")
    assert run.exit_code == 2
    assert run.stderr == (
        "Error: --role: 'editor' is not valid; expected one of reader, analyst, admin\n"
    )
