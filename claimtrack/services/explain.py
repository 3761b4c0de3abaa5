"""Why a claim has its status and score, line by line, and which single origins it hangs on."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Evidence, Source
from ..settings import load_settings
from ..status import (
    NOT_CREDIBLE_CREDIBILITY,
    NOT_CREDIBLE_RELIABILITY,
    EvidenceItem,
    assess,
    channel_of,
    fragility,
    status_rule,
)
from .as_of import SourceState, chain, claim_states, source_states
from .assessments import evidence_items
from .common import get_claim
from .report import claim_as_of, item_view
from .score_model import model_in_use


def _why_not_credible(item: EvidenceItem) -> str:
    reasons = []
    if item.origin_reliability == NOT_CREDIBLE_RELIABILITY:
        reasons.append(f"its origin {item.origin} is graded E (unreliable)")
    if item.credibility == NOT_CREDIBLE_CREDIBILITY:
        reasons.append("the item is graded 5 (improbable)")
    return " and ".join(reasons)


def _folding(
    items: tuple[EvidenceItem, ...],
    origin: str,
    sources: dict[str, SourceState],
    by_id: dict[int, SourceState],
    best: int,
) -> list[dict[str, Any]]:
    """Each item of one origin group, with why it belongs to that origin."""
    counted = next(item.id for item in items if item.credibility == best)
    first_of_source: dict[str, int] = {}
    views = []
    for item in items:
        if item.source in first_of_source:
            why = f"same source as item {first_of_source[item.source]}"
        elif item.source == origin:
            why = "the origin itself"
        else:
            state = sources.get(item.source)
            path = chain(by_id, state.id) if state else [item.source, origin]
            why = "derived from: " + " → ".join(path)
        first_of_source.setdefault(item.source, item.id)
        view = item_view(item)
        view["why"] = why
        view["counted"] = item.id == counted
        views.append(view)
    return views


def _chains(session: Session, claim_id: int) -> dict[int, SourceState]:
    """The claim's sources and the sources up their derived-from chains, by id: one recursive
    query, so explain reads a few sources however many the database holds."""
    chains = (
        select(Evidence.source_id.label("id"))
        .where(Evidence.claim_id == claim_id)
        .cte("chains", recursive=True)
    )
    chains = chains.union(
        select(Source.derived_from_id)
        .join(chains, Source.id == chains.c.id)
        .where(Source.derived_from_id.is_not(None))
    )
    rows = session.execute(
        select(
            Source.id, Source.key, Source.name, Source.reliability, Source.derived_from_id
        ).where(Source.id.in_(select(chains.c.id)))
    )
    return {row[0]: SourceState(*row) for row in rows}


def explain_claim(
    session: Session, key: str, *, as_of: datetime | None = None, reported_by: str | None = None
) -> dict[str, Any]:
    """Status, rule, score and every item's part in them; fragility per origin. With
    `reported_by` (YYYY-MM-DD), only the evidence reported by then."""
    settings = load_settings()
    current = get_claim(session, key)
    if as_of is not None:
        claim_as_of(session, key, as_of)  # refuses a claim that did not exist yet
    claim = claim_states(session, [current.id], as_of)[current.id]
    items = evidence_items(
        session, [claim.id], as_of=as_of, reported_by=reported_by, detail=True
    ).get(claim.id, [])
    model = model_in_use(session, settings, as_of)
    weights = model.for_claim(claim.id)
    assessment = assess(items, settings, weights)
    by_id = source_states(session, as_of) if as_of is not None else _chains(session, claim.id)
    sources = {state.key: state for state in by_id.values()}
    s, x = assessment.support_origins, assessment.contradict_origins
    origins = []
    for contribution in assessment.contributions:
        origins.append(
            {
                "origin": contribution.origin,
                "stance": contribution.stance,
                "reliability": contribution.reliability,
                "credibility": contribution.credibility,
                "weight": round(contribution.weight, 4),
                "channel_factor": round(contribution.channel_factor, 4),
                "weight_from": contribution.why,
                "items": _folding(
                    contribution.items,
                    contribution.origin,
                    sources,
                    by_id,
                    contribution.credibility,
                ),
            }
        )
    channels = sorted(assessment.support_channels)
    warning = None
    if assessment.single_channel:
        factor = assessment.contributions[0].channel_factor
        warning = (
            f"all support comes through one channel: {channels[0]} ({s} origins, 1 channel); "
            "if that channel is wrong, every supporting item is, so each supporting origin "
            f"keeps {factor:.2f} of its weight"
        )
    else:
        shared = _shared_channels(assessment.contributions)
        if shared:
            warning = "; ".join(
                f"{len(origins)} of {s} supporting origins come through one channel, {channel} "
                f"({', '.join(origins)}): if it is wrong, all of them are, so each keeps "
                f"{factor:.2f} of its weight"
                for channel, (origins, factor) in shared.items()
            )
    without = []
    for origin, other in fragility(items, settings, weights).items():
        without.append(
            {
                "origin": origin,
                "status": other.status,
                "score": other.score,
                "likelihood": other.likelihood,
                "changes_status": other.status != assessment.status,
            }
        )
    return {
        "key": claim.key,
        "text": claim.text,
        "as_of": as_of.isoformat() if as_of else None,
        "reported_by": reported_by,
        "status": assessment.status,
        "rule": status_rule(s, x, settings),
        "support_origins": s,
        "contradict_origins": x,
        "verdict": claim.verdict,
        "verdict_reason": claim.verdict_reason,
        "model": model.name,
        "model_detail": model.describe(),
        "prior": round(1 / (1 + math.exp(-weights.prior_log_odds())), 4),
        "prior_log_odds": round(weights.prior_log_odds(), 4),
        "log_odds": round(assessment.log_odds, 4),
        "score": assessment.score,
        "likelihood": assessment.likelihood,
        "assessed_confidence": assessment.assessed_confidence,
        "score_interval": list(assessment.interval),
        "single_channel": assessment.single_channel,
        "origins": origins,
        "not_credible": [
            {**item_view(item), "why": _why_not_credible(item)} for item in assessment.not_credible
        ],
        "neutral": [item_view(item) for item in assessment.neutral],
        "channels": channels,
        "channel_warning": warning,
        "fragility": without,
    }


def _shared_channels(contributions) -> dict[str, tuple[list[str], float]]:
    """Channels that two or more supporting origins share (all of each one's support came
    through it): channel -> (those origins, the share of its weight each keeps)."""
    shared: dict[str, tuple[list[str], float]] = {}
    for contribution in contributions:
        if contribution.stance != "supports" or contribution.channel_factor >= 1.0:
            continue
        (channel,) = {channel_of(item) for item in contribution.items}
        shared.setdefault(channel, ([], contribution.channel_factor))[0].append(contribution.origin)
    return shared
