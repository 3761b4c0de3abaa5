"""`claimtrack history`: every write appends who, when, what, before/after and why, in the
same transaction; newest first; nothing is deleted without a trace."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest


@pytest.fixture
def story(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("claim", "add", "The crackdown had largely stopped by June 2018.", "--key", "halt")
    return cli


def events(cli, key):
    return cli.ok("history", key, "--json").json()


def test_every_write_to_a_claim_is_recorded_newest_first(story):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk")
    story.ok("claim", "edit", "halt", "--place", "Hyesan", "--reason", "named in the report")
    story.ok("claim", "verdict", "halt", "confirmed", "--reason", "state media")
    story.ok("claim", "add", "Decrees were taken down.", "--key", "decrees")
    story.ok("link", "decrees", "halt", "--supports")
    story.ok("evidence", "remove", "1", "--reason", "misread the date")
    history = events(story, "halt")
    assert [e["action"] for e in history] == [
        "evidence.remove",
        "link.add",
        "claim.verdict",
        "claim.edit",
        "evidence.add",
        "claim.add",
    ]
    assert all(e["subject"] == "halt" and e["actor"] == "tester" for e in history)
    moments = [datetime.fromisoformat(e["at"]) for e in history]
    assert moments == sorted(moments, reverse=True)
    assert all(m.utcoffset() == timedelta(0) for m in moments)
    assert abs(datetime.now(UTC) - moments[0]) < timedelta(minutes=5)

    removed, link, verdict, edit, added, created = history
    assert (removed["before"]["id"], removed["before"]["source"], removed["reason"]) == (
        1,
        "ryg",
        "misread the date",
    )
    assert removed["evidence_id"] == 1
    assert link["after"] == {"claim": "decrees", "other": "halt", "relation": "supports"}
    assert verdict["before"] == {"verdict": None, "verdict_reason": None}
    assert verdict["after"] == {"verdict": "confirmed", "verdict_reason": "state media"}
    assert verdict["reason"] == "state media"
    assert (edit["before"], edit["after"], edit["reason"]) == (
        {"place": None},
        {"place": "Hyesan"},
        "named in the report",
    )
    assert added["after"]["source"] == "ryg" and added["after"]["via"] == "dnk"
    assert created["before"] is None
    assert created["after"]["text"] == "The crackdown had largely stopped by June 2018."


def test_a_sources_history_includes_the_evidence_it_gave(story):
    story.ok("source", "edit", "ryg", "--reliability", "B", "--reason", "track record")
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    history = events(story, "ryg")
    assert [e["action"] for e in history] == ["evidence.add", "source.edit", "source.add"]
    assert history[1]["before"] == {"reliability": "F"}
    assert history[1]["after"] == {"reliability": "B"}
    assert history[1]["reason"] == "track record"
    assert history[2]["after"]["name"] == "Ryanggang informant"


def test_a_derived_from_edit_records_the_origin_change(story):
    story.ok("source", "edit", "ryg", "--derived-from", "dnk")
    [edit, _] = events(story, "ryg")
    assert edit["before"] == {"derived_from": None, "origin": "ryg"}
    assert edit["after"] == {"derived_from": "dnk", "origin": "dnk"}


def test_table_limit_and_json(story):
    story.ok("claim", "edit", "halt", "--tag", "crackdown", "--reason", "filing")
    table = story.ok("history", "halt").stdout.splitlines()
    assert table[0].split() == ["at", "actor", "action", "change", "reason"]
    assert "claim.edit" in table[2] and "tags: (none) → crackdown" in table[2]
    assert table[2].rstrip().endswith("filing")
    assert "claim.add" in table[3]
    assert len(story.ok("history", "halt", "--limit", "1", "--json").json()) == 1
    assert len(story.ok("history", "halt", "-n", "5", "--json").json()) == 2


@pytest.mark.parametrize(
    ("global_args", "env", "actor"),
    [
        (["--actor", "alice"], {"CLAIMTRACK_ACTOR": "bob"}, "alice"),
        ([], {"CLAIMTRACK_ACTOR": "bob"}, "bob"),
        ([], {"CLAIMTRACK_ACTOR": None, "LOGNAME": "carol", "USER": "carol"}, "carol"),
    ],
)
def test_the_actor_comes_from_actor_then_env_then_os_user(story, global_args, env, actor):
    story.ok(*global_args, "claim", "edit", "halt", "--notes", "checked", env=env)
    assert events(story, "halt")[0]["actor"] == actor


def test_info_shows_who_history_will_record(story):
    data = story.ok("--actor", "alice", "info", "--json").json()
    assert data["actor"] == "alice"
    assert story.ok("info", "--json").json()["actor"] == "tester"


def test_a_failed_command_records_nothing(story, db_dump):
    before = db_dump(story.url)
    # The claim is added first, then its --source is not found: all of it rolls back.
    run = story("claim", "add", "Another claim.", "--key", "other", "--source", "nope")
    assert run.exit_code == 1
    assert db_dump(story.url) == before
    assert len(events(story, "halt")) == 1


def test_an_edit_that_changes_nothing_records_nothing(story):
    story.ok("claim", "edit", "halt", "--text", "The crackdown had largely stopped by June 2018.")
    story.ok("source", "edit", "dnk", "--reliability", "C")
    assert len(events(story, "halt")) == 1
    assert len(events(story, "dnk")) == 1


def test_history_of_an_unknown_key(story):
    run = story("history", "nope")
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr == (
        "Error: no claim or source with key 'nope': find it with `claimtrack claim list` "
        "or `claimtrack source list`\n"
    )


def test_history_follows_a_renamed_claim(story):
    story.ok("claim", "edit", "halt", "--new-key", "halted")
    history = events(story, "halted")
    assert [e["action"] for e in history] == ["claim.edit", "claim.add"]
    assert (history[0]["before"], history[0]["after"]) == ({"key": "halt"}, {"key": "halted"})


def test_removed_evidence_stays_in_the_database(story, db_dump):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    story.ok("evidence", "remove", "1", "--reason", "duplicate")
    evidence_rows = [row for row in db_dump(story.url) if row[0] == "evidence"]
    assert len(evidence_rows) == 1
    [removed] = story.ok("evidence", "list", "halt", "--removed", "--json").json()
    assert removed["removed_reason"] == "duplicate"
