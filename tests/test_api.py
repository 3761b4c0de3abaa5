"""claimtrack.api: the README's script runs as written, and a script writes the same rows and
history as the command line, status changes included."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from conftest import Cli
from seed_example import enter_seed

from claimtrack import api

README = Path(__file__).resolve().parents[1] / "README.md"
# What differs between two runs of the same steps: when, by whom, and row ids.
VOLATILE = {"id", "at", "actor", "db_user"}  # db_user: the script may run on PostgreSQL


def readme_script() -> str:
    if not README.exists():
        pytest.skip("README.md is not next to the tests")
    text = README.read_text(encoding="utf-8")
    start = text.index("**Python API.**")
    return re.search(r"```python\n(.*?)```", text[start:], flags=re.S).group(1)


def history(database: api.Database, key: str) -> list[dict]:
    """The key's history without what differs between two runs; an import's reason and event
    name its files (`import claims.jsonl`, or `import (api)` for records), so only `import`
    stays of the reason and the event's `files` go, with `settled` (files can be imported
    again unread, records given to the API cannot)."""
    with database.session() as session:
        events = api.history_of(session, key)
    kept = [{k: v for k, v in event.items() if k not in VOLATILE} for event in events]
    for event in kept:
        if (event["reason"] or "").startswith("import "):
            event["reason"] = "import"
        if event["action"] == "import":
            after = event["after"].items()
            event["after"] = {k: v for k, v in after if k not in ("files", "settled")}
    return kept


def test_the_readme_script_prints_what_it_says_and_writes_what_the_cli_writes(db_url, tmp_path):
    script = readme_script()
    assert '"/tmp/api-demo.db"' in script
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(script.replace('"/tmp/api-demo.db"', repr(db_url)), {})
    expected = [line.split("# ", 1)[1] for line in script.splitlines() if "print(" in line]
    assert printed.getvalue().splitlines() == expected

    # The same steps on the command line, into a database of its own.
    cli = Cli(str(tmp_path / "cli.db"))
    cli.ok("init")
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        "".join(
            json.dumps(
                {
                    "type": "claim",
                    "key": f"c{n}",
                    "text": f"Claim number {n} was reported.",
                    "tags": ["demo"],
                }  # fmt: skip
            )
            + "\n"
            for n in range(1000)
        )
    )
    evidence = tmp_path / "evidence.jsonl"
    evidence.write_text(
        "".join(
            json.dumps(
                {
                    "type": "evidence",
                    "claim": f"c{n}",
                    "source": "dnk",
                    "stance": "supports",
                    "credibility": 3,
                }  # fmt: skip
            )
            + "\n"
            for n in range(1000)
        )
    )
    cli.ok("import", str(claims))
    cli.ok("import", str(evidence))

    script_db, cli_db = api.open_database(db_url), api.open_database(cli.url)
    try:
        for key in ("dnk", "c0", "c999"):
            assert history(script_db, key) == history(cli_db, key), key
    finally:
        script_db.dispose()
        cli_db.dispose()


def test_removing_evidence_through_the_api_records_the_status_change_as_the_cli_does(
    db_url, tmp_path
):
    """The bug: api.remove_evidence changed a corroborated claim's status with no history."""
    by_cli = Cli(str(tmp_path / "cli.db"))
    by_cli.ok("init")
    for cli in (Cli(db_url), by_cli):
        enter_seed(cli)
        assert cli.ok("claim", "show", "halt", "--json").json()["status"] == "corroborated"
    item = by_cli.ok("evidence", "list", "halt", "--json").json()[1]["id"]
    by_cli.ok("evidence", "remove", str(item), "--reason", "misread the article")

    database = api.open_database(db_url)
    try:
        with database.session(write=True, actor="tester") as session:
            removal = api.remove_evidence(session, item, reason="misread the article")
            assert removal.evidence.id == item
            assert [change.as_dict() for change in removal.status_changes] == [
                {
                    "claim": "halt",
                    "before": "corroborated",
                    "after": "unverified",
                    "score_before": 0.5376,
                    "score_after": 0.5251,
                }
            ]
        cli_db = api.open_database(by_cli.url)
        try:
            assert history(database, "halt") == history(cli_db, "halt")
        finally:
            cli_db.dispose()
        assert history(database, "halt")[0]["action"] == "claim.status"
    finally:
        database.dispose()


def test_a_regrade_through_the_api_returns_and_records_the_status_changes(cli, db_url):
    enter_seed(cli)
    database = api.open_database(db_url)
    try:
        with database.session(write=True, actor="tester") as session:
            edit = api.edit_source(session, "src-nhamgyong", reliability="E", reason="fabricated")
            assert (edit.row.key, edit.before, edit.after) == (
                "src-nhamgyong",
                {"reliability": "F"},
                {"reliability": "E"},
            )
            assert [(c.claim, c.before, c.after) for c in edit.status_changes] == [
                ("halt", "corroborated", "unverified")
            ]
            unchanged = api.edit_source(session, "dnk", url=api.UNSET, name="Daily NK")
            assert (unchanged.before, unchanged.after, unchanged.status_changes) == ({}, {}, [])
    finally:
        database.dispose()
    event = cli.ok("history", "halt", "--json").json()[0]
    assert event["action"] == "claim.status"
    assert event["reason"] == "source src-nhamgyong edited: reliability F → E (fabricated)"


def test_the_api_exports_only_what_it_lists():
    public = {name for name in vars(api) if not name.startswith("_")}
    modules = {"annotations"} | {n for n in public if type(getattr(api, n)).__name__ == "module"}
    assert public - modules == set(api.__all__)


