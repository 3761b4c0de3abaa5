"""Every command of `claimtrack` explains itself: a description and an Example line in --help."""

from __future__ import annotations

import click
import pytest
import typer
from typer.testing import CliRunner

from claimtrack.cli import app


def all_commands() -> list[tuple[str, ...]]:
    """Paths of every group and command, the root included: (), ("source",), ("source", "add")."""
    root = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = []

    # Typer may bring its own copy of click: recognise groups and options by what they do.
    def walk(command, path: tuple[str, ...]) -> None:
        paths.append(path)
        if hasattr(command, "list_commands"):
            ctx = click.Context(command)
            for name in sorted(command.list_commands(ctx)):
                walk(command.get_command(ctx, name), (*path, name))

    walk(root, ())
    return paths


COMMANDS = all_commands()


def test_the_core_commands_are_all_there():
    expected = {
        ("init",), ("info",), ("link",), ("history",),
        ("source", "add"), ("source", "list"), ("source", "show"), ("source", "edit"),
        ("claim", "add"), ("claim", "list"), ("claim", "show"), ("claim", "edit"),
        ("claim", "verdict"),
        ("evidence", "add"), ("evidence", "list"), ("evidence", "remove"),
        ("db", "upgrade"), ("db", "downgrade"), ("db", "current"), ("db", "check"),
    }  # fmt: skip
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "claimtrack")
def test_help_has_a_description_and_an_example(path):
    run = CliRunner().invoke(app, [*path, "--help"])
    assert run.exit_code == 0, run.output
    text = run.output
    assert text.startswith("Usage: claimtrack")
    description = text.split("\n\n", 2)[1].strip()
    assert description and not description.startswith(("Options:", "Arguments:")), (
        f"`claimtrack {' '.join(path)}` has no description"
    )
    examples = [line.strip() for line in text.splitlines() if line.strip().startswith("Example")]
    assert examples, f"`claimtrack {' '.join(path)} --help` has no Example line"
    for example in examples:
        assert "claimtrack" in example, f"the example does not show the command: {example}"


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=" ".join)
def test_every_option_is_described(path):
    command = typer.main.get_command(app)
    for name in path:
        command = command.get_command(click.Context(command), name)  # type: ignore[attr-defined]
    for param in command.params:
        if param.param_type_name == "option" and param.name != "help":
            assert param.help, f"`claimtrack {' '.join(path)}` option {param.opts} has no help"


def test_short_help_flag():
    run = CliRunner().invoke(app, ["source", "add", "-h"])
    assert run.exit_code == 0
    assert "Example: claimtrack source add" in run.output
