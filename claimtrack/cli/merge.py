"""claimtrack claim merge | source merge (registered by the claim and source groups)"""

from __future__ import annotations

from typing import Annotated

import typer

from .confirm import DryRun, Yes, confirmed
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
    from ..services.merge import merge_claims

    summary = confirmed(
        ctx,
        lambda session: merge_claims(session, keep=keep, other=other, reason=reason),
        preview=lambda planned: _claim_lines(planned, json_, future=True),
        action=f"merge claim {other} into {keep}",
        yes=yes,
        dry_run=dry_run,
    )
    if summary is not None:
        typer.echo(_claim_lines(summary, json_, future=False))


def _claim_lines(summary: dict, json_: bool, *, future: bool) -> str:
    if json_:
        from .output import indented_json

        return indented_json(summary | {"dry_run": future})
    lines = [
        f"{'Will merge' if future else 'Merged'} claim {summary['merged']} into "
        f"{summary['kept']}: "
        f"{_count(len(summary['evidence_moved']), 'evidence item')}, "
        f"{_count(summary['links_moved'], 'link')} and "
        f"{_count(summary['history_moved'], 'history event')} "
        f"{'move' if future else 'moved'}; status "
        + (
            " and ".join(f"{k} {v}" for k, v in summary["status_before"].items())
            + f" → {summary['status']}"
            if future
            else summary["status"]
        )
    ]
    for link in summary["links_dropped"]:
        lines.append(
            f"{'Drops' if future else 'Dropped'} link {link['claim']} {link['relation']} "
            f"{link['other']} (between the two claims, or already on the kept one)"
        )
    if not future:
        lines.append(f"{summary['merged']!r} now resolves to {summary['kept']!r}")
    return "\n".join(lines)


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
    from ..services.merge import merge_sources

    summary = confirmed(
        ctx,
        lambda session: merge_sources(session, keep=keep, other=other, reason=reason),
        preview=lambda planned: _source_lines(planned, json_, future=True),
        action=f"merge source {other} into {keep}",
        yes=yes,
        dry_run=dry_run,
    )
    if summary is not None:
        typer.echo(_source_lines(summary, json_, future=False))


def _source_lines(summary: dict, json_: bool, *, future: bool) -> str:
    if json_:
        from .output import indented_json

        return indented_json(summary | {"dry_run": future})
    lines = [
        f"{'Will merge' if future else 'Merged'} source {summary['merged']} into "
        f"{summary['kept']}: "
        f"{_count(len(summary['evidence_moved']), 'evidence item')}, "
        f"{_count(len(summary['children_moved']), 'derived source')} and "
        f"{_count(summary['history_moved'], 'history event')} {'move' if future else 'moved'}"
    ]
    if not future:
        lines.append(f"{summary['merged']!r} now resolves to {summary['kept']!r}")
    return "\n".join(lines)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
