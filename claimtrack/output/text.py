"""The phrases every format shares: a value as one line of text, a source's track record, a
link between claims, a claim's confidence and single-channel warning, a report's summary."""

from __future__ import annotations

from typing import Any

from ..terminal import shown
from ..vocabulary import counted

# A claims report's columns, in the order its table shows them (csv adds its own).
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
# A source's track record: how many claims, by status, by verdict.
RECORD_FIELDS = ["claims", "corroborated", "contested", "refuted", "disputed", "unverified",
                 "confirmed", "debunked"]  # fmt: skip


def plain(value: Any) -> str:
    """User text on one line, its control characters escaped (claimtrack.terminal)."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return shown(", ".join(str(v) for v in value))
    return shown(" ".join(str(value).split()))


def clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def timestamp(iso: str | None) -> str:
    """'2026-11-30T23:18:04+00:00' as '2026-11-30 23:18'."""
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
    text = f"{lead}{counted(total, 'claim')}: " + _listed(statuses, total)
    judged = sum(n for _, n in verdicts)
    if judged:
        text += f"; {judged} with a verdict: " + _listed(verdicts, judged)
    return text


def _listed(parts: list[tuple[str, int]], total: int) -> str:
    """'2 corroborated, 1 contested'; of one claim, only the name."""
    if total == 1:
        return ", ".join(name for name, _ in parts)
    return ", ".join(f"{n} {name}" for name, n in parts)


_PASSIVE = {"supports": "supported", "contradicts": "contradicted"}


def link_text(link: dict[str, str]) -> str:
    """'supports halt' (this claim supports halt) or 'supported by decrees'."""
    if link["direction"] == "out":
        return f"{link['relation']} {link['claim']}"
    return f"{_PASSIVE[link['relation']]} by {link['claim']}"


def links_line(row: dict[str, Any]) -> str:
    return "; ".join(link_text(link) for link in row.get("links", []))


def chain_text(item: dict[str, Any]) -> str:
    """An item's via chain as people read it: ryg → dnk."""
    return " → ".join(item.get("via_chain") or [item["via"]])


def confidence_text(row: dict[str, Any]) -> str:
    low, high = row.get("score_interval") or (0.0, 1.0)
    return f"{row.get('assessed_confidence')} confidence, 80% interval {low:.2f}–{high:.2f}"


def single_channel_mark(row: dict[str, Any]) -> str:
    """The single point of failure, beside the channels wherever they are shown."""
    if not row.get("single_channel"):
        return ""
    return f" ⚠ {row['support_origins']} origins, 1 channel"


def model_line(report: dict[str, Any]) -> str:
    model = report.get("model")
    return f"Scores by {model['name']}." if model else ""


def summary_line(report: dict[str, Any]) -> str:
    summary = report["summary"]
    counts = ", ".join(f"{n} {status}" for status, n in summary["status"].items() if n)
    verdicts = ", ".join(f"{n} {name}" for name, n in summary["verdict"].items() if n)
    line = f"{counted(summary['claims'], 'claim')}: {counts or 'none'}"
    if verdicts:
        line += f"; verdicts: {verdicts}"
    if report.get("as_of"):
        line += f" (as of {timestamp(report['as_of'])} UTC)"
    if report.get("reported_by"):
        line += f" (evidence reported by {report['reported_by']})"
    if report.get("model"):
        line += "\n" + model_line(report)
    return line
