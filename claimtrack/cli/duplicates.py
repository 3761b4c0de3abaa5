"""claimtrack duplicates"""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import InvalidValue
from ..terminal import shown
from .options import Format, Json, Limit
from .output import output_format, print_listing, print_shown_of, print_wrapped, terminal_width


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
        from ..render import Listing

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


# --- `source add --on-duplicate` --------------------------------------------------------------

SourceOnDuplicate = Annotated[
    str,
    typer.Option(
        "--on-duplicate",
        metavar="ask|warn|skip|merge",
        help="When a source with the same name (normalised) or URL (canonical) exists: ask "
        "what to do (on a terminal; elsewhere: warn), warn and add it anyway, skip it (print "
        "the existing key), or merge it into the existing source.",
    ),
]


def _interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stderr.isatty()


def _show_sources(candidates: list[dict]) -> None:
    for number, candidate in enumerate(candidates, 1):
        typer.echo(
            f"  {number}. {candidate['key']} ({candidate['reason']}): {shown(candidate['name'])}",
            err=True,
        )


def _ask_source(ctx: typer.Context, name: str, url: str | None) -> tuple[str, str | None]:
    from ..services.duplicates import similar_sources

    with ctx.obj.reading() as session:
        candidates = similar_sources(session, name=name, url=url)
    if not candidates:
        return "add", None
    typer.echo("This source looks like one already logged:", err=True)
    _show_sources(candidates)
    while True:
        answer = (
            typer.prompt("[a]dd anyway, [m]erge into 1 (or m2...), [s]kip", default="a", err=True)
            .strip()
            .lower()
        )
        action = {"a": "add", "m": "merge", "s": "skip"}.get(answer[:1])
        number = answer[1:] or "1"
        if action and number.isdigit() and 1 <= int(number) <= len(candidates):
            return action, candidates[int(number) - 1]["key"]
        typer.echo(f"Please answer a, m or s (not {answer!r})", err=True)


def add_source_command(ctx: typer.Context, *, on_duplicate: str, quiet: bool, **fields) -> None:
    """`source add` with the duplicate check: one write transaction after any question."""
    from ..errors import InvalidValue
    from ..services.duplicates import ON_DUPLICATE, add_source_checked

    if on_duplicate not in ON_DUPLICATE:
        raise InvalidValue("--on-duplicate", on_duplicate, "one of " + ", ".join(ON_DUPLICATE))
    mode, target = on_duplicate, None
    if mode == "ask":
        if _interactive():
            mode, target = _ask_source(ctx, fields["name"], fields.get("url"))
        else:
            mode = "warn"
    with ctx.obj.writing() as session:
        outcome = add_source_checked(session, on_duplicate=mode, target=target, **fields)
        key, candidates = outcome.source.key, outcome.candidates
    if outcome.action == "skipped":
        reason = next(c["reason"] for c in candidates if c["key"] == key)
        typer.echo(key if quiet else f"Skipped: source {key} exists ({reason}); nothing added")
    elif outcome.action == "merged":
        typer.echo(key if quiet else f"Merged into source {key}")
    else:
        if outcome.action == "added" and candidates:
            typer.echo(f"Warning: source {key} looks like one already logged:", err=True)
            _show_sources(candidates)
            typer.echo(
                f"  merge it with: claimtrack source merge {candidates[0]['key']} {key}",
                err=True,
            )
        typer.echo(key if quiet else f"Added source {key}")
