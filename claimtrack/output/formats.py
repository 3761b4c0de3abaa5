"""The one place that turns rows and reports into text: table, csv, tsv, json, jsonl,
markdown and html.

RENDERERS holds one entry per format: how it renders a Listing (the rows of a list command)
and how it renders a report; adding a format is adding an entry. Tables are for people: on a
terminal they fit its width (text columns wrap, less useful columns are left out, never the
key or status); anywhere else every cell is shown in full. User-typed text is escaped for the
format it lands in: markdown and HTML markup is neutralised, CSV cells that a spreadsheet
would run as a formula are prefixed with a quote.
"""

from __future__ import annotations

import csv
import html
import io
import json
import json.encoder
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from ..terminal import display_ljust, display_width, display_wrap, json_safe, shown

CLAIM_COLUMNS = [
    "key",
    "status",
    "verdict",
    "score",
    "likelihood",
    "assessed_confidence",
    "support_origins",
    "contradict_origins",
    "channels",
    "evidence_count",
    "last_change",
    "tags",
    "text",
]
# CSV keeps its first columns where scripts expect them and adds the newer ones at the end.
CSV_EXTRA_COLUMNS = ["score_interval", "single_channel", "model"]
TABLE_HEADERS = {
    "assessed_confidence": "confidence",
    "support_origins": "S",
    "contradict_origins": "X",
    "evidence_count": "evidence",
    "last_change": "last change",
}
RECORD_FIELDS = ["claims", "corroborated", "contested", "refuted", "disputed", "unverified",
                 "confirmed", "debunked"]  # fmt: skip
STANCE_COLOURS = {"supports": "#1b7f3b", "contradicts": "#c0392b", "neutral": "#7f8c8d"}
STATUS_COLOURS = {
    "corroborated": "#1b7f3b",
    "unverified": "#7f8c8d",
    "contested": "#d68910",
    "disputed": "#ca6f1e",
    "refuted": "#c0392b",
}


