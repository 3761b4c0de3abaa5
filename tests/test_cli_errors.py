"""Databases that cannot be used: one line on stderr naming the database and the fix, exit 1,
no traceback unless --debug, nothing created by accident; passwords never shown."""

from __future__ import annotations

import pytest
from conftest import Cli

# Port 9 (discard) on the loopback: nothing listens there, so the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://analyst:s3cret@127.0.0.1:9/claims"
UNREACHABLE_SHOWN = "postgresql+psycopg://analyst:***@127.0.0.1:9/claims"


@pytest.mark.parametrize(
    "args",
    [["claim", "list"], ["source", "add", "X"], ["init"], ["db", "current"], ["history", "x"]],
)
def test_an_unreachable_server_is_one_line_with_the_password_masked(args):
    run = Cli(UNREACHABLE)(*args)
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr.startswith(f"Error: cannot use the database at {UNREACHABLE_SHOWN}: ")
    assert run.stderr.endswith(
        "; is the server running, and are the host and port in --db right?\n"
    )
    assert run.stderr.count("\n") == 1
    assert "s3cret" not in run.stderr
    assert run.exception is None


def test_info_shows_where_it_looked_then_fails(tmp_path):
    run = Cli(UNREACHABLE)("info", "--json")
    assert run.exit_code == 1
    data = run.json()
    assert data["database"] == UNREACHABLE_SHOWN
    assert data["problem"].startswith(f"cannot use the database at {UNREACHABLE_SHOWN}")
    assert "s3cret" not in run.stdout + run.stderr

    missing = tmp_path / "missing.db"
    run = Cli(str(missing))("info")
    assert run.exit_code == 1
    assert f"database          sqlite:///{missing}\n" in run.stdout
    assert run.stderr == (
        f"Error: no claimtrack database at {missing}: create it with `claimtrack init`, "
        "or point --db (or CLAIMTRACK_DB) at an existing one\n"
    )
    assert not missing.exists()


def test_a_file_that_is_not_a_database(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a database\n" * 200)
    for args in (["claim", "list"], ["init"]):
        run = Cli(str(notes))(*args)
        assert (run.exit_code, run.stdout) == (1, "")
        assert run.stderr == (
            f"Error: cannot use the database at sqlite:///{notes}: the file is not a SQLite "
            "database; point --db (or CLAIMTRACK_DB) at a claimtrack database, or a new path "
            "to create one\n"
        )
    assert notes.read_text() == "not a database\n" * 200


def test_an_empty_sqlite_file_needs_init(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    run = Cli(str(empty))("claim", "list")
    assert run.exit_code == 1
    assert run.stderr == (
        f"Error: {empty} is not a claimtrack database yet: run `claimtrack init` to create it\n"
    )


def test_an_unsupported_url():
    run = Cli("mysql://user:pw@localhost/claims")("claim", "list")
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr == (
        "Error: cannot use database URL mysql://user:***@localhost/claims: claimtrack works "
        "with SQLite and PostgreSQL; give a file path, or postgresql+psycopg://USER@HOST/DB\n"
    )


def test_debug_shows_the_traceback(cli):
    run = cli("--debug", "claim", "show", "nope")
    assert run.exit_code == 1
    assert type(run.exception).__name__ == "NotFound"
    run = cli("claim", "show", "nope", env={"CLAIMTRACK_DEBUG": "1"})
    assert type(run.exception).__name__ == "NotFound"


def test_claimtrack_db_names_the_database_when_db_is_not_given(db_url, tmp_path):
    from typer.testing import CliRunner

    from claimtrack.cli import app

    runner = CliRunner()
    result = runner.invoke(
        app, ["source", "add", "Daily NK", "--key", "dnk"], env={"CLAIMTRACK_DB": db_url}
    )
    assert (result.exit_code, result.stdout) == (0, "Added source dnk\n")
    # --db wins over the environment.
    other = tmp_path / "other.db"
    result = runner.invoke(
        app, ["--db", str(other), "source", "list"], env={"CLAIMTRACK_DB": db_url}
    )
    assert result.exit_code == 1
    assert f"no claimtrack database at {other}" in result.stderr


def test_a_bad_setting_is_named_by_the_variable_that_set_it_not_by_an_option(cli):
    """claim add has no --threshold: the environment variable is what to fix."""
    run = cli("claim", "add", "A claim.", env={"CLAIMTRACK_DUPLICATE_THRESHOLD": "2"})
    assert (run.exit_code, run.stderr) == (
        1,
        "Error: CLAIMTRACK_DUPLICATE_THRESHOLD: '2' is not valid; expected a number above 0 "
        "and at most 1\n",
    )


def test_services_name_fields_and_the_cli_names_the_option_typed(cli, db_url):
    from claimtrack import api

    database = api.open_database(db_url)
    try:
        with database.session(write=True) as session:
            with pytest.raises(api.InvalidValue) as raised:
                api.add_claim(session, text="A claim.", event_date="June")
    finally:
        database.dispose()
    assert (raised.value.field, str(raised.value).split(":")[0]) == ("event_date", "event_date")
    run = cli("claim", "add", "A claim.", "--event-date", "June")
    assert run.exit_code == 2  # a bad option value: a usage error
    assert run.stderr.startswith("Error: --event-date: 'June' is not valid; expected ")
    run = cli("claim", "list", "--since", "June")
    assert run.stderr.startswith("Error: --since: 'June' is not valid; expected ")
