"""Reading the history of a claim or a source."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import NextStep, NotFound
from ..history_log import verify_events
from ..models import Claim, HistoryEvent, KeyAlias, Source


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


def history_of(session: Session, key: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    """Events about the claim or source with this key (claims first), newest first. Each
    carries the declared `actor` and `db_user`, who was connected (None before 0009)."""
    column, subject = _subject(session, key)
    query = (
        select(HistoryEvent)
        .where(column == subject.id)
        .order_by(HistoryEvent.at.desc(), HistoryEvent.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return [
        {
            "id": event.id,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "db_user": event.db_user,
            "action": event.action,
            "entity": event.entity,
            "subject": subject.key,
            "evidence_id": event.evidence_id,
            "before": json.loads(event.before) if event.before else None,
            "after": json.loads(event.after) if event.after else None,
            "reason": event.reason,
        }
        for event in session.scalars(query)
    ]


def verify_history(session: Session, key: str) -> dict[str, Any]:
    """Check the hash of each event about this claim or source against its content and the
    event before it in the chain (the whole chain: `claimtrack db check`)."""
    column, subject = _subject(session, key)
    count, problems = verify_events(session.connection(), column, subject.id)
    return {"subject": subject.key, "events": count, "ok": not problems, "problems": problems}
