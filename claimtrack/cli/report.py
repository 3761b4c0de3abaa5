"""claimtrack report | explain"""

from __future__ import annotations

import typer

from ..errors import InvalidValue
from ..output.explain import explanation_text
from ..output.formats import FORMATS, render
from ..output.printing import (
    check_limit,
    emit,
    output_format,
    print_json,
    print_shown_of,
    terminal_width,
)
from ..status import SORTS
from .options import (
    AsOf,
    ClaimKey,
    Json,
    Limit,
    ReportedBy,
    Since,
    Status,
    Tag,
    format_option,
    option,
)

ReportSource = option(
    str | None,
    "--source",
    metavar="SRC",
    help="Only claims with evidence from SRC (as its source, origin or channel); "
    "with --by source, only SRC's track record.",
)
By = option(
    str,
    "--by",
    metavar="claim|source",
    help="One row per claim (default), or per source with its track record.",
)
Sort = option(
    str,
    "--sort",
    metavar="|".join(SORTS),
    help="Row order: key (default), status, score (highest first), last-change "
    "(newest first), evidence or origins (most first).",
)
Reverse = option(bool, "--reverse", help="Reverse the order.")
ReportFormat = format_option(
    FORMATS,
    "table (the default; fits the terminal), csv, tsv, json, jsonl (one claim per line), "
    "markdown, or html (one self-contained file).",
)
Detail = option(
    bool,
    "--detail",
    help="In JSON, add each claim's evidence grouped by origin (markdown and html always "
    "carry it).",
)
Output = option(
    str | None,
    "--output",
    "-o",
    metavar="FILE",
    help="Write the report to FILE (atomically, readable by you only; never over the database).",
)
Force = option(bool, "--force", help="Replace FILE if it exists.")


def report(
    ctx: typer.Context,
    status: Status = None,
    tag: Tag = None,
    source: ReportSource = None,
    since: Since = None,
    as_of: AsOf = None,
    reported_by: ReportedBy = None,
    by: By = "claim",
    sort: Sort = "key",
    reverse: Reverse = False,
    fmt: ReportFormat = None,
    limit: Limit = None,
    json_: Json = False,
    detail: Detail = False,
    output: Output = None,
    force: Force = False,
) -> None:
    """Where every claim stands and why: status, verdict, score and likelihood, S and X,
    channels, evidence, last change; per claim, its evidence grouped by origin (markdown,
    html, and json with --detail).

    \b
    Example: claimtrack report --tag crackdown --format html -o report.html
    Example: claimtrack report --reported-by 2018-07-31   # what had been reported by then
    """
    from .. import values
    from ..outfile import Target, database_files, write_text
    from ..services.claim_filter import ClaimFilter
    from ..services.report import ReportQuery, claims_report, sources_report

    fmt = output_format(fmt, json_)
    if fmt not in FORMATS:
        raise InvalidValue("format", fmt, "one of " + ", ".join(FORMATS))
    check_limit(limit)
    if by not in ("claim", "source"):
        raise InvalidValue("by", by, "claim or source")
    query = ReportQuery(
        claims=ClaimFilter.parse(statuses=status or [], tags=tag or [], source=source, since=since),
        as_of=values.as_of(as_of),
        reported_by=values.reported_by(reported_by),
        sort=sort,
        reverse=reverse,
        detail=fmt in ("markdown", "html") or (fmt == "json" and detail),
    )
    target = None
    if output and output != "-":
        target = Target(output, force=force, protect=database_files(ctx.obj.url))
    with ctx.obj.reading() as session:
        data = sources_report(session, query) if by == "source" else claims_report(session, query)
    rows = "sources" if by == "source" else "claims"
    total = len(data[rows])
    if limit is not None:
        data[rows] = data[rows][:limit]
    text = render(data, fmt, width=None if target is not None else terminal_width())
    if target is not None:
        write_text(target, text)
        typer.echo(f"Wrote {fmt} report of {len(data[rows])} {by}s to {output}", err=True)
    elif text.strip():  # jsonl of no rows is no lines
        emit(ctx, text.rstrip("\n"))
    print_shown_of(len(data[rows]), total)


def explain(
    ctx: typer.Context,
    claim: ClaimKey,
    as_of: AsOf = None,
    reported_by: ReportedBy = None,
    json_: Json = False,
) -> None:
    """Why a claim has its status and score: each item, its origin, which items were folded
    together and why, what was left out, each origin's weight, the rule that fired, the
    channels, and what the status would be without each origin.

    \b
    Example: claimtrack explain halt --reported-by 2018-07-31
    """
    from .. import values
    from ..services.explain import explain_claim

    with ctx.obj.reading() as session:
        data = explain_claim(
            session,
            claim,
            as_of=values.as_of(as_of),
            reported_by=values.reported_by(reported_by),
        )
    if json_:
        print_json(data)
    else:
        emit(ctx, explanation_text(data))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("explain")(explain)
