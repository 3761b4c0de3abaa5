"""claimtrack evidence add | list | edit | remove"""

from __future__ import annotations

from typing import Annotated

import typer

from ..output.printing import (
    check_limit,
    output_format,
    print_listing,
    print_shown_of,
    status_change_lines,
)
from ..output.tables import Listing
from ..vocabulary import STANCES
from .confirm import DryRun, confirmed_and_told
from .edits import given, print_edit
from .options import Credibility, Format, Json, Limit, Quiet, Reason
from .params import PlainValuesGroup, spelled

app = typer.Typer(
    cls=PlainValuesGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="Evidence: items that support or contradict a claim.\n\n"
    "\b\nExample: claimtrack evidence add backlash --source police --supports --via ryg --via dnk",
    no_args_is_help=True,
)


Supports = Annotated[bool, typer.Option("--supports", help="The item supports the claim.")]
Contradicts = Annotated[bool, typer.Option("--contradicts", help="The item contradicts the claim.")]
Neutral = Annotated[
    bool, typer.Option("--neutral", help="The item bears on the claim without taking a side.")
]


def _stance(supports: bool, contradicts: bool, neutral: bool, *, required: bool) -> str | None:
    """The stance flag given: exactly one when `required` (add), else at most one (edit)."""
    flags = (supports, contradicts, neutral)
    chosen = [name for name, flag in zip(STANCES, flags, strict=True) if flag]
    if len(chosen) > 1 or (required and not chosen):
        raise typer.BadParameter(
            f"give {'exactly' if required else 'at most'} one of --supports, --contradicts or "
            "--neutral",
            param_hint="stance",
        )
    return chosen[0] if chosen else None


def chains_shown(rows: list[dict]) -> list[dict]:
    """Rows whose `via` column shows the whole chain (ryg → dnk), for tables."""
    return [{**row, "via": " → ".join(row["via_chain"]) or None} for row in rows]


