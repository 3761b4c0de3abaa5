"""claimtrack claim add | list | show | edit | verdict"""

from __future__ import annotations

from typing import Annotated

import typer

from .duplicates import OnDuplicate, add_claim_command
from .merge import merge_claim
from .options import AsOf, Json, Quiet, Reason, ReportedBy, Since, SourceFilter, Status, Tag
from .output import print_changes, print_fields, print_json, print_table
from .params import PlainValuesGroup

app = typer.Typer(
    cls=PlainValuesGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="Claims: one proposition each, that can be true or false.\n\n"
    "\b\nExample: claimtrack claim list --status corroborated",
    no_args_is_help=True,
)

ClaimKey = Annotated[str, typer.Argument(metavar="CLAIM", help="The claim's key.")]
LIST_COLUMNS = ["key", "status", "verdict", "support_origins", "contradict_origins", "tags", "text"]


@app.command("add")
def add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The claim, in one sentence.")],
    key: Annotated[
        str | None,
        typer.Option("--key", "-k", help="Key to use (generated from the text when left out)."),
    ] = None,
    tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="A tag (repeatable).")
    ] = None,
    event_date: Annotated[
        str | None,
        typer.Option(
            "--event-date", metavar="DATE", help="When it happened: YYYY, YYYY-MM or YYYY-MM-DD."
        ),
    ] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where it happened.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free notes.")] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            "-s",
            metavar="SRC",
            help="Record SRC as the claim's first supporting evidence.",
        ),
    ] = None,
    on_duplicate: OnDuplicate = "ask",
    quiet: Quiet = False,
) -> None:
    """Add a claim and print its key. A claim that looks like one already logged is shown
    with its look-alikes (see --on-duplicate).

    \b
    Example: claimtrack claim add "The crackdown had largely stopped by June 2018." --key halt --tag crackdown --event-date 2018-06
    """
    add_claim_command(
        ctx,
        on_duplicate=on_duplicate,
        quiet=quiet,
        text=text,
        key=key,
        tags=tag or [],
        event_date=event_date,
        place=place,
        notes=notes,
        source=source,
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Status = None,
    tag: Tag = None,
    source: SourceFilter = None,
    since: Since = None,
    json_: Json = False,
) -> None:
    """List claims with their derived status.

    \b
    Example: claimtrack claim list --status corroborated --tag crackdown --since 2018-07-01
    """
    from ..services.claims import list_claims

    with ctx.obj.reading() as session:
        rows = list_claims(
            session, statuses=status or [], tags=tag or [], source=source, since=since
        )
    if json_:
        print_json(rows)
    else:
        print_table(rows, LIST_COLUMNS, empty="No claims match.")


@app.command("show")
def show(
    ctx: typer.Context,
    claim: ClaimKey,
    as_of: AsOf = None,
    reported_by: ReportedBy = None,
    json_: Json = False,
) -> None:
    """Show a claim, its status and its evidence (as recorded on a date with --as-of; as
    reported by a date with --reported-by).

    \b
    Example: claimtrack claim show halt --json
    Example: claimtrack claim show halt --reported-by 2018-07
    """
    from .. import values
    from ..services.claims import show_claim

    moment = values.as_of(as_of)
    reported = values.reported_by(reported_by)
    with ctx.obj.reading() as session:
        if moment is None:
            data = show_claim(session, claim, reported_by=reported)
        else:
            from ..services.report import claim_as_of

            data = claim_as_of(session, claim, moment, reported_by=reported)
    if json_:
        print_json(data)
        return
    print_fields(
        data,
        [
            "key",
            "text",
            "status",
            "support_origins",
            "contradict_origins",
            "verdict",
            "verdict_reason",
            "confidence",
            "tags",
            "event_date",
            "place",
            "notes",
        ],
    )
    typer.echo("")
    from .evidence import chains_shown

    print_table(
        chains_shown(data["evidence"]),
        ["id", "stance", "source", "origin", "origin_reliability", "credibility", "via", "quote"],
        empty="No evidence yet: add some with `claimtrack evidence add`.",
    )
    for link in data["links"]:
        arrow = "→" if link["direction"] == "out" else "←"
        typer.echo(f"{arrow} {link['relation']} {link['claim']}")


@app.command("edit")
def edit(
    ctx: typer.Context,
    claim: ClaimKey,
    text: Annotated[str | None, typer.Option("--text", help="New text.")] = None,
    event_date: Annotated[
        str | None,
        typer.Option(
            "--event-date", metavar="DATE", help="YYYY, YYYY-MM or YYYY-MM-DD; '' clears it."
        ),
    ] = None,
    place: Annotated[str | None, typer.Option("--place", help="Where; '' clears it.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes; '' clears them.")] = None,
    confidence: Annotated[
        str | None,
        typer.Option(
            "--confidence", help="Analytic confidence: low, moderate, high; '' clears it."
        ),
    ] = None,
    add_tag: Annotated[
        list[str] | None, typer.Option("--tag", "-t", help="Add a tag (repeatable).")
    ] = None,
    remove_tag: Annotated[
        list[str] | None, typer.Option("--remove-tag", help="Remove a tag (repeatable).")
    ] = None,
    new_key: Annotated[
        str | None,
        typer.Option(
            "--new-key", help="Rename the claim's key (the old key keeps working as an alias)."
        ),
    ] = None,
    reason: Reason = None,
    json_: Json = False,
) -> None:
    """Change a claim's fields; the change and its reason go into history.

    \b
    Example: claimtrack claim edit halt --place "Ryanggang Province" --reason "source named the province"
    """
    from ..services.claims import edit_claim
    from ..services.common import UNSET

    def given(value):
        return UNSET if value is None else value

    with ctx.obj.writing() as session:
        edit = edit_claim(
            session,
            claim,
            text=text,
            event_date=given(event_date),
            place=given(place),
            notes=given(notes),
            confidence=given(confidence),
            add_tags=add_tag or [],
            remove_tags=remove_tag or [],
            new_key=new_key,
            reason=reason,
        )
    _print_change(claim, edit.before, edit.after, json_)


@app.command("verdict")
def verdict(
    ctx: typer.Context,
    claim: ClaimKey,
    verdict: Annotated[
        str,
        typer.Argument(metavar="confirmed|debunked|none", help="The verdict; none withdraws it."),
    ],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (required; kept with the verdict and in history).")
    ],
    confidence: Annotated[
        str | None, typer.Option("--confidence", help="Analytic confidence: low, moderate, high.")
    ] = None,
    json_: Json = False,
) -> None:
    """Record your verdict on a claim. The derived status is still shown beside it.

    \b
    Example: claimtrack claim verdict halt confirmed --reason "state media confirmed on 2018-08-01" --confidence moderate
    """
    from ..services.claims import set_verdict
    from ..services.common import UNSET

    with ctx.obj.writing() as session:
        edit = set_verdict(
            session,
            claim,
            verdict=verdict,
            reason=reason,
            confidence=UNSET if confidence is None else confidence,
        )
    _print_change(claim, edit.before, edit.after, json_)


def _print_change(key: str, before: dict, after: dict, json_: bool) -> None:
    if json_:
        print_json({"key": key, "before": before, "after": after})
    elif not after:
        typer.echo(f"Claim {key}: nothing changed")
    else:
        print_changes(before, after)
        if "key" in after:
            typer.echo(f"{before['key']!r} now resolves to {after['key']!r}")


app.command("merge")(merge_claim)
