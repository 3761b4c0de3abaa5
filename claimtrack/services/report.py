"""Reports: where every claim stands and why, now or as recorded at a past date.

Everything is read with a fixed number of statements (claims, tags, evidence, last changes,
and for --as-of the history to undo), whatever the number of claims; filters and grouping
happen in memory on those rows.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from .. import values
from ..errors import NextStep, NotFound
from ..models import Claim, ClaimLink, Evidence, HistoryEvent, KeyAlias, utcnow
from ..settings import load_settings, scoring_record
from ..status import (
    SORTS,
    STATUSES,
    Assessment,
    EvidenceItem,
    Standing,
    assess,
    status_rule,
    via_chain,
)
from .as_of import ClaimState, chain, claim_states, last_changes, source_states
from .assessments import ClaimStanding, assess_claims, claim_standings, evidence_items
from .claim_filter import ClaimFilter
from .claims import judgement_fields
from .common import get_claim, get_source
from .score_model import model_in_use

VERDICT_NAMES = ("confirmed", "debunked")


@dataclass(frozen=True)
class ReportQuery:
    claims: ClaimFilter = ClaimFilter()
    as_of: datetime | None = None
    reported_by: str | None = None  # YYYY-MM-DD: only evidence reported by then
    sort: str = "key"
    reverse: bool = False
    detail: bool = True


def item_view(item: EvidenceItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "source": item.source,
        "source_name": item.source_name,
        "origin": item.origin,
        "origin_reliability": item.origin_reliability,
        "stance": item.stance,
        "credibility": item.credibility,
        "via": item.via,
        "via_chain": list(via_chain(item)),
        "quote": item.quote,
        "url": item.url,
        "observed": item.observed,
    }


def origin_views(assessment: Assessment) -> list[dict[str, Any]]:
    """The evidence grouped by independent origin and stance, with each group's weight."""
    return [
        {
            "origin": c.origin,
            "stance": c.stance,
            "reliability": c.reliability,
            "credibility": c.credibility,
            "weight": round(c.weight, 4),
            "items": [item_view(i) for i in c.items],
        }
        for c in assessment.contributions
    ]


def claim_row(
    claim: ClaimState,
    standing: Standing,
    channels: Iterable[str],
    evidence_count: int,
    last_change: datetime | None,
    model: str,
) -> dict[str, Any]:
    """One claim of a report. Shares its field names (and values) with `claim list --json`."""
    channels = sorted(channels)
    return {
        "key": claim.key,
        "text": claim.text,
        "status": standing.status,
        "verdict": claim.verdict,
        "verdict_reason": claim.verdict_reason,
        "confidence": claim.confidence,
        "score": standing.score,
        "likelihood": standing.likelihood,
        **judgement_fields(standing, model),
        "support_origins": standing.support_origins,
        "contradict_origins": standing.contradict_origins,
        "support_channels": len(channels),
        "channels": channels,
        "evidence_count": evidence_count,
        "last_change": (last_change or claim.updated_at).isoformat(),
        "tags": list(claim.tags),
        "event_date": claim.event_date,
        "place": claim.place,
    }


def detail_fields(assessment: Assessment) -> dict[str, Any]:
    """What a detailed report adds to a claim's row: its evidence grouped by origin."""
    return {
        "origins": origin_views(assessment),
        "not_credible": [item_view(i) for i in assessment.not_credible],
        "neutral": [item_view(i) for i in assessment.neutral],
    }


def _sort_key(sort: str):
    order = {status: n for n, status in enumerate(STATUSES)}
    return {
        "key": lambda r: r["key"],
        "status": lambda r: (order[r["status"]], r["key"]),
        "score": lambda r: (-r["score"], r["key"]),
        "last-change": lambda r: (_negated(r["last_change"]), r["key"]),
        "evidence": lambda r: (-r["evidence_count"], r["key"]),
        "origins": lambda r: (-(r["support_origins"] + r["contradict_origins"]), r["key"]),
    }[sort]


def _negated(iso: str) -> float:
    return -datetime.fromisoformat(iso).timestamp()


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A report allocates a few objects per claim and per item and frees them by reference
    counting: none form cycles. Left on, the cyclic collector rescans the growing heap each
    time it has grown by a quarter: a quarter of the CPU time of a 100,000-claim report."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def claims_report(session: Session, query: ReportQuery) -> dict[str, Any]:
    """Every claim matching the filters, with status, score, S, X, channels, last change and
    (with `detail`) its evidence grouped by origin."""
    with _no_cycle_collection():
        return _claims_report(session, query)