def _plain(value: Any) -> str:
    """User text on one line, its control characters escaped (claimtrack.terminal)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return shown(", ".join(str(v) for v in value))
    return shown(" ".join(str(value).split()))


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _day(iso: str | None) -> str:
    return (iso or "")[:16].replace("T", " ")


def record_text(record: dict[str, Any], verb: str | None = None) -> str:
    """A source's track record spelled out: '[supported] 3 claims: 2 corroborated,
    1 contested; 1 with a verdict: confirmed' (a count of one is left out where it can only
    be one). Tables leave the verb to their column header."""
    total = record["claims"]
    lead = f"{verb} " if verb else ""
    if not total:
        return f"{lead}no claims"
    statuses = [(name, record[name]) for name in RECORD_FIELDS[1:6] if record[name]]
    verdicts = [(name, record[name]) for name in RECORD_FIELDS[6:] if record[name]]
    text = f"{lead}{total} claim{'' if total == 1 else 's'}: " + _counted(statuses, total)
    judged = sum(n for _, n in verdicts)
    if judged:
        text += f"; {judged} with a verdict: " + _counted(verdicts, judged)
    return text


def _counted(parts: list[tuple[str, int]], total: int) -> str:
    if total == 1:
        return ", ".join(name for name, _ in parts)
    return ", ".join(f"{n} {name}" for name, n in parts)


_PASSIVE = {"supports": "supported", "contradicts": "contradicted"}


def link_text(link: dict[str, str]) -> str:
    """'supports halt' (this claim supports halt) or 'supported by decrees'."""
    if link["direction"] == "out":
        return f"{link['relation']} {link['claim']}"
    return f"{_PASSIVE[link['relation']]} by {link['claim']}"


def _links_line(row: dict[str, Any]) -> str:
    return "; ".join(link_text(link) for link in row.get("links", []))


# --- table ----------------------------------------------------------------------------------

MIN_WRAP_WIDTH = 12  # a wrapped column narrower than this is harder to read than a hidden one
MIN_TEXT_WIDTH = 24  # ...and the first wrapped column (a claim's text, a quote) keeps this much
MIN_NARROW_WIDTH = 8  # when nothing more can be left out, a wrapped column goes down to this


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
    return _plain(value)


def table_text(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    width: int | None = None,
    wrap: Sequence[int] = (),
    drop: Sequence[int] = (),
) -> tuple[str, list[int]]:
    """Columns of left-aligned text under a dashed rule, two spaces apart (tabulate's
    "simple" layout), measured in terminal columns (a Korean syllable takes two). With a width, the table fits it: first the `wrap` columns wrap, widest
    first, down to a readable minimum; if that is not enough, `drop` columns are left out in
    order. Returns the text and the indexes of the columns left out."""
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
    lines = [
        _table_line([headers[n] for n in shown], [widths[n] for n in shown]),
        _table_line(["-" * widths[n] for n in shown], [widths[n] for n in shown]),
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
            lines.append(_table_line(texts, [widths[n] for n in shown]))
    return "\n".join(lines), dropped


def _table_line(texts: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(display_ljust(text, w) for text, w in zip(texts, widths, strict=True)).rstrip()


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
        note = f"({names} left out to fit {width} columns; --format csv shows every column)"
        text += "\n" + "\n".join(textwrap.wrap(note, width))
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
        footer=_summary_line(report) + _links_text(report),
        cells=_table_cell,
    )


def _links_text(report: dict[str, Any]) -> str:
    links = [
        f"  {_plain(row['key'])} {_plain(link_text(link))}"
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
        return _day(value)
    if column == "score":
        return f"{value:.2f}"
    if column == "channels":
        return cell(value) + _single_channel_mark(row)
    return cell(value)


def _single_channel_mark(row: dict[str, Any]) -> str:
    """The single point of failure, beside the channels wherever they are shown."""
    if not row.get("single_channel"):
        return ""
    return f" ⚠ {row['support_origins']} origins, 1 channel"


def _model_line(report: dict[str, Any]) -> str:
    model = report.get("model")
    return f"Scores by {model['name']}." if model else ""


def _summary_line(report: dict[str, Any]) -> str:
    summary = report["summary"]
    counts = ", ".join(f"{n} {status}" for status, n in summary["status"].items() if n)
    verdicts = ", ".join(f"{n} {name}" for name, n in summary["verdict"].items() if n)
    noun = "claim" if summary["claims"] == 1 else "claims"
    line = f"{summary['claims']} {noun}: {counts or 'none'}"
    if verdicts:
        line += f"; verdicts: {verdicts}"
    if report.get("as_of"):
        line += f" (as of {_day(report['as_of'])} UTC)"
    if report.get("reported_by"):
        line += f" (evidence reported by {report['reported_by']})"
    if report.get("model"):
        line += "\n" + _model_line(report)
    return line


# --- markdown -------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md(value: Any) -> str:
    """User text made inert in markdown: no markup, no raw HTML, one line."""
    text = _MD_SPECIAL.sub(r"\\\1", _plain(value))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown(report: dict[str, Any], width: int | None = None) -> str:
    lines: list[str] = []
    if report["kind"] == "sources":
        lines += ["# Sources: track record", ""]
        lines += ["| key | name | reliability | origin | supported | contradicted |"]
        lines += ["|---|---|---|---|---|---|"]
        for r in report["sources"]:
            lines.append(
                f"| {md(r['key'])} | {md(r['name'])} | {r['reliability']} | {md(r['origin'])} "
                f"| {md(record_text(r['supports']))} "
                f"| {md(record_text(r['contradicts']))} |"
            )
        return "\n".join(lines) + "\n"
    title = "# Claims report"
    if report.get("as_of"):
        title += f" as of {_day(report['as_of'])} UTC"
    if report.get("reported_by"):
        title += f", evidence reported by {report['reported_by']}"
    lines += [title, "", _summary_line(report), ""]
    lines += ["| key | status | verdict | score | likelihood | confidence | S | X | channels | "
              "evidence | last change | text |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in report["claims"]:
        lines.append(
            f"| {md(row['key'])} | {row['status']} | {row['verdict'] or ''} | "
            f"{row['score']:.2f} | {row['likelihood']} | {row.get('assessed_confidence', '')} | "
            f"{row['support_origins']} | {row['contradict_origins']} | "
            f"{md(row['channels'])}{_single_channel_mark(row)} | {row['evidence_count']} | "
            f"{_day(row['last_change'])} | {md(row['text'])} |"
        )
    for row in report["claims"]:
        lines += ["", f"## {md(row['key'])}: {row['status']}", "", f"> {md(row['text'])}", ""]
        lines.append(
            f"Score {row['score']:.2f} ({row['likelihood']}; {_confidence_text(row)}); "
            f"S = {row['support_origins']}, "
            f"X = {row['contradict_origins']}; channels: {md(row['channels']) or 'none'}"
            f"{_single_channel_mark(row)}"
            + (
                f"; verdict: {row['verdict']} ({md(row['verdict_reason'])})"
                if row["verdict"]
                else ""
            )  # fmt: skip
        )
        if row.get("links"):
            lines += ["", f"Links: {md(_links_line(row))}"]
        lines.append("")
        for origin in row.get("origins", []):
            lines.append(
                f"- **{origin['stance']}** origin {md(origin['origin'])} "
                f"(reliability {origin['reliability']}, best credibility "
                f"{origin['credibility']}, weight {origin['weight']:+.3f})"
            )
            lines += [f"  - {_md_item(item)}" for item in origin["items"]]
        for item in row.get("not_credible", []):
            lines.append(f"- not credible, left out: {_md_item(item)}")
        for item in row.get("neutral", []):
            lines.append(f"- neutral: {_md_item(item)}")
    return "\n".join(lines) + "\n"


def _chain(item: dict[str, Any]) -> str:
    """An item's via chain as people read it: ryg → dnk."""
    return " → ".join(item.get("via_chain") or [item["via"]])


