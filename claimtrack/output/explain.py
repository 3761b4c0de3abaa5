"""`claimtrack explain` for people: how a claim's status and score came about."""

from __future__ import annotations

from typing import Any

from .text import chain_text, clipped, confidence_text, plain, timestamp


def explanation_text(data: dict[str, Any]) -> str:
    """`claimtrack explain` for people: every line can be checked by hand."""
    out = [f"{data['key']}: {plain(data['text'])}"]
    if data.get("as_of"):
        out.append(f"as of {timestamp(data['as_of'])} UTC")
    if data.get("reported_by"):
        out.append(f"evidence reported by {data['reported_by']} (observed then, or recorded then)")
    s, x = data["support_origins"], data["contradict_origins"]
    out.append(f"status: {data['status']}  (S = {s}, X = {x}; rule: {data['rule']})")
    if data.get("verdict"):
        out.append(f"verdict: {data['verdict']} ({plain(data['verdict_reason'])})")
    prior_odds = data["prior_log_odds"]
    out.append(
        f"score: {data['score']:.4f} ({data['likelihood']}) = logistic of log-odds "
        f"{data['log_odds']:+.4f}: prior {data['prior']} ({prior_odds:+.4f})"
        + "".join(f" {o['weight']:+.4f}" for o in data["origins"])
    )
    if "assessed_confidence" in data:
        out.append(f"confidence: {confidence_text(data)}")
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
    text += f", via {chain_text(item)})" if item.get("via") else ")"
    if item.get("quote"):
        text += f' "{clipped(plain(item["quote"]), 70)}"'
    return text