@app.command("add")
def add(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key.")],
    source: Annotated[
        str, typer.Option("--source", "-s", metavar="SRC", help="Who provides this item (its key).")
    ],
    supports: Supports = False,
    contradicts: Contradicts = False,
    neutral: Neutral = False,
    credibility: Credibility = None,
    quote: Annotated[str | None, typer.Option("--quote", help="A short quote.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="Locator: URL, page, paragraph.")] = None,
    via: Annotated[
        list[str] | None,
        typer.Option(
            "--via",
            metavar="SRC",
            help="Who passed it on, one --via per hop in order: what police said (--source "
            "police), passed on by an informant and printed by an outlet is --via ryg --via dnk. "
            "The first is the item's channel.",
        ),
    ] = None,
    observed: Annotated[
        str | None,
        typer.Option("--observed", metavar="DATE", help="When you observed it: YYYY-MM-DD."),
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free notes.")] = None,
    key: Annotated[
        str | None, typer.Option("--key", "-k", help="Optional key for this item.")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Add an evidence item to a claim and print its id.

    The source is the person or document that said it; those who passed it on to you are
    --via, in order; a source that only repeats another is recorded once, on the source, with
    `source add --derived-from`.

    \b
    Example: claimtrack evidence add halt --source ryg --supports --credibility 2 --via dnk --quote "the crackdowns have stopped"
    Example: claimtrack evidence add backlash --source ryg-police --supports --credibility 3 --via ryg --via dnk
    """
    stance = _stance(supports, contradicts, neutral, required=True)
    from ..services.evidence import add_evidence, relay_warnings

    with ctx.obj.writing() as session:
        item = add_evidence(
            session,
            claim=claim,
            source=source,
            stance=stance,
            credibility=credibility,
            quote=quote,
            url=url,
            via=via,
            observed=observed,
            notes=notes,
            key=key,
        )
        item_id = item.id
        warnings = relay_warnings(session, source=source, via=via or ())
    for warning in warnings:
        typer.echo(f"Warning: evidence {item_id}: {spelled(ctx, warning)}", err=True)
    typer.echo(str(item_id) if quiet else f"Added evidence {item_id}")


@app.command("list")
def list_(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key.")],
    removed: Annotated[bool, typer.Option("--removed", help="Include removed items.")] = False,
    fmt: Format = None,
    limit: Limit = None,
    json_: Json = False,
) -> None:
    """List a claim's evidence.

    \b
    Example: claimtrack evidence list halt --json
    """
    from ..services.evidence import evidence_page

    fmt = output_format(fmt, json_)
    check_limit(limit)
    with ctx.obj.reading() as session:
        page = evidence_page(session, claim, include_removed=removed, limit=limit)
    rows = page.rows
    columns = ["id", "stance", "source", "origin", "credibility", "via", "observed", "quote"]
    if removed:
        columns.append("removed_reason")
    listing = Listing(
        rows=chains_shown(rows) if fmt in ("table", "markdown") else rows,
        columns=columns,
        wrap=["quote", "removed_reason"],
        drop=["observed", "origin"],
        empty="No evidence for this claim.",
    )
    print_listing(ctx, listing, fmt=fmt)
    if rows:
        print_shown_of(len(rows), page.total)


@app.command("edit")
def edit(
    ctx: typer.Context,
    evidence_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="The evidence id (10 or #10; see `evidence list`) or its key."
        ),
    ],
    supports: Supports = False,
    contradicts: Contradicts = False,
    neutral: Neutral = False,
    credibility: Credibility = None,
    quote: Annotated[str | None, typer.Option("--quote", help="New quote; '' clears it.")] = None,
    url: Annotated[
        str | None, typer.Option("--url", help="New locator: URL, page; '' clears it.")
    ] = None,
    via: Annotated[
        list[str] | None,
        typer.Option(
            "--via",
            metavar="SRC",
            help="The new via chain, one --via per hop in order (it replaces the old one); "
            "--via '' clears it.",
        ),
    ] = None,
    observed: Annotated[
        str | None,
        typer.Option("--observed", metavar="DATE", help="YYYY-MM-DD; '' clears it."),
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes; '' clears them.")] = None,
    reason: Reason = None,
    json_: Json = False,
) -> None:
    """Change an evidence item in place (same id); the change, its reason and any status
    change of the claim go into history.

    \b
    Example: claimtrack evidence edit 12 --credibility 2 --reason "confirmed by a second informant"
    Example: claimtrack evidence edit 12 --via ryg --via dnk --reason "the informant spoke to Daily NK"
    """
    stance = _stance(supports, contradicts, neutral, required=False)
    from ..services.evidence import edit_evidence

    with ctx.obj.writing() as session:
        edit = edit_evidence(
            session,
            evidence_id,
            stance=given(stance),
            credibility=given(credibility),
            quote=given(quote),
            url=given(url),
            via=given(via),
            observed=given(observed),
            notes=given(notes),
            reason=reason,
        )
        item_id = edit.row.id
        warnings = []
        if "via_chain" in edit.after:
            from ..services.evidence import relay_warnings

            warnings = relay_warnings(
                session, source=edit.row.source.key, via=edit.after["via_chain"]
            )
    for warning in warnings:
        typer.echo(f"Warning: evidence {item_id}: {spelled(ctx, warning)}", err=True)
    print_edit(edit, what=f"Evidence {item_id}", ident={"id": item_id}, json_=json_)


@app.command("remove")
def remove(
    ctx: typer.Context,
    evidence_id: Annotated[
        str,
        typer.Argument(
            metavar="ID", help="The evidence id (10 or #10; see `evidence list`) or its key."
        ),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is removed (required; kept in history).")
    ],
    dry_run: DryRun = False,
) -> None:
    """Remove an evidence item. It is kept in history and in `evidence list --removed`.
    --dry-run shows what it would remove and the status changes, and changes nothing.

    \b
    Example: claimtrack evidence remove 12 --reason "duplicate of 9" --dry-run
    """
    from ..services.evidence import remove_evidence

    def operation(session):
        removal = remove_evidence(session, evidence_id, reason=reason)
        item = removal.evidence
        return {
            "id": item.id,
            "claim": item.claim.key,
            "stance": item.stance,
            "source": item.source.key,
            "status_changes": removal.status_changes,
        }

    def text(done: dict, *, future: bool) -> str:
        head = f"Removed evidence {done['id']}"
        if future:
            head = f"Will remove evidence {done['id']} ({done['stance']} {done['claim']}, "
            head += f"from {done['source']})"
        return "\n".join([head, *status_change_lines(done["status_changes"], future=future)])

    confirmed_and_told(
        ctx,
        operation,
        told=text,
        action=f"remove evidence {evidence_id}",
        yes=False,
        dry_run=dry_run,
        ask=False,
    )
