"""Printing for every command: JSON for scripts (nothing but JSON on stdout), tables for
people."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import typer

from ..errors import InvalidValue
from ..terminal import display_width, display_wrap, json_safe, shown
from .formats import render_listing
from .json import indented_json
from .tables import Listing, cell, spelled
from .text import record_text


def print_json(data: Any) -> None:
    typer.echo(json_safe(indented_json(data)))


def terminal_width() -> int | None:
    """The terminal's width when stdout is one (COLUMNS, when set, says how wide); None when
    output goes to a pipe or a file: then every cell is shown in full."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def use_colour(ctx: typer.Context) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set (no-color.org)."""
    state = ctx.find_root().obj
    if getattr(state, "no_color", False) or os.environ.get("NO_COLOR"):
        return False
    return sys.stdout.isatty()


def emit(ctx: typer.Context, text: str) -> None:
    """Print text; on a terminal, when it is longer than the window, through a pager as git
    does: $CLAIMTRACK_PAGER, else $PAGER, else `less` (with LESS=FRX unless LESS is set).
    Off with --no-pager, when stdout is not a terminal, or when the pager is '' or cat."""
    command = _pager_command(ctx, text)
    if command is None:
        typer.echo(text)
        return
    env = dict(os.environ)
    env.setdefault("LESS", "FRX")
    pager = subprocess.Popen(
        command, shell=True, stdin=subprocess.PIPE, env=env, encoding="utf-8", errors="replace"
    )
    try:
        pager.stdin.write(text + "\n")
        pager.stdin.close()
    except BrokenPipeError:  # the reader quit the pager before the end: that is fine
        pass
    while True:
        try:
            code = pager.wait()
            break
        except KeyboardInterrupt:  # ctrl-c belongs to the pager while it runs, as in git
            continue
    if code == 127:  # the shell could not find the pager: print the text rather than lose it
        typer.echo(text)


def _pager_command(ctx: typer.Context, text: str) -> str | None:
    state = ctx.find_root().obj
    if getattr(state, "no_pager", False) or not sys.stdout.isatty():
        return None
    if text.count("\n") + 1 < shutil.get_terminal_size().lines:
        return None
    command = os.environ.get("CLAIMTRACK_PAGER", os.environ.get("PAGER", "less")).strip()
    return None if command in ("", "cat") else command


def output_format(fmt: str | None, json_: bool, *, default: str = "table") -> str:
    """--json is short for --format json."""
    if json_ and fmt not in (None, "json"):
        raise InvalidValue("format", fmt, "json, or leave out {field:json}")
    return "json" if json_ else (fmt or default)


def print_listing(
    ctx: typer.Context, listing: Listing, *, fmt: str = "table", limit: int | None = None
) -> None:
    """A list command's rows in the chosen format: on a terminal, tables fit its width and
    long output goes through the pager; with --limit, the first N rows."""
    check_limit(limit)
    total = len(listing.rows)
    if limit is not None:
        listing.rows = listing.rows[:limit]
    if fmt == "table" and not listing.rows:
        if listing.empty:
            typer.echo(listing.empty, err=True)
        return
    width = terminal_width() if fmt == "table" else None
    text = render_listing(listing, fmt, width=width).rstrip("\n")
    if text:  # jsonl of no rows is no lines
        emit(ctx, text)
    print_shown_of(len(listing.rows), total)


def check_limit(limit: int | None) -> None:
    """--limit is 1 or more (or not given: every row)."""
    if limit is not None and limit < 1:
        raise InvalidValue("limit", limit, "a whole number of 1 or more")


def print_shown_of(shown: int, total: int | None) -> None:
    """After output cut by --limit, say on stderr that more exist (never in the output
    itself, so csv and json stay clean): '5 of 12 shown'. `total` None: more than `shown`,
    how many is not known."""
    if total is not None and shown >= total:
        return
    of = "more exist" if total is None else f"{shown} of {total} shown"
    typer.echo(spelled(f"({of}; raise {{field:limit}} or leave it out to see them all)"), err=True)


def print_wrapped(
    text: str, width: int | None, *, indent: str = "", hanging: str | None = None
) -> None:
    """One paragraph of text: on a terminal wrapped to its width (`indent` before the first
    line, `hanging` before the others), measured in terminal columns; piped, one line."""
    if width is None:
        typer.echo(indent + text)
        return
    hanging = indent if hanging is None else hanging
    lines = display_wrap(text, max(width - display_width(indent), 8)) or [""]
    typer.echo(indent + lines[0])
    for line in display_wrap(" ".join(lines[1:]), max(width - display_width(hanging), 8)):
        typer.echo(hanging + line)


def print_table(
    ctx: typer.Context, rows: Iterable[dict[str, Any]], columns: Sequence[str], **listing: Any
) -> None:
    """Rows as a table: fitted to the terminal, in full when piped."""
    print_listing(ctx, Listing(rows=list(rows), columns=columns, **listing))


def print_fields(data: dict[str, Any], fields: Sequence[str]) -> None:
    width = max(len(name) for name in fields)
    for name in fields:
        value = data.get(name)
        if value in (None, "", []):
            continue
        typer.echo(f"{name.replace('_', ' '):<{width}}  {cell(value)}")


def change_value(value: Any) -> str:
    """A field's value in a before → after line: lists joined, nothing shown as (none)."""
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, list | tuple):
        return shown(", ".join(str(v) for v in value))
    return shown(str(value))


def print_changes(before: dict[str, Any], after: dict[str, Any]) -> None:
    """One line per changed field: `name: before → after`."""
    for name in after:
        typer.echo(f"{name}: {change_value(before.get(name))} → {change_value(after[name])}")


def print_status_changes(changes: Sequence[Any]) -> None:
    """The claims whose status a re-grade or a removal changed: 'claim: before → after'."""
    if changes:
        typer.echo("\n".join(status_change_lines(changes)))


def status_change_lines(
    changes: Sequence[Any], *, future: bool = False, heading: str = "", indent: str = "  "
) -> list[str]:
    """'Status changed:' (or, planned, 'Status would change:'; or `heading`) and a line per
    claim, 'halt: unverified → corroborated (score 0.50 → 0.82)'. `changes` are
    StatusChanges or their dicts (as a removal's JSON carries them)."""
    if not changes:
        return []
    heading = heading or ("Status would change:" if future else "Status changed:")
    rows = [change if isinstance(change, Mapping) else change.as_dict() for change in changes]
    return [heading] + [
        f"{indent}{c['claim']}: {c['before']} → {c['after']} "
        f"(score {c['score_before']:.2f} → {c['score_after']:.2f})"
        for c in rows
    ]


def print_track_record(record: dict[str, dict[str, int]]) -> None:
    """A source's track record spelled out, as the by-source report shows it: 'supported 2
    claims: 1 corroborated, 1 unverified; 1 with a verdict: confirmed'."""
    for stance, label in (("supports", "supported"), ("contradicts", "contradicted")):
        typer.echo(record_text(record[stance], label))
