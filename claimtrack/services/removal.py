"""Removing a claim or a source, and putting it back.

A removed claim or source keeps its row, marked with when and why (as a removed evidence item
does): history points at it and stays complete, `--as-of` an earlier date still shows it, and
restore puts it back. Its key stays taken, so nothing new can be confused with it.

A record that is still referenced is refused unless `cascade`: a claim's evidence and links, a
source's evidence (from it or via it) and the sources derived from it. With `cascade` the
evidence items are removed with it (same moment, the reason says why), a claim's links are
removed (each recorded on both claims), and a source's derived sources now derive from the
removed source's own parent (or become origins). A source cited at any hop of a via chain
counts as cited. Every change is a history event, and every
claim whose status moved gets a `claim.status` event.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from .. import values
from ..errors import Conflict, NotFound
from ..models import Claim, ClaimLink, Evidence, EvidenceRelay, HistoryEvent, Source, utcnow
from ..records import ClaimRecord, SourceRecord
from .assessments import assess_claims
from .common import RecordRemoval, RecordRestore, get_claim, get_source, record
from .evidence import mark_removed
from .status_changes import record_status_changes


def _items(session: Session, where) -> list[dict[str, Any]]:
    """Evidence items (not removed) matching `where`, as a removal lists them."""
    claim, source = aliased(Claim), aliased(Source)
    rows = session.execute(
        select(Evidence.id, claim.key, Evidence.stance, source.key)
        .join(claim, claim.id == Evidence.claim_id)
        .join(source, source.id == Evidence.source_id)
        .where(where, Evidence.removed_at.is_(None))
        .order_by(Evidence.id)
    )
    return [
        {"id": item_id, "claim": claim_key, "stance": stance, "source": source_key}
        for item_id, claim_key, stance, source_key in rows
    ]


def _remove_items(session: Session, items: list[dict[str, Any]], *, reason: str, at) -> None:

    for row in session.scalars(select(Evidence).where(Evidence.id.in_([i["id"] for i in items]))):
        mark_removed(session, row, reason=reason, at=at)


def _refuse(entity: str, key: str, what: list[str]) -> Conflict:
    return Conflict(
        f"{entity} {key!r} is still referenced ({', '.join(what)}): remove those first, "
        "or give {field:cascade} to remove them with it ({field:dry_run} shows what that "
        "would do)"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def remove_claim(
    session: Session, key: str, *, reason: str, cascade: bool = False
) -> RecordRemoval:
    """Mark the claim removed; with `cascade`, its evidence and links go with it."""

    reason = values.required_text(reason, field="reason")
    claim = get_claim(session, key)
    items = _items(session, Evidence.claim_id == claim.id)
    first, second = aliased(Claim), aliased(Claim)
    links = session.execute(
        select(ClaimLink, first.key, second.key)
        .join(first, first.id == ClaimLink.claim_id)
        .join(second, second.id == ClaimLink.other_id)
        .where((ClaimLink.claim_id == claim.id) | (ClaimLink.other_id == claim.id))
        .order_by(ClaimLink.id)
    ).all()
    if (items or links) and not cascade:
        what = [_count(len(items), "evidence item")] if items else []
        what += [_count(len(links), "link")] if links else []
        raise _refuse("claim", claim.key, what)
    at = utcnow()
    _remove_items(session, items, reason=f"removed with claim {claim.key}: {reason}", at=at)
    removed_links = []
    for link, claim_key, other_key in links:
        before = {
            "claim": claim_key,
            "other": other_key,
            "relation": link.relation,
            "created_at": link.created_at.isoformat(),
        }
        removed_links.append({k: before[k] for k in ("claim", "relation", "other")})
        session.delete(link)
        for claim_id in {link.claim_id, link.other_id}:
            record(
                session,
                action="link.remove",
                entity="link",
                claim_id=claim_id,
                before=before,
                reason=f"removed with claim {claim.key}: {reason}",
                at=at,
            )
    claim.removed_at, claim.removed_reason = at, reason
    session.flush()
    record(
        session,
        action="claim.remove",
        entity="claim",
        claim_id=claim.id,
        before=ClaimRecord.of(claim).history_json(),
        after={"evidence_removed": [i["id"] for i in items], "links_removed": removed_links},
        reason=reason,
        at=at,
    )
    return RecordRemoval(claim, items, removed_links, [], [])


def remove_source(
    session: Session, key: str, *, reason: str, cascade: bool = False
) -> RecordRemoval:
    """Mark the source removed; with `cascade`, evidence from or via it goes with it and the
    sources derived from it derive from its own parent instead."""
    from .sources import descendant_ids, set_derived_from

    reason = values.required_text(reason, field="reason")
    source = get_source(session, key)
    cites = or_(
        Evidence.source_id == source.id,
        Evidence.via_id == source.id,
        Evidence.id.in_(
            select(EvidenceRelay.evidence_id).where(EvidenceRelay.source_id == source.id)
        ),
    )
    items = _items(session, cites)
    children = list(
        session.scalars(
            select(Source)
            .where(Source.derived_from_id == source.id, Source.removed_at.is_(None))
            .order_by(Source.key)
        )
    )
    if (items or children) and not cascade:
        what = [_count(len(items), "evidence item")] if items else []
        what += [_count(len(children), "derived source")] if children else []
        raise _refuse("source", source.key, what)
    affected = select(Evidence.claim_id).where(
        or_(cites, Evidence.source_id.in_(descendant_ids(session, source.id)))
    )
    affected_ids = list(set(session.scalars(affected)))
    status_before = assess_claims(session, affected_ids)
    at = utcnow()
    why = f"removed with source {source.key}: {reason}"
    _remove_items(session, items, reason=why, at=at)
    parent = source.derived_from
    moved = []
    for child in children:
        before = {"derived_from": source.key}
        after = {"derived_from": parent.key if parent else None}
        set_derived_from(session, child, parent)
        moved.append(child.key)
        record(
            session,
            action="source.edit",
            entity="source",
            source_id=child.id,
            before=before,
            after=after,
            reason=why,
            at=at,
        )
    source = session.get(Source, source.id)
    source.removed_at, source.removed_reason = at, reason
    session.flush()
    record(
        session,
        action="source.remove",
        entity="source",
        source_id=source.id,
        before=SourceRecord.of(source).history_json(),
        after={"evidence_removed": [i["id"] for i in items], "children_moved": moved},
        reason=reason,
        at=at,
    )
    status_changes = record_status_changes(
        session,
        select(Claim.id).where(Claim.id.in_(affected_ids)),
        status_before,
        reason=f"source {source.key} removed: {reason}",
    )
    return RecordRemoval(source, items, [], moved, status_changes)


def _removal_event(session: Session, action: str, column, row_id: int) -> dict[str, Any]:
    """What the latest `claim.remove` or `source.remove` event of this row took with it."""
    after = session.scalar(
        select(HistoryEvent.after)
        .where(HistoryEvent.action == action, column == row_id)
        .order_by(HistoryEvent.id.desc())
        .limit(1)
    )
    return json.loads(after) if after else {}


def _restorable_items(session: Session, ids: list[int], at) -> tuple[list[Evidence], list[int]]:
    """The evidence items among `ids` still removed with the record (at the same moment),
    split into those that can come back and those that cannot because their claim or a
    source they cite (from, via, any hop) is removed now."""
    if not ids:
        return [], []
    items = list(
        session.scalars(
            select(Evidence)
            .where(Evidence.id.in_(ids), Evidence.removed_at == at)
            .order_by(Evidence.id)
        )
    )
    removed_sources = select(Source.id).where(Source.removed_at.is_not(None))
    blocked = set(
        session.scalars(
            select(Evidence.id).where(
                Evidence.id.in_([i.id for i in items]),
                or_(
                    Evidence.claim_id.in_(select(Claim.id).where(Claim.removed_at.is_not(None))),
                    Evidence.source_id.in_(removed_sources),
                    Evidence.via_id.in_(removed_sources),
                    Evidence.id.in_(
                        select(EvidenceRelay.evidence_id).where(
                            EvidenceRelay.source_id.in_(removed_sources)
                        )
                    ),
                ),
            )
        )
    )
    return [i for i in items if i.id not in blocked], sorted(blocked)


def _restore_items(session: Session, items: list[Evidence], *, reason: str) -> list[int]:
    at = utcnow()
    for item in items:
        before = {"removed_at": item.removed_at.isoformat(), "removed_reason": item.removed_reason}
        item.removed_at = item.removed_reason = None
        record(
            session,
            action="evidence.restore",
            entity="evidence",
            evidence_id=item.id,
            claim_id=item.claim_id,
            source_id=item.source_id,
            before=before,
            after={"removed_at": None, "removed_reason": None},
            reason=reason,
            at=at,
        )
    session.flush()
    return [item.id for item in items]


def restore_claim(session: Session, key: str, *, reason: str | None = None) -> RecordRestore:
    """Put a removed claim back, with the evidence and links its `--cascade` removal took
    with it (evidence whose source was removed since, and links to a claim removed since,
    stay removed and are listed as left out)."""
    from .claims import link_claims

    claim = get_claim(session, key, removed=True)
    if claim.removed_at is None:
        raise Conflict(f"claim {claim.key!r} is not removed: nothing to restore")
    took = _removal_event(session, "claim.remove", HistoryEvent.claim_id, claim.id)
    before = {"removed_at": claim.removed_at.isoformat(), "removed_reason": claim.removed_reason}
    removed_at = claim.removed_at
    claim.removed_at = claim.removed_reason = None
    session.flush()
    items, left = _restorable_items(session, took.get("evidence_removed", []), removed_at)
    why = f"restored with claim {claim.key}" + (f": {reason}" if reason else "")
    restored = _restore_items(session, items, reason=why)
    links, links_left = [], []
    for link in took.get("links_removed", []):
        try:
            link_claims(
                session, claim=link["claim"], other=link["other"], relation=link["relation"]
            )
        except (NotFound, Conflict):  # a claim removed since, or linked the other way since
            links_left.append(link)
            continue
        links.append(link)
    record(
        session,
        action="claim.restore",
        entity="claim",
        claim_id=claim.id,
        before=before,
        after={
            "removed_at": None,
            "removed_reason": None,
            "evidence_restored": restored,
            "links_restored": links,
        },
        reason=reason,
    )
    return RecordRestore(claim, restored, left, links, links_left, [], [])


def restore_source(session: Session, key: str, *, reason: str | None = None) -> RecordRestore:
    """Put a removed source back, with the evidence its `--cascade` removal took with it
    (unless its claim or another source it cites was removed since), and the sources that
    derived from it derive from it again if they still derive from its parent."""
    from .sources import descendant_ids, set_derived_from

    source = get_source(session, key, removed=True)
    if source.removed_at is None:
        raise Conflict(f"source {source.key!r} is not removed: nothing to restore")
    took = _removal_event(session, "source.remove", HistoryEvent.source_id, source.id)
    before = {"removed_at": source.removed_at.isoformat(), "removed_reason": source.removed_reason}
    removed_at = source.removed_at
    source.removed_at = source.removed_reason = None
    session.flush()
    items, left = _restorable_items(session, took.get("evidence_removed", []), removed_at)
    children = list(
        session.scalars(
            select(Source)
            .where(
                Source.key.in_(took.get("children_moved", [])),
                Source.removed_at.is_(None),
                Source.derived_from_id.is_(source.derived_from_id)
                if source.derived_from_id is None
                else Source.derived_from_id == source.derived_from_id,
            )
            .order_by(Source.key)
        )
    )
    affected_ids = list(
        {i.claim_id for i in items}
        | set(
            session.scalars(
                select(Evidence.claim_id).where(
                    Evidence.source_id.in_(
                        [c.id for c in children]
                        + [d for c in children for d in descendant_ids(session, c.id)]
                    )
                )
            )
        )
    )
    status_before = assess_claims(session, affected_ids)
    why = f"restored with source {source.key}" + (f": {reason}" if reason else "")
    restored = _restore_items(session, items, reason=why)
    moved = []
    for child in children:
        old_parent = child.derived_from.key if child.derived_from else None
        set_derived_from(session, child, source)
        moved.append(child.key)
        record(
            session,
            action="source.edit",
            entity="source",
            source_id=child.id,
            before={"derived_from": old_parent},
            after={"derived_from": source.key},
            reason=why,
        )
    record(
        session,
        action="source.restore",
        entity="source",
        source_id=source.id,
        before=before,
        after={
            "removed_at": None,
            "removed_reason": None,
            "evidence_restored": restored,
            "children_moved": moved,
        },
        reason=reason,
    )
    status_changes = record_status_changes(
        session,
        select(Claim.id).where(Claim.id.in_(affected_ids)),
        status_before,
        reason=f"source {source.key} restored" + (f": {reason}" if reason else ""),
    )
    return RecordRestore(source, restored, left, [], [], moved, status_changes)
