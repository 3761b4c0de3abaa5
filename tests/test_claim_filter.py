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


@pytest.mark.parametrize("command", [("claim", "list"), ("report",), ("export",), ("search", "x")])
def test_a_bad_status_is_refused_the_same_way(cli, command):
    run = cli(*command, "--status", "true")
    assert run.exit_code == 2  # a bad option value: a usage error
    assert run.stderr.strip() == (
        "Error: --status: 'true' is not valid; expected one of "
        "unverified, corroborated, contested, disputed, refuted"
    )