def _confidence_text(row: dict[str, Any]) -> str:
    low, high = row.get("score_interval") or (0.0, 1.0)
    return f"{row.get('assessed_confidence')} confidence, 80% interval {low:.2f}–{high:.2f}"


def _md_item(item: dict[str, Any]) -> str:
    text = f"#{item['id']} {md(item['source'])}, credibility {item['credibility']}"
    if item.get("via"):
        text += f", via {md(_chain(item))}"
    if item.get("quote"):
        text += f": “{md(item['quote'])}”"
    if item.get("url"):
        text += f" ({md(item['url'])})"
    return text


# --- csv ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_GUARDED = (*_FORMULA_START, "'")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: formulas are prefixed with a quote."""
    if isinstance(value, list | tuple):
        value = ";".join(str(v) for v in value)
    # A text that starts with the quote itself is quoted too, so that import can take
    # exactly one quote off where export added it (transfer.imports.csv_sheet.unguard).
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
        writer.writerow([csv_cell(c) for c in (*cells, _links_line(row))])
    return buffer.getvalue()


# --- json -----------------------------------------------------------------------------------


_SCALAR_TYPES = frozenset((str, int, float, bool, type(None)))


def indented_json(data: Any, level: int = 0) -> str:
    """Exactly `json.dumps(data, ensure_ascii=False, indent=2, default=str)`, but fast.

    With an indent, Python's json falls back to its pure-Python encoder (0.2-0.3 s for a claim
    with 5,000 evidence items). Here the C encoder writes each list or dict in one call, with
    the newline and indentation as its item separator, its non-empty lists and dicts standing
    in as `0`; those are written the same way one level deeper and put in place of their `0`.
    The JSON text of a scalar or a key never holds a raw newline, so splitting at the separator
    finds the items. (An empty list or dict is `[]` or `{}` with or without an indent.)
    """
    if not isinstance(data, dict | list | tuple) or not data:
        return json.dumps(data, ensure_ascii=False, default=str)
    values = data.values() if isinstance(data, dict) else data
    nested = {
        n: indented_json(value, level + 1)
        for n, value in enumerate(values)
        if isinstance(value, dict | list | tuple) and value
    }
    if nested:
        if isinstance(data, dict):
            data = {k: 0 if n in nested else v for n, (k, v) in enumerate(data.items())}
        else:
            data = [0 if n in nested else v for n, v in enumerate(data)]
    flat = _flat_encoder(level)(data)
    inner = "\n" + "  " * (level + 1)
    body = flat[1:-1]
    if nested:
        parts = body.split("," + inner)
        for n, text in nested.items():
            parts[n] = parts[n][:-1] + text  # the `0` (after `"key": ` in a dict)
        body = ("," + inner).join(parts)
    return flat[0] + inner + body + "\n" + "  " * level + flat[-1]


@cache
def _flat_encoder(level: int) -> Callable[[Any], str]:
    inner = "\n" + "  " * (level + 1)
    make = json.encoder.c_make_encoder
    if make is None:  # no C accelerator (another interpreter)
        encoder = json.JSONEncoder(ensure_ascii=False, default=str, separators=("," + inner, ": "))
        return encoder.encode
    # JSONEncoder.encode builds a new C encoder on every call: a claim's 5,000 items made that
    # half the time. This is the one it builds, made once (no circular check: ours are trees).
    encode = make(
        None, str, json.encoder.encode_basestring, None, ": ", "," + inner, False, False, True
    )
    return lambda data: "".join(encode(data, 0))


# One encoder for every row: json.dumps with options builds a new one per call.
_JSON_ROW = json.JSONEncoder(ensure_ascii=False)


def json_text(report: dict[str, Any], width: int | None = None) -> str:
    """One object; each claim (or source) on a line of its own. Indenting everything would
    need the pure-Python encoder, several times slower on large reports."""
    rows_key = "claims" if report["kind"] == "claims" else "sources"
    head = {k: v for k, v in report.items() if k != rows_key}
    rows = ",\n".join(map(_JSON_ROW.encode, report[rows_key]))
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    body = f"\n{rows}\n" if rows else ""
    return json_safe(f'{opening}, "{rows_key}": [{body}]}}\n')


# --- html -----------------------------------------------------------------------------------