def test_a_taken_key_names_the_field_in_the_api_and_the_option_on_the_command_line(cli, db_url):
    """claim edit --new-key said 'choose another --key', an option claim edit does not have."""
    cli.ok("claim", "add", "One.", "--key", "one")
    cli.ok("claim", "add", "Two.", "--key", "two")
    database = api.open_database(db_url)
    try:
        with database.session(write=True, actor="tester") as session:
            with pytest.raises(api.Conflict) as raised:
                api.edit_claim(session, "one", new_key="two")
    finally:
        database.dispose()
    assert str(raised.value) == "a claim with key 'two' already exists: choose another new_key"
    run = cli("claim", "edit", "one", "--new-key", "two")
    assert run.stderr.startswith(
        "Error: a claim with key 'two' already exists: choose another --new-key,"
    )
    run = cli("claim", "add", "Three.", "--key", "two")
    assert run.stderr.startswith(
        "Error: a claim with key 'two' already exists: choose another --key,"
    )


def test_services_name_fields_and_only_the_command_line_speaks_in_options(cli, db_url):
    """Messages that name another field ({field:NAME}) read with the field's name through the
    API and with the option that gives it on the command line."""
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("claim", "add", "One.", "--key", "one")
    database = api.open_database(db_url)
    try:
        with database.session(write=True, actor="tester") as session:
            with pytest.raises(api.InvalidValue) as via:
                api.add_evidence(session, claim="one", source="dnk", stance="supports", via="dnk")
        with database.session(write=True, actor="tester") as session:
            with pytest.raises(api.Conflict) as parent:
                api.edit_source(session, "dnk", derived_from="dnk")
    finally:
        database.dispose()
    assert str(via.value) == (
        "via: 'dnk' is not valid; expected each source once in the chain, not the item's own "
        "source: the person who said it is source, those who passed it on are via, in order"
    )
    assert str(parent.value) == (
        "source 'dnk' cannot be derived from itself: give derived_from another source, "
        "or '' to clear it"
    )
    run = cli("evidence", "add", "one", "--source", "dnk", "--supports", "--via", "dnk")
    assert run.stderr == (
        "Error: --via: 'dnk' is not valid; expected each source once in the chain, not the "
        "item's own --source: the person who said it is --source, those who passed it on are "
        "--via, in order\n"
    )
    run = cli("source", "edit", "dnk", "--derived-from", "dnk")
    assert run.stderr == (
        "Error: source 'dnk' cannot be derived from itself: give --derived-from another "
        "source, or '' to clear it\n"
    )


def test_the_api_says_what_is_wrong_and_the_command_line_adds_the_command_to_type(cli, db_url):
    """A service names the next step (errors.NextStep); only the command line words it as a
    command, so a script's message names no command it did not run."""
    cli.ok("claim", "add", "One.", "--key", "one")
    cli.ok("claim", "remove", "one", "--reason", "test", "--yes")
    database = api.open_database(db_url)
    try:
        with database.session() as session:
            with pytest.raises(api.NotFound) as missing:
                api.show_claim(session, "nope")
            with pytest.raises(api.NotFound) as removed:
                api.show_claim(session, "one")
    finally:
        database.dispose()
    assert str(missing.value) == "no claim with key 'nope'"
    assert (missing.value.next_step.name, missing.value.next_step.values) == (
        "list",
        {"entity": "claim"},
    )
    assert str(removed.value).startswith("claim 'one' was removed on ")
    assert "claimtrack" not in str(removed.value)
    assert cli("claim", "show", "nope").stderr == (
        "Error: no claim with key 'nope': list them with `claimtrack claim list`\n"
    )
    assert cli("claim", "show", "one").stderr.endswith(
        "(reason: 'test'): see it with `claimtrack history one`, put it back with "
        "`claimtrack claim restore one`\n"
    )


def test_database_and_file_messages_name_fields_in_the_api_and_options_on_the_command_line(
    tmp_path,
):
    """db.py and outfile.py name the database and --force as fields; the command line adds
    the option and the command to type."""
    missing = tmp_path / "none.db"
    with pytest.raises(api.DatabaseError) as raised:
        api.open_database(str(missing))
    assert str(raised.value) == f"no claimtrack database at {missing}"
    run = Cli(str(missing))("claim", "list")
    assert run.stderr == (
        f"Error: no claimtrack database at {missing}: create it with `claimtrack init`, or "
        "point --db (or CLAIMTRACK_DB) at an existing one\n"
    )
    not_a_database = tmp_path / "notes.db"
    not_a_database.write_text("not a database, " * 100)
    with pytest.raises(api.DatabaseError) as raised:
        api.open_database(str(not_a_database))
    assert str(raised.value).endswith(
        "the file is not a SQLite database; point db (or CLAIMTRACK_DB) at a claimtrack "
        "database, or a new path to create one"
    )
    assert Cli(str(not_a_database))("claim", "list").stderr.endswith(
        "the file is not a SQLite database; point --db (or CLAIMTRACK_DB) at a claimtrack "
        "database, or a new path to create one\n"
    )
    from claimtrack.outfile import Target

    taken = tmp_path / "taken.jsonl"
    taken.write_text("")
    with pytest.raises(api.Conflict) as raised:
        Target(taken, option="output")
    assert str(raised.value) == (
        f"{taken} already exists: choose another output FILE, or add force to replace it"
    )
