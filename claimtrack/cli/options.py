"""Options shared by many commands, declared once so every command spells them the same."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from ..output.formats import LIST_FORMATS


def option(kind: Any, *names: str, **settings: Any) -> Any:
    """An option for a command's signature in one call: its type, its names, and
    typer.Option's settings (metavar, help): `Reverse = option(bool, "--reverse", help=...)`."""
    return Annotated[kind, typer.Option(*names, **settings)]


def format_option(formats: Sequence[str], help: str) -> Any:
    """--format (-f), offering the formats of the output registry (output/formats.py)."""
    return option(str | None, "--format", "-f", metavar="|".join(formats), help=help)


ClaimKey = Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON only (for scripts).")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the new key.")]
Reason = Annotated[
    str | None, typer.Option("--reason", help="Why the change was made (kept in history).")
]
Reliability = Annotated[
    str | None,
    typer.Option(
        "--reliability",
        "-r",
        metavar="A-F",
        help="Admiralty reliability: A completely reliable, B usually, C fairly, "
        "D not usually, E unreliable, F cannot be judged (default).",
    ),
]
Credibility = Annotated[
    str | None,
    typer.Option(
        "--credibility",
        "-c",
        metavar="1-6",
        help="Admiralty credibility of this item: 1 confirmed, 2 probably true, 3 possibly "
        "true, 4 doubtful, 5 improbable, 6 cannot be judged (default).",
    ),
]
_REPORTED_BY = (
    "Only evidence reported by DATE (YYYY-MM-DD; YYYY-MM or YYYY: the end of that month or "
    "year): its observed date, or, without one, the day it was recorded, is on or before DATE."
)
ReportedBy = Annotated[
    str | None,
    typer.Option("--reported-by", metavar="DATE", help=_REPORTED_BY + " Combines with --as-of."),
]
# export has no --as-of (it writes what is recorded now), so its help does not offer one.
ExportReportedBy = Annotated[
    str | None, typer.Option("--reported-by", metavar="DATE", help=_REPORTED_BY)
]
AsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Show the state as recorded then (YYYY-MM-DD: the end of that day, UTC; or "
        "YYYY-MM-DDTHH:MM). Later evidence, grades and verdicts are left out; later removals "
        "are put back.",
    ),
]

# The claim filter (services/claim_filter.py), spelled the same by every command that lists
# claims: claim list, report, export, search.
Status = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        metavar="STATUS",
        help="Only claims with this status (repeatable: any of them).",
    ),
]
Tag = Annotated[
    list[str] | None,
    typer.Option(
        "--tag", "-t", metavar="TAG", help="Only claims with this tag (repeatable: all of them)."
    ),
]
SourceFilter = Annotated[
    str | None,
    typer.Option(
        "--source",
        metavar="SRC",
        help="Only claims with evidence from SRC, passed on via it, or originating at it.",
    ),
]
Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="DATE",
        help="Only claims changed (edited, given or losing evidence, re-graded, linked) since "
        "DATE: YYYY-MM-DD counts from the start of that day (UTC); or YYYY-MM-DDTHH:MM.",
    ),
]
Format = format_option(
    LIST_FORMATS,
    "Output: table (the default; fits the terminal), csv, tsv, json, jsonl (one object per "
    "line) or markdown. --json is short for --format json.",
)
Limit = Annotated[
    int | None, typer.Option("--limit", "-n", metavar="N", help="Show at most N rows.")
]