def h(value: Any) -> str:
    return html.escape(_plain(value), quote=True)


_CSS = """
:root { --ink:#1c2833; --muted:#5d6d7e; --line:#d5dbdb; --bg:#fbfcfc; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
  background: var(--bg); margin: 0 auto; max-width: 1240px; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 0 0 6px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.counts { display: flex; flex-wrap: wrap; gap: 8px; margin: 0 0 20px; padding: 0; list-style: none; }
.counts li { border: 1px solid var(--line); border-left: 5px solid var(--c); background: #fff;
  border-radius: 4px; padding: 6px 12px; min-width: 110px; }
.counts b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: 24px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 7px; text-align: left; vertical-align: top; }
th { background: #eaeded; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, td:last-child { white-space: nowrap; }
.status { display: inline-block; color: #fff; background: var(--c); border-radius: 3px;
  padding: 0 6px; font-size: 12px; }
.claim { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px;
  margin: 0 0 18px; break-inside: avoid; }
.claim blockquote { margin: 4px 0 8px; font-size: 15px; }
.warn { color: #922b21; }
.origins { margin: 8px 0 0; padding-left: 18px; }
.origins li { margin: 2px 0; }
.q { color: var(--muted); }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; margin-bottom: 24px; }
.scroll table { margin-bottom: 0; }
table.claims td.text { min-width: 14em; }
table.claims td:last-child { white-space: normal; } .nowrap { white-space: nowrap; }
table.claims th:first-child, table.claims td:first-child { position: sticky; left: 0;
  background: #fff; } table.claims th:first-child { background: #eaeded; }
.graph { overflow-x: auto; -webkit-overflow-scrolling: touch; }
.graph svg { max-width: none; }
.links a { white-space: nowrap; }
svg { display: block; height: auto; margin: 8px 0; }
svg a text { fill: #1f4e79; text-decoration: underline; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
.legend span { margin-right: 14px; } .legend i { display: inline-block; width: 18px; height: 3px;
  vertical-align: middle; margin-right: 4px; background: var(--c); }
@media (max-width: 600px) { body { padding: 10px; } .claim { padding: 10px; }
  .counts li { min-width: 0; flex: 1 1 40%; } }
@media print { body { background: #fff; padding: 0; max-width: none; }
  .claim { border-color: #999; } a { color: inherit; text-decoration: none; } }
"""


