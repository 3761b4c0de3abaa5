"""One claim filter: claim list, report, export and search keep the same claims for the same
--status/--tag/--source/--since, and --since means one thing everywhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from seed_example import enter_seed

FILTERS = [
    (),
    ("--status", "corroborated"),
    ("--status", "unverified", "--status", "corroborated"),
    ("--tag", "kim"),
    ("--source", "smuggler"),
    ("--source", "src-nhamgyong"),  # as source and as origin
    ("--source", "dnk"),  # as channel
    ("--source", "dnk", "--status", "unverified"),
    ("--since", "2999-01-01"),
]


def listed(cli, *args) -> list[str]:
    return [row["key"] for row in cli.ok("claim", "list", "--json", *args).json()]


def reported(cli, *args) -> list[str]:
    return [row["key"] for row in cli.ok("report", "--json", *args).json()["claims"]]


def searched(cli, query, *args) -> list[str]:
    found = cli.ok("search", query, "--type", "claim", "--limit", "100", "--json", *args).json()
    return [row["key"] for row in found]


def exported(cli, *args) -> list[str]:
    lines = cli.ok("export", "--format", "jsonl", *args).stdout.splitlines()
    return sorted(r["key"] for r in map(json.loads, lines) if r["type"] == "claim")


def test_every_command_keeps_the_same_claims(cli):
    enter_seed(cli)
    for args in FILTERS:
        expected = listed(cli, *args)
        assert reported(cli, *args) == expected, args
        assert exported(cli, *args) == expected, args
    assert listed(cli, "--source", "src-nhamgyong") == ["halt", "kim-order"]
    assert listed(cli, "--tag", "kim") == ["kim-order"]


def test_since_a_date_counts_from_the_start_of_that_day_everywhere(cli):
    """report --since used the end of the day and export its start: with today's date the
    report listed nothing and the export exported the claim."""
    cli.ok("claim", "add", "A claim made today.", "--key", "today")
    today = datetime.now(UTC).date()
    for moment in (today.isoformat(), f"{today.isoformat()}T00:00"):
        assert listed(cli, "--since", moment) == ["today"]
        assert reported(cli, "--since", moment) == ["today"]
        assert exported(cli, "--since", moment) == ["today"]
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert listed(cli, "--since", tomorrow) == []
    assert reported(cli, "--since", tomorrow) == []
    assert exported(cli, "--since", tomorrow) == []


def test_search_keeps_the_claims_claim_list_keeps(cli):
    enter_seed(cli)
    everything = searched(cli, "the OR crackdown")
    assert sorted(everything) == sorted(listed(cli))
    for args in FILTERS:
        assert searched(cli, "the OR crackdown", *args) == [
            key for key in everything if key in listed(cli, *args)
        ], args


def test_search_by_source_finds_claims_whose_evidence_originates_at_it(cli):
    """search --source had a filter of its own that left out evidence from a source derived
    from SRC, which claim list, report and export keep."""
    enter_seed(cli)
    cli.ok("source", "add", "A reprint of the smuggler's account", "--key", "reprint",
           "--derived-from", "smuggler")  # fmt: skip
    cli.ok("evidence", "add", "halt", "--source", "reprint", "--supports", "--quote", "calm now")
    assert listed(cli, "--source", "smuggler") == ["backlash", "halt"]
    assert sorted(searched(cli, "the OR crackdown", "--source", "smuggler")) == [
        "backlash",
        "halt",
    ]
    found = cli.ok("search", "calm", "--source", "smuggler", "--json").json()
    assert [(row["type"], row["source"]) for row in found] == [("evidence", "reprint")]


def test_search_takes_since_like_claim_list(cli):
    cli.ok("claim", "add", "A crackdown reported today.", "--key", "today")
    today = datetime.now(UTC).date()
    assert searched(cli, "crackdown", "--since", today.isoformat()) == ["today"]
    assert searched(cli, "crackdown", "--since", (today + timedelta(days=1)).isoformat()) == []


@pytest.mark.parametrize("command", [("claim", "list"), ("report",), ("export",), ("search", "x")])
def test_a_bad_status_is_refused_the_same_way(cli, command):
    run = cli(*command, "--status", "true")
    assert run.exit_code == 2  # a bad option value: a usage error
    assert run.stderr.strip() == (
        "Error: --status: 'true' is not valid; expected one of "
        "unverified, corroborated, contested, disputed, refuted"
    )
