"""Tables for people: columns of text under a dashed rule. On a terminal they fit its width
(text columns wrap, less useful columns are left out, never the key or status); anywhere else
every cell is shown in full. A Listing is the rows of a list command and how a table shows
them; every list command's table, and the report's, is one."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SPELLING, spell_fields
from ..terminal import display_ljust, display_width, display_wrap
from .text import (
    CLAIM_COLUMNS,
    link_text,
    plain,
    record_text,
    single_channel_mark,
    summary_line,
    timestamp,
)

# A claims report's table headers, where they are not the field's name.
TABLE_HEADERS = {
    "assessed_confidence": "confidence",
    "support_origins": "S",
    "contradict_origins": "X",
    "evidence_count": "evidence",
    "last_change": "last change",
}


MIN_WRAP_WIDTH = 12  # a wrapped column narrower than this is harder to read than a hidden one
MIN_TEXT_WIDTH = 24  # ...and the first wrapped column (a claim's text, a quote) keeps this much
MIN_NARROW_WIDTH = 8  # when nothing more can be left out, a wrapped column goes down to this


def spelled(text: str) -> str:
    """Text that names a field as {field:NAME}, named as its reader knows it: in a run of the
    command line, as the running command's option (`--format`), else NAME."""
    return spell_fields(text, SPELLING.get())


@dataclass
class Listing:
    """The rows of a list command and how a table shows them.

    `columns` are shown in a table and in markdown (csv, tsv, json and jsonl carry every
    field); `wrap` are the columns that wrap to fit a terminal, the first the most; `drop`
    the columns left out, first to last, when wrapping is not enough.
    """

    rows: list[dict[str, Any]]
    columns: Sequence[str]
    headers: dict[str, str] = field(default_factory=dict)
    wrap: Sequence[str] = ()
    drop: Sequence[str] = ()
    empty: str = ""
    footer: str = ""
    cells: Callable[[dict[str, Any], str], str] | None = None

    def header(self, column: str) -> str:
        return self.headers.get(column, column)

    def cell(self, row: dict[str, Any], column: str) -> str:
        return self.cells(row, column) if self.cells else cell(row.get(column))


def cell(value: Any) -> str:
    """A value as one line of table text: lists joined with commas, whitespace collapsed."""
    return plain(value)


def table_text(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    wrap: Sequence[int] = (),
    drop: Sequence[int] = (),
    right: Sequence[int] = (),
) -> tuple[str, list[int]]:
    """Columns of text under a dashed rule, two spaces apart (tabulate's "simple" layout),
    left-aligned but for the `right` ones (counts), measured in terminal columns (a Korean
    syllable takes two). With a width, the table fits it: first the `wrap` columns wrap,
    widest first, down to a readable minimum; if that is not enough, `drop` columns are left
    out in order. Returns the text and the indexes of the columns left out."""
    # Unfitted, a header gets two spaces of room, as in tabulate; fitted, every space counts.
    natural = [display_width(h) + (2 if width is None else 0) for h in headers]
    for row in rows:
        for n, text in enumerate(row):
            natural[n] = max(natural[n], display_width(text))
    shown = list(range(len(headers)))
    widths = list(natural)
    dropped: list[int] = []
    if width is not None:
        minimum = {
            n: min(natural[n], MIN_TEXT_WIDTH if k == 0 else MIN_WRAP_WIDTH)
            for k, n in enumerate(wrap)
        }

        def needed(columns: list[int]) -> int:
            return sum(minimum.get(n, natural[n]) for n in columns) + 2 * (len(columns) - 1)

        for n in drop:
            if needed(shown) <= width:
                break
            shown.remove(n)
            dropped.append(n)
        excess = sum(natural[n] for n in shown) + 2 * (len(shown) - 1) - width
        wrapping = [n for n in wrap if n in shown]
        while excess > 0:
            candidates = [n for n in wrapping if widths[n] > minimum[n]]
            if not candidates:  # nothing left to leave out: narrower than readable, not wider
                minimum = dict.fromkeys(minimum, MIN_NARROW_WIDTH)
                candidates = [n for n in wrapping if widths[n] > MIN_NARROW_WIDTH]
            if not candidates:
                break
            widest = max(candidates, key=lambda n: widths[n])
            widths[widest] -= 1
            excess -= 1
    layout = [(widths[n], n in right) for n in shown]
    lines = [
        _table_line([headers[n] for n in shown], layout),
        _table_line(["-" * widths[n] for n in shown], layout),
    ]
    for row in rows:
        parts = [
            display_wrap(row[n], widths[n]) or [""]
            if display_width(row[n]) > widths[n]
            else [row[n]]
            for n in shown
        ]
        for depth in range(max(len(part) for part in parts)):
            texts = [part[depth] if depth < len(part) else "" for part in parts]
            lines.append(_table_line(texts, layout))
    return "\n".join(lines), dropped


def _table_line(texts: Sequence[str], layout: Sequence[tuple[int, bool]]) -> str:
    cells = [
        " " * (width - display_width(text)) + text if right else display_ljust(text, width)
        for text, (width, right) in zip(texts, layout, strict=True)
    ]
    return "  ".join(cells).rstrip()


def listing_table(listing: Listing, width: int | None = None) -> str:
    if not listing.rows:
        return listing.empty
    columns = list(listing.columns)
    headers = [listing.header(c) for c in columns]
    cells = [[listing.cell(row, c) for c in columns] for row in listing.rows]
    text, dropped = table_text(
        headers,
        cells,
        width=width,
        wrap=[columns.index(c) for c in listing.wrap if c in columns],
        drop=[columns.index(c) for c in listing.drop if c in columns],
    )
    if dropped:
        names = ", ".join(headers[n] for n in dropped)
        note = f"({names} left out to fit {width} columns; {{field:format}} csv shows every column)"
        text += "\n" + "\n".join(textwrap.wrap(spelled(note), width))
    if listing.footer:
        text += "\n\n" + listing.footer
    return text


def _report_listing(report: dict[str, Any]) -> Listing:
    if report["kind"] == "sources":
        return Listing(
            rows=report["sources"],
            columns=["key", "name", "reliability", "origin", "supports", "contradicts"],
            headers={"supports": "supported", "contradicts": "contradicted"},
            wrap=["name", "supports", "contradicts"],
            drop=["origin"],
            empty="No sources.",
            cells=_source_cell,
        )
    return Listing(
        rows=report["claims"],
        columns=CLAIM_COLUMNS,
        headers=TABLE_HEADERS,
        wrap=["text", "tags", "channels"],
        drop=[
            "last_change",
            "evidence_count",
            "assessed_confidence",
            "channels",
            "likelihood",
            "tags",
        ],  # fmt: skip
        empty="No claims match.",
        footer=summary_line(report) + _links_text(report),
        cells=_table_cell,
    )


def _links_text(report: dict[str, Any]) -> str:
    links = [
        f"  {plain(row['key'])} {plain(link_text(link))}"
        for row in report["claims"]
        for link in row.get("links", [])
        if link["direction"] == "out"
    ]
    return "\n\nLinks:\n" + "\n".join(links) if links else ""


def _source_cell(row: dict[str, Any], column: str) -> str:
    if column in ("supports", "contradicts"):
        return record_text(row[column])
    return cell(row.get(column))


def table(report: dict[str, Any], width: int | None = None) -> str:
    return listing_table(_report_listing(report), width)


def _table_cell(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    if column == "last_change":
        return timestamp(value)
    if column == "score":
        return f"{value:.2f}"
    if column == "channels":
        return cell(value) + single_channel_mark(row)
    return cell(value)