def html_text(report: dict[str, Any], width: int | None = None) -> str:
    title = "claimtrack report" if report["kind"] == "claims" else "claimtrack sources"
    when = f"as of {_day(report['as_of'])} UTC" if report.get("as_of") else "current state"
    if report.get("reported_by"):
        when += f", evidence reported by {report['reported_by']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        # Nothing may load or run: the file must be safe and complete when opened from disk.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{h(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{h(title)}</h1>",
        f'<p class="meta">{h(when)} · generated {h(_day(report["generated_at"]))} UTC</p>',
    ]
    if report["kind"] == "sources":
        parts.append(_html_sources(report["sources"]))
    else:
        parts.append(_html_counts(report["summary"]))
        if report.get("model"):
            parts.append(f'<p class="meta">{h(_model_line(report))}</p>')
            parts.append(reliability_svg(report["model"].get("evaluation") or {}))
        parts.append(_html_claims_table(report["claims"]))
        parts += [_html_claim(n, row) for n, row in enumerate(report["claims"], 1)]
    if report.get("scoring"):
        parts.append(_html_scoring(report["scoring"]))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_scoring(scoring: dict[str, Any]) -> str:
    """The model and settings the scores came from, so two reports can be compared."""
    origins = scoring.get("settings_from", {})
    rows = "".join(
        f"<tr><td>{h(name)}</td><td>{h(str(value))}</td><td>{h(origins.get(name, 'default'))}"
        "</td></tr>"
        for name, value in scoring["settings"].items()
    )
    return (
        '<details class="scoring"><summary>Scored with the '
        f"{h(scoring['model'])} model; settings</summary>"
        "<table><thead><tr><th>setting</th><th>value</th><th>from</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


def _html_counts(summary: dict[str, Any]) -> str:
    items = [f'<li style="--c:#34495e"><b>{summary["claims"]}</b>claims</li>']
    for status, n in summary["status"].items():
        items.append(f'<li style="--c:{STATUS_COLOURS[status]}"><b>{n}</b>{status}</li>')
    for verdict, n in summary["verdict"].items():
        items.append(f'<li style="--c:#6c3483"><b>{n}</b>{verdict}</li>')
    return '<ul class="counts">' + "".join(items) + "</ul>"


def _status_badge(status: str) -> str:
    return f'<span class="status" style="--c:{STATUS_COLOURS[status]}">{status}</span>'


def _html_claims_table(rows: Sequence[dict[str, Any]]) -> str:
    """Key, status and score first: on a narrow screen the table scrolls sideways with the
    key column kept in view, and those three are what shows without scrolling. On a desktop
    it fits without scrolling: the long headers over short values (confidence: low) break
    at a soft hyphen, and the last change wraps between its day and time."""
    head = ("<tr><th>key</th><th>status</th><th>score</th><th>verdict</th><th>claim</th>"
            "<th>likeli&shy;hood</th><th>confi&shy;dence</th><th>S</th><th>X</th>"
            "<th>channels</th><th>evi&shy;dence</th><th>last change</th></tr>")  # fmt: skip
    body = []
    for row in rows:
        body.append(
            f'<tr><td><a href="#{h(row["key"])}">{h(row["key"])}</a></td>'
            f"<td>{_status_badge(row['status'])}</td>"
            f'<td class="num">{row["score"]:.2f}</td><td>{h(row["verdict"])}</td>'
            f'<td class="text">{h(row["text"])}</td><td>{h(row["likelihood"])}</td>'
            f"<td>{h(row.get('assessed_confidence'))}</td>"
            f'<td class="num">{row["support_origins"]}</td>'
            f'<td class="num">{row["contradict_origins"]}</td>'
            f"<td>{h(row['channels'])}{h(_single_channel_mark(row))}</td>"
            f'<td class="num">{row["evidence_count"]}</td><td>{_html_when(row["last_change"])}</td>'
            "</tr>"
        )
    if not body:
        body.append('<tr><td colspan="12">No claims match.</td></tr>')
    return (
        f'<div class="scroll"><table class="claims"><thead>{head}</thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _html_when(iso: str | None) -> str:
    """'2026-11-30 23:18' that may wrap between the day and the time, never inside the day."""
    return " ".join(f'<span class="nowrap">{h(part)}</span>' for part in _day(iso).split())


def _safe_link(url: str | None) -> str:
    if not url:
        return ""
    if re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return f' <a href="{h(url.strip())}" rel="noreferrer">{h(_short(url, 60))}</a>'
    return f" <span class=q>({h(url)})</span>"


def _html_item(item: dict[str, Any]) -> str:
    text = f"#{item['id']} <b>{h(item['source'])}</b>"
    if item.get("source_name"):
        text += f" ({h(item['source_name'])})"
    text += f", credibility {item['credibility']}"
    if item.get("via"):
        text += f", via {h(_chain(item))}"
    if item.get("quote"):
        text += f' <span class="q">“{h(item["quote"])}”</span>'
    return text + _safe_link(item.get("url"))


def _html_links(row: dict[str, Any]) -> str:
    if not row.get("links"):
        return ""
    parts = []
    for link in row["links"]:
        text = link_text({**link, "claim": ""}).rstrip()
        parts.append(f'{h(text)} <a href="#{h(link["claim"])}">{h(link["claim"])}</a>')
    return '<div class="links">links: ' + "; ".join(parts) + "</div>"


def _html_claim(n: int, row: dict[str, Any]) -> str:
    channel_note = ""
    if row.get("single_channel"):
        channel_note = (
            f' <span class="warn">⚠ {row["support_origins"]} origins, 1 channel '
            f"({h(row['channels'][0])}): a single point of failure</span>"
        )
    verdict = ""
    if row["verdict"]:
        verdict = f" · verdict <b>{h(row['verdict'])}</b>: {h(row['verdict_reason'])}"
    lines = [
        f'<section class="claim" id="{h(row["key"])}">',
        f"<h2>{h(row['key'])} {_status_badge(row['status'])}</h2>",
        f"<blockquote>{h(row['text'])}</blockquote>",
        f"<div>score <b>{row['score']:.2f}</b> ({h(row['likelihood'])}; "
        f"{h(_confidence_text(row))}) · "
        f"S = {row['support_origins']}, X = {row['contradict_origins']} · "
        f"channels: {h(row['channels']) or 'none'}{channel_note}{verdict}</div>",
        _html_links(row),
        evidence_svg(row),
        '<ul class="origins">',
    ]
    for origin in row.get("origins", []):
        lines.append(
            f'<li><b style="color:{STANCE_COLOURS[origin["stance"]]}">{origin["stance"]}</b>'
            f" origin <b>{h(origin['origin'])}</b> (reliability {origin['reliability']}, "
            f"best credibility {origin['credibility']}, weight {origin['weight']:+.3f})<ul>"
            + "".join(f"<li>{_html_item(item)}</li>" for item in origin["items"])
            + "</ul></li>"
        )
    for item in row.get("not_credible", []):
        lines.append(f"<li>not credible, left out: {_html_item(item)}</li>")
    for item in row.get("neutral", []):
        lines.append(f"<li>neutral: {_html_item(item)}</li>")
    lines += ["</ul>", "</section>"]
    return "\n".join(lines)


def _svg_text(x: float, y: float, text: str, *, limit: int = 40, anchor: str = "start",
              weight: str = "normal") -> str:  # fmt: skip
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="{anchor}" font-weight="{weight}">'
        f"{h(_short(_plain(text), limit))}</text>"
    )


def evidence_svg(row: dict[str, Any]) -> str:
    """Sources (grouped in boxes by origin) → channels (via) → the claim, edges by stance;
    the claims it is linked to below the claim.

    Each item keeps its own horizontal lane until it turns toward the claim, and a via pill
    sits on the lane of each item relayed through it: an edge passes through a pill only if
    its item came through that channel. The drawing keeps its size (a narrow screen scrolls
    it sideways) so its text stays readable.
    """
    groups: list[tuple[str, str, bool, list[dict[str, Any]]]] = []
    for origin in row.get("origins", []):
        label = f"origin {origin['origin']} · {origin['reliability']}"
        groups.append((label, origin["stance"], True, origin["items"]))
    for name, stance_of in (("not_credible", None), ("neutral", "neutral")):
        by_origin: dict[str, list[dict[str, Any]]] = {}
        for item in row.get(name, []):
            by_origin.setdefault(item["origin"], []).append(item)
        for origin_key, items in by_origin.items():
            label = f"origin {origin_key} · {items[0]['origin_reliability']}"
            label += " · not credible" if name == "not_credible" else " · neutral"
            groups.append((label, stance_of or items[0]["stance"], False, items))
    links = row.get("links", [])
    if not groups and not links:
        return '<p class="q">No evidence.</p>'
    row_h, head_h, gap, top = 20, 18, 10, 10
    evidence_h = top + sum(head_h + row_h * len(items) + 8 + gap for *_, items in groups)
    width, box_w, via_x, via_w, claim_x, claim_w = 760, 300, 360, 150, 590, 160
    claim_y = max(evidence_h / 2, 34)
    link_top = claim_y + 40
    height = max(evidence_h, link_top + 26 * len(links), 70)
    shapes: list[str] = []
    edges: list[str] = []
    y = top
    for label, stance, counted, items in groups:
        box_h = head_h + row_h * len(items) + 8
        dash = "" if counted else ' stroke-dasharray="4 3"'
        colour = STANCE_COLOURS[stance] if counted else "#aab7b8"
        width_attr = f'stroke-width="{2 if counted else 1.2}"'
        shapes.append(
            f'<rect x="10" y="{y:.0f}" width="{box_w}" height="{box_h}" rx="6" fill="#f8f9f9" '
            f'stroke="{STANCE_COLOURS[stance]}"{dash}/>'
        )
        shapes.append(_svg_text(18, y + 13, label, limit=44, weight="bold"))
        for n, item in enumerate(items):
            iy = y + head_h + row_h * n + 10
            shapes.append(
                _svg_text(
                    26, iy + 4, f"#{item['id']} {item['source']} · {item['credibility']}", limit=40
                )  # fmt: skip
            )
            # Along the item's own lane to the turn, then a curve to the claim.
            turn = via_x + via_w
            edges.append(
                f'<path d="M{box_w + 10},{iy:.0f} H{turn} C{turn + 30},{iy:.0f} '
                f'{claim_x - 30},{claim_y:.0f} {claim_x},{claim_y:.0f}" fill="none" '
                f'stroke="{colour}" {width_attr}{dash}/>'
            )
            if item.get("via"):
                shapes.append(
                    f'<rect x="{via_x}" y="{iy - 8:.0f}" width="{via_w}" height="16" rx="8" '
                    f'fill="#fff" stroke="{colour}"{dash}/>'
                )
                shapes.append(
                    _svg_text(
                        via_x + via_w / 2, iy + 4, f"via {_chain(item)}", limit=24, anchor="middle"
                    )  # fmt: skip
                )
        y += box_h + gap
    status_colour = STATUS_COLOURS[row["status"]]
    shapes.append(
        f'<rect x="{claim_x}" y="{claim_y - 24:.0f}" width="{claim_w}" height="48" rx="6" '
        f'fill="{status_colour}"/>'
    )
    shapes.append(
        f'<text x="{claim_x + claim_w / 2:.0f}" y="{claim_y - 5:.0f}" text-anchor="middle" '
        f'style="fill:#fff;font-weight:bold">{h(_short(row["key"], 22))}</text>'
    )
    shapes.append(
        f'<text x="{claim_x + claim_w / 2:.0f}" y="{claim_y + 12:.0f}" text-anchor="middle" '
        f'style="fill:#fff">{row["status"]} · {row["score"]:.2f}</text>'
    )
    for n, link in enumerate(links):
        ly = link_top + 26 * n + 10
        colour = STANCE_COLOURS[link["relation"]]
        edges.append(
            f'<path d="M{claim_x + 12},{claim_y + 24:.0f} V{ly:.0f} H{claim_x + 24}" '
            f'fill="none" stroke="{colour}" stroke-width="1.5"/>'
        )
        shapes.append(
            f'<a href="#{h(link["claim"])}">'
            + _svg_text(claim_x + 28, ly + 4, link_text(link), limit=26)
            + "</a>"
        )
    legend = (
        '<div class="legend q">'
        + "".join(
            f'<span><i style="--c:{colour}"></i>{stance}</span>'
            for stance, colour in STANCE_COLOURS.items()
        )
        + "<span>dashed: not credible, left out · boxes: one independent origin · "
        "pills: the channel an item came through</span></div>"
    )
    return (
        '<div class="graph">'
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height:.0f}" '
        f'width="{width}" height="{height:.0f}" role="img" '
        f'aria-label="evidence network of {h(row["key"])}">'
        + "".join(edges)
        + "".join(shapes)
        + "</svg></div>"
        + legend
    )


