"""claimtrack claim merge | source merge (registered by the claim and source groups)"""

from __future__ import annotations

from typing import Annotated

import typer

from .options import Json, Reason

Keep = Annotated[str, typer.Argument(metavar="KEEP", help="The key of the record to keep.")]
Other = Annotated[
    str, typer.Argument(metavar="OTHER", help="The key of the duplicate, merged in and removed.")
]


def merge_claim(
    ctx: typer.Context, keep: Keep, other: Other, reason: Reason = None, json_: Json = False
) -> None:
    """Merge claim OTHER into KEEP: its evidence, links, tags and history move to KEEP, and
    OTHER's key keeps working as another name for KEEP.

    Example: claimtrack claim merge halt crackdown-stopped --reason "same claim, logged twice"
    """
    from ..services.merge import merge_claims

    with ctx.obj.writing() as session:
        summary = merge_claims(session, keep=keep, other=other, reason=reason)
    if json_:
        from .output import print_json

        print_json(summary)
        return
    typer.echo(
        f"Merged claim {summary['merged']} into {summary['kept']}: "
        f"{_count(len(summary['evidence_moved']), 'evidence item')}, "
        f"{_count(summary['links_moved'], 'link')} and "
        f"{_count(summary['history_moved'], 'history event')} moved; "
        f"status {summary['status']}"
    )
    for link in summary["links_dropped"]:
        typer.echo(
            f"Dropped link {link['claim']} {link['relation']} {link['other']} "
            "(between the two claims, or already on the kept one)"
        )
    typer.echo(f"{summary['merged']!r} now resolves to {summary['kept']!r}")


def merge_source(
    ctx: typer.Context, keep: Keep, other: Other, reason: Reason = None, json_: Json = False
) -> None:
    """Merge source OTHER into KEEP: evidence from or via OTHER, sources derived from it and
    its history move to KEEP; origins are recomputed; OTHER's key keeps working.

    Example: claimtrack source merge dnk daily-nk-2 --reason "same outlet"
    """
    from ..services.merge import merge_sources

    with ctx.obj.writing() as session:
        summary = merge_sources(session, keep=keep, other=other, reason=reason)
    if json_:
        from .output import print_json

        print_json(summary)
        return
    typer.echo(
        f"Merged source {summary['merged']} into {summary['kept']}: "
        f"{_count(len(summary['evidence_moved']), 'evidence item')}, "
        f"{_count(len(summary['children_moved']), 'derived source')} and "
        f"{_count(summary['history_moved'], 'history event')} moved"
    )
    typer.echo(f"{summary['merged']!r} now resolves to {summary['kept']!r}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
