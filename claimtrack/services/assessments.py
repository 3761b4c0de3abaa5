"""The one place claims' evidence is read for status: a fixed number of queries for any
number of claims, grouped in memory and handed to the pure rules in claimtrack.status."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ..models import Evidence, Source
from ..settings import Settings, load_settings
from ..status import Assessment, EvidenceItem, assess


def evidence_items(
    session: Session, claim_ids: Iterable[int] | None = None
) -> dict[int, list[EvidenceItem]]:
    """Current (not removed) evidence per claim id, with each item's origin resolved."""
    source = aliased(Source)
    origin = aliased(Source)
    via = aliased(Source)
    query = (
        select(
            Evidence.claim_id,
            Evidence.id,
            source.key,
            origin.key,
            origin.reliability,
            Evidence.stance,
            Evidence.credibility,
            via.key,
        )
        .join(source, source.id == Evidence.source_id)
        .join(origin, origin.id == source.origin_id)
        .outerjoin(via, via.id == Evidence.via_id)
        .where(Evidence.removed_at.is_(None))
        .order_by(Evidence.claim_id, Evidence.id)
    )
    if claim_ids is not None:
        ids = list(claim_ids)
        if not ids:
            return {}
        query = query.where(Evidence.claim_id.in_(ids))
    grouped: dict[int, list[EvidenceItem]] = {}
    for claim_id, item_id, src, orig, rel, stance, cred, via_key in session.execute(query):
        grouped.setdefault(claim_id, []).append(
            EvidenceItem(
                id=item_id,
                source=src,
                origin=orig,
                origin_reliability=rel,
                stance=stance,
                credibility=cred,
                via=via_key,
            )
        )
    return grouped


def assess_claims(
    session: Session,
    claim_ids: Iterable[int] | None = None,
    settings: Settings | None = None,
) -> dict[int, Assessment]:
    """Assessment per claim id; claims without evidence get the no-evidence assessment."""
    settings = settings or load_settings()
    ids = None if claim_ids is None else list(claim_ids)
    items = evidence_items(session, ids)
    wanted = ids if ids is not None else list(items)
    return {claim_id: assess(items.get(claim_id, []), settings) for claim_id in wanted}