def reliability_svg(evaluation: dict[str, Any]) -> str:
    """The fitted model's reliability diagram: predicted against observed per bin, on the
    verdicted claims (each scored without its own verdict); the diagonal is perfect
    calibration, each dot's area the number of claims in its bin. Empty without a fit."""
    rows = evaluation.get("reliability") or []
    if not rows:
        return ""
    size, pad = 240, 30
    span = size - 2 * pad

    def x(p: float) -> float:
        return pad + p * span

    def y(p: float) -> float:
        return size - pad - p * span

    most = max(row["claims"] for row in rows)
    dots = "".join(
        f'<circle cx="{x(row["predicted"]):.1f}" cy="{y(row["observed"]):.1f}" '
        f'r="{2 + 6 * (row["claims"] / most) ** 0.5:.1f}" fill="#2e86c1" fill-opacity="0.7">'
        f"<title>{h(row['bin'])}: {row['claims']} claims, predicted {row['predicted']:.2f}, "
        f"observed {row['observed']:.2f}</title></circle>"
        for row in rows
    )
    line = " ".join(f"{x(row['predicted']):.1f},{y(row['observed']):.1f}" for row in rows)
    fitted = next((m for m in evaluation.get("models", []) if m["model"] == "fitted"), None)
    caption = f"Reliability of the score on {evaluation.get('verdicts', 0)} verdicted claims"
    if fitted and fitted.get("auc") is not None:
        caption += f" (AUC {fitted['auc']:.3f}, Brier {fitted['brier']:.3f})"
    return (
        f'<figure class="reliability"><svg xmlns="http://www.w3.org/2000/svg" '
        f'width="{size}" height="{size}" viewBox="0 0 {size} {size}" role="img" '
        f'aria-label="reliability diagram">'
        f'<rect x="{pad}" y="{pad}" width="{span}" height="{span}" fill="none" stroke="#ccc"/>'
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="#999" '
        'stroke-dasharray="4 3"/>'
        f'<polyline points="{line}" fill="none" stroke="#2e86c1"/>{dots}'
        f'<text x="{size / 2}" y="{size - 6}" text-anchor="middle" font-size="11">predicted</text>'
        f'<text x="10" y="{size / 2}" font-size="11" transform="rotate(-90 10 {size / 2})" '
        'text-anchor="middle">observed</text></svg>'
        f"<figcaption>{h(caption)}</figcaption></figure>"
    )


