"""The one place claims' evidence is read for status: a fixed number of queries for any
number of claims, grouped in memory and handed to the pure rules in claimtrack.status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, aliased

from ..models import Evidence, Source
from ..settings import Settings, load_settings
from ..status import Assessment, EvidenceItem, assess

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
