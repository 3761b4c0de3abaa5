"""CSV and TSV: every field, one row per claim, source or list row. Cells a spreadsheet would
run as a formula are prefixed with a quote (csv_cell, which export shares)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from .tables import Listing
from .text import CLAIM_COLUMNS, RECORD_FIELDS, links_line

# CSV keeps its first columns where scripts expect them and adds the newer ones at the end.
CSV_EXTRA_COLUMNS = ["score_interval", "single_channel", "model"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = (*_FORMULA_START, "'")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formulas are prefixed with a quote."""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    # A text that starts with the quote itself is quoted too, so that import can take
    # exactly one quote off where export added it (transfer.imports.sheet_rows.unguard).
    if isinstance(value, str) and value.startswith(_GUARDED):
        return "'" + value
    return "" if value is None else value


def csv_text(report: dict[str, Any], width: int | None = None, *, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=delimiter)
    if report["kind"] == "sources":
        header = ["key", "name", "reliability", "origin"]
        for stance in ("supports", "contradicts"):
            header += [f"{stance}_{name}" for name in RECORD_FIELDS]
        writer.writerow(header)
        for r in report["sources"]:
            cells = [r["key"], r["name"], r["reliability"], r["origin"]]
            for stance in ("supports", "contradicts"):
                cells += [r[stance][name] for name in RECORD_FIELDS]
            writer.writerow([csv_cell(c) for c in cells])
        return buffer.getvalue()
    columns = [*CLAIM_COLUMNS[:-2], "verdict_reason", "support_channels", "tags", "text"]
    columns.remove("assessed_confidence")
    columns += ["assessed_confidence", *CSV_EXTRA_COLUMNS]
    writer.writerow([*columns, "links"])
    for row in report["claims"]:
        cells = [row.get(column) for column in columns]
        writer.writerow([csv_cell(c) for c in (*cells, links_line(row))])
    return buffer.getvalue()


def tsv_text(report: dict[str, Any], width: int | None = None) -> str:
    return csv_text(report, delimiter="\t")


def _flat(value: Any) -> Any:
    """A field as one csv/tsv cell: lists joined with ';', objects as JSON."""
    if isinstance(value, dict) or (
        isinstance(value, list | tuple) and any(isinstance(v, dict | list) for v in value)
    ):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def listing_csv(listing: Listing, width: int | None = None, *, delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", delimiter=delimiter)
    fields = list(dict.fromkeys(name for row in listing.rows for name in row))
    writer.writerow(fields or listing.columns)
    for row in listing.rows:
        writer.writerow([csv_cell(_flat(row.get(name))) for name in fields])
    return buffer.getvalue()


def listing_tsv(listing: Listing, width: int | None = None) -> str:
    return listing_csv(listing, delimiter="\t")