def _html_sources(rows: Sequence[dict[str, Any]]) -> str:
    head = ("<tr><th>key</th><th>name</th><th>reliability</th><th>origin</th>"
            "<th>supported</th><th>contradicted</th></tr>")  # fmt: skip
    body = "".join(
        f"<tr><td>{h(r['key'])}</td><td>{h(r['name'])}</td><td>{r['reliability']}</td>"
        f"<td>{h(r['origin'])}</td><td>{h(record_text(r['supports']))}</td>"
        f"<td>{h(record_text(r['contradicts']))}</td></tr>"
        for r in rows
    )
    return f"<table><thead>{head}</thead><tbody>{body}</tbody></table>"


def tsv_text(report: dict[str, Any], width: int | None = None) -> str:
    return csv_text(report, delimiter="\t")


def jsonl_text(report: dict[str, Any], width: int | None = None) -> str:
    """One claim (or source) per line, nothing else: the summary is in the json format."""
    rows = report["claims"] if report["kind"] == "claims" else report["sources"]
    return "".join(json_safe(_JSON_ROW.encode(row)) + "\n" for row in rows)


# --- listings (every list command) ----------------------------------------------------------


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


def listing_json(listing: Listing, width: int | None = None) -> str:
    return json_safe(indented_json(listing.rows)) + "\n"


