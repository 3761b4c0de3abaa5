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
from ..vocabulary import counted
from .assessments import assess_claims
from .claims import drop_link, link_claims
from .common import RecordRemoval, RecordRestore, get_claim, get_source, record
from .evidence import mark_removed
from .sources import descendant_ids, set_derived_from
from .status_changes import record_status_changes

# A restored record's (or item's) removal fields, as its restore event records them after.
NOT_REMOVED = {"removed_at": None, "removed_reason": None}


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


def _refuse_referenced(row: Claim | Source, cascade: bool, referring: dict[str, list]) -> None:
    """Refuse to remove `row` while anything refers to it (`referring`: noun -> the rows),
    unless `cascade` removes those with it."""
    what = [counted(len(rows), noun) for noun, rows in referring.items() if rows]
    if what and not cascade:
        raise Conflict(
            f"{_entity(row)} {row.key!r} is still referenced ({', '.join(what)}): remove those "
            "first, or give {field:cascade} to remove them with it ({field:dry_run} shows what "
            "that would do)"
        )


def _entity(row: Claim | Source) -> str:
    return "claim" if isinstance(row, Claim) else "source"


def _mark_removed(session: Session, row: Claim | Source, *, reason: str, at, took: dict) -> None:
    """Mark the claim or source removed and record it whole, with what it took with it."""
    row.removed_at, row.removed_reason = at, reason
    session.flush()
    whole = (ClaimRecord if isinstance(row, Claim) else SourceRecord).of(row).history_json()
    record(session, f"{_entity(row)}.remove", row, before=whole, after=took, reason=reason, at=at)


def _removal_fields(row: Claim | Source | Evidence) -> dict[str, Any]:
    return {"removed_at": row.removed_at.isoformat(), "removed_reason": row.removed_reason}


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
    _refuse_referenced(claim, cascade, {"evidence item": items, "link": links})
    at = utcnow()
    why = f"removed with claim {claim.key}: {reason}"
    _remove_items(session, items, reason=why, at=at)
    removed_links = []
    for link, claim_key, other_key in links:
        before = drop_link(session, link, claim_key, other_key, reason=why, at=at)
        removed_links.append({k: before[k] for k in ("claim", "relation", "other")})
    took = {"evidence_removed": [i["id"] for i in items], "links_removed": removed_links}
    _mark_removed(session, claim, reason=reason, at=at, took=took)
    return RecordRemoval(claim, items, removed_links, [], [])


def remove_source(
    session: Session, key: str, *, reason: str, cascade: bool = False
) -> RecordRemoval:
    """Mark the source removed; with `cascade`, evidence from or via it goes with it and the
    sources derived from it derive from its own parent instead."""
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
    _refuse_referenced(source, cascade, {"evidence item": items, "derived source": children})
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
        record(session, "source.edit", child, before=before, after=after, reason=why, at=at)
    source = session.get(Source, source.id)
    took = {"evidence_removed": [i["id"] for i in items], "children_moved": moved}
    _mark_removed(session, source, reason=reason, at=at, took=took)
    status_changes = record_status_changes(
        session,
        select(Claim.id).where(Claim.id.in_(affected_ids)),
        status_before,
        reason=f"source {source.key} removed: {reason}",
    )
    return RecordRemoval(source, items, [], moved, status_changes)


def _unmark_removed(
    session: Session, row: Claim | Source
) -> tuple[dict[str, Any], dict[str, Any], list[Evidence], list[int]]:
    """Clear the removal of the claim or source: (its removal fields as they were, what its
    latest removal took with it, the evidence items of those that can come back, the ids of
    those that cannot)."""
    entity = _entity(row)
    if row.removed_at is None:
        raise Conflict(f"{entity} {row.key!r} is not removed: nothing to restore")
    took = session.scalar(
        select(HistoryEvent.after)
        .where(
            HistoryEvent.action == f"{entity}.remove",
            getattr(HistoryEvent, f"{entity}_id") == row.id,
        )
        .order_by(HistoryEvent.id.desc())
        .limit(1)
    )
    took = json.loads(took) if took else {}
    before, removed_at = _removal_fields(row), row.removed_at
    row.removed_at = row.removed_reason = None
    session.flush()
    items, left = _restorable_items(session, took.get("evidence_removed", []), removed_at)
    return before, took, items, left


def _record_restore(
    session: Session, row: Claim | Source, before: dict, reason: str | None, **brought: list
) -> None:
    """The restore event: the removal fields cleared, and what came back with the record."""
    after = NOT_REMOVED | brought
    record(session, f"{_entity(row)}.restore", row, before=before, after=after, reason=reason)


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
        before = _removal_fields(item)
        item.removed_at = item.removed_reason = None
        record(
            session,
            "evidence.restore",
            item,
            before=before,
            after=NOT_REMOVED,
            reason=reason,
            at=at,
        )
    session.flush()
    return [item.id for item in items]


def restore_claim(session: Session, key: str, *, reason: str | None = None) -> RecordRestore:
    """Put a removed claim back, with the evidence and links its `--cascade` removal took
    with it (evidence whose source was removed since, and links to a claim removed since,
    stay removed and are listed as left out)."""
    claim = get_claim(session, key, removed=True)
    before, took, items, left = _unmark_removed(session, claim)
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
    _record_restore(
        session, claim, before, reason, evidence_restored=restored, links_restored=links
    )
    return RecordRestore(claim, restored, left, links, links_left, [], [])


def restore_source(session: Session, key: str, *, reason: str | None = None) -> RecordRestore:
    """Put a removed source back, with the evidence its `--cascade` removal took with it
    (unless its claim or another source it cites was removed since), and the sources that
    derived from it derive from it again if they still derive from its parent."""
    source = get_source(session, key, removed=True)
    before, took, items, left = _unmark_removed(session, source)
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
            "source.edit",
            child,
            before={"derived_from": old_parent},
            after={"derived_from": source.key},
            reason=why,
        )
    _record_restore(
        session, source, before, reason, evidence_restored=restored, children_moved=moved
    )
    status_changes = record_status_changes(
        session,
        select(Claim.id).where(Claim.id.in_(affected_ids)),
        status_before,
        reason=f"source {source.key} restored" + (f": {reason}" if reason else ""),
    )
    return RecordRestore(source, restored, left, [], [], moved, status_changes)
