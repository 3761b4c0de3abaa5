"""The life cycle of every record: `evidence edit`, `source edit --new-key`, `link list` and
`link remove`, each recorded in history with its reason and the status changes it causes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest


@pytest.fixture
def story(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "B")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--reliability", "B")
    cli.ok("source", "add", "Yonhap", "--key", "yon", "--reliability", "B")
    cli.ok("claim", "add", "The crackdown had largely stopped by June 2018.", "--key", "halt")
    cli.ok("claim", "add", "Border decrees were withdrawn.", "--key", "decrees")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--credibility", "2")
    cli.ok("evidence", "add", "halt", "--source", "yon", "--supports", "--credibility", "2")
    return cli


def status(cli, key="halt"):
    return cli.ok("claim", "show", key, "--json").json()["status"]


# --- evidence edit -------------------------------------------------------------------------


def test_evidence_edit_changes_the_item_in_place_and_records_the_status_change(story):
    assert status(story) == "corroborated"
    run = story.ok(
        "evidence", "edit", "2", "--contradicts", "--credibility", "3", "--reason", "misread"
    )
    assert run.stdout.startswith("stance: supports → contradicts\ncredibility: 2 → 3\n")
    assert "halt: corroborated → contested" in run.stdout
    [_, item] = story.ok("evidence", "list", "halt", "--json").json()
    assert (item["id"], item["stance"], item["credibility"]) == (2, "contradicts", 3)
    assert status(story) == "contested"
    events = story.ok("history", "halt", "--json").json()
    edit = next(e for e in events if e["action"] == "evidence.edit")
    assert (edit["before"], edit["after"], edit["reason"]) == (
        {"stance": "supports", "credibility": 2},
        {"stance": "contradicts", "credibility": 3},
        "misread",
    )
    change = next(e for e in events if e["action"] == "claim.status")
    assert change["before"]["status"] == "corroborated"
    assert change["after"]["status"] == "contested"
    assert change["reason"].startswith("evidence 2 edited: stance supports → contradicts")


def test_evidence_edit_sets_and_clears_every_text_field(story):
    story.ok(
        "evidence", "edit", "1", "--quote", "q", "--url", "https://x.org/1", "--via", "dnk",
        "--observed", "2018-06-20", "--notes", "n",
    )  # fmt: skip
    item = story.ok("evidence", "list", "halt", "--json").json()[0]
    assert [item[k] for k in ("quote", "url", "via", "observed", "notes")] == [
        "q", "https://x.org/1", "dnk", "2018-06-20", "n",
    ]  # fmt: skip
    run = story.ok(
        "evidence", "edit", "1", "--quote", "", "--url", "", "--via", "", "--observed", "",
        "--notes", "", "--json",
    )  # fmt: skip
    assert run.json()["after"] == {
        "quote": None, "url": None, "via": None, "observed": None, "notes": None
    }  # fmt: skip
    item = story.ok("evidence", "list", "halt", "--json").json()[0]
    assert [item[k] for k in ("quote", "url", "via", "observed", "notes")] == [None] * 5
    assert story.ok("evidence", "edit", "1", "--via", "").stdout == "Evidence 1: nothing changed\n"


def test_evidence_edit_is_undone_by_as_of(story):
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    story.ok("evidence", "edit", "2", "--contradicts", "--credibility", "3")
    assert status(story) == "contested"
    from claimtrack.db import Database, resolve_url
    from claimtrack.services.report import claim_as_of

    database = Database(resolve_url(story.url))
    with database.session() as session:
        then = claim_as_of(session, "halt", moment)
    database.dispose()
    assert then["status"] == "corroborated"
    assert [i["stance"] for i in then["evidence"]] == ["supports", "supports"]


EDIT_ERRORS = [
    (["edit", "9", "--credibility", "2"], 1, "Error: no evidence with id '9'"),
    (["edit", "1", "--credibility", "9"], 1, "Error: --credibility: '9' is not valid"),
    (["edit", "1", "--via", "nope"], 1, "Error: no source with key 'nope'"),
    (["edit", "1", "--observed", "2018-6"], 1, "Error: --observed: '2018-6' is not valid"),
    (["edit", "1", "--supports", "--neutral"], 2, "give at most one of --supports"),
]


@pytest.mark.parametrize(("args", "code", "message"), EDIT_ERRORS)
def test_evidence_edit_errors_write_nothing(story, db_dump, args, code, message):
    before = db_dump(story.url)
    run = story("evidence", *args)
    assert (run.exit_code, run.stdout) == (code, ""), run.stderr
    assert message in run.stderr and run.stderr.count("\n") <= (1 if code == 1 else 99)
    assert db_dump(story.url) == before


def test_a_removed_item_cannot_be_edited(story, db_dump):
    story.ok("evidence", "remove", "1", "--reason", "duplicate")
    before = db_dump(story.url)
    run = story("evidence", "edit", "1", "--credibility", "3")
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: evidence 1 was removed on ")
    assert run.stderr.endswith("add it again with `claimtrack evidence add`\n")
    assert db_dump(story.url) == before


# --- source edit --new-key -----------------------------------------------------------------


def test_source_new_key_keeps_the_old_key_as_an_alias(story):
    run = story.ok("source", "edit", "ryg", "--new-key", "src-ryg", "--reason", "shorter")
    assert run.stdout == "key: ryg → src-ryg\n'ryg' now resolves to 'src-ryg'\n"
    assert story.ok("source", "show", "ryg", "--json").json()["key"] == "src-ryg"
    assert story.ok("evidence", "list", "halt", "--json").json()[0]["source"] == "src-ryg"
    story.ok("evidence", "add", "decrees", "--source", "ryg", "--supports")
    edit = next(
        e for e in story.ok("history", "ryg", "--json").json() if e["action"] == "source.edit"
    )
    assert (edit["before"], edit["after"], edit["reason"]) == (
        {"key": "ryg"},
        {"key": "src-ryg"},
        "shorter",
    )
    # Renaming back turns the alias back into the key.
    story.ok("source", "edit", "src-ryg", "--new-key", "ryg")
    assert story.ok("source", "show", "src-ryg", "--json").json()["key"] == "ryg"


def test_source_new_key_refuses_a_taken_key(story, db_dump):
    before = db_dump(story.url)
    run = story("source", "edit", "ryg", "--new-key", "dnk")
    assert (run.exit_code, run.stderr) == (
        1,
        "Error: a source with key 'dnk' already exists: choose another --new-key, "
        "or see it with `claimtrack source show dnk`\n",
    )
    assert db_dump(story.url) == before


# --- link list / link remove ---------------------------------------------------------------


def test_link_list_shows_every_link_or_one_claims(story):
    story.ok("claim", "add", "Arrests went on.", "--key", "arrests")
    story.ok("link", "decrees", "halt", "--supports")
    story.ok("link", "add", "arrests", "halt", "--contradicts")
    story.ok("link", "arrests", "decrees", "--contradicts")
    rows = story.ok("link", "list", "--json").json()
    assert [(r["claim"], r["relation"], r["other"]) for r in rows] == [
        ("decrees", "supports", "halt"),
        ("arrests", "contradicts", "halt"),
        ("arrests", "contradicts", "decrees"),
    ]
    rows = story.ok("link", "list", "decrees", "--json").json()
    assert [(r["claim"], r["other"]) for r in rows] == [("decrees", "halt"), ("arrests", "decrees")]
    table = story.ok("link", "list", "halt").stdout
    assert table.splitlines()[0].split() == ["claim", "relation", "other"]
    assert "decrees  supports" in table
    story.ok("claim", "add", "Lonely claim.", "--key", "lonely")
    assert story.ok("link", "list", "lonely").stderr.startswith("No links")


def test_link_remove_records_it_on_both_claims_and_as_of_puts_it_back(story):
    story.ok("link", "decrees", "halt", "--supports")
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    run = story.ok("link", "remove", "decrees", "halt", "--reason", "linked by mistake")
    assert run.stdout == "Removed link: decrees supports halt\n"
    assert story.ok("link", "list", "--json").json() == []
    assert story.ok("claim", "show", "halt", "--json").json()["links"] == []
    for key in ("halt", "decrees"):
        event = story.ok("history", key, "--json").json()[0]
        assert (event["action"], event["reason"]) == ("link.remove", "linked by mistake")
        assert event["before"]["relation"] == "supports"
    assert "removed link decrees supports halt" in story.ok("history", "halt").stdout

    from claimtrack.db import Database, resolve_url
    from claimtrack.services.report import claim_as_of

    database = Database(resolve_url(story.url))
    with database.session() as session:
        assert claim_as_of(session, "halt", moment)["links"] == [
            {"direction": "in", "relation": "supports", "claim": "decrees"}
        ]
        assert claim_as_of(session, "decrees", moment)["links"] == [
            {"direction": "out", "relation": "supports", "claim": "halt"}
        ]
    database.dispose()


def test_link_remove_errors_write_nothing(story, db_dump):
    story.ok("link", "decrees", "halt", "--supports")
    before = db_dump(story.url)
    run = story("link", "remove", "halt", "decrees", "--reason", "x")
    assert (run.exit_code, run.stderr) == (
        1,
        "Error: no link from 'halt' to 'decrees': see the claim's links with "
        "`claimtrack link list halt`\n",
    )
    run = story("link", "remove", "decrees", "halt")
    assert run.exit_code == 2 and "Missing option '--reason'" in run.stderr
    run = story("link", "remove", "decrees", "halt", "--reason", " ")
    assert run.exit_code == 1
    assert db_dump(story.url) == before
