"""claimtrack search"""

from __future__ import annotations

from typing import Annotated

import typer

from ..output.printing import (
    output_format,
    print_listing,
    print_shown_of,
    print_wrapped,
    terminal_width,
    use_colour,
)
from ..output.tables import Listing
from ..terminal import shown
from .options import Format, Json, Since, Status, Tag


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
        int, typer.Option("--limit", "-n", metavar="N", help="Show at most N results.")
    ] = 20,
    fmt: Format = None,
    json_: Json = False,
) -> None:
    """Search claims (text, place, tags, notes), evidence quotes and source names, best first.

    A query that starts with "-" goes after `--`: claimtrack search -- "-rumour crackdown".

    Example: claimtrack search '"crackdown stopped" OR halted -rumour' --type claim --limit 5
    """
    from ..errors import InvalidValue
    from ..services.search import search as run_search

    if limit < 1:
        raise InvalidValue("--limit", limit, "a whole number of 1 or more")
    with ctx.obj.reading() as session:
        results = run_search(
            session,
            query,
            kinds=type_ or [],
            statuses=status or [],
            tags=tag or [],
            source=source,
            since=since,
            limit=limit + 1,  # one more than shown tells whether more match
        )
    more, results = len(results) > limit, results[:limit]
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
    elif not results:
        typer.echo("No matches.", err=True)
    else:
        _print_results(results, color=use_colour(ctx), width=terminal_width())
    if more:
        print_shown_of(limit, None)


# Highlighted words are marked with these while the snippet is wrapped (terminal.display_width
# counts them as no width), then replaced by the colour codes.
_START, _END = "\x00", "\x01"


def _print_results(results: list[dict], *, color: bool, width: int | None) -> None:
    """Each result as a title line and its snippet below, matched words highlighted (bold
    yellow, or [in brackets] without colour); on a terminal both wrap to its width."""
    from ..services.search import mark
    from ..terminal import display_wrap

    before, after = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
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
        title = shown(title)
        for line in display_wrap(title, width) if width else [title]:
            typer.echo(typer.style(line, bold=True) if color else line)
        if not color:
            print_wrapped(
                mark(result["snippet"], result["highlights"], "[", "]"), width, indent="  "
            )
            continue
        snippet = mark(result["snippet"], result["highlights"], _START, _END)
        inside = False
        for line in display_wrap(snippet, width - 2) if width else [snippet]:
            text = (before if inside else "") + line.replace(_START, before).replace(_END, after)
            inside = line.rfind(_START) > line.rfind(_END) or (inside and _END not in line)
            typer.echo("  " + text + (after if inside else ""))


def register(app: typer.Typer) -> None:
    app.command("search")(search)
