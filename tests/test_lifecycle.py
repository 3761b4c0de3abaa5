"""The life cycle of every record: `evidence edit`, `source edit --new-key`, `link list` and
`link remove`, each recorded in history with its reason and the status changes it causes."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from claimtrack.errors import NotFound


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
        "quote": None, "url": None, "via": None, "via_chain": [], "observed": None, "notes": None
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
    (["edit", "1", "--credibility", "9"], 2, "Error: --credibility: '9' is not valid"),
    (["edit", "1", "--via", "nope"], 1, "Error: no source with key 'nope'"),
    (["edit", "1", "--observed", "2018-6"], 2, "Error: --observed: '2018-6' is not valid"),
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
    assert run.exit_code == 2
    assert db_dump(story.url) == before


# --- claim remove / source remove ----------------------------------------------------------


def test_claim_remove_is_refused_while_referenced_and_writes_nothing(story, db_dump):
    story.ok("link", "decrees", "halt", "--supports")
    before = db_dump(story.url)
    run = story("claim", "remove", "halt", "--reason", "retracted", "--yes")
    assert (run.exit_code, run.stderr) == (
        1,
        "Error: claim 'halt' is still referenced (2 evidence items, 1 link): remove those "
        "first, or give --cascade to remove them with it (--dry-run shows what that would do)\n",
    )
    assert db_dump(story.url) == before


def test_claim_remove_dry_run_shows_the_plan_and_writes_nothing(story, db_dump):
    story.ok("link", "decrees", "halt", "--supports")
    before = db_dump(story.url)
    run = story.ok("claim", "remove", "halt", "--reason", "retracted", "--cascade", "--dry-run")
    assert run.stdout == (
        "Will remove claim halt\n"
        "  with 2 evidence items:\n"
        "    1: supports halt from ryg\n"
        "    2: supports halt from yon\n"
        "  with 1 link:\n"
        "    decrees supports halt\n"
    )
    assert db_dump(story.url) == before


def test_a_destructive_command_without_a_terminal_or_yes_refuses(story, db_dump):
    before = db_dump(story.url)
    run = story("claim", "remove", "halt", "--reason", "retracted", "--cascade")
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr == (
        "Error: remove claim halt and what refers to it: not done, there is no terminal to ask "
        "on; add --yes to do it from a script (--dry-run shows what it would do)\n"
    )
    assert db_dump(story.url) == before


def test_claim_remove_cascade_keeps_everything_in_history_and_restore_puts_it_back(story, db_dump):
    story.ok("link", "decrees", "halt", "--supports")
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    run = story.ok("claim", "remove", "halt", "--reason", "retracted", "--cascade", "--yes")
    assert run.stdout.startswith("Removed claim halt\n  with 2 evidence items:\n")
    assert run.stdout.endswith("Put it back with: claimtrack claim restore halt\n")
    assert [c["key"] for c in story.ok("claim", "list", "--json").json()] == ["decrees"]
    assert story.ok("link", "list", "--json").json() == []
    run = story("claim", "show", "halt")
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: claim 'halt' was removed on ")
    assert run.stderr.endswith(
        "(reason: 'retracted'): see it with `claimtrack history halt`, put it back with "
        "`claimtrack claim restore halt`\n"
    )
    events = story.ok("history", "halt", "--json").json()
    assert [e["action"] for e in events[:4]] == [
        "claim.remove",
        "link.remove",
        "evidence.remove",
        "evidence.remove",
    ]
    removal = events[0]
    assert removal["before"]["text"] == "The crackdown had largely stopped by June 2018."
    assert removal["after"] == {
        "evidence_removed": [1, 2],
        "links_removed": [{"claim": "decrees", "relation": "supports", "other": "halt"}],
    }
    assert events[2]["reason"] == "removed with claim halt: retracted"
    assert "link.remove" in [e["action"] for e in story.ok("history", "decrees", "--json").json()]
    # Nothing of it is in the exported records (the restore section after them holds every
    # row, removed ones too: test_history_export); the key stays taken.
    exported = story.ok("export", "--no-history").stdout
    assert '"halt"' not in exported
    run = story("claim", "add", "Another claim.", "--key", "halt")
    assert run.exit_code == 1 and "already exists" in run.stderr

    from claimtrack.db import Database, resolve_url
    from claimtrack.services.as_of import claim_states
    from claimtrack.services.report import claim_as_of

    database = Database(resolve_url(story.url))
    with database.session() as session:
        then = claim_as_of(session, "halt", moment)
        assert (then["status"], len(then["evidence"]), len(then["links"])) == ("corroborated", 2, 1)
        assert sorted(c.key for c in claim_states(session, None, moment).values()) == [
            "decrees",
            "halt",
        ]
        assert [c.key for c in claim_states(session).values()] == ["decrees"]
        # The service names the field; the command line, the option.
        with pytest.raises(NotFound, match="was removed on .* give an earlier as_of$"):
            claim_as_of(session, "halt", datetime.now(UTC))
    database.dispose()
    later = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    run = story("claim", "show", "halt", "--as-of", later)
    assert run.exit_code == 1
    assert "give an earlier --as-of, or see `claimtrack history halt`" in run.stderr

    before = db_dump(story.url)
    run = story.ok("claim", "restore", "halt", "--dry-run")
    assert run.stdout == (
        "Will restore claim halt\n  with 2 evidence items: 1, 2\n  with 1 link:\n"
        "    decrees supports halt\n"
    )
    assert db_dump(story.url) == before
    run = story.ok("claim", "restore", "halt", "--reason", "not retracted after all")
    assert run.stdout.startswith("Restored claim halt\n  with 2 evidence items: 1, 2\n")
    # What the --cascade removal took comes back with it.
    shown = story.ok("claim", "show", "halt", "--json").json()
    assert (shown["status"], [i["id"] for i in shown["evidence"]]) == ("corroborated", [1, 2])
    listed = story.ok("evidence", "list", "halt", "--removed", "--json").json()
    assert [i.get("removed_reason") for i in listed] == [None, None]
    assert story.ok("link", "list", "--json").json()[0]["claim"] == "decrees"
    events = story.ok("history", "halt", "--json").json()
    assert [e["action"] for e in events[:4]] == [
        "claim.restore",
        "link.add",
        "evidence.restore",
        "evidence.restore",
    ]
    assert events[0]["after"]["evidence_restored"] == [1, 2]
    assert events[2]["reason"] == "restored with claim halt: not retracted after all"
    assert events[2]["before"]["removed_reason"] == "removed with claim halt: retracted"
    table = story.ok("history", "halt").stdout
    assert "restored (removed " in table and "with 2 evidence, 1 links" in table


def test_source_remove_cascade_moves_derived_sources_and_records_status_changes(story):
    story.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "yon")
    story.ok("evidence", "add", "decrees", "--source", "wire", "--supports", "--credibility", "2")
    story.ok("evidence", "add", "decrees", "--source", "dnk", "--supports", "--credibility", "2")
    assert status(story) == "corroborated"
    before_plan = story.ok(
        "source", "remove", "yon", "--reason", "fabricated", "--cascade", "--dry-run"
    ).stdout
    # Scores depend on the scoring model; the plan's lines do not.
    assert re.sub(r" \(score [^)]*\)", "", before_plan) == (
        "Will remove source yon\n"
        "  with 1 evidence item:\n"
        "    2: supports halt from yon\n"
        "  1 derived source now derive from its parent instead: wire\n"
        "  status changes:\n"
        "    halt: corroborated → unverified\n"
    )
    run = story.ok("source", "remove", "yon", "--reason", "fabricated", "--cascade", "--yes")
    assert "Status changed:\n    halt: corroborated → unverified" in run.stdout
    assert status(story) == "unverified"
    assert [s["key"] for s in story.ok("source", "list", "--json").json()] == [
        "dnk",
        "ryg",
        "wire",
    ]
    wire = story.ok("source", "show", "wire", "--json").json()
    assert (wire["derived_from"], wire["origin"]) == (None, "wire")
    change = next(
        e for e in story.ok("history", "halt", "--json").json() if e["action"] == "claim.status"
    )
    assert change["reason"] == "source yon removed: fabricated"
    edit = story.ok("history", "wire", "--json").json()[0]
    assert (edit["action"], edit["before"], edit["after"]) == (
        "source.edit",
        {"derived_from": "yon"},
        {"derived_from": None},
    )
    run = story("evidence", "add", "halt", "--source", "yon", "--supports")
    assert run.exit_code == 1 and "source 'yon' was removed on" in run.stderr
    run = story.ok("source", "restore", "yon", "--reason", "not fabricated")
    # The evidence and the derived source the --cascade removal took come back with it.
    assert re.sub(r" \(score [^)]*\)", "", run.stdout) == (
        "Restored source yon\n"
        "  with 1 evidence item: 2\n"
        "  1 source derive from it again: wire\n"
        "Status changed:\n"
        "    halt: unverified → corroborated\n"
    )
    assert "yon" in [s["key"] for s in story.ok("source", "list", "--json").json()]
    assert status(story) == "corroborated"
    wire = story.ok("source", "show", "wire", "--json").json()
    assert (wire["derived_from"], wire["origin"]) == ("yon", "yon")
    events = story.ok("history", "yon", "--json").json()
    assert events[0]["action"] == "source.restore"
    assert events[0]["after"]["evidence_restored"] == [2]
    assert events[0]["after"]["children_moved"] == ["wire"]
    restored = [e for e in story.ok("history", "halt", "--json").json()][:2]
    assert [e["action"] for e in restored] == ["claim.status", "evidence.restore"]
    assert restored[1]["reason"] == "restored with source yon: not fabricated"


def test_restore_leaves_out_what_cannot_come_back(story, db_dump):
    story.ok("source", "remove", "yon", "--reason", "fabricated", "--cascade", "--yes")
    story.ok("claim", "remove", "halt", "--reason", "retracted", "--cascade", "--yes")
    run = story.ok("source", "restore", "yon")
    assert run.stdout == (
        "Restored source yon\n"
        "  evidence left removed (its claim or a source it cites was removed since): 2\n"
    )
    assert story.ok("history", "yon", "--json").json()[0]["after"]["evidence_restored"] == []


def test_dry_runs_of_removals_write_nothing(story, db_dump):
    story.ok("link", "decrees", "halt", "--supports")
    before = db_dump(story.url)
    run = story.ok("evidence", "remove", "2", "--reason", "misread", "--dry-run")
    assert re.sub(r" \(score [^)]*\)", "", run.stdout) == (
        "Will remove evidence 2 (supports halt, from yon)\n"
        "Status would change:\n"
        "  halt: corroborated → unverified\n"
    )
    assert run.stderr == "Dry run: nothing was changed.\n"
    run = story.ok("link", "remove", "decrees", "halt", "--reason", "x", "--dry-run")
    assert run.stdout == "Will remove link: decrees supports halt\n"
    for command in (
        ["claim", "remove", "halt", "--cascade"],
        ["source", "remove", "yon", "--cascade"],
        ["claim", "merge", "halt", "decrees"],
        ["source", "merge", "ryg", "yon"],
    ):
        run = story.ok(*command, "--reason", "x", "--dry-run")
        assert run.stdout.startswith("Will ") and "Dry run" in run.stderr, command
    assert db_dump(story.url) == before
    # Without --dry-run the same commands do it.
    story.ok("evidence", "remove", "2", "--reason", "misread")
    story.ok("link", "remove", "decrees", "halt", "--reason", "x")
    assert status(story) == "unverified"
    assert story.ok("link", "list", "--json").json() == []


def test_source_remove_refused_while_cited_via_or_derived(story, db_dump):
    story.ok("evidence", "edit", "1", "--via", "dnk")
    before = db_dump(story.url)
    run = story("source", "remove", "dnk", "--reason", "x", "--yes")
    assert run.stderr == (
        "Error: source 'dnk' is still referenced (1 evidence item): remove those first, or "
        "give --cascade to remove them with it (--dry-run shows what that would do)\n"
    )
    story.ok("source", "add", "Copy", "--key", "copy", "--derived-from", "yon")
    run = story("source", "remove", "yon", "--reason", "x", "--yes")
    assert "(1 evidence item, 1 derived source)" in run.stderr
    assert story("source", "restore", "dnk").stderr == (
        "Error: source 'dnk' is not removed: nothing to restore\n"
    )
    assert db_dump(story.url)[: len(before)] != [] and run.exit_code == 1


def test_a_removed_claim_is_left_out_of_search_duplicates_and_reports(story):
    story.ok("claim", "add", "The crackdown had largely stopped by June 2018!", "--key",
             "halt-2", "--on-duplicate", "warn")  # fmt: skip
    assert story.ok("duplicates", "--json").json()
    story.ok("claim", "remove", "halt-2", "--reason", "duplicate", "--yes")
    assert story.ok("duplicates", "--json").json() == []
    found = story.ok("search", "crackdown", "--json").json()
    assert [r["key"] for r in found if r["type"] == "claim"] == ["halt"]
    report = story.ok("report", "--json").json()
    assert [c["key"] for c in report["claims"]] == ["decrees", "halt"]


def _on_a_terminal(url: str, *args: str, answer: str, when: bytes = b"[y/N]") -> tuple[int, str]:
    """Run `claimtrack` on a pseudo-terminal, type `answer` once it shows `when`, return (exit
    code, everything it showed)."""
    import os
    import pty
    import select
    import subprocess
    import sys

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "claimtrack", "--db", url, *args],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "CLAIMTRACK_ACTOR": "tester"},
    )
    os.close(follower)
    shown = b""
    answered = False
    deadline = time.monotonic() + 60
    while True:
        if not select.select([leader], [], [], max(0, deadline - time.monotonic()))[0]:
            process.kill()  # waiting for a question that never came: fail, never hang
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command ended
            break
        if not chunk:
            break
        shown += chunk
        if not answered and when in shown:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    os.close(leader)
    return process.wait(timeout=60), shown.decode().replace("\r\n", "\n")


def test_on_a_terminal_a_removal_shows_the_plan_and_asks(story, db_dump):
    before = db_dump(story.url)
    code, shown = _on_a_terminal(
        story.url, "claim", "remove", "halt", "--cascade", "--reason", "retracted", answer="n"
    )
    assert code == 1
    assert shown.startswith("Will remove claim halt\n  with 2 evidence items:\n")
    # The terminal echoes the answer when it comes: only the order is certain.
    assert "Remove claim halt and what refers to it? [y/N]:" in shown
    assert shown.rstrip().endswith("Nothing was changed.")
    assert db_dump(story.url) == before
    code, shown = _on_a_terminal(
        story.url, "claim", "remove", "halt", "--cascade", "--reason", "retracted", answer="y"
    )
    assert code == 0, shown
    assert "Removed claim halt\n" in shown[shown.index("[y/N]") :]
    assert [c["key"] for c in story.ok("claim", "list", "--json").json()] == ["decrees"]


# --- source add --on-duplicate -------------------------------------------------------------


def test_source_add_warns_of_a_source_with_the_same_name_or_url(cli):
    cli.ok("source", "add", "The Daily NK", "--key", "dnk", "--url", "https://www.dailynk.com/")
    run = cli.ok("source", "add", "Daily NK", "--key", "dnk2")
    assert run.stdout == "Added source dnk2\n"
    assert run.stderr == (
        "Warning: source dnk2 looks like one already logged:\n"
        "  1. dnk (same name): The Daily NK\n"
        "  merge it with: claimtrack source merge dnk dnk2\n"
    )
    run = cli.ok("source", "add", "NK news site", "--url", "http://dailynk.com?utm_source=x")
    assert "  1. dnk (same URL): The Daily NK\n" in run.stderr
    run = cli.ok("source", "add", "Yonhap", "--key", "yon")
    assert (run.stdout, run.stderr) == ("Added source yon\n", "")


def test_source_add_skip_and_merge(cli, db_dump):
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    before = db_dump(cli.url)
    run = cli.ok("source", "add", "the daily-nk", "--on-duplicate", "skip")
    assert run.stdout == "Skipped: source dnk exists (same name); nothing added\n"
    assert db_dump(cli.url) == before
    assert cli.ok("source", "add", "DailyNK", "--on-duplicate", "skip", "-q").stdout == "dnk\n"
    run = cli.ok(
        "source", "add", "Daily NK", "--key", "dnk-2", "--url", "https://dailynk.com",
        "--on-duplicate", "merge",
    )  # fmt: skip
    assert run.stdout == "Merged into source dnk\n"
    shown = cli.ok("source", "show", "dnk-2", "--json").json()
    assert (shown["key"], shown["url"]) == ("dnk", "https://dailynk.com")
    assert [s["key"] for s in cli.ok("source", "list", "--json").json()] == ["dnk"]
    run = cli("source", "add", "X", "--on-duplicate", "sometimes")
    assert run.exit_code in (1, 2) and "--on-duplicate: 'sometimes' is not valid" in run.stderr


def test_source_add_asks_on_a_terminal(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    code, shown = _on_a_terminal(
        cli.url, "source", "add", "The Daily NK", answer="s", when=b"[s]kip"
    )
    assert code == 0, shown
    assert "This source looks like one already logged:\n  1. dnk (same name): Daily NK\n" in shown
    assert shown.rstrip().endswith("Skipped: source dnk exists (same name); nothing added")
    assert [s["key"] for s in cli.ok("source", "list", "--json").json()] == ["dnk"]


# --- links and track records in every report format ----------------------------------------


def test_links_are_in_every_report_format(cli):
    from seed_example import enter_seed

    enter_seed(cli)  # backlash supports halt
    data = cli.ok("report", "--json").json()
    links = {row["key"]: row["links"] for row in data["claims"]}
    assert links == {
        "backlash": [{"direction": "out", "relation": "supports", "claim": "halt"}],
        "halt": [{"direction": "in", "relation": "supports", "claim": "backlash"}],
        "kim-order": [],
    }
    assert cli.ok("report").stdout.endswith("\n\nLinks:\n  backlash supports halt\n")
    markdown = cli.ok("report", "--format", "markdown").stdout
    assert "\nLinks: supports halt\n" in markdown
    assert "\nLinks: supported by backlash\n" in markdown
    rows = list(
        __import__("csv").DictReader(cli.ok("report", "--format", "csv").stdout.splitlines())
    )
    assert {row["key"]: row["links"] for row in rows} == {
        "backlash": "supports halt",
        "halt": "supported by backlash",
        "kim-order": "",
    }
    html = cli.ok("report", "--format", "html").stdout
    assert 'links: supports <a href="#halt">halt</a></div>' in html
    assert 'links: supported by <a href="#backlash">backlash</a></div>' in html
    # ... and in the graph, as a link to the other claim's section.
    assert '<a href="#halt"><text' in html and ">supports halt</text></a>" in html
    # Anchors are the claims' keys.
    assert '<section class="claim" id="halt">' in html
    assert '<td><a href="#halt">halt</a></td>' in html


def test_report_as_of_puts_back_a_link_removed_since(cli):
    from seed_example import enter_seed

    enter_seed(cli)
    time.sleep(0.01)
    moment = datetime.now(UTC)
    time.sleep(0.01)
    cli.ok("link", "remove", "backlash", "halt", "--reason", "wrong")
    assert all(row["links"] == [] for row in cli.ok("report", "--json").json()["claims"])

    from claimtrack.db import Database, resolve_url
    from claimtrack.services.report import ReportQuery, claims_report

    database = Database(resolve_url(cli.url))
    with database.session() as session:
        rows = claims_report(session, ReportQuery(as_of=moment))["claims"]
    database.dispose()
    assert {row["key"]: row["links"] for row in rows}["halt"] == [
        {"direction": "in", "relation": "supports", "claim": "backlash"}
    ]


def test_html_graph_routes_only_relayed_items_through_a_via_pill(cli):
    """Found by a new user: a neutral and a not-credible item with no channel were drawn
    through the 'via dnk' pill, as if relayed by it."""
    from seed_example import enter_seed

    enter_seed(cli)
    cli.ok("source", "add", "Yonhap", "--key", "yon", "--reliability", "B")
    cli.ok("evidence", "add", "halt", "--source", "yon", "--neutral", "--credibility", "3")
    cli.ok("evidence", "add", "halt", "--source", "police", "--contradicts", "--credibility", "6")
    html = cli.ok("report", "--format", "html").stdout
    section = html[html.index('<section class="claim" id="halt">') :]
    svg = section[: section.index("</svg>")]
    # One pill on the lane of each item that came through dnk (#1, #2), none for #6 and #7.
    assert svg.count(">via dnk</text>") == 2
    lanes = re.findall(r'<path d="M310,(\d+) H510 ', svg)
    pills = re.findall(r'<rect x="360" y="(\d+)" width="150" height="16"', svg)
    assert len(lanes) == 4
    assert sorted(int(y) - 8 for y in lanes[:2]) == sorted(int(y) for y in pills)
    assert all(int(y) - 8 not in {int(p) for p in pills} for y in lanes[2:])
    # The drawing keeps its size and scrolls on a narrow screen instead of shrinking.
    assert '<div class="graph"><svg' in section and 'width="760"' in svg


def test_track_record_is_spelled_out(cli):
    from seed_example import enter_seed

    enter_seed(cli)
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "state media")
    rows = cli.ok("report", "--by", "source").stdout
    assert "1 claim: corroborated; 1 with a verdict: confirmed" in rows
    assert "1 claim: unverified" in rows and "no claims" in rows
    cli.ok("evidence", "add", "kim-order", "--source", "src-ryanggang", "--supports",
           "--credibility", "3")  # fmt: skip
    cli.ok("claim", "verdict", "kim-order", "debunked", "--reason", "never said")
    rows = cli.ok("report", "--by", "source").stdout
    assert "2 claims: 2 corroborated; 2 with a verdict: 1 confirmed, 1 debunked" in rows
    html = cli.ok("report", "--by", "source", "--format", "html").stdout
    assert "<td>no claims</td>" in html
    shown = cli.ok("source", "show", "dnk").stdout
    assert shown.endswith("supported no claims\ncontradicted no claims\n")
