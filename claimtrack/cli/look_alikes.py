"""`claim add` and `source add` with the duplicate check: what is added is compared with what
is already logged; on a terminal the user is shown the look-alikes and says what to do
(--on-duplicate ask), elsewhere the command does what --on-duplicate says (ask: warn). The
question comes first, then one write transaction."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import typer

from .. import values

if TYPE_CHECKING:
    from ..services.duplicates import AddOutcome

Candidates = list[dict[str, Any]]


class LookAlikes(NamedTuple):
    """How a command shows the look-alikes of what it adds, and asks about them."""

    entity: str  # claim, source
    why: Callable[[dict], str]  # why a candidate looks alike: "similarity 0.67", "same name"
    text: Callable[[dict], str]  # what the candidate says: a claim's text, a source's name
    skipped: str  # what a skip says of the one kept, `{key}` and `{why}` filled in
    prompt: str
    answers: dict[str, str]  # first letter of an answer -> what to do


def can_ask() -> bool:
    """Whether the command can ask (on stderr, so that `--quiet` output stays only the key)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def add_checked(
    ctx: typer.Context,
    kind: LookAlikes,
    *,
    on_duplicate: str,
    quiet: bool,
    look: Callable[[Any], Candidates],
    add: Callable[[Any, str, str | None], AddOutcome],
) -> None:
    """Add with the duplicate check: `look(session)` finds the look-alikes to ask about,
    `add(session, mode, target)` adds as the service's --on-duplicate `mode` says."""
    from ..services.duplicates import ON_DUPLICATE

    values.one_of(on_duplicate, ON_DUPLICATE, field="on_duplicate")
    mode, target = on_duplicate, None
    if mode == "ask":
        mode, target = _ask(ctx, kind, look) if can_ask() else ("warn", None)
    with ctx.obj.writing() as session:
        outcome = add(session, mode, target)
        key, candidates = outcome.row.key, outcome.candidates
    if outcome.action == "skipped":
        best = next((c for c in candidates if c["key"] == key), candidates[0])
        skipped = kind.skipped.format(key=key, why=kind.why(best))
        typer.echo(key if quiet else f"Skipped: {skipped}; nothing added")
    elif outcome.action == "merged":
        typer.echo(key if quiet else f"Merged into {kind.entity} {key}")
    else:
        if outcome.action == "added" and candidates:
            typer.echo(f"Warning: {kind.entity} {key} looks like one already logged:", err=True)
            _show(kind, candidates)
            typer.echo(
                f"  merge it with: claimtrack {kind.entity} merge {candidates[0]['key']} {key}",
                err=True,
            )
        linked = f", linked as supporting {target}" if outcome.action == "linked" else ""
        typer.echo(key if quiet else f"Added {kind.entity} {key}{linked}")


def _show(kind: LookAlikes, candidates: Candidates) -> None:
    for number, candidate in enumerate(candidates, 1):
        typer.echo(
            f"  {number}. {candidate['key']} ({kind.why(candidate)}): {kind.text(candidate)}",
            err=True,
        )


def _ask(
    ctx: typer.Context, kind: LookAlikes, look: Callable[[Any], Candidates]
) -> tuple[str, str | None]:
    """(what to do, the candidate it is about): add when nothing looks alike."""
    with ctx.obj.reading() as session:
        candidates = look(session)
    if not candidates:
        return "add", None
    typer.echo(f"This {kind.entity} looks like one already logged:", err=True)
    _show(kind, candidates)
    letters = list(kind.answers)
    either = ", ".join(letters[:-1]) + " or " + letters[-1]
    while True:
        answer = typer.prompt(kind.prompt, default="a", err=True).strip().lower()
        action = kind.answers.get(answer[:1])
        number = answer[1:] or "1"
        if action and number.isdigit() and 1 <= int(number) <= len(candidates):
            return action, candidates[int(number) - 1]["key"]
        typer.echo(f"Please answer {either} (not {answer!r})", err=True)
