"""The state as recorded at a past moment, rebuilt from the rows and their history.

A claim, source or evidence item existed at T when it was created by T and not yet removed at
T. Its fields at T are today's fields with every later change undone: history
events after T are applied newest first, each putting back its `before` snapshot. Origins at T
follow the derived-from links as they were at T. Every function here issues a fixed number of
statements, whatever the number of claims.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    any_,
    bindparam,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from .. import values
from ..history_log import load_ranges
from ..models import Claim, ClaimTag, Evidence, EvidenceRelay, HistoryEvent, KeyAlias, Source, Tag
from ..records import EVIDENCE_VALUE_FIELDS, ClaimRecord

# History names a record's fields as claimtrack.records defines them.
CLAIM_FIELDS = ClaimRecord._fields


@dataclass
class SourceState:
    id: int
    key: str
    name: str
    reliability: str
    derived_from_id: int | None
    origin_id: int = 0


@dataclass
class ClaimState:
    id: int
    key: str
    text: str
    event_date: str | None
    event_date_precision: str | None
    place: str | None
    notes: str | None
    verdict: str | None
    verdict_reason: str | None
    confidence: str | None
    created_at: datetime
    updated_at: datetime
    tags: list[str] = field(default_factory=list)


@dataclass
class EvidenceState:
    id: int
    claim_id: int
    source_id: int
    via_id: int | None
    stance: str
    credibility: int
    quote: str | None
    url: str | None
    observed: str | None
    relay_ids: tuple[int, ...] = ()  # hops 2, 3, ... of the via chain


def _later_events(session: Session, entity: str, as_of: datetime, subject=None):
    """History events about `entity` after `as_of` that carry a before-snapshot, newest first."""
    query = (
        select(
            HistoryEvent.claim_id,
            HistoryEvent.source_id,
            HistoryEvent.evidence_id,
            HistoryEvent.action,
            HistoryEvent.before,
        )
        .where(
            HistoryEvent.entity == entity,
            HistoryEvent.at > as_of,
            HistoryEvent.before.is_not(None),
        )
        .order_by(HistoryEvent.at.desc(), HistoryEvent.id.desc())
    )
    if subject is not None:
        query = query.where(subject)
    for claim_id, source_id, evidence_id, action, before in session.execute(query):
        yield claim_id, source_id, evidence_id, action, json.loads(before)


def _source_ids_by_key(session: Session) -> dict[str, int]:
    keys = {key: source_id for key, source_id in session.execute(select(Source.key, Source.id))}
    aliases = session.execute(
        select(KeyAlias.alias, KeyAlias.target_id).where(KeyAlias.entity == "source")
    )
    for alias, target in aliases:
        keys.setdefault(alias, target)
    return keys


def source_states(session: Session, as_of: datetime | None = None) -> dict[int, SourceState]:
    """Every source (that existed at `as_of`) with its grade, derived-from link and origin."""
    query = select(Source.id, Source.key, Source.name, Source.reliability, Source.derived_from_id)
    query = query.where(_present(Source, as_of))
    if as_of is not None:
        query = query.where(Source.created_at <= as_of)
    states = {
        row.id: SourceState(row.id, row.key, row.name, row.reliability, row.derived_from_id)
        for row in session.execute(query)
    }
    if as_of is not None:
        by_key: dict[str, int] | None = None
        for _, source_id, _, _, before in _later_events(session, "source", as_of):
            state = states.get(source_id)
            if state is None:
                continue
            for name in ("key", "name", "reliability"):  # what a source's state holds
                if name in before:
                    setattr(state, name, before[name])
            if "derived_from" in before:
                if before["derived_from"] is None:
                    state.derived_from_id = None
                else:
                    by_key = by_key if by_key is not None else _source_ids_by_key(session)
                    state.derived_from_id = by_key.get(before["derived_from"])
    for state in states.values():
        state.origin_id = _origin(states, state)
    return states


def _origin(states: dict[int, SourceState], state: SourceState) -> int:
    seen = {state.id}
    while state.derived_from_id is not None and state.derived_from_id in states:
        state = states[state.derived_from_id]
        if state.id in seen:  # a loop only a damaged database could hold
            break
        seen.add(state.id)
    return state.id


def chain(states: dict[int, SourceState], source_id: int) -> list[str]:
    """Keys from the source up its derived-from chain to its origin."""
    keys, seen, state = [], set(), states.get(source_id)
    while state is not None and state.id not in seen:
        keys.append(state.key)
        seen.add(state.id)
        state = states.get(state.derived_from_id) if state.derived_from_id else None
    return keys


def _present(model: type, as_of: datetime | None):
    """Not removed (by `as_of`: not yet removed then)."""
    if as_of is None:
        return model.removed_at.is_(None)
    return or_(model.removed_at.is_(None), model.removed_at > as_of)


def _claim_filter(column, claim_ids: Iterable[int] | Select | None):
    if claim_ids is None:
        return None
    if isinstance(claim_ids, Select):
        return column.in_(claim_ids)
    return column.in_(list(claim_ids))


def claim_states(
    session: Session,
    claim_ids: Iterable[int] | Select | None = None,
    as_of: datetime | None = None,
) -> dict[int, ClaimState]:
    """Claims (that existed at `as_of`) with their fields and tags as they were then."""
    query = select(
        Claim.id,
        Claim.key,
        Claim.text,
        Claim.event_date,
        Claim.event_date_precision,
        Claim.place,
        Claim.notes,
        Claim.verdict,
        Claim.verdict_reason,
        Claim.confidence,
        Claim.created_at,
        Claim.updated_at,
    ).order_by(Claim.key)
    tag_query = select(ClaimTag.claim_id, Tag.name).join(Tag, Tag.id == ClaimTag.tag_id)
    wanted = _claim_filter(Claim.id, claim_ids)
    if wanted is not None:
        query = query.where(wanted)
        tag_query = tag_query.where(_claim_filter(ClaimTag.claim_id, claim_ids))
    query = query.where(_present(Claim, as_of))
    if as_of is not None:
        query = query.where(Claim.created_at <= as_of)
    # Core rows through the session's connection: the ORM's result handling costs more than
    # the query on a report of every claim.
    # All rows at once (.all()): iterating a result fetches one row per driver call.
    connection = session.connection()
    states = {row[0]: ClaimState(*row) for row in connection.execute(query).all()}
    for claim_id, name in connection.execute(tag_query.order_by(Tag.name)).all():
        if claim_id in states:
            states[claim_id].tags.append(name)
    if as_of is not None:
        subject = _claim_filter(HistoryEvent.claim_id, claim_ids)
        for claim_id, _, _, _, before in _later_events(session, "claim", as_of, subject):
            state = states.get(claim_id)
            if state is None:
                continue
            for name in CLAIM_FIELDS:
                if name in before:
                    setattr(state, name, before[name])
            if "event_date" in before:
                state.event_date_precision = _precision(before["event_date"])
    return states


def _precision(event_date: str | None) -> str | None:
    if not event_date:
        return None
    return {4: "year", 7: "month"}.get(len(event_date), "day")


def evidence_states(
    session: Session,
    claim_ids: Iterable[int] | Select | None = None,
    as_of: datetime | None = None,
    *,
    reported_by: str | None = None,
) -> list[EvidenceState]:
    """Evidence present at `as_of` (later removals put back), with its fields as they were;
    with `reported_by`, only what had been reported by then by its observed date as it was
    (else the day it was recorded)."""
    query = select(
        Evidence.id,
        Evidence.claim_id,
        Evidence.source_id,
        Evidence.via_id,
        Evidence.stance,
        Evidence.credibility,
        Evidence.quote,
        Evidence.locator,
        Evidence.observed,
        Evidence.created_at,
    ).order_by(Evidence.claim_id, Evidence.id)
    if as_of is None:
        query = query.where(Evidence.removed_at.is_(None))
    else:
        query = query.where(
            Evidence.created_at <= as_of,
            or_(Evidence.removed_at.is_(None), Evidence.removed_at > as_of),
        )
    wanted = _claim_filter(Evidence.claim_id, claim_ids)
    if wanted is not None:
        query = query.where(wanted)
    items: dict[int, EvidenceState] = {}
    recorded: dict[int, datetime] = {}
    for row in session.execute(query):
        items[row.id] = EvidenceState(*row[:-1])
        if reported_by is not None:
            recorded[row.id] = row.created_at
    if items:
        relays = select(EvidenceRelay.evidence_id, EvidenceRelay.source_id).order_by(
            EvidenceRelay.evidence_id, EvidenceRelay.position
        )
        if wanted is not None:
            relays = relays.join(Evidence, Evidence.id == EvidenceRelay.evidence_id).where(wanted)
        for evidence_id, source_id in session.execute(relays):
            item = items.get(evidence_id)
            if item is not None:
                item.relay_ids += (source_id,)
    if as_of is not None and items:
        by_key: dict[str, int] | None = None
        subject = _claim_filter(HistoryEvent.claim_id, claim_ids)
        for _, _, evidence_id, action, before in _later_events(session, "evidence", as_of, subject):
            item = items.get(evidence_id)
            if item is None or action in ("evidence.remove", "evidence.restore"):
                continue
            _undo_evidence(item, before)
            if {"source", "via", "via_chain"} & before.keys():
                by_key = by_key if by_key is not None else _source_ids_by_key(session)
                if "source" in before and before["source"] in by_key:
                    item.source_id = by_key[before["source"]]
                if "via_chain" in before:
                    chain = [by_key.get(key) for key in before["via_chain"] or ()]
                    item.via_id = chain[0] if chain else None
                    item.relay_ids = tuple(hop for hop in chain[1:] if hop is not None)
                elif "via" in before:  # recorded before chains: a one-hop chain
                    item.via_id = by_key.get(before["via"]) if before["via"] else None
                    item.relay_ids = ()
    if reported_by is not None:
        end = values.recorded_by_end_of(reported_by)
        return [
            item
            for item in items.values()
            if (item.observed <= reported_by if item.observed else recorded[item.id] < end)
        ]
    return list(items.values())


def _undo_evidence(item: EvidenceState, before: dict[str, Any]) -> None:
    for name in EVIDENCE_VALUE_FIELDS:
        if name in before:
            setattr(item, name, before[name])


def last_changes(
    session: Session,
    claim_ids: Iterable[int] | Select | None = None,
    as_of: datetime | None = None,
) -> dict[int, datetime]:
    """When each claim last changed (by `as_of`): its newest history event of any kind, or
    the newest import that created it or gave it evidence (`imported_changes`)."""
    query = select(HistoryEvent.claim_id, func.max(HistoryEvent.at)).where(
        HistoryEvent.claim_id.is_not(None)
    )
    wanted = _claim_filter(HistoryEvent.claim_id, claim_ids)
    if wanted is not None:
        query = query.where(wanted)
    if as_of is not None:
        query = query.where(HistoryEvent.at <= as_of)
    connection = session.connection()
    rows = connection.execute(query.group_by(HistoryEvent.claim_id))
    changes = {claim_id: _aware(at) for claim_id, at in rows}
    listed = None if claim_ids is None or isinstance(claim_ids, Select) else set(claim_ids)
    for claim_id, at in imported_changes(connection, listed, as_of=as_of).items():
        if claim_id not in changes or changes[claim_id] < at:
            changes[claim_id] = at
    return changes


def imported_changes(
    connection,
    claim_ids: set[int] | None = None,
    *,
    as_of: datetime | None = None,
    since: datetime | None = None,
) -> dict[int, datetime]:
    """{claim id: when} for each claim an import (made by `as_of`, since `since`) created or
    gave evidence to, the newest such import: what its per-row `claim.add` and `evidence.add`
    said before an import was one event. One statement (the ranges the import events list),
    whatever the number of rows; `claim_ids` narrows what is returned, else every claim id in
    the ranges is (ids of claims merged away since among them: callers look claims up)."""
    loaded = load_ranges(
        connection, ("created", "claim"), ("evidence_of", "claim"), as_of=as_of, since=since
    )
    ranges = [found for listed in loaded.values() for found in listed]
    changes: dict[int, datetime] = {}
    if claim_ids is not None:
        for first, last, _event, at in sorted(ranges, key=lambda found: found.at):
            changes.update((i, _aware(at)) for i in claim_ids if first <= i <= last)
        return changes
    # Newest import first, each id set once: the work is the ids, not the ranges' total size
    # (a daily import giving evidence to most claims would otherwise repeat every claim).
    covered: list[list[int]] = []  # disjoint [first, last], in order
    for first, last, _event, at in sorted(ranges, key=lambda found: found.at, reverse=True):
        at = _aware(at)
        for start, end in _uncovered(covered, first, last):
            changes.update(dict.fromkeys(range(start, end + 1), at))
    return changes


def _uncovered(covered: list[list[int]], first: int, last: int) -> list[tuple[int, int]]:
    """The parts of [first, last] not in `covered` (disjoint ranges in order), which then
    covers [first, last] too."""
    gaps = []
    at = bisect_left(covered, [first, first])
    if at and covered[at - 1][1] >= first - 1:
        at -= 1
    start, low, high = first, first, last
    end = at
    while end < len(covered) and covered[end][0] <= last + 1:
        if covered[end][0] > start:
            gaps.append((start, min(covered[end][0] - 1, last)))
        start = max(start, covered[end][1] + 1)
        low, high = min(low, covered[end][0]), max(high, covered[end][1])
        end += 1
    if start <= last:
        gaps.append((start, last))
    covered[at:end] = [[low, high]]
    return gaps


def imported_claims(
    connection, *, as_of: datetime | None = None, since: datetime | None = None
) -> ColumnElement[bool] | None:
    """A condition on Claim.id: the claims an import (made by `as_of`, since `since`) created
    or gave evidence to (None: there are none). The ranges the import events list, merged: a
    few BETWEENs, or, for ranges scattered over many claims, the ids as one parameter (a JSON
    array on SQLite, an array on PostgreSQL: SQLite caps the parameters of a statement)."""
    merged: list[list[int]] = []
    loaded = load_ranges(
        connection, ("created", "claim"), ("evidence_of", "claim"), as_of=as_of, since=since
    )
    for first, last, _event, _at in sorted(found for listed in loaded.values() for found in listed):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    if not merged:
        return None
    if len(merged) <= 100:
        return or_(*(Claim.id.between(first, last) for first, last in merged))
    ids = [i for first, last in merged for i in range(first, last + 1)]
    if connection.dialect.name == "postgresql":
        # Imported here: the PostgreSQL dialect (all its drivers' modules) is 15-30 ms of every
        # SQLite command's start-up that reads this module (python -X importtime).
        from sqlalchemy.dialects.postgresql import ARRAY

        return Claim.id == any_(bindparam("imported_ids", ids, type_=ARRAY(Integer)))
    listed = func.json_each(json.dumps(ids)).table_valued("value")
    return Claim.id.in_(select(literal_column("value", Integer)).select_from(listed))


def _aware(value: datetime | str) -> datetime:
    """max() bypasses the column type on SQLite and returns the stored text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
