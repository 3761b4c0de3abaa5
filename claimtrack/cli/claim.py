"""claimtrack claim add | list | show | edit | verdict | merge | remove | restore"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import values
from ..output.printing import (
    check_limit,
    output_format,
    print_fields,
    print_json,
    print_listing,
    print_shown_of,
    print_table,
)
from ..output.tables import Listing
from .edits import given, print_edit
from .look_alikes import LookAlikes, add_checked
from .merge import merge_claim
from .options import (
    AsOf,
    ClaimKey,
    Format,
    Json,
    Limit,
    Quiet,
    Reason,
    ReportedBy,
    Since,
    SourceFilter,
    Status,
    Tag,
)
from .params import PlainValuesGroup
from .remove import remove_claim, restore_claim

app = typer.Typer(
    cls=PlainValuesGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="Claims: one proposition each, that can be true or false.\n\n"
    "\b\nExample: claimtrack claim list --status corroborated",
    no_args_is_help=True,
)

LIST_COLUMNS = ["key", "status", "verdict", "support_origins", "contradict_origins", "tags", "text"]


OnDuplicate = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        metavar="ask|warn|skip|merge",
        help="When the claim looks like one already logged: ask what to do (on a terminal; "
        "elsewhere: warn), warn and add it anyway, skip it (print the existing key), or "
        "merge it into the existing claim.",
    ),
]


CLAIMS = LookAlikes(
    entity="claim",
    why=lambda candidate: f"similarity {candidate['similarity']:.2f}",
    text=lambda candidate: candidate["text"],
    skipped="likely duplicate of claim {key} ({why})",
    prompt="[a]dd anyway, [m]erge into 1 (or m2...), add and [l]ink to 1 (or l2...), [s]kip",
    answers={"a": "add", "m": "merge", "l": "link", "s": "skip"},
)


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
    from ..services.duplicates import add_claim_checked, similar_claims

    fields = dict(
        text=text,
        key=key,
        tags=tag or [],
        event_date=event_date,
        place=place,
        notes=notes,
        source=source,
    )
    add_checked(
        ctx,
        CLAIMS,
        on_duplicate=on_duplicate,
        quiet=quiet,
        look=lambda session: similar_claims(session, text),
        add=lambda session, mode, target: add_claim_checked(
            session, on_duplicate=mode, target=target, **fields
        ),
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    status: Status = None,
    tag: Tag = None,
    source: SourceFilter = None,
    since: Since = None,
    fmt: Format = None,
    limit: Limit = None,
    json_: Json = False,
) -> None:
    """List claims with their derived status.

    \b
    Example: claimtrack claim list --status corroborated --tag crackdown --since 2018-07-01 --format csv
    """
    from ..services.claims import claim_page

    fmt = output_format(fmt, json_)
    check_limit(limit)
    with ctx.obj.reading() as session:
        page = claim_page(
            session, statuses=status or [], tags=tag or [], source=source, since=since, limit=limit
        )
    listing = Listing(
        rows=page.rows,
        columns=LIST_COLUMNS,
        headers={"support_origins": "S", "contradict_origins": "X"},
        wrap=["text", "tags"],
        drop=["tags", "verdict"],
        empty="No claims match.",
    )
    print_listing(ctx, listing, fmt=fmt)
    if page.rows:
        print_shown_of(len(page.rows), page.total)


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
            "score",
            "likelihood",
            "assessed_confidence",
            "score_interval",
            "single_channel",
            "model",
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
    if data.get("single_channel"):
        typer.echo(
            f"warning: all support comes through one channel ({data['support_origins']} "
            "origins, 1 channel): if that channel is wrong, every supporting item is"
        )
    if data.get("reported_by"):
        typer.echo(f"evidence reported by {data['reported_by']} (observed, else recorded, by then)")
    typer.echo("")
    # Imported here: the evidence group's module costs every claim command 4 ms to load.
    from .evidence import chains_shown

    print_table(
        ctx,
        chains_shown(data["evidence"]),
        ["id", "stance", "source", "origin", "origin_reliability", "credibility", "via", "quote"],
        wrap=["quote"],
        drop=["origin_reliability", "origin"],
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
    print_edit(edit, what=f"Claim {claim}", ident={"key": claim}, json_=json_, moves_status=False)


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

    with ctx.obj.writing() as session:
        edit = set_verdict(
            session, claim, verdict=verdict, reason=reason, confidence=given(confidence)
        )
    print_edit(edit, what=f"Claim {claim}", ident={"key": claim}, json_=json_, moves_status=False)


app.command("merge")(merge_claim)
app.command("remove")(remove_claim)
app.command("restore")(restore_claim)
