"""claimtrack claim merge | source merge (registered by the claim and source groups)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from ..output.json import indented_json
from ..vocabulary import counted
from .confirm import DryRun, Yes, confirmed_and_told
from .options import Json, Reason

Keep = Annotated[str, typer.Argument(metavar="KEEP", help="The key of the record to keep.")]
Other = Annotated[
    str, typer.Argument(metavar="OTHER", help="The key of the duplicate, merged in and removed.")
]


def merge_claim(
    ctx: typer.Context,
    keep: Keep,
    other: Other,
    reason: Reason = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_: Json = False,
) -> None:
    """Merge claim OTHER into KEEP: its evidence, links, tags and history move to KEEP, and
    OTHER's key keeps working as another name for KEEP. Shows what it will do and asks first
    (--yes for scripts, --dry-run to only see it).

    Example: claimtrack claim merge halt crackdown-stopped --reason "same claim, logged twice"
    """
    _merge(ctx, "claim", keep, other, reason, yes, dry_run, json_, _claim_lines)


def merge_source(
    ctx: typer.Context,
    keep: Keep,
    other: Other,
    reason: Reason = None,
    yes: Yes = False,
    dry_run: DryRun = False,
    json_: Json = False,
) -> None:
    """Merge source OTHER into KEEP: evidence from or via OTHER, sources derived from it and
    its history move to KEEP; origins are recomputed; OTHER's key keeps working. Shows what
    it will do and asks first (--yes for scripts, --dry-run to only see it).

    Example: claimtrack source merge dnk daily-nk-2 --reason "same outlet"
    """
    _merge(ctx, "source", keep, other, reason, yes, dry_run, json_, _source_lines)


def _merge(
    ctx: typer.Context,
    entity: str,
    keep: str,
    other: str,
    reason: str | None,
    yes: bool,
    dry_run: bool,
    json_: bool,
    lines: Callable[..., list[str]],
) -> None:
    """Merge after showing what will move (`lines` of the summary) and asking."""
    from ..services import merge

    run = merge.merge_claims if entity == "claim" else merge.merge_sources

    def text(summary: dict[str, Any], *, future: bool) -> str:
        if json_:
            return indented_json(summary | {"dry_run": future})
        said = lines(summary, future=future)
        if not future:
            said.append(f"{summary['merged']!r} now resolves to {summary['kept']!r}")
        return "\n".join(said)

    confirmed_and_told(
        ctx,
        lambda session: run(session, keep=keep, other=other, reason=reason),
        told=text,
        action=f"merge {entity} {other} into {keep}",
        yes=yes,
        dry_run=dry_run,
    )


def _moved(entity: str, summary: dict[str, Any], also: str, *, future: bool) -> str:
    """`Merged claim A into B: 2 evidence items, {also} and 3 history events moved`."""
    return (
        f"{'Will merge' if future else 'Merged'} {entity} {summary['merged']} into "
        f"{summary['kept']}: {counted(len(summary['evidence_moved']), 'evidence item')}, "
        f"{also} and {counted(summary['history_moved'], 'history event')} "
        f"{'move' if future else 'moved'}"
    )


def _claim_lines(summary: dict[str, Any], *, future: bool) -> list[str]:
    status = (
        " and ".join(f"{k} {v}" for k, v in summary["status_before"].items())
        + f" → {summary['status']}"
        if future
        else summary["status"]
    )
    links = counted(summary["links_moved"], "link")
    lines = [_moved("claim", summary, links, future=future) + f"; status {status}"]
    for link in summary["links_dropped"]:
        lines.append(
            f"{'Drops' if future else 'Dropped'} link {link['claim']} {link['relation']} "
            f"{link['other']} (between the two claims, or already on the kept one)"
        )
    return lines


def _source_lines(summary: dict[str, Any], *, future: bool) -> list[str]:
    children = counted(len(summary["children_moved"]), "derived source")
    return [_moved("source", summary, children, future=future)]
