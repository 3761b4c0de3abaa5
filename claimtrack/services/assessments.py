"""The one place claims' evidence is read for status: a fixed number of queries for any
number of claims, grouped in memory and handed to the pure rules in claimtrack.status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from ..models import Evidence, Source
from ..settings import Settings, load_settings
from ..status import NOT_CREDIBLE_CREDIBILITY, Assessment, EvidenceItem, assess

ClaimIds = Iterable[int] | Select | None


def evidence_items(
    session: Session,
    claim_ids: ClaimIds = None,
    *,
    as_of: datetime | None = None,
    detail: bool = False,
) -> dict[int, list[EvidenceItem]]:
    """Current (not removed) evidence per claim id, with each item's origin resolved.

    `claim_ids` is a list of ids or a SELECT of ids (None: every claim). With `as_of`, the
    evidence, grades and derived-from links as recorded then. `detail` adds what reports
    show (source name, quote, url, observed).
    """
    if claim_ids is not None and not isinstance(claim_ids, Select):
        claim_ids = list(claim_ids)
        if not claim_ids:
            return {}
    if as_of is not None:
        return _items_as_of(session, claim_ids, as_of)
    source = aliased(Source)
    origin = aliased(Source)
    via = aliased(Source)
    columns = [
        Evidence.claim_id,
        Evidence.id,
        source.key,
        origin.key,
        origin.reliability,
        Evidence.stance,
        Evidence.credibility,
        via.key,
    ]
    if detail:
        columns += [source.name, Evidence.quote, Evidence.locator, Evidence.observed]
    query = (
        select(*columns)
        .join(source, source.id == Evidence.source_id)
        .join(origin, origin.id == source.origin_id)
        .outerjoin(via, via.id == Evidence.via_id)
        .where(Evidence.removed_at.is_(None))
        .order_by(Evidence.claim_id, Evidence.id)
    )
    if claim_ids is not None:
        query = query.where(Evidence.claim_id.in_(claim_ids))
    grouped: dict[int, list[EvidenceItem]] = {}
    for row in session.execute(query):
        claim_id, item_id, src, orig, rel, stance, cred, via_key = row[:8]
        extra = {}
        if detail:
            extra = dict(zip(("source_name", "quote", "url", "observed"), row[8:], strict=True))
        grouped.setdefault(claim_id, []).append(
            EvidenceItem(
                id=item_id,
                source=src,
                origin=orig,
                origin_reliability=rel,
                stance=stance,
                credibility=cred,
                via=via_key,
                **extra,
            )
        )
    return grouped


def _items_as_of(
    session: Session, claim_ids: ClaimIds, as_of: datetime
) -> dict[int, list[EvidenceItem]]:
    from .as_of import evidence_states, source_states

    sources = source_states(session, as_of)
    grouped: dict[int, list[EvidenceItem]] = {}
    for item in evidence_states(session, claim_ids, as_of):
        source = sources.get(item.source_id)
        if source is None:  # a source created later cannot back earlier evidence
            continue
        origin = sources[source.origin_id]
        via = sources.get(item.via_id) if item.via_id else None
        grouped.setdefault(item.claim_id, []).append(
            EvidenceItem(
                id=item.id,
                source=source.key,
                origin=origin.key,
                origin_reliability=origin.reliability,
                stance=item.stance,
                credibility=item.credibility,
                via=via.key if via else None,
                source_name=source.name,
                quote=item.quote,
                url=item.url,
                observed=item.observed,
            )
        )
    return grouped


def assess_claims(
    session: Session,
    claim_ids: ClaimIds = None,
    settings: Settings | None = None,
    *,
    as_of: datetime | None = None,
    detail: bool = False,
) -> dict[int, Assessment]:
    """Assessment per claim id; listed claims without evidence get the no-evidence
    assessment (with a SELECT of ids or None, only claims with evidence are returned)."""
    settings = settings or load_settings()
    if claim_ids is not None and not isinstance(claim_ids, Select):
        claim_ids = list(claim_ids)
    items = evidence_items(session, claim_ids, as_of=as_of, detail=detail)
    wanted = claim_ids if isinstance(claim_ids, list) else list(items)
    return {claim_id: assess(items.get(claim_id, []), settings) for claim_id in wanted}


def assess_claims_grouped(
    session: Session, claim_ids: ClaimIds = None, settings: Settings | None = None
) -> dict[int, tuple[Assessment, int]]:
    """(assessment, evidence count) per claim with evidence, from one aggregate query
    (GROUP BY claim, stance, origin) and one query for the channels: the same status and
    score as assess_claims, without reading every item. For reports without detail."""
    settings = settings or load_settings()
    if claim_ids is not None and not isinstance(claim_ids, Select):
        claim_ids = list(claim_ids)
        if not claim_ids:
            return {}
    # Rank the credibility grades by the share of weight they carry; 5 is never counted, so
    # it ranks lowest and a group's best item is a credible one whenever it has one.
    order = sorted(
        (g for g in range(1, 7) if g != NOT_CREDIBLE_CREDIBILITY),
        key=lambda g: (settings.credibility_share(g), -g),
    )
    grade_of = {rank: grade for rank, grade in enumerate(order, 1)}
    grade_of[0] = NOT_CREDIBLE_CREDIBILITY
    rank = case(
        *((Evidence.credibility == grade, r) for r, grade in grade_of.items() if r), else_=0
    )
    source = aliased(Source)
    origin = aliased(Source)
    via = aliased(Source)
    groups = (
        select(
            Evidence.claim_id,
            Evidence.stance,
            origin.key,
            origin.reliability,
            func.max(rank),
            func.count(),
        )
        .join(source, source.id == Evidence.source_id)
        .join(origin, origin.id == source.origin_id)
        .where(Evidence.removed_at.is_(None))
        .group_by(Evidence.claim_id, Evidence.stance, origin.key, origin.reliability)
    )
    channels = (
        select(Evidence.claim_id, func.coalesce(via.key, source.key))
        .join(source, source.id == Evidence.source_id)
        .join(origin, origin.id == source.origin_id)
        .outerjoin(via, via.id == Evidence.via_id)
        .where(
            Evidence.removed_at.is_(None),
            Evidence.stance == "supports",
            Evidence.credibility != NOT_CREDIBLE_CREDIBILITY,
            origin.reliability != "E",
        )
        .distinct()
    )
    if claim_ids is not None:
        groups = groups.where(Evidence.claim_id.in_(claim_ids))
        channels = channels.where(Evidence.claim_id.in_(claim_ids))
    items: dict[int, list[EvidenceItem]] = {}
    counts: dict[int, int] = {}
    for n, (claim_id, stance, origin_key, reliability, best, count) in enumerate(
        session.execute(groups)
    ):
        # One stand-in item per origin and stance, carrying the group's best credibility.
        items.setdefault(claim_id, []).append(
            EvidenceItem(
                id=n,
                source=origin_key,
                origin=origin_key,
                origin_reliability=reliability,
                stance=stance,
                credibility=grade_of[best],
            )
        )
        counts[claim_id] = counts.get(claim_id, 0) + count
    found: dict[int, set[str]] = {}
    for claim_id, channel in session.execute(channels):
        found.setdefault(claim_id, set()).add(channel)
    result = {}
    for claim_id, claim_items in items.items():
        assessment = assess(claim_items, settings)
        assessment.support_channels = found.get(claim_id, set())
        result[claim_id] = (assessment, counts[claim_id])
    return result