def listing_jsonl(listing: Listing, width: int | None = None) -> str:
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    return "".join(json_safe(encode(row)) + "\n" for row in listing.rows)


def listing_markdown(listing: Listing, width: int | None = None) -> str:
    if not listing.rows:
        return listing.empty + "\n"
    columns = list(listing.columns)
    lines = ["| " + " | ".join(md(listing.header(c)) for c in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    for row in listing.rows:
        lines.append("| " + " | ".join(md(listing.cell(row, c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"


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
    "html": Renderer(None, html_text),
}
LIST_FORMATS = tuple(name for name, r in RENDERERS.items() if r.listing)
FORMATS = tuple(name for name, r in RENDERERS.items() if r.report)


def render(report: dict[str, Any], fmt: str, *, width: int | None = None) -> str:
    """A report's text in a format; with a width (a terminal's), a table fits it."""
    return RENDERERS[fmt].report(report, width)


def render_listing(listing: Listing, fmt: str, *, width: int | None = None) -> str:
    return RENDERERS[fmt].listing(listing, width)


# --- explain --------------------------------------------------------------------------------


def explanation_text(data: dict[str, Any]) -> str:
    """`claimtrack explain` for people: every line can be checked by hand."""
    out = [f"{data['key']}: {_plain(data['text'])}"]
    if data.get("as_of"):
        out.append(f"as of {_day(data['as_of'])} UTC")
    if data.get("reported_by"):
        out.append(f"evidence reported by {data['reported_by']} (observed then, or recorded then)")
    s, x = data["support_origins"], data["contradict_origins"]
    out.append(f"status: {data['status']}  (S = {s}, X = {x}; rule: {data['rule']})")
    if data.get("verdict"):
        out.append(f"verdict: {data['verdict']} ({_plain(data['verdict_reason'])})")
    prior_odds = data["prior_log_odds"]
    out.append(
        f"score: {data['score']:.4f} ({data['likelihood']}) = logistic of log-odds "
        f"{data['log_odds']:+.4f}: prior {data['prior']} ({prior_odds:+.4f})"
        + "".join(f" {o['weight']:+.4f}" for o in data["origins"])
    )
    if "assessed_confidence" in data:
        out.append(f"confidence: {_confidence_text(data)}")
        out.append(f"model: {data['model']}")
    for stance, title in (("supports", "Supporting"), ("contradicts", "Contradicting")):
        origins = [o for o in data["origins"] if o["stance"] == stance]
        count = s if stance == "supports" else x
        out += ["", f"{title} origins ({'S' if stance == 'supports' else 'X'} = {count})"]
        if not origins:
            out.append("  none")
        for o in origins:
            folded = f", {len(o['items'])} items folded into one" if len(o["items"]) > 1 else ""
            out.append(
                f"  {o['origin']}: reliability {o['reliability']}, best credibility "
                f"{o['credibility']} → {o['weight']:+.4f}{folded}"
            )
            if o.get("weight_from"):
                discount = ""
                if o.get("channel_factor", 1.0) != 1.0:
                    discount = f"; × {o['channel_factor']:.2f} for the shared channel"
                out.append(f"    weight from: {o['weight_from']}{discount}")
            for item in o["items"]:
                mark = "*" if item["counted"] else " "
                out.append(f"   {mark} {_explain_item(item)} — {item['why']}")
    if data["not_credible"]:
        out += ["", "Left out as not credible (no weight, not counted in S or X)"]
        out += [f"    {_explain_item(i)} — {i['why']}" for i in data["not_credible"]]
    if data["neutral"]:
        out += ["", "Neutral (no weight)"]
        out += [f"    {_explain_item(i)}" for i in data["neutral"]]
    out += ["", f"Channels of support: {', '.join(data['channels']) or 'none'}"]
    if data["channel_warning"]:
        out.append(f"  warning: {data['channel_warning']}")
    out += ["", "Fragility (the status without each origin)"]
    if not data["fragility"]:
        out.append("  no credible origin to take away")
    for f in data["fragility"]:
        flag = "  ← the status hangs on this origin" if f["changes_status"] else ""
        out.append(f"  without {f['origin']}: {f['status']} (score {f['score']:.4f}){flag}")
    out += ["", "* the item whose credibility was counted for its origin"]
    return "\n".join(out)


def _explain_item(item: dict[str, Any]) -> str:
    text = f"#{item['id']} {item['source']} ({item['stance']}, credibility {item['credibility']}"
    text += f", via {_chain(item)})" if item.get("via") else ")"
    if item.get("quote"):
        text += f' "{_short(_plain(item["quote"]), 70)}"'
    return text
