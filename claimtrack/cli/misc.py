"""Top-level commands: init, history, info."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidValue
from ..output.printing import (
    change_value,
    output_format,
    print_fields,
    print_json,
    print_listing,
    print_shown_of,
    print_table,
)
from ..output.tables import Listing
from .database import fail_on_broken_chain
from .next_steps import worded
from .options import Format, Json, Limit
from .params import speller


def init(ctx: typer.Context) -> None:
    """Create the database, or upgrade it to the newest schema. Safe to run again.

    \b
    Example: claimtrack --db research.db init
    """
    from ..db import run_migration

    database = ctx.obj.database(create=True)
    before = database.schema_revision()
    run_migration(database, "upgrade", "head")
    after = database.schema_revision()
    where = database.path or database.url
    database.dispose()
    if before is None:
        typer.echo(f"Created claimtrack database at {_where(where)} (schema {after})")
    elif before != after:
        typer.echo(f"Upgraded {_where(where)}: schema {before} → {after}")
    else:
        typer.echo(f"Database at {_where(where)} is up to date (schema {after})")


def _where(where) -> str:
    from ..db import mask_url

    return str(where) if not isinstance(where, str) else mask_url(where)


def history(
    ctx: typer.Context,
    key: Annotated[
        str, typer.Argument(metavar="CLAIM_OR_SRC", help="A claim's or a source's key.")
    ],
    limit: Limit = None,
    verify: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Check these events against the history's hash chain instead of listing "
            "them (exit 1 naming each event that was changed).",
        ),
    ] = False,
    fmt: Format = None,
    json_: Json = False,
) -> None:
    """Show every change to a claim (with its evidence) or a source, newest first. The actor
    shows the database user too where it differs ("kim (as ct_kim)").

    \b
    Example: claimtrack history halt --limit 20
    Example: claimtrack history halt --verify
    """
    from ..services.history import history_of, verify_history

    if verify:
        with ctx.obj.reading() as session:
            found = verify_history(session, key)
        if json_:
            print_json(found)
        elif found["ok"]:
            typer.echo(
                f"ok: {found['events']} history events of {found['subject']} match the chain"
            )
        fail_on_broken_chain(
            found["problems"],
            json_=json_,
            error=f"{len(found['problems'])} of {found['events']} history events of "
            f"{found['subject']} were changed after they were recorded; see "
            "`claimtrack db check` for the whole chain",
        )
        return
    fmt = output_format(fmt, json_)
    if limit is not None and limit < 1:
        raise InvalidValue("limit", limit, "a whole number of 1 or more")
    with ctx.obj.reading() as session:
        # One more than shown tells whether there are more.
        events = history_of(session, key, limit=None if limit is None else limit + 1)
    more, events = len(events) > (limit or len(events)), events[:limit]
    if fmt not in ("table", "markdown"):
        print_listing(ctx, Listing(rows=events, columns=[]), fmt=fmt)
        if more:
            print_shown_of(len(events), None)
        return
    rows = [
        {
            "at": event["at"][:19].replace("T", " "),
            "actor": actor_shown(event["actor"], event["db_user"]),
            "action": event["action"],
            "change": _describe(event),
            "reason": event["reason"],
        }
        for event in events
    ]
    listing = Listing(
        rows=rows,
        columns=["at", "actor", "action", "change", "reason"],
        wrap=["change", "reason"],
        drop=["actor"],
        empty="No history.",
    )
    print_listing(ctx, listing, fmt=fmt)
    if more:
        print_shown_of(len(events), None)


def _describe(event: dict) -> str:
    before, after = event["before"] or {}, event["after"] or {}
    if event["action"] == "import":
        return _describe_import(event, after)
    if event["action"] == "evidence.add":
        chain = after.get("via_chain") or ([after["via"]] if after.get("via") else [])
        via = f" via {' → '.join(chain)}" if chain else ""
        text = f"evidence {after.get('id')}: {after.get('stance')} from {after.get('source')}{via}"
        text += f", credibility {after.get('credibility')}"
        return text + (f', "{after["quote"]}"' if after.get("quote") else "")
    if event["action"].endswith(".add"):
        return ", ".join(
            f"{k}={change_value(v)}"
            for k, v in after.items()
            if v not in (None, [], "") and k != "id"
        )
    if event["action"].endswith(".merge"):
        return _describe_merge(before, after)
    if event["action"] in ("claim.remove", "source.remove"):
        with_it = _took(after, _REMOVED_WITH)
        return f"removed {before.get('key')}" + (f" ({', '.join(with_it)})" if with_it else "")
    if event["action"] in ("claim.restore", "source.restore"):
        with_it = _took(after, _RESTORED_WITH)
        return (
            "restored (removed "
            + str(before.get("removed_at", ""))[:10]
            + ")"
            + (f" with {', '.join(with_it)}" if with_it else "")
        )
    if event["action"] == "evidence.restore":
        return f"restored evidence {event.get('evidence_id') or ''}".rstrip()
    if event["action"] == "link.remove":
        return f"removed link {before.get('claim')} {before.get('relation')} {before.get('other')}"
    if event["action"] == "evidence.remove":
        return (
            f"removed evidence {before.get('id')} "
            f"({before.get('stance')} from {before.get('source')})"
        )
    names = list(dict.fromkeys([*before, *after]))
    return "; ".join(
        f"{name}: {change_value(before.get(name))} → {change_value(after.get(name))}"
        for name in names
    )


# What a removal or restore event lists it took with it, and how history says each.
_REMOVED_WITH = {
    "evidence_removed": "evidence",
    "links_removed": "links",
    "children_moved": "derived sources moved to its parent",
}
_RESTORED_WITH = {
    "evidence_restored": "evidence",
    "links_restored": "links",
    "children_moved": "derived sources moved back",
}


def _took(after: dict, nouns: dict[str, str]) -> list[str]:
    """`3 evidence` for each list of `nouns` the event's `after` holds."""
    return [f"{len(after[name])} {noun}" for name, noun in nouns.items() if after.get(name)]


