"""Markdown: user text made inert (no markup, no raw HTML), a report with each claim's
evidence, a list command's rows as a table."""

from __future__ import annotations

import re
from typing import Any

from .tables import Listing
from .text import (
    chain_text,
    confidence_text,
    links_line,
    plain,
    record_text,
    single_channel_mark,
    summary_line,
    timestamp,
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#])")


def md(value: Any) -> str:
    """User text made inert in markdown: no markup, no raw HTML, one line."""
    text = _MD_SPECIAL.sub(r"\\\1", plain(value))
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
        title += f" as of {timestamp(report['as_of'])} UTC"
    if report.get("reported_by"):
        title += f", evidence reported by {report['reported_by']}"
    lines += [title, "", summary_line(report), ""]
    lines += ["| key | status | verdict | score | likelihood | confidence | S | X | channels | "
              "evidence | last change | text |",
              "|---|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for row in report["claims"]:
        lines.append(
            f"| {md(row['key'])} | {row['status']} | {row['verdict'] or ''} | "
            f"{row['score']:.2f} | {row['likelihood']} | {row.get('assessed_confidence', '')} | "
            f"{row['support_origins']} | {row['contradict_origins']} | "
            f"{md(row['channels'])}{single_channel_mark(row)} | {row['evidence_count']} | "
            f"{timestamp(row['last_change'])} | {md(row['text'])} |"
        )
    for row in report["claims"]:
        lines += ["", f"## {md(row['key'])}: {row['status']}", "", f"> {md(row['text'])}", ""]
        lines.append(
            f"Score {row['score']:.2f} ({row['likelihood']}; {confidence_text(row)}); "
            f"S = {row['support_origins']}, "
            f"X = {row['contradict_origins']}; channels: {md(row['channels']) or 'none'}"
            f"{single_channel_mark(row)}"
            + (
                f"; verdict: {row['verdict']} ({md(row['verdict_reason'])})"
                if row["verdict"]
                else ""
            )  # fmt: skip
        )
        if row.get("links"):
            lines += ["", f"Links: {md(links_line(row))}"]
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


def _md_item(item: dict[str, Any]) -> str:
    text = f"#{item['id']} {md(item['source'])}, credibility {item['credibility']}"
    if item.get("via"):
        text += f", via {md(chain_text(item))}"
    if item.get("quote"):
        text += f": “{md(item['quote'])}”"
    if item.get("url"):
        text += f" ({md(item['url'])})"
    return text


def listing_markdown(listing: Listing, width: int | None = None) -> str:
    if not listing.rows:
        return listing.empty + "\n"
    columns = list(listing.columns)
    lines = ["| " + " | ".join(md(listing.header(c)) for c in columns) + " |"]
    lines.append("|" + "---|" * len(columns))
    for row in listing.rows:
        lines.append("| " + " | ".join(md(listing.cell(row, c)) for c in columns) + " |")
    return "\n".join(lines) + "\n"
