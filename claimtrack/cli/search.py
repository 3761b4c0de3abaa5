"""claimtrack search"""

from __future__ import annotations

from typing import Annotated

import typer

from ..render import Listing
from .options import Format, Json, Since, Status, Tag
from .output import output_format, print_listing, use_colour


def search(
    ctx: typer.Context,
    query: Annotated[
        str,
        typer.Argument(
            metavar="QUERY",
            help='Words (all must match), "a phrase", prefix*, a OR b, -leave-out. '
            "Case and accents do not matter; anything else is searched for literally.",
        ),
    ],
    status: Status = None,
    tag: Tag = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            metavar="SRC",
            help="Only SRC itself, its evidence, and claims with evidence from SRC, passed on "
            "via it, or originating at it.",
        ),
    ] = None,
    since: Since = None,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type", metavar="claim|evidence|source", help="Only this kind of result (repeatable)."
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="Show at most this many results.")
    ] = 20,
    fmt: Format = None,
    json_: Json = False,
) -> None:
    """Search claims (text, place, tags, notes), evidence quotes and source names, best first.

    A query that starts with "-" goes after `--`: claimtrack search -- "-rumour crackdown".

    Example: claimtrack search '"crackdown stopped" OR halted -rumour' --type claim --limit 5
    """
    from ..services.search import search as run_search

    with ctx.obj.reading() as session:
        results = run_search(
            session,
            query,
            kinds=type_ or [],
            statuses=status or [],
            tags=tag or [],
            source=source,
            since=since,
            limit=limit,
        )
    fmt = output_format(fmt, json_, default="")
    if fmt:
        listing = Listing(
            rows=results,
            columns=["type", "key", "claim", "status", "source", "matched", "snippet"],
            wrap=["snippet"],
            drop=["matched", "source", "claim"],
            empty="No matches.",
        )
        print_listing(ctx, listing, fmt=fmt)
        return
    if not results:
        typer.echo("No matches.", err=True)
        return
    _print_results(results, color=use_colour(ctx))


def _print_results(results: list[dict], *, color: bool) -> None:
    from ..services.search import mark

    if color:
        before, after = "\x1b[1;33m", "\x1b[0m"
    else:
        before, after = "[", "]"
    for result in results:
        if result["type"] == "claim":
            title = f"claim {result['key']} · {result['status']}"
        elif result["type"] == "evidence":
            title = (
                f"evidence {result['key']} on claim {result['claim']} ({result['status']}) "
                f"from {result['source']}"
            )
        else:
            title = f"source {result['key']}"
        if result["matched"] != "text":
            title += f" · matched in {result['matched']}"
        typer.echo(typer.style(title, bold=True) if color else title)
        typer.echo("  " + mark(result["snippet"], result["highlights"], before, after))


def register(app: typer.Typer) -> None:
    app.command("search")(search)