def _claims_report(session: Session, query: ReportQuery) -> dict[str, Any]:
    values.one_of(query.sort, SORTS, field="sort")
    flt = query.claims
    source_key = get_source(session, flt.source).key if flt.source else None
    ids = flt.claim_ids(session, as_of=query.as_of)
    settings = load_settings()
    claims = claim_states(session, ids, query.as_of)
    changes = last_changes(session, ids, query.as_of)
    # Without detail, history or a reported-by date, one pass over the items' grades gives
    # the same status and score as assessing every item.
    grouped = not query.detail and query.as_of is None and query.reported_by is None
    model = model_in_use(session, settings, query.as_of)
    if grouped:
        standings = claim_standings(session, settings, model)
        items: dict[int, list[EvidenceItem]] = {}
    else:
        standings = {}
        items = evidence_items(
            session, ids, as_of=query.as_of, reported_by=query.reported_by, detail=query.detail
        )
    rows = []
    for claim in claims.values():
        if grouped:
            standing, channels, count = standings.get(claim.id) or ClaimStanding(
                assess([], settings, model.for_claim(claim.id)).standing, [], 0
            )
        else:
            claim_items = items.get(claim.id, [])
            assessment = assess(claim_items, settings, model.for_claim(claim.id))
            standing, channels, count = (
                assessment.standing,
                assessment.support_channels,
                len(claim_items),
            )
        if not flt.keeps(standing.status):
            continue
        row = claim_row(claim, standing, channels, count, changes.get(claim.id), model.name)
        if query.detail:
            row.update(detail_fields(assessment))
        rows.append(row)
    links = claim_links_by_key(session, query.as_of)
    for row in rows:
        row["links"] = links.get(row["key"], [])
    rows.sort(key=_sort_key(query.sort), reverse=query.reverse)
    return {
        "kind": "claims",
        "generated_at": utcnow().isoformat(),
        "scoring": scoring_record(),
        "as_of": query.as_of.isoformat() if query.as_of else None,
        "reported_by": query.reported_by,
        "model": model.describe(),
        "filters": flt.as_dict(source_key),
        "summary": summary(rows),
        "claims": rows,
    }


def claim_links_by_key(
    session: Session, as_of: datetime | None = None
) -> dict[str, list[dict[str, str]]]:
    """Each claim's links (by claim key), as `claim show` lists them: out (this claim supports
    or contradicts another) and in, in the order they were made. One query for every link;
    with `as_of`, links made by then, and those removed since put back from their history."""
    first, second = aliased(Claim), aliased(Claim)
    query = (
        select(ClaimLink.relation, first.key, second.key)
        .join(first, first.id == ClaimLink.claim_id)
        .join(second, second.id == ClaimLink.other_id)
        .order_by(ClaimLink.id)
    )
    if as_of is not None:
        query = query.where(ClaimLink.created_at <= as_of)
    pairs = list(session.execute(query))
    if as_of is not None:
        removed = session.scalars(
            select(HistoryEvent.before)
            .where(HistoryEvent.action == "link.remove", HistoryEvent.at > as_of)
            .order_by(HistoryEvent.id)
        )
        seen = set()
        for before in map(json.loads, removed):
            pair = (before["relation"], before["claim"], before["other"])
            # Each removal is recorded on both claims: one link, two events.
            if pair not in seen and datetime.fromisoformat(before["created_at"]) <= as_of:
                seen.add(pair)
                pairs.append(pair)
    links: dict[str, list[dict[str, str]]] = {}
    for relation, claim_key, other_key in pairs:
        links.setdefault(claim_key, []).append(
            {"direction": "out", "relation": relation, "claim": other_key}
        )
        links.setdefault(other_key, []).append(
            {"direction": "in", "relation": relation, "claim": claim_key}
        )
    return links


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    statuses = Counter(row["status"] for row in rows)
    verdicts = Counter(row["verdict"] for row in rows if row["verdict"])
    return {
        "claims": len(rows),
        "status": {status: statuses.get(status, 0) for status in STATUSES},
        "verdict": {verdict: verdicts.get(verdict, 0) for verdict in VERDICT_NAMES},
    }


# --- track records ------------------------------------------------------------------------


def _empty_record() -> dict[str, Any]:
    return {"claims": 0, **dict.fromkeys(STATUSES, 0), **dict.fromkeys(VERDICT_NAMES, 0)}


