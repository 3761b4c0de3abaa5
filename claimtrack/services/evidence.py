"""Evidence: adding, editing, listing and removing (removal keeps the row, marked, with its
reason)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from .. import values
from ..errors import Conflict, InvalidValue, NextStep, NotFound
from ..models import Evidence, EvidenceRelay, Source, utcnow
from ..records import EvidenceRecord, changed_fields, checked
from .assessments import assess_claims, relay_keys, reported_by_clause
from .common import UNSET, Edit, Removal, get_claim, get_source, record
from .status_changes import record_status_changes


def mark_removed(session: Session, item: Evidence, *, reason: str, at: datetime) -> None:
    """Mark the item removed and record it whole in history (`evidence remove`, and the
    items a claim or source takes with it)."""
    item.removed_at, item.removed_reason = at, reason
    record(
        session,
        "evidence.remove",
        item,
        before=EvidenceRecord.of(item).history_json(),
        reason=reason,
        at=at,
    )


def via_sources(session: Session, source: Source, via: str | Sequence[str] | None) -> list[Source]:
    """The via chain's sources, in order; refuses a chain that repeats a source or passes the
    item back to its own source."""
    keys = [via] if isinstance(via, str) else list(via or ())
    rows = [get_source(session, key) for key in keys if key not in (None, "")]
    seen = {source.id}
    for row in rows:
        if row.id in seen:
            what = "the item's own {field:source}" if row.id == source.id else "twice"
            raise InvalidValue(
                "via",
                row.key,
                f"each source once in the chain, not {what}: the person who "
                "said it is {field:source}, those who passed it on are {field:via}, in order",
            )
        seen.add(row.id)
    return rows


def set_via_chain(item: Evidence, chain: Sequence[Source]) -> None:
    """Hop 1 on the item (its channel), hops 2, 3, ... as relays."""
    item.via_id = chain[0].id if chain else None
    item.via = chain[0] if chain else None
    item.relays = [
        EvidenceRelay(position=n, source_id=row.id, source=row)
        for n, row in enumerate(chain[1:], start=2)
    ]


def relay_warnings(session: Session, *, source: str, via: Iterable[str]) -> list[str]:
    """What is wrong, but allowed, about recording SOURCE passed on by VIA: a source in the
    chain that SOURCE is also derived from names one link twice (`source add --derived-from`
    is for a source that repeats another; `--via` for who passed this item on)."""
    row = get_source(session, source)
    chain = {get_source(session, key).key for key in via}
    return [_both(key, row.key) for key in _ancestor_keys(row) if key in chain]


def source_relay_warnings(session: Session, *, source: str) -> list[str]:
    """relay_warnings for every current item of SOURCE (after its derived-from changed), one
    line per item: two queries, whatever the number of items."""
    row = get_source(session, source)
    ancestors = set(_ancestor_keys(row))
    if not ancestors:
        return []
    via = aliased(Source)
    items = select(Evidence.id).where(
        Evidence.source_id == row.id, Evidence.removed_at.is_(None), Evidence.via_id.is_not(None)
    )
    chains: dict[int, list[str]] = {}
    for item_id, key in session.execute(
        select(Evidence.id, via.key)
        .join(via, via.id == Evidence.via_id)
        .where(Evidence.id.in_(items))
    ):
        chains[item_id] = [key]
    for item_id, key in session.execute(
        select(EvidenceRelay.evidence_id, Source.key)
        .join(Source, Source.id == EvidenceRelay.source_id)
        .where(EvidenceRelay.evidence_id.in_(items))
        .order_by(EvidenceRelay.evidence_id, EvidenceRelay.position)
    ):
        chains[item_id].append(key)
    warnings = []
    for item_id in sorted(chains):
        shared = [key for key in chains[item_id] if key in ancestors]
        if shared:
            warnings.append(f"evidence {item_id}: {_both(shared[0], row.key)}")
    return warnings


def _ancestor_keys(row: Source) -> list[str]:
    keys: list[str] = []
    seen: set[int] = set()
    current = row.derived_from
    while current is not None and current.id not in seen:
        seen.add(current.id)
        keys.append(current.key)
        current = current.derived_from
    return keys


def _both(relay: str, source: str) -> str:
    return (
        f"{relay} is both on this item's via chain and what its source {source} is derived "
        "from: the person who said it is the source, those who passed it on are {field:via}, "
        "{field:derived_from} is for a source that repeats another; keep one"
    )


def add_evidence(
    session: Session,
    *,
    claim: str,
    source: str,
    stance: str,
    credibility: int | str | None = None,
    quote: str | None = None,
    url: str | None = None,
    via: str | Sequence[str] | None = None,
    observed: str | None = None,
    notes: str | None = None,
    key: str | None = None,
) -> Evidence:
    """`via`: one source key, or the chain of those who passed the item on, in order from
    the one who heard it from `source` to the one it reached the user through."""
    stance = checked(EvidenceRecord, "stance", stance)
    grade = (
        checked(EvidenceRecord, "credibility", credibility) if credibility not in (None, "") else 6
    )
    claim_row = get_claim(session, claim)
    source_row = get_source(session, source)
    chain = via_sources(session, source_row, via)
    if key is not None:
        key = checked(EvidenceRecord, "key", key)
        if session.scalar(select(Evidence.id).where(Evidence.key == key)):
            raise Conflict(
                f"evidence with key {key!r} already exists: choose another {{field}}", field="key"
            )
    item = Evidence(
        key=key,
        claim_id=claim_row.id,
        source_id=source_row.id,
        stance=stance,
        credibility=grade,
        quote=checked(EvidenceRecord, "quote", quote),
        locator=checked(EvidenceRecord, "url", url),
        observed=checked(EvidenceRecord, "observed", observed),
        notes=checked(EvidenceRecord, "notes", notes),
    )
    set_via_chain(item, chain)
    session.add(item)
    session.flush()
    record(session, "evidence.add", item, after=EvidenceRecord.of(item).history_json())
    return item


def get_evidence(session: Session, evidence_id: int | str) -> Evidence:
    """An evidence item by id or key. `#10` is id 10; `10` is id 10 too (evidence keys are
    never only digits, see values.evidence_key); anything else is a key. A number is never
    read loosely: `1_0`, `+10` or `١٠` are keys, not id 10. A database from before that rule
    may hold an all-digit key: it is still found when no item has that id, and a reference
    that is both one item's id and another's key is refused, naming both."""
    text = str(evidence_id).strip()
    listed = NextStep("list_evidence")
    if isinstance(evidence_id, int) and not isinstance(evidence_id, bool):
        text = str(evidence_id)
    if text.startswith("#"):
        number = text[1:]
        item = session.get(Evidence, int(number)) if number.isascii() and number.isdigit() else None
        if item is None:
            raise NotFound(f"no evidence with id {text!r}", next_step=listed)
        return item
    by_id = session.get(Evidence, int(text)) if text.isascii() and text.isdigit() else None
    by_key = session.scalar(select(Evidence).where(Evidence.key == text))
    if by_id is not None and by_key is not None and by_id.id != by_key.id:
        raise Conflict(
            f"{text!r} is both the id of evidence #{by_id.id} and the key of evidence "
            f"#{by_key.id}: give the id as #{by_id.id}, or #{by_key.id} for the other"
        )
    item = by_id or by_key
    if item is None:
        raise NotFound(f"no evidence with id {text!r}", next_step=listed)
    return item


def remove_evidence(session: Session, evidence_id: int | str, *, reason: str) -> Removal:
    """Mark the item removed (kept, with its reason); returns it and its claim's status
    change, if the removal moved it (recorded as a `claim.status` event)."""
    reason = values.required_text(reason, field="reason")
    item = get_evidence(session, evidence_id)
    if item.removed_at is not None:
        raise Conflict(
            f"evidence {item.id} was already removed on {item.removed_at:%Y-%m-%d} "
            f"(reason: {item.removed_reason!r})"
        )
    claim_ids = select(Evidence.claim_id).where(Evidence.id == item.id)
    status_before = assess_claims(session, claim_ids)
    mark_removed(session, item, reason=reason, at=utcnow())
    session.flush()
    status_changes = record_status_changes(
        session, claim_ids, status_before, reason=f"evidence {item.id} removed: {reason}"
    )
    return Removal(item, status_changes)


def edit_evidence(
    session: Session,
    evidence_id: int | str,
    *,
    stance: str | None = UNSET,
    credibility: int | str | None = UNSET,
    quote: str | None = UNSET,
    url: str | None = UNSET,
    via: str | Sequence[str] | None = UNSET,
    observed: str | None = UNSET,
    notes: str | None = UNSET,
    reason: str | None = None,
) -> Edit:
    """Change the given fields of an item in place (same id); returns the item, the changed
    fields before and after, and its claim's status change if the edit moved it (recorded as
    a `claim.status` event).

    A field left out is kept; None (or "") clears quote, url, via, observed and notes. `via`
    replaces the whole via chain (a key, or keys in order). A removed item cannot be edited:
    add it again instead.
    """
    item = get_evidence(session, evidence_id)
    if item.removed_at is not None:
        raise Conflict(
            f"evidence {item.id} was removed on {item.removed_at:%Y-%m-%d} "
            f"(reason: {item.removed_reason!r})",
            next_step=NextStep("add_again"),
        )
    current = EvidenceRecord.of(item).history_json()
    requested: dict[str, Any] = {}
    if stance is not UNSET:
        requested["stance"] = checked(EvidenceRecord, "stance", stance)
    if credibility is not UNSET:
        requested["credibility"] = checked(EvidenceRecord, "credibility", credibility)
    if quote is not UNSET:
        requested["quote"] = checked(EvidenceRecord, "quote", quote)
    if url is not UNSET:
        requested["url"] = checked(EvidenceRecord, "url", url)
    chain: list[Source] = []
    if via is not UNSET:
        keys = [via] if isinstance(via, str) else list(via or ())
        chain = via_sources(session, item.source, [key for key in keys if key])
        requested["via"] = chain[0].key if chain else None
        requested["via_chain"] = [row.key for row in chain]
    if observed is not UNSET:
        requested["observed"] = checked(EvidenceRecord, "observed", observed or None)
    if notes is not UNSET:
        requested["notes"] = checked(EvidenceRecord, "notes", notes)
    before, after = changed_fields(current, requested)
    if not after:
        return Edit(item, {}, {}, [])
    claim_ids = select(Evidence.claim_id).where(Evidence.id == item.id)
    status_before = assess_claims(session, claim_ids)
    for name in ("stance", "credibility", "quote", "observed", "notes"):
        if name in after:
            setattr(item, name, after[name])
    if "url" in after:
        item.locator = after["url"]
    if "via" in after or "via_chain" in after:
        set_via_chain(item, chain)
    session.flush()
    record(session, "evidence.edit", item, before=before, after=after, reason=reason)
    what = "; ".join(
        f"{name} {_shown(before[name])} → {_shown(after[name])}"
        for name in ("stance", "credibility", "via")
        if name in after
    )
    status_changes = record_status_changes(
        session,
        claim_ids,
        status_before,
        reason=f"evidence {item.id} edited"
        + (f": {what}" if what else "")
        + (f" ({reason})" if reason else ""),
    )
    return Edit(item, before, after, status_changes)


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)


def evidence_views(
    session: Session,
    *,
    claim_id: int,
    include_removed: bool = False,
    reported_by: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """A claim's evidence with source, origin and via keys, in one query of plain columns
    (no ORM objects: a claim may have thousands of items): the first `limit` (None: all)."""
    source = aliased(Source)
    origin = aliased(Source)
    via = aliased(Source)
    # Field name -> column, in the order `claim show` and `evidence list` JSON list them.
    fields = {
        "id": Evidence.id,
        "key": Evidence.key,
        "source": source.key,
        "source_name": source.name,
        "origin": origin.key,
        "origin_reliability": origin.reliability,
        "stance": Evidence.stance,
        "credibility": Evidence.credibility,
        "via": via.key,
        "quote": Evidence.quote,
        "url": Evidence.locator,
        "observed": Evidence.observed,
        "notes": Evidence.notes,
    }
    n = len(fields)  # then created_at (and removed_at, removed_reason)
    columns = [*fields.values(), Evidence.created_at]
    if include_removed:
        columns += [Evidence.removed_at, Evidence.removed_reason]
    query = (
        select(*columns)
        .join(source, source.id == Evidence.source_id)
        .join(origin, origin.id == source.origin_id)
        .outerjoin(via, via.id == Evidence.via_id)
        .where(Evidence.claim_id == claim_id)
        .order_by(Evidence.id)
        .limit(limit)
    )
    if not include_removed:
        query = query.where(Evidence.removed_at.is_(None))
    if reported_by is not None:
        query = query.where(reported_by_clause(reported_by))

    relays = relay_keys(session, [claim_id])
    views = []
    for row in session.execute(query):
        view = dict(zip(fields, row[:n], strict=True))
        if view["via"]:
            view["via_chain"] = [view["via"], *relays.get(view["id"], ())]
        else:
            view["via_chain"] = []
        view["created_at"] = row[n].isoformat()
        if include_removed:
            view["removed_at"] = row[n + 1].isoformat() if row[n + 1] else None
            view["removed_reason"] = row[n + 2]
        views.append(view)
    return views


def list_evidence(
    session: Session, claim: str, *, include_removed: bool = False, limit: int | None = None
) -> list[dict[str, Any]]:
    """A claim's evidence in the order it was added: the first `limit` items (None: all)."""
    return evidence_page(session, claim, include_removed=include_removed, limit=limit).rows


class EvidencePage(NamedTuple):
    """What `evidence list` shows: the items, and how many the claim has in all."""

    rows: list[dict[str, Any]]
    total: int


def evidence_page(
    session: Session, claim: str, *, include_removed: bool = False, limit: int | None = None
) -> EvidencePage:
    """The first `limit` items of a claim's evidence (None: all), and how many it has."""
    claim_row = get_claim(session, claim)
    rows = evidence_views(
        session, claim_id=claim_row.id, include_removed=include_removed, limit=limit
    )
    if limit is None or len(rows) < limit:
        return EvidencePage(rows, len(rows))
    counted = select(func.count(Evidence.id)).where(Evidence.claim_id == claim_row.id)
    if not include_removed:
        counted = counted.where(Evidence.removed_at.is_(None))
    return EvidencePage(rows, session.scalar(counted))
