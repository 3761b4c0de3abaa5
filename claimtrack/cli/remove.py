"""claimtrack claim remove | restore, source remove | restore (registered by the claim and
source groups)"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from ..output.json import indented_json
from ..output.printing import print_json, status_change_lines
from ..vocabulary import counted
from .confirm import DryRun, Yes, confirmed, confirmed_and_told
from .options import Json, Reason

RemoveReason = Annotated[
    str, typer.Option("--reason", help="Why it is removed (required; kept in history).")
]
Cascade = Annotated[
    bool,
    typer.Option(
        "--cascade",
        help="Also remove what still refers to it (evidence; a claim's links) instead of "
        "refusing; a source's derived sources then derive from its own parent.",
    ),
]


def _status_lines(changes: list[dict[str, Any]], *, future: bool) -> list[str]:
    """The status changes a removal or restore made (or, planned, would make: then as one
    more part of the plan)."""
    heading = "  status changes:" if future else "Status changed:"
    return status_change_lines(changes, heading=heading, indent="    ")


def _plan_lines(entity: str, done: dict[str, Any], *, future: bool) -> list[str]:
    verb = "Will remove" if future else "Removed"
    lines = [f"{verb} {entity} {done['key']}"]
    items = done["evidence_removed"]
    if items:
        lines.append(f"  with {counted(len(items), 'evidence item')}:")
        lines += [f"    {i['id']}: {i['stance']} {i['claim']} from {i['source']}" for i in items]
    if done["links_removed"]:
        lines.append(f"  with {counted(len(done['links_removed']), 'link')}:")
        lines += [
            f"    {link['claim']} {link['relation']} {link['other']}"
            for link in done["links_removed"]
        ]
    if done["children_moved"]:
        lines.append(
            f"  {counted(len(done['children_moved']), 'derived source')} now derive from its "
            f"parent instead: {', '.join(done['children_moved'])}"
        )
    return lines + _status_lines(done["status_changes"], future=future)


def _remove(ctx, entity: str, key: str, reason: str, cascade: bool, yes, dry_run, json_):
    from ..services import removal

    remove = removal.remove_claim if entity == "claim" else removal.remove_source

    def operation(session):
        return remove(session, key, reason=reason, cascade=cascade).as_dict()

    def preview(planned):
        if json_:
            return indented_json(planned | {"dry_run": True})
        return "\n".join(_plan_lines(entity, planned, future=True))

    done = confirmed(
        ctx,
        operation,
        preview=preview,
        action=f"remove {entity} {key}" + (" and what refers to it" if cascade else ""),
        yes=yes,
        dry_run=dry_run,
    )
    if done is None:
        return
    if json_:
        print_json(done | {"dry_run": False})
        return
    typer.echo("\n".join(_plan_lines(entity, done, future=False)))
    typer.echo(f"Put it back with: claimtrack {entity} restore {done['key']}")


def remove_claim(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key.")],
    reason: RemoveReason,
    cascade: Cascade = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_: Json = False,
) -> None:
    """Remove a claim. Refused while it has evidence or links, unless --cascade removes
    them with it. Shows what it will do and asks first (--yes for scripts). The claim is
    kept in history and can be put back with `claim restore`.

    \b
    Example: claimtrack claim remove halt --cascade --reason "logged from a retracted article"
    """
    _remove(ctx, "claim", claim, reason, cascade, yes, dry_run, json_)


def remove_source(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SRC", help="The source's key.")],
    reason: RemoveReason,
    cascade: Cascade = False,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_: Json = False,
) -> None:
    """Remove a source. Refused while evidence cites it (from or via) or sources derive
    from it, unless --cascade. Shows what it will do and asks first (--yes for scripts). The
    source is kept in history and can be put back with `source restore`.

    \b
    Example: claimtrack source remove wire --cascade --reason "entered twice"
    """
    _remove(ctx, "source", source, reason, cascade, yes, dry_run, json_)


def _restore(ctx, entity: str, key: str, reason: str | None, dry_run: bool, json_: bool) -> None:
    from ..services import removal

    restore = removal.restore_claim if entity == "claim" else removal.restore_source

    def text(done: dict[str, Any], *, future: bool) -> str:
        if json_:
            return indented_json(done | {"dry_run": future})
        return "\n".join(_restore_lines(entity, done, future=future))

    confirmed_and_told(
        ctx,
        lambda session: restore(session, key, reason=reason).as_dict(),
        told=text,
        action=f"restore {entity} {key}",
        yes=False,
        dry_run=dry_run,
        ask=False,
    )


def _restore_lines(entity: str, done: dict[str, Any], *, future: bool) -> list[str]:
    lines = [f"{'Will restore' if future else 'Restored'} {entity} {done['key']}"]
    if done["evidence_restored"]:
        ids = ", ".join(str(i) for i in done["evidence_restored"])
        lines.append(f"  with {counted(len(done['evidence_restored']), 'evidence item')}: {ids}")
    if done["links_restored"]:
        lines.append(f"  with {counted(len(done['links_restored']), 'link')}:")
        lines += [
            f"    {lk['claim']} {lk['relation']} {lk['other']}" for lk in done["links_restored"]
        ]
    if done["children_moved"]:
        lines.append(
            f"  {counted(len(done['children_moved']), 'source')} derive from it again: "
            + ", ".join(done["children_moved"])
        )
    if done["evidence_left_removed"]:
        ids = ", ".join(str(i) for i in done["evidence_left_removed"])
        lines.append(
            f"  evidence left removed (its claim or a source it cites was removed since): {ids}"
        )
    for link in done["links_left_removed"]:
        lines.append(
            f"  link left removed (a claim removed or linked otherwise since): "
            f"{link['claim']} {link['relation']} {link['other']}"
        )
    return lines + _status_lines(done["status_changes"], future=future)


def restore_claim(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The removed claim's key.")],
    reason: Reason = None,
    dry_run: DryRun = False,
    json_: Json = False,
) -> None:
    """Put a removed claim back, with the evidence and links a --cascade removal took with it
    (recorded in history). --dry-run shows what would come back.

    \b
    Example: claimtrack claim restore halt --reason "removed by mistake"
    """
    _restore(ctx, "claim", claim, reason, dry_run, json_)


def restore_source(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SRC", help="The removed source's key.")],
    reason: Reason = None,
    dry_run: DryRun = False,
    json_: Json = False,
) -> None:
    """Put a removed source back, with the evidence a --cascade removal took with it; the
    sources moved to its parent then derive from it again. --dry-run shows what would change.

    \b
    Example: claimtrack source restore wire --reason "removed by mistake"
    """
    _restore(ctx, "source", source, reason, dry_run, json_)
