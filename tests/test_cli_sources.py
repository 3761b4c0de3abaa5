"""`claimtrack source add | list | show | edit`: every happy path, and every bad input leaves
the database exactly as it was."""

from __future__ import annotations

import pytest


@pytest.fixture
def sources(cli):
    """The outlet and the two informants it relays, as in the README walkthrough."""
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg", "--kind", "informant")
    return cli


def test_add_with_a_chosen_key_prints_it_and_stores_every_field(cli):
    run = cli.ok(
        "source",
        "add",
        "Daily NK",
        "--key",
        "dnk",
        "--kind",
        "outlet",
        "--reliability",
        "c",
        "--url",
        "https://www.dailynk.com",
        "--notes",
        "Seoul-based, informants inside",
    )
    assert (run.stdout, run.stderr) == ("Added source dnk\n", "")
    shown = cli.ok("source", "show", "dnk", "--json").json()
    assert {k: shown[k] for k in ("key", "name", "kind", "reliability", "url", "notes")} == {
        "key": "dnk",
        "name": "Daily NK",
        "kind": "outlet",
        "reliability": "C",
        "url": "https://www.dailynk.com",
        "notes": "Seoul-based, informants inside",
    }
    assert (shown["derived_from"], shown["origin"], shown["chain"]) == (None, "dnk", ["dnk"])
    assert shown["evidence_count"] == 0


def test_add_generates_a_readable_free_key_and_defaults(cli):
    assert cli.ok("source", "add", "Daily NK").stdout == "Added source daily-nk\n"
    assert cli.ok("source", "add", "Daily NK").stdout == "Added source daily-nk-2\n"
    assert cli.ok("source", "add", "???").stdout == "Added source src\n"
    shown = cli.ok("source", "show", "daily-nk", "--json").json()
    assert (shown["kind"], shown["reliability"]) == ("unknown", "F")


def test_add_quiet_prints_only_the_key(cli):
    for flag in ("--quiet", "-q"):
        run = cli.ok("source", "add", "Daily NK", flag)
        assert run.stdout in ("daily-nk\n", "daily-nk-2\n")


def test_add_derived_from_takes_the_origin_of_its_parent(sources):
    sources.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    shown = sources.ok("source", "show", "wire", "--json").json()
    assert (shown["derived_from"], shown["origin"], shown["chain"]) == (
        "ryg",
        "ryg",
        ["wire", "ryg"],
    )


def test_list_shows_every_source_as_a_table_and_as_json(sources):
    sources.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    table = sources.ok("source", "list").stdout.splitlines()
    assert table[0].split() == [
        "key",
        "name",
        "kind",
        "reliability",
        "derived_from",
        "origin",
        "evidence",
    ]
    assert [line.split()[0] for line in table[2:]] == ["dnk", "nhg", "ryg", "wire"]
    rows = sources.ok("source", "list", "--json").json()
    assert [(r["key"], r["origin"], r["evidence_count"]) for r in rows] == [
        ("dnk", "dnk", 0),
        ("nhg", "nhg", 0),
        ("ryg", "ryg", 0),
        ("wire", "ryg", 0),
    ]
    informants = sources.ok("source", "list", "--kind", "informant", "--json").json()
    assert [r["key"] for r in informants] == ["nhg", "ryg"]


def test_list_of_an_empty_database_says_how_to_add_one(cli):
    run = cli.ok("source", "list")
    assert (run.stdout, run.stderr) == (
        "",
        "No sources yet: add one with `claimtrack source add NAME`.\n",
    )
    assert cli.ok("source", "list", "--json").json() == []


def test_show_counts_current_evidence_and_prints_the_chain(sources):
    sources.ok("claim", "add", "The crackdown had largely stopped by June 2018.", "--key", "halt")
    sources.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    sources.ok("evidence", "add", "halt", "--source", "wire", "--supports")
    out = sources.ok("source", "show", "wire").stdout
    assert "chain           wire → ryg\n" in out
    assert "evidence count  1\n" in out
    assert "origin          ryg\n" in out


def test_edit_changes_fields_and_prints_before_and_after(sources):
    run = sources.ok(
        "source",
        "edit",
        "ryg",
        "--reliability",
        "b",
        "--name",
        "Ryanggang source",
        "--url",
        "https://example.org",
        "--reason",
        "two reports confirmed",
    )
    assert run.stdout == (
        "name: Ryanggang informant → Ryanggang source\n"
        "reliability: F → B\n"
        "url: (none) → https://example.org\n"
    )
    shown = sources.ok("source", "show", "ryg", "--json").json()
    assert (shown["name"], shown["reliability"], shown["url"]) == (
        "Ryanggang source",
        "B",
        "https://example.org",
    )


def test_edit_with_nothing_new_changes_nothing(sources, db_dump):
    before = db_dump(sources.url)
    assert sources.ok("source", "edit", "ryg", "--reliability", "F").stdout == (
        "Source ryg: nothing changed\n"
    )
    assert db_dump(sources.url) == before


