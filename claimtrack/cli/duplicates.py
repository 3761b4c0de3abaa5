"""claimtrack duplicates"""

from __future__ import annotations

from typing import Annotated

import typer

from ..terminal import shown
from .options import Json


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
    limit: Annotated[
        int | None, typer.Option("--limit", "-n", help="Show at most this many pairs.")
    ] = None,
    json_: Json = False,
) -> None:
    """List likely duplicate claims (similar wording) and sources (same name or URL).

    Merge a pair with `claimtrack claim merge KEEP OTHER` or `claimtrack source merge KEEP OTHER`.

    Example: claimtrack duplicates --type claim --threshold 0.7
    """
    from ..services.duplicates import find_duplicates

    with ctx.obj.reading() as session:
        pairs = find_duplicates(session, kinds=type_ or [], threshold=threshold)
    if limit is not None:
        pairs = pairs[:limit]
    if json_:
        from .output import print_json

        print_json(pairs)
        return
    if not pairs:
        typer.echo("No likely duplicates.", err=True)
        return
    for pair in pairs:
        first, second = pair["keys"]
        if pair["type"] == "claim":
            typer.echo(f"claims {first} ~ {second}  (similarity {pair['similarity']:.2f})")
        else:
            typer.echo(f"sources {first} ~ {second}  ({pair['reason']})")
        for key, text in zip(pair["keys"], pair["texts"], strict=True):
            typer.echo(f"  {key}: {shown(text)}")


def register(app: typer.Typer) -> None:
    app.command("duplicates")(duplicates)
