"""The README's walkthrough runs as written and prints what the README shows, on every engine."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
# Output that depends on where and when it ran: only the exit code is checked, and for history
# everything but the timestamp column and the database user.
UNSTABLE = {"init", "info"}


def walkthrough_steps() -> list[tuple[list[str], list[str]]]:
    """(command line, expected output lines) for each `$ ` line of the walkthrough section."""
    if not README.exists():
        pytest.skip("README.md is not next to the tests")
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- section: walkthrough")
    section = text[start : text.index("\n## ", start)]
    steps: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((shlex.split(line[2:], comments=True), []))
            else:
                steps[-1][1].append(line)
    return steps


def test_the_walkthrough_runs_as_written(cli):
    steps = walkthrough_steps()
    assert len(steps) >= 10
    env: dict[str, str] = {}
    statuses = []
    for command, expected in steps:
        if command[0] == "export":
            name, value = command[1].split("=", 1)
            if name != "CLAIMTRACK_DB":  # the test's own database stands in for the file
                env[name] = value
            continue
        assert command[0] == "claimtrack", command
        run = cli.ok(*command[1:], env=env)
        actual = run.stdout.splitlines()
        if command[1] in UNSTABLE:
            continue
        if command[1] == "history":
            # Who was logged in ("analyst (as kim)") depends on the machine and the engine.
            actual, expected = (
                [re.sub(r" \(as [^)]*\)| +|-{3,}", " ", line[19:]) for line in lines]
                for lines in (actual, expected)
            )
        assert actual == expected, " ".join(command)
        if command[1:3] == ["claim", "show"]:
            statuses.append(next(line.split()[1] for line in actual if line.startswith("status")))
    assert statuses == ["unverified", "corroborated"]