def test_edit_derived_from_moves_the_origin_of_the_whole_subtree(sources):
    sources.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    # ryg is a root (its origin is itself): pointing it at dnk moves wire along with it.
    changed = sources.ok("source", "edit", "ryg", "--derived-from", "dnk", "--json").json()
    assert {k: changed[k] for k in ("key", "before", "after")} == {
        "key": "ryg",
        "before": {"derived_from": None, "origin": "ryg"},
        "after": {"derived_from": "dnk", "origin": "dnk"},
    }
    assert sources.ok("source", "show", "wire", "--json").json()["chain"] == ["wire", "ryg", "dnk"]
    assert sources.ok("source", "show", "wire", "--json").json()["origin"] == "dnk"
    # '' clears the link: both are their own chain again.
    sources.ok("source", "edit", "ryg", "--derived-from", "")
    assert sources.ok("source", "show", "wire", "--json").json()["origin"] == "ryg"
    assert sources.ok("source", "show", "ryg", "--json").json()["origin"] == "ryg"


def test_keys_are_case_sensitive_and_exact(sources):
    run = sources("source", "show", "DNK")
    assert run.exit_code == 1
    assert (
        run.stderr == "Error: no source with key 'DNK': list them with `claimtrack source list`\n"
    )


BAD_INPUT = [
    (
        ["source", "add", "X", "--reliability", "Z"],
        "Error: --reliability: 'Z' is not valid; expected a reliability grade A-F "
        "(F: cannot be judged)",
    ),
    (
        ["source", "add", "X", "--reliability", "AB"],
        "Error: --reliability: 'AB' is not valid; expected a reliability grade A-F "
        "(F: cannot be judged)",
    ),
    (
        ["source", "add", "X", "--key", "bad key"],
        "Error: --key: 'bad key' is not valid; expected a key of letters, digits and "
        ". _ : - (starting with a letter or digit, at most 200)",
    ),
    (
        ["source", "add", "Another outlet", "--key", "dnk"],
        "Error: a source with key 'dnk' already exists: choose another --key, or see it "
        "with `claimtrack source show dnk`",
    ),
    (
        ["source", "add", "X", "--derived-from", "nope"],
        "Error: no source with key 'nope': list them with `claimtrack source list`",
    ),
    (
        ["source", "add", "  "],
        "Error: name: '  ' is not valid; expected a non-empty text",
    ),
    (
        ["source", "show", "nope"],
        "Error: no source with key 'nope': list them with `claimtrack source list`",
    ),
    (
        ["source", "edit", "nope", "--name", "X"],
        "Error: no source with key 'nope': list them with `claimtrack source list`",
    ),
    (
        ["source", "edit", "ryg", "--reliability", "9"],
        "Error: --reliability: '9' is not valid; expected a reliability grade A-F "
        "(F: cannot be judged)",
    ),
    (
        ["source", "edit", "ryg", "--derived-from", "nope"],
        "Error: no source with key 'nope': list them with `claimtrack source list`",
    ),
    (
        ["source", "edit", "ryg", "--derived-from", "ryg"],
        "Error: source 'ryg' cannot be derived from itself: give --derived-from another "
        "source, or '' to clear it",
    ),
    (
        ["source", "edit", "ryg", "--derived-from", "wire"],
        "Error: source 'ryg' cannot be derived from 'wire': 'wire' already derives from "
        "'ryg' (wire → ryg), which would make a loop",
    ),
    (
        ["source", "edit", "ryg", "--name", ""],
        "Error: --name: '' is not valid; expected a non-empty text",
    ),
]


def test_bad_input_is_one_line_exit_1_and_writes_nothing(sources, db_dump):
    sources.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    for args, message in BAD_INPUT:
        before = db_dump(sources.url)
        run = sources(*args)
        assert (run.exit_code, run.stdout, run.stderr) == (
            exit_code(message),
            "",
            message + "\n",
        ), args
        assert db_dump(sources.url) == before, args


USAGE_ERRORS = [
    (["source", "add"], "Missing argument 'NAME'."),
    (["source", "add", "X", "--colour", "red"], "No such option: --colour"),
    (["source", "show"], "Missing argument 'SRC'."),
    (["source", "frobnicate"], "No such command 'frobnicate'."),
]


def test_usage_errors_exit_2_and_write_nothing(sources, db_dump):
    before = db_dump(sources.url)
    for args, fragment in USAGE_ERRORS:
        run = sources(*args)
        assert (run.exit_code, run.stdout) == (2, ""), args
        assert fragment in run.stderr, args
    assert db_dump(sources.url) == before


def exit_code(message: str) -> int:
    """A bad value given on the command line (an option, or a word from a fixed list such as
    a verdict) is a usage error, exit 2; a bad text or key, exit 1."""
    return 2 if message.startswith(("Error: -", "Error: verdict:")) else 1
