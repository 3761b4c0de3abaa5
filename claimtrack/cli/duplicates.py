"""claimtrack duplicates"""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidValue
from ..output.printing import (
    output_format,
    print_listing,
    print_shown_of,
    print_wrapped,
    terminal_width,
)
from ..terminal import shown
from .options import Format, Json, Limit


def duplicates(
    ctx: typer.Context,
    type_: Annotated[
        list[str] | None,
        typer.Option("--type", metavar="claim|source", help="Only this kind (repeatable)."),
    ] = None,
    threshold: Annotated[
        float | None,
        typer.Option(
            "--threshold",
            help="Claims at least this similar (0-1; default: the duplicate_threshold setting, 0.6).",
        ),
    ] = None,
    fmt: Format = None,
    limit: Limit = None,
    json_: Json = False,
) -> None:
    """List likely duplicate claims (similar wording) and sources (same name or URL).

    Merge a pair with `claimtrack claim merge KEEP OTHER` or `claimtrack source merge KEEP OTHER`.

    Example: claimtrack duplicates --type claim --threshold 0.7
    """
    from ..services.duplicates import find_duplicates

    with ctx.obj.reading() as session:
        pairs = find_duplicates(session, kinds=type_ or [], threshold=threshold)
    fmt = output_format(fmt, json_, default="")
    if fmt:
        from ..output.tables import Listing

        listing = Listing(
            rows=pairs,
            columns=["type", "keys", "similarity", "reason", "texts"],
            wrap=["texts"],
            drop=["reason"],
            empty="No likely duplicates.",
        )
        print_listing(ctx, listing, fmt=fmt, limit=limit)
        return
    if limit is not None and limit < 1:
        raise InvalidValue("--limit", limit, "a whole number of 1 or more")
    total, pairs = len(pairs), pairs[:limit]
    if not pairs:
        typer.echo("No likely duplicates.", err=True)
        return
    width = terminal_width()
    for pair in pairs:
        first, second = pair["keys"]
        if pair["type"] == "claim":
            title = f"claims {first} ~ {second}  (similarity {pair['similarity']:.2f})"
        else:
            title = f"sources {first} ~ {second}  ({pair['reason']})"
        print_wrapped(title, width, hanging="  ")
        for key, text in zip(pair["keys"], pair["texts"], strict=True):
            print_wrapped(shown(" ".join(text.split())), width, indent=f"  {key}: ", hanging="    ")
    print_shown_of(len(pairs), total)


def register(app: typer.Typer) -> None:
    app.command("duplicates")(duplicates)
