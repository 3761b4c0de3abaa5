"""claimtrack source add | list | show | edit | merge | remove | restore"""

from __future__ import annotations

from typing import Annotated

import typer

from ..output.printing import (
    check_limit,
    output_format,
    print_fields,
    print_json,
    print_listing,
    print_shown_of,
    print_track_record,
)
from ..output.tables import Listing
from ..terminal import shown
from .edits import given, print_edit
from .look_alikes import LookAlikes, add_checked
from .merge import merge_source
from .options import Format, Json, Limit, Quiet, Reason, Reliability
from .params import PlainValuesGroup, spelled
from .remove import remove_source, restore_source

app = typer.Typer(
    cls=PlainValuesGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="Sources: who or what provides information (outlets, informants, documents...).\n\n"
    "\b\nExample: claimtrack source add 'Daily NK' --key dnk --kind outlet --reliability C",
    no_args_is_help=True,
)

Kind = Annotated[
    str | None,
    typer.Option("--kind", help="outlet, informant, person, official, document, dataset, ..."),
]
DerivedFrom = Annotated[
    str | None,
    typer.Option(
        "--derived-from",
        metavar="SRC",
        help="The source this one repeats (a copy: its origin is that source's origin). Who "
        "passed an item on to you is not derived-from: record it with `evidence add --via`.",
    ),
]
Url = Annotated[str | None, typer.Option("--url", help="Where the source can be found.")]
Notes = Annotated[str | None, typer.Option("--notes", help="Free notes.")]

OnDuplicate = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        metavar="ask|warn|skip|merge",
        help="When a source with the same name (normalised) or URL (canonical) exists: ask "
        "what to do (on a terminal; elsewhere: warn), warn and add it anyway, skip it (print "
        "the existing key), or merge it into the existing source.",
    ),
]


SOURCES = LookAlikes(
    entity="source",
    why=lambda candidate: candidate["reason"],
    text=lambda candidate: shown(candidate["name"]),
    skipped="source {key} exists ({why})",
    prompt="[a]dd anyway, [m]erge into 1 (or m2...), [s]kip",
    answers={"a": "add", "m": "merge", "s": "skip"},
)


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The source's name, e.g. 'Daily NK'.")],
    key: Annotated[
        str | None,
        typer.Option("--key", "-k", help="Key to use (generated from the name when left out)."),
    ] = None,
    kind: Kind = None,
    reliability: Reliability = None,
    derived_from: DerivedFrom = None,
    url: Url = None,
    notes: Notes = None,
    on_duplicate: OnDuplicate = "ask",
    quiet: Quiet = False,
) -> None:
    """Add a source and print its key. A source with the same name or URL as one already
    logged is shown (see --on-duplicate).

    \b
    The person or document that said something is a source; those who passed it on to you
    are --via on its evidence; --derived-from is for a source that repeats another (a wire
    copy of a report), so both count as one origin.

    \b
    Example: claimtrack source add "Ryanggang informant" --key src-ryanggang --kind informant
    Example: claimtrack source add "Wire copy of the Ryanggang report" --key wire --derived-from src-ryanggang
    """
    from ..services.duplicates import add_source_checked, similar_sources

    fields = dict(
        name=name,
        key=key,
        kind=kind,
        reliability=reliability,
        derived_from=derived_from,
        url=url,
        notes=notes,
    )
    add_checked(
        ctx,
        SOURCES,
        on_duplicate=on_duplicate,
        quiet=quiet,
        look=lambda session: similar_sources(session, name=name, url=url),
        add=lambda session, mode, target: add_source_checked(
            session, on_duplicate=mode, target=target, **fields
        ),
    )


@app.command("list")
def list_(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only sources of this kind.")] = None,
    fmt: Format = None,
    limit: Limit = None,
    json_: Json = False,
) -> None:
    """List sources with their reliability, origin and evidence count.

    \b
    Example: claimtrack source list --kind informant --json
    """
    from ..services.sources import source_page

    fmt = output_format(fmt, json_)
    check_limit(limit)
    with ctx.obj.reading() as session:
        page = source_page(session, kind=kind, limit=limit)
    listing = Listing(
        rows=page.rows,
        columns=["key", "name", "kind", "reliability", "derived_from", "origin", "evidence_count"],
        headers={"evidence_count": "evidence"},
        wrap=["name"],
        drop=["derived_from", "kind", "evidence_count"],
        empty="No sources yet: add one with `claimtrack source add NAME`.",
    )
    print_listing(ctx, listing, fmt=fmt)
    if page.rows:
        print_shown_of(len(page.rows), page.total)


@app.command("show")
def show(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SRC", help="The source's key.")],
    json_: Json = False,
) -> None:
    """Show one source: its grade, its derived-from chain and origin.

    \b
    Example: claimtrack source show src-ryanggang
    """
    from ..services.report import track_records
    from ..services.sources import show_source

    with ctx.obj.reading() as session:
        data = show_source(session, source)
        record = track_records(session, source=source)[0]
        data["track_record"] = {
            "supports": record["supports"],
            "contradicts": record["contradicts"],
        }
    if json_:
        print_json(data)
    else:
        data["chain"] = " → ".join(data["chain"])
        print_fields(
            data,
            [
                "key",
                "name",
                "kind",
                "reliability",
                "derived_from",
                "origin",
                "chain",
                "url",
                "notes",
                "evidence_count",
                "created_at",
                "updated_at",
            ],
        )
        print_track_record(data["track_record"])


@app.command("edit")
def edit(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(metavar="SRC", help="The source's key.")],
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    kind: Kind = None,
    reliability: Reliability = None,
    derived_from: Annotated[
        str | None,
        typer.Option(
            "--derived-from", metavar="SRC", help="New derived-from source; '' clears it."
        ),
    ] = None,
    url: Url = None,
    notes: Notes = None,
    new_key: Annotated[
        str | None,
        typer.Option(
            "--new-key", help="Rename the source's key (the old key keeps working as an alias)."
        ),
    ] = None,
    reason: Reason = None,
    json_: Json = False,
) -> None:
    """Change a source's fields; the change and its reason go into history. A renamed
    source's old key keeps working.

    \b
    Example: claimtrack source edit src-ryanggang --reliability C --reason "two reports confirmed"
    """
    from ..services.sources import edit_source

    with ctx.obj.writing() as session:
        edit = edit_source(
            session,
            source,
            name=name,
            kind=kind,
            reliability=reliability,
            derived_from=given(derived_from),
            url=given(url),
            notes=given(notes),
            new_key=new_key,
            reason=reason,
        )
        warnings = []
        if "derived_from" in edit.after and edit.after["derived_from"]:
            from ..services.evidence import source_relay_warnings

            warnings = source_relay_warnings(session, source=edit.row.key)
    for warning in warnings:
        typer.echo(f"Warning: {spelled(ctx, warning)}", err=True)
    print_edit(edit, what=f"Source {source}", ident={"key": source}, json_=json_)


app.command("merge")(merge_source)
app.command("remove")(remove_source)
app.command("restore")(restore_source)