def _describe_import(event: dict, after: dict) -> str:
    """One line for the import that created this record or some of its evidence."""
    files = ", ".join(file["name"] for file in after.get("files") or ()) or "records"
    how = f"import of {files} (event {event['id']})"
    created = event.get("created") or {}
    ranges = created.get("evidence") or []
    count = sum(last - first + 1 for first, last in ranges)
    # A few ranges, not thousands: a claim's items are spread over the import (--json lists all).
    shown = [str(first) if first == last else f"{first}–{last}" for first, last in ranges[:5]]
    ids = ", ".join(shown + (["…"] if len(ranges) > 5 else []))
    items = f"evidence {ids}" if count == 1 else f"{count:,} evidence items ({ids})"
    if created.get("claim") or created.get("source"):
        return f"created by {how}" + (f", with {items}" if count else "")
    if not count:  # the items it gave were moved to another claim (or merged away) since
        return f"evidence added by {how}, none of it here now"
    return f"{items} added by {how}"


def _describe_merge(before: dict, after: dict) -> str:
    """One line for a merge: which record was folded in and what it filled, not the merged
    record's full dump (that stays in `history --json`)."""
    text = f"merged {after.get('merged_from')} into this"
    if after.get("status"):
        text += f" (status {after['status']})"
    filled = [
        f"{name}: {change_value(before.get(name))} → {change_value(value)}"
        for name, value in after.items()
        if name not in ("merged_from", "status")
    ]
    return "; ".join([text, *filled])


def info(ctx: typer.Context, json_: Json = False) -> None:
    """Show which database is in use, its schema revision and how many rows it holds, and
    the effective settings with where each came from (default, settings file, environment).

    Exits 1, after showing where it looked, when the database is missing or unusable.

    \b
    Example: claimtrack info --json
    """
    from ..services.info import database_info

    data = database_info(ctx.obj.db, actor=ctx.obj.who)
    if data.get("problem") is not None:
        data["problem"].spell = speller(ctx)
        data["problem"] = worded(data["problem"])
    if json_:
        print_json(data)
    else:
        print_fields(
            data,
            [
                "database",
                "engine",
                "path",
                "revision",
                "head",
                "default_database",
                "actor",
                "settings_file",
            ],
        )
        if data.get("counts"):
            typer.echo("")
            print_table(
                ctx, [{"table": k, "rows": v} for k, v in data["counts"].items()], ["table", "rows"]
            )
        typer.echo("")
        print_table(
            ctx,
            [{"setting": k, **v} for k, v in data["settings"].items()],
            ["setting", "value", "from"],
        )
    if data.get("problem"):
        typer.echo(f"Error: {data['problem']}", err=True)
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("history")(history)
    app.command("info")(info)


def actor_shown(actor: str, db_user: str | None) -> str:
    """The declared actor, and the database user beside it where they differ."""
    return actor if db_user in (None, actor) else f"{actor} (as {db_user})"
