"""The formats a user can ask for, one registry: RENDERERS holds one entry per format, how it
renders a Listing (the rows of a list command) and how it renders a report. Adding a format is
adding an entry; --format's choices, their completion and checks follow from it (LIST_FORMATS,
FORMATS). Each format lives in a module of its own name (tables, csv, json, markdown, html).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .csv import csv_text, listing_csv, listing_tsv, tsv_text
from .json import json_text, jsonl_text, listing_json, listing_jsonl
from .markdown import listing_markdown, markdown
from .tables import Listing, listing_table, table


def html_report(report: dict[str, Any], width: int | None = None) -> str:
    # Loaded for an html report only: the renderer and the standard library's html entities
    # are 2 ms of every command's start-up otherwise.
    from .html import html_text

    return html_text(report, width)


class Renderer(NamedTuple):
    """One output format: how it renders a Listing, and a report (None: not offered)."""

    listing: Callable[[Listing, int | None], str] | None
    report: Callable[[dict[str, Any], int | None], str] | None


RENDERERS: dict[str, Renderer] = {
    "table": Renderer(listing_table, table),
    "csv": Renderer(listing_csv, csv_text),
    "tsv": Renderer(listing_tsv, tsv_text),
    "json": Renderer(listing_json, json_text),
    "jsonl": Renderer(listing_jsonl, jsonl_text),
    "markdown": Renderer(listing_markdown, markdown),
    "html": Renderer(None, html_report),
}


LIST_FORMATS = tuple(name for name, r in RENDERERS.items() if r.listing)
FORMATS = tuple(name for name, r in RENDERERS.items() if r.report)


def render(report: dict[str, Any], fmt: str, *, width: int | None = None) -> str:
    """A report's text in a format; with a width (a terminal's), a table fits it."""
    return RENDERERS[fmt].report(report, width)


def render_listing(listing: Listing, fmt: str, *, width: int | None = None) -> str:
    return RENDERERS[fmt].listing(listing, width)
