"""claimtrack link [add] | list | remove"""

from __future__ import annotations

from typing import Annotated

import typer

from ..output.printing import output_format, print_listing
from .confirm import DryRun, confirmed_and_told
from .options import Format, Json, Limit
from .params import PlainValuesGroup


class LinkGroup(PlainValuesGroup):
    """`claimtrack link A B --supports` stays the short form of `claimtrack link add A B
    --supports`: arguments that do not start with a subcommand's name go to `add`."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["add", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=LinkGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="Links between claims: one claim supports or contradicts another. "
    "`claimtrack link A B --supports` is short for `claimtrack link add A B --supports`.\n\n"
    "\b\nExample: claimtrack link decrees-down halt --supports",
    no_args_is_help=True,
)


@app.command("add")
def add(
    ctx: typer.Context,
    claim: Annotated[
        str, typer.Argument(metavar="CLAIM", help="The claim that supports or contradicts...")
    ],
    other: Annotated[str, typer.Argument(metavar="OTHER", help="...this other claim.")],
    supports: Annotated[bool, typer.Option("--supports", help="CLAIM supports OTHER.")] = False,
    contradicts: Annotated[
        bool, typer.Option("--contradicts", help="CLAIM contradicts OTHER.")
    ] = False,
) -> None:
    """Link two claims: one supports or contradicts the other.

    \b
    Example: claimtrack link add decrees-down halt --supports
    """
    if supports == contradicts:
        raise typer.BadParameter(
            "give exactly one of --supports or --contradicts", param_hint="relation"
        )
    from ..services.claims import link_claims

    relation = "supports" if supports else "contradicts"
    with ctx.obj.writing() as session:
        link_claims(session, claim=claim, other=other, relation=relation)
    typer.echo(f"Linked: {claim} {relation} {other}")


@app.command("list")
def list_(
    ctx: typer.Context,
    claim: Annotated[
        str | None,
        typer.Argument(metavar="[CLAIM]", help="Only links from or to this claim."),
    ] = None,
    fmt: Format = None,
    limit: Limit = None,
    json_: Json = False,
) -> None:
    """List links between claims, oldest first (--json adds when each was made).

    \b
    Example: claimtrack link list halt --json
    """
    from ..output.tables import Listing
    from ..services.claims import list_links

    fmt = output_format(fmt, json_)
    with ctx.obj.reading() as session:
        rows = list_links(session, claim=claim)
    listing = Listing(
        rows=rows,
        columns=["claim", "relation", "other"],
        empty="No links: add one with `claimtrack link CLAIM OTHER --supports`.",
    )
    print_listing(ctx, listing, fmt=fmt, limit=limit)


@app.command("remove")
def remove(
    ctx: typer.Context,
    claim: Annotated[str, typer.Argument(metavar="CLAIM", help="The claim the link is from.")],
    other: Annotated[str, typer.Argument(metavar="OTHER", help="The claim it points to.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why it is removed (required; kept in history).")
    ],
    dry_run: DryRun = False,
) -> None:
    """Remove the link from CLAIM to OTHER. The removal and its reason go into both claims'
    history; `claim show --as-of` an earlier date still shows the link. --dry-run shows the
    link it would remove, and changes nothing.

    \b
    Example: claimtrack link remove decrees-down halt --reason "linked by mistake"
    """
    from ..services.claims import unlink_claims

    def text(link: dict, *, future: bool) -> str:
        verb = "Will remove" if future else "Removed"
        return f"{verb} link: {link['claim']} {link['relation']} {link['other']}"

    confirmed_and_told(
        ctx,
        lambda session: unlink_claims(session, claim=claim, other=other, reason=reason),
        told=text,
        action=f"remove link {claim} {other}",
        yes=False,
        dry_run=dry_run,
        ask=False,
    )
