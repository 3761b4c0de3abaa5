"""The HTML report: one self-contained file (nothing loads or runs) with counts, the claims
table, each claim's evidence drawn as a network (SVG), and the score's reliability diagram."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

from .text import (
    chain_text,
    clipped,
    confidence_text,
    link_text,
    model_line,
    plain,
    record_text,
    single_channel_mark,
    timestamp,
)

STANCE_COLOURS = {"supports": "#1b7f3b", "contradicts": "#c0392b", "neutral": "#7f8c8d"}
STATUS_COLOURS = {
    "corroborated": "#1b7f3b",
    "unverified": "#7f8c8d",
    "contested": "#d68910",
    "disputed": "#ca6f1e",
    "refuted": "#c0392b",
}


def h(value: Any) -> str:
    return html.escape(plain(value), quote=True)


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
    when = f"as of {timestamp(report['as_of'])} UTC" if report.get("as_of") else "current state"
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
        f'<p class="meta">{h(when)} · generated {h(timestamp(report["generated_at"]))} UTC</p>',
    ]
    if report["kind"] == "sources":
        parts.append(_html_sources(report["sources"]))
    else:
        parts.append(_html_counts(report["summary"]))
        if report.get("model"):
            parts.append(f'<p class="meta">{h(model_line(report))}</p>')
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
            f"<td>{h(row['channels'])}{h(single_channel_mark(row))}</td>"
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
    return " ".join(f'<span class="nowrap">{h(part)}</span>' for part in timestamp(iso).split())


def _safe_link(url: str | None) -> str:
    if not url:
        return ""
    if re.match(r"^https?://", url.strip(), re.IGNORECASE):
        return f' <a href="{h(url.strip())}" rel="noreferrer">{h(clipped(url, 60))}</a>'
    return f" <span class=q>({h(url)})</span>"


def _html_item(item: dict[str, Any]) -> str:
    text = f"#{item['id']} <b>{h(item['source'])}</b>"
    if item.get("source_name"):
        text += f" ({h(item['source_name'])})"
    text += f", credibility {item['credibility']}"
    if item.get("via"):
        text += f", via {h(chain_text(item))}"
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
        f"{h(confidence_text(row))}) · "
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
        f"{h(clipped(plain(text), limit))}</text>"
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
                        via_x + via_w / 2,
                        iy + 4,
                        f"via {chain_text(item)}",
                        limit=24,
                        anchor="middle",
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
        f'style="fill:#fff;font-weight:bold">{h(clipped(row["key"], 22))}</text>'
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