def track_records(
    session: Session, *, source: str | None = None, as_of: datetime | None = None
) -> list[dict[str, Any]]:
    """Per source: the claims it (or a source passing on its information) supported or
    contradicted, and how those claims stand now: status counts and verdicts."""
    sources = source_states(session, as_of)
    by_key = {state.key: state for state in sources.values()}
    chains = {state.key: chain(sources, state.id) for state in sources.values()}
    claim_ids = None
    wanted = None
    if source is not None:
        wanted = get_source(session, source)
        if as_of is not None and wanted.id not in sources:
            raise NotFound(f"source {wanted.key!r} did not exist on {as_of:%Y-%m-%d}")
        wanted_key = sources[wanted.id].key
        subtree = [s.id for s in sources.values() if wanted_key in chains[s.key]]
        claim_ids = select(Evidence.claim_id).where(Evidence.source_id.in_(subtree))
    items = evidence_items(session, claim_ids, as_of=as_of)
    claims = claim_states(session, claim_ids, as_of)
    settings = load_settings()
    records: dict[str, dict[str, dict[str, Any]]] = {}
    for claim_id, claim_items in items.items():
        claim = claims.get(claim_id)
        if claim is None:
            continue
        status = assess(claim_items, settings).status
        seen: set[tuple[str, str]] = set()
        for item in claim_items:
            if item.stance == "neutral":
                continue
            for key in chains.get(item.source, [item.source]):
                if (key, item.stance) in seen:
                    continue
                seen.add((key, item.stance))
                record = records.setdefault(key, {}).setdefault(item.stance, _empty_record())
                record["claims"] += 1
                record[status] += 1
                if claim.verdict:
                    record[claim.verdict] += 1
    keys = [sources[wanted.id].key] if wanted is not None else sorted(by_key)
    rows = []
    for key in keys:
        state = by_key[key]
        record = records.get(key, {})
        rows.append(
            {
                "key": key,
                "name": state.name,
                "reliability": state.reliability,
                "origin": sources[state.origin_id].key,
                "supports": record.get("supports", _empty_record()),
                "contradicts": record.get("contradicts", _empty_record()),
            }
        )
    return rows


def sources_report(session: Session, query: ReportQuery) -> dict[str, Any]:
    rows = track_records(session, source=query.claims.source, as_of=query.as_of)
    return {
        "kind": "sources",
        "generated_at": utcnow().isoformat(),
        "scoring": scoring_record(),
        "as_of": query.as_of.isoformat() if query.as_of else None,
        "filters": {"source": query.claims.source},
        "sources": rows,
    }


# --- one claim as of a date -----------------------------------------------------------------


def claim_as_of(
    session: Session, key: str, as_of: datetime, *, reported_by: str | None = None
) -> dict[str, Any]:
    """What `claim show` printed at `as_of`: fields, status, score and evidence as recorded
    (with `reported_by`, only the evidence reported by then)."""
    current = get_claim(session, key, removed=True)
    claim = claim_states(session, [current.id], as_of).get(current.id)
    if claim is None and current.removed_at is not None and current.removed_at <= as_of:
        raise NotFound(
            f"claim {current.key!r} was removed on {current.removed_at:%Y-%m-%d %H:%M} UTC "
            f"(reason: {current.removed_reason!r}): give an earlier {{field:as_of}}",
            next_step=NextStep("history", key=current.key),
        )
    if claim is None:
        raise NotFound(
            f"claim {current.key!r} did not exist on {as_of:%Y-%m-%d %H:%M} UTC: it was added "
            f"{current.created_at:%Y-%m-%d %H:%M} UTC"
        )
    assessment = assess_claims(session, [claim.id], as_of=as_of, reported_by=reported_by)[claim.id]
    changes = last_changes(session, [claim.id], as_of)
    view = claim_row(
        claim,
        assessment.standing,
        assessment.support_channels,
        assessment.evidence_count,
        changes.get(claim.id),
        assessment.model,
    )
    view["as_of"] = as_of.isoformat()
    view["reported_by"] = reported_by
    view["rule"] = status_rule(assessment.support_origins, assessment.contradict_origins)
    view["notes"] = claim.notes
    view["event_date_precision"] = claim.event_date_precision
    items = [
        *(i for c in assessment.contributions for i in c.items),
        *assessment.not_credible,
        *assessment.neutral,
    ]
    view["evidence"] = sorted((item_view(i) for i in items), key=lambda v: v["id"])
    links = session.execute(
        select(ClaimLink).where(
            ((ClaimLink.claim_id == claim.id) | (ClaimLink.other_id == claim.id))
            & (ClaimLink.created_at <= as_of)
        )
    ).scalars()
    view["links"] = [
        {"direction": "out", "relation": link.relation, "claim": link.other.key}
        if link.claim_id == claim.id
        else {"direction": "in", "relation": link.relation, "claim": link.claim.key}
        for link in links
    ]
    view["links"] += _removed_links(session, current, as_of)
    return view


def _removed_links(session: Session, claim: Claim, as_of: datetime) -> list[dict[str, str]]:
    """Links that existed at `as_of` and were removed since, from their `link.remove` events
    (a removed link's row is gone; its event keeps the keys it joined and when it was made)."""
    own_keys = {claim.key} | set(
        session.scalars(
            select(KeyAlias.alias).where(KeyAlias.entity == "claim", KeyAlias.target_id == claim.id)
        )
    )
    events = session.scalars(
        select(HistoryEvent.before)
        .where(
            HistoryEvent.claim_id == claim.id,
            HistoryEvent.action == "link.remove",
            HistoryEvent.at > as_of,
        )
        .order_by(HistoryEvent.id)
    )
    links = []
    for before in map(json.loads, events):
        if datetime.fromisoformat(before["created_at"]) > as_of:
            continue
        if before["claim"] in own_keys:
            links.append(
                {"direction": "out", "relation": before["relation"], "claim": before["other"]}
            )
        else:
            links.append(
                {"direction": "in", "relation": before["relation"], "claim": before["claim"]}
            )
    return links
