"""Reading the history of a claim or a source."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NextStep, NotFound
from ..history_log import IMPORT, id_ranges, load_ranges, verify_events
from ..models import Claim, Evidence, HistoryEvent, KeyAlias, Source


def _subject(session: Session, key: str):
    """(column of history, the claim or source) for this key (claims first, then aliases)."""
    claim = session.scalar(select(Claim).where(Claim.key == key))
    source = None if claim else session.scalar(select(Source).where(Source.key == key))
    if claim is None and source is None:
        alias = session.scalar(select(KeyAlias).where(KeyAlias.alias == key))
        if alias is not None:
            model = Claim if alias.entity == "claim" else Source
            found = session.get(model, alias.target_id)
            claim, source = (found, None) if model is Claim else (None, found)
    if claim is None and source is None:
        raise NotFound(f"no claim or source with key {key!r}", next_step=NextStep("find"))
    column = HistoryEvent.claim_id if claim is not None else HistoryEvent.source_id
    return column, claim if claim is not None else source


def _imports_of(session: Session, subject) -> dict[int, dict[str, Any]]:
    """The imports that created this claim or source, gave it evidence, or created evidence it
    holds (a claim) or gave (a source) now: {event id: {"claim" or "source": True (it created
    the record), "evidence": [[first, last], ...] (its items among those the import created)}}.
    Two statements: the ranges the import events list, and this record's items. A range holds
    a row made at the import's time: an id a merge freed and a later row took is not in it."""
    connection = session.connection()
    entity = "claim" if isinstance(subject, Claim) else "source"
    found: dict[int, dict[str, Any]] = {}
    ranges = load_ranges(
        connection, ("created", entity), ("evidence_of", entity), ("created", "evidence")
    )
    for first, last, event, at in ranges["created", entity]:
        if first <= subject.id <= last and at == subject.created_at:
            found.setdefault(event, {})[entity] = True
    for first, last, event, at in ranges["evidence_of", entity]:
        if first <= subject.id <= last and at >= subject.created_at:
            found.setdefault(event, {})
    # Items move between claims (merges, edits): the import that created an item the record
    # holds now is found from the item, as the item's own event was re-filed with it.
    made: dict[Any, list] = {}
    for found_range in ranges["created", "evidence"]:
        made.setdefault(found_range.at, []).append(found_range)
    if made:
        column = Evidence.claim_id if entity == "claim" else Evidence.source_id
        low = min(r.first for same in made.values() for r in same)
        high = max(r.last for same in made.values() for r in same)
        given: dict[int, list[int]] = {}
        for item_id, created_at in session.execute(
            select(Evidence.id, Evidence.created_at)
            .where(column == subject.id, Evidence.id.between(low, high))
            .order_by(Evidence.id)
        ):
            for r in made.get(created_at, ()):
                if r.first <= item_id <= r.last:
                    given.setdefault(r.event, []).append(item_id)
        for event, item_ids in given.items():
            found.setdefault(event, {})["evidence"] = id_ranges(item_ids)
    return found


def _entry(event: HistoryEvent, subject_key: str) -> dict[str, Any]:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "db_user": event.db_user,
        "action": event.action,
        "entity": event.entity,
        "subject": subject_key,
        "evidence_id": event.evidence_id,
        "before": json.loads(event.before) if event.before else None,
        "after": json.loads(event.after) if event.after else None,
        "reason": event.reason,
    }


def history_of(session: Session, key: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Events about the claim or source with this key (claims first), newest first. Each
    carries the declared `actor` and `db_user`, who was connected (None before 0009).

    An import that created the record, or evidence it holds or gave, is one entry (its event:
    action `import`), whose `created` says what of this record it created: {"claim": true}
    or {"source": true}, and "evidence": the items' ids as [first, last] ranges."""
    column, subject = _subject(session, key)
    order = (HistoryEvent.at.desc(), HistoryEvent.id.desc())
    query = select(HistoryEvent).where(column == subject.id).order_by(*order)
    if limit:
        query = query.limit(limit)
    entries = [_entry(event, subject.key) for event in session.scalars(query)]
    imports = _imports_of(session, subject)
    if imports:
        events = session.scalars(
            select(HistoryEvent).where(HistoryEvent.id.in_(list(imports))).order_by(*order)
        )
        for event in events:
            entry = _entry(event, subject.key)
            entry["created"] = imports[event.id]
            entries.append(entry)
        # An import's event comes after the per-record events it wrote at its own moment (a
        # verdict on a claim it created): it is shown below them, where its rows began.
        entries.sort(
            key=lambda entry: (entry["at"], entry["action"] != IMPORT, entry["id"]), reverse=True
        )
        if limit:
            entries = entries[:limit]
    return entries


def verify_history(session: Session, key: str) -> dict[str, Any]:
    """Check the hash of each event about this claim or source, and of each import that
    created it or its evidence, against its content and the event before it in the chain (the
    whole chain: `claimtrack db check`)."""
    column, subject = _subject(session, key)
    imports = sorted(_imports_of(session, subject))
    count, problems = verify_events(session.connection(), column, subject.id, also=imports)
    return {"subject": subject.key, "events": count, "ok": not problems, "problems": problems}
