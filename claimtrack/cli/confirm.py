"""Destructive commands (removals, --cascade, merges) show what they will do and ask first.

The preview is the operation itself, run in a transaction that is rolled back, so it shows
exactly what would change (status changes included). On a terminal the command then asks;
`--yes` skips the question (for scripts), `--dry-run` stops after the preview. Without a
terminal to ask on and without `--yes`, the command refuses and writes nothing. The real run
is a new transaction: no lock is held while the user thinks.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from ..errors import ClaimtrackError

T = TypeVar("T")

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do it without asking (for scripts).")]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Show what it would do, and change nothing.")
]


class NotConfirmed(ClaimtrackError):
    pass


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def confirmed(
    ctx: typer.Context,
    operation: Callable[[Any], T],
    *,
    preview: Callable[[T], str],
    action: str,
    yes: bool,
    dry_run: bool,
    ask: bool = True,
) -> T | None:
    """Run `operation(session)` for real once it is confirmed; None after a dry run.

    `action` names it for the question ("remove claim halt"); `operation` must return plain
    data (it is read after its session has closed). With `ask` False (removing one evidence
    item or link: small, and kept in history) it runs without a question unless `dry_run`.
    """
    if (yes or not ask) and not dry_run:
        with ctx.obj.writing() as session:
            return operation(session)
    with ctx.obj.rehearsal() as session:
        planned = operation(session)
    text = preview(planned)
    if dry_run:
        typer.echo(text)
        typer.echo("Dry run: nothing was changed.", err=True)
        return None
    if not interactive():
        raise NotConfirmed(
            f"{action}: not done, there is no terminal to ask on; add --yes to do it from a "
            "script (--dry-run shows what it would do)"
        )
    typer.echo(text)
    if not typer.confirm(action[0].upper() + action[1:] + "?", default=False):
        typer.echo("Nothing was changed.", err=True)
        raise typer.Exit(1)
    with ctx.obj.writing() as session:
        return operation(session)


def confirmed_and_told(
    ctx: typer.Context,
    operation: Callable[[Any], T],
    *,
    told: Callable[..., str],
    action: str,
    yes: bool,
    dry_run: bool,
    ask: bool = True,
) -> None:
    """confirmed(), with its preview and what it did both worded by `told(data, future=...)`
    ("Will remove ..." before, "Removed ..." after)."""
    done = confirmed(
        ctx,
        operation,
        preview=lambda planned: told(planned, future=True),
        action=action,
        yes=yes,
        dry_run=dry_run,
        ask=ask,
    )
    if done is not None:
        typer.echo(told(done, future=False))
