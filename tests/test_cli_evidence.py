"""`claimtrack evidence add | list | remove`: every happy path, the status each change leads
to, and every bad input leaves the database exactly as it was."""

from __future__ import annotations

import pytest


@pytest.fixture
def story(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg", "--kind", "informant")
    cli.ok("claim", "add", "The crackdown had largely stopped by June 2018.", "--key", "halt")
    return cli


def status(cli, key="halt"):
    shown = cli.ok("claim", "show", key, "--json").json()
    return shown["status"], shown["support_origins"], shown["contradict_origins"]


def test_add_with_every_field_prints_the_new_id(story):
    run = story.ok(
        "evidence",
        "add",
        "halt",
        "--source",
        "ryg",
        "--supports",
        "--credibility",
        "2",
        "--quote",
        "the crackdowns have stopped",
        "--url",
        "https://www.dailynk.com/x#p4",
        "--via",
        "dnk",
        "--observed",
        "2018-06-20",
        "--notes",
        "second paragraph",
        "--key",
        "ryg-halt",
    )
    assert (run.stdout, run.stderr) == ("Added evidence 1\n", "")
    [item] = story.ok("evidence", "list", "halt", "--json").json()
    assert {
        k: item[k]
        for k in (
            "id",
            "key",
            "source",
            "origin",
            "stance",
            "credibility",
            "via",
            "quote",
            "url",
            "observed",
            "notes",
        )
    } == {
        "id": 1,
        "key": "ryg-halt",
        "source": "ryg",
        "origin": "ryg",
        "stance": "supports",
        "credibility": 2,
        "via": "dnk",
        "quote": "the crackdowns have stopped",
        "url": "https://www.dailynk.com/x#p4",
        "observed": "2018-06-20",
        "notes": "second paragraph",
    }


def test_add_quiet_prints_only_the_id_and_credibility_defaults_to_6(story):
    assert story.ok("evidence", "add", "halt", "-s", "ryg", "--neutral", "-q").stdout == "1\n"
    assert story.ok("evidence", "add", "halt", "-s", "nhg", "--contradicts", "--quiet").stdout == (
        "2\n"
    )
    items = story.ok("evidence", "list", "halt", "--json").json()
    assert [(i["stance"], i["credibility"]) for i in items] == [
        ("neutral", 6),
        ("contradicts", 6),
    ]


def test_the_second_independent_informant_corroborates(story):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk")
    assert status(story) == ("unverified", 1, 0)
    story.ok("evidence", "add", "halt", "--source", "nhg", "--supports", "--via", "dnk")
    assert status(story) == ("corroborated", 2, 0)


def test_the_outlet_repeating_its_own_informant_adds_nothing(story):
    story.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    story.ok("evidence", "add", "halt", "--source", "wire", "--supports")
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--credibility", "1")
    assert status(story) == ("unverified", 1, 0)


def test_a_contradiction_contests_and_removing_it_restores(story):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    story.ok("evidence", "add", "halt", "--source", "nhg", "--supports")
    story.ok("source", "add", "Ministry statement", "--key", "ministry")
    story.ok("evidence", "add", "halt", "--source", "ministry", "--contradicts")
    assert status(story) == ("contested", 2, 1)
    run = story.ok("evidence", "remove", "3", "--reason", "statement was about 2017")
    assert run.stdout.startswith("Removed evidence 3\n")
    assert status(story) == ("corroborated", 2, 0)


def test_list_shows_current_items_and_removed_ones_on_request(story):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk")
    story.ok("evidence", "add", "halt", "--source", "nhg", "--supports", "--quote", "stopped")
    story.ok("evidence", "remove", "1", "--reason", "duplicate of 2")
    table = story.ok("evidence", "list", "halt").stdout.splitlines()
    assert table[0].split() == [
        "id",
        "stance",
        "source",
        "origin",
        "credibility",
        "via",
        "observed",
        "quote",
    ]
    assert [line.split() for line in table[2:]] == [["2", "supports", "nhg", "nhg", "6", "stopped"]]
    assert [i["id"] for i in story.ok("evidence", "list", "halt", "--json").json()] == [2]
    everything = story.ok("evidence", "list", "halt", "--removed", "--json").json()
    assert [(i["id"], i["removed_reason"]) for i in everything] == [
        (1, "duplicate of 2"),
        (2, None),
    ]
    assert everything[0]["removed_at"] is not None
    assert "duplicate of 2" in story.ok("evidence", "list", "halt", "--removed").stdout


def test_list_of_a_claim_without_evidence(story):
    run = story.ok("evidence", "list", "halt")
    assert (run.stdout, run.stderr) == ("", "No evidence for this claim.\n")
    assert story.ok("evidence", "list", "halt", "--json").json() == []


def test_remove_by_key_keeps_the_row(story, db_dump):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--key", "e1")
    story.ok("evidence", "remove", "e1", "--reason", "misread")
    rows = [row for row in db_dump(story.url) if row[0] == "evidence"]
    assert len(rows) == 1


NO_CLAIM = "Error: no claim with key 'nope': list them with `claimtrack claim list`"
NO_SOURCE = "Error: no source with key 'nope': list them with `claimtrack source list`"
CREDIBILITY = "is not valid; expected a credibility grade 1-6 (6: cannot be judged)"


BAD_INPUT = [
    (["add", "nope", "--source", "ryg", "--supports"], NO_CLAIM),
    (["add", "halt", "--source", "nope", "--supports"], NO_SOURCE),
    (["add", "halt", "--source", "ryg", "--supports", "--via", "nope"], NO_SOURCE),
    (
        ["add", "halt", "-s", "ryg", "--supports", "-c", "0"],
        f"Error: --credibility: '0' {CREDIBILITY}",
    ),
    (
        ["add", "halt", "-s", "ryg", "--supports", "-c", "7"],
        f"Error: --credibility: '7' {CREDIBILITY}",
    ),
    (
        ["add", "halt", "-s", "ryg", "--supports", "-c", "C"],
        f"Error: --credibility: 'C' {CREDIBILITY}",
    ),
    (
        ["add", "halt", "-s", "ryg", "--supports", "-c", "2.5"],
        f"Error: --credibility: '2.5' {CREDIBILITY}",
    ),
    (
        ["add", "halt", "-s", "ryg", "--supports", "--observed", "2018-06"],
        "Error: --observed: '2018-06' is not valid; expected a full date as YYYY-MM-DD",
    ),
    (
        ["add", "halt", "-s", "ryg", "--supports", "--observed", "20/06/2018"],
        "Error: --observed: '20/06/2018' is not valid; expected a date as YYYY, YYYY-MM or "
        "YYYY-MM-DD",
    ),
    (
        ["add", "halt", "-s", "ryg", "--supports", "--key", "e1"],
        "Error: evidence with key 'e1' already exists: choose another --key",
    ),
    (["list", "nope"], NO_CLAIM),
    (
        ["remove", "99", "--reason", "x"],
        "Error: no evidence with id '99': list a claim's evidence with "
        "`claimtrack evidence list CLAIM`",
    ),
    (
        ["remove", "1", "--reason", " "],
        "Error: --reason: ' ' is not valid; expected a non-empty text",
    ),
]


def test_bad_input_is_one_line_exit_1_and_writes_nothing(story, db_dump):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--key", "e1")
    for args, message in BAD_INPUT:
        before = db_dump(story.url)
        run = story("evidence", *args)
        assert (run.exit_code, run.stdout, run.stderr) == (
            exit_code(message),
            "",
            message + "\n",
        ), args
        assert db_dump(story.url) == before, args


def test_removing_twice_is_refused_and_writes_nothing(story, db_dump):
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    story.ok("evidence", "remove", "1", "--reason", "misread")
    before = db_dump(story.url)
    run = story("evidence", "remove", "1", "--reason", "again")
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: evidence 1 was already removed on ")
    assert run.stderr.endswith(" (reason: 'misread')\n")
    assert db_dump(story.url) == before


def test_an_error_quoting_stored_text_stays_one_line(story):
    """Found by the fuzz test: a removal reason with a line break and a terminal escape,
    quoted back in the error of a second removal, made it two lines (and live escapes)."""
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    story.ok("evidence", "remove", "1", "--reason", "misread\r&_\n\x1b[31m")
    run = story("evidence", "remove", "1", "--reason", "again")
    assert run.exit_code == 1
    assert run.stderr.count("\n") == 1 and "\x1b" not in run.stderr
    assert run.stderr.endswith(" (reason: 'misread\\r&_\\n\\x1b[31m')\n")


USAGE_ERRORS = [
    (
        ["add", "halt", "--source", "ryg"],
        "give exactly one of --supports, --contradicts or --neutral",
    ),
    (
        ["add", "halt", "--source", "ryg", "--supports", "--contradicts"],
        "give exactly one of --supports, --contradicts or --neutral",
    ),
    (["add", "halt", "--supports"], "Missing option '--source'"),
    (["add", "halt", "--source", "ryg", "--stance", "supports"], "No such option: --stance"),
    (["remove", "1"], "Missing option '--reason'."),
]


def test_usage_errors_exit_2_and_write_nothing(story, db_dump):
    before = db_dump(story.url)
    for args, fragment in USAGE_ERRORS:
        run = story("evidence", *args)
        assert (run.exit_code, run.stdout) == (2, ""), args
        assert fragment in run.stderr, args
    assert db_dump(story.url) == before


# --- ids and keys are never confused ---------------------------------------------------------


def test_an_evidence_key_that_looks_like_a_number_is_refused(cli, tmp_path):
    cli.ok("source", "add", "S", "--key", "s")
    cli.ok("claim", "add", "C one", "--key", "c1")
    for key in ("1_0", "2024", "007"):
        run = cli("evidence", "add", "c1", "--source", "s", "--supports", "--key", key)
        if key == "1_0":
            # Not a number to claimtrack: a key like any other.
            assert run.exit_code == 0, run.stderr
            continue
        assert run.exit_code == 2  # a bad option value: a usage error
        assert run.stderr == (
            f"Error: --key: {key!r} is not valid; expected an evidence key that is not only "
            f"digits (digits name an evidence id); e.g. e{key}\n"
        )
    sheet = tmp_path / "e.jsonl"
    sheet.write_text(
        '{"type": "evidence", "claim": "c1", "source": "s", "stance": "supports", "key": "2024"}\n'
    )
    run = cli("import", str(sheet))
    assert run.exit_code == 1 and f"{sheet}:1: key: '2024'" in run.stderr
    csv_sheet = tmp_path / "e.csv"
    csv_sheet.write_text("claim_key,source_key,stance,key\nc1,s,supports,007\n")
    run = cli("import", str(csv_sheet))
    assert run.exit_code == 1 and f"{csv_sheet}:2: key: '007'" in run.stderr


def test_a_key_like_1_0_never_removes_item_10(cli):
    cli.ok("source", "add", "S", "--key", "s")
    cli.ok("claim", "add", "C one", "--key", "c1")
    cli.ok("claim", "add", "C two", "--key", "c2")
    for _ in range(10):
        cli.ok("evidence", "add", "c2", "--source", "s", "--supports")
    added = cli.ok("evidence", "add", "c1", "--source", "s", "--supports", "--key", "1_0")
    assert added.stdout == "Added evidence 11\n"
    cli.ok("evidence", "remove", "1_0", "--reason", "typo")
    c1 = cli.ok("evidence", "list", "c1", "--json", "--removed").json()
    c2 = cli.ok("evidence", "list", "c2", "--json").json()
    assert [e["removed_reason"] for e in c1] == ["typo"] and len(c2) == 10
    cli.ok("evidence", "remove", "#10", "--reason", "by id")
    assert len(cli.ok("evidence", "list", "c2", "--json").json()) == 9
    for ref in ("+9", "٩", "#x", "#99"):
        run = cli("evidence", "remove", ref, "--reason", "r")
        assert run.exit_code == 1 and "no evidence with id" in run.stderr, (ref, run.stderr)


def test_a_legacy_all_digit_key_that_is_also_an_id_is_refused_naming_both(cli, database):
    from sqlalchemy import update

    from claimtrack.models import Evidence

    cli.ok("source", "add", "S", "--key", "s")
    cli.ok("claim", "add", "C one", "--key", "c1")
    cli.ok("evidence", "add", "c1", "--source", "s", "--supports")
    cli.ok("evidence", "add", "c1", "--source", "s", "--supports")
    with database.session(write=True) as session:  # a key stored before the rule
        session.execute(update(Evidence).where(Evidence.id == 2).values(key="1"))
    run = cli("evidence", "remove", "1", "--reason", "r")
    assert (run.exit_code, run.stderr) == (
        1,
        "Error: '1' is both the id of evidence #1 and the key of evidence #2: give the id as "
        "#1, or #2 for the other\n",
    )
    cli.ok("evidence", "remove", "#2", "--reason", "r")


def exit_code(message: str) -> int:
    """A bad value given on the command line (an option, or a word from a fixed list such as
    a verdict) is a usage error, exit 2; a bad text or key, exit 1."""
    return 2 if message.startswith(("Error: -", "Error: verdict:")) else 1
