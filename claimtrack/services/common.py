"""Pieces every service shares: resolving keys, generating keys, recording history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import values
from ..errors import Conflict, NextStep, NotFound
from ..history_log import session_log
from ..models import Claim, Evidence, KeyAlias, Source
from ..records import ClaimRecord, SourceRecord, checked

if TYPE_CHECKING:
    from .status_changes import StatusChange

# An edit function's default for "leave this field as it is" (None clears the field).
UNSET: Any = object()


class Edit(NamedTuple):
    """What an edit did: the row, the changed fields before and after (empty: nothing
    changed), and the claims whose status it moved (each recorded in history)."""

    row: Claim | Source | Evidence
    before: dict[str, Any]
    after: dict[str, Any]
    status_changes: list[StatusChange]


class Removal(NamedTuple):
    """What a removal did: the removed row and the claims whose status it moved."""

    evidence: Evidence
    status_changes: list[StatusChange]


class RecordRemoval(NamedTuple):
    """What removing a claim or source did (or, planned, would do): the row, the evidence
    items removed with it, the links removed with it (claims), the sources that derived from
    it and now derive from its own parent (sources), and the claims whose status moved."""

    row: Claim | Source
    evidence: list[dict[str, Any]]
    links: list[dict[str, str]]
    children: list[str]
    status_changes: list[StatusChange]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.row.key,
            "evidence_removed": self.evidence,
            "links_removed": self.links,
            "children_moved": self.children,
            "status_changes": [change.as_dict() for change in self.status_changes],
        }


class RecordRestore(NamedTuple):
    """What restoring a claim or source did: the row, the evidence items (ids) and links
    that came back with it, those that could not (their claim or a source they cite was
    removed since), the sources that derive from it again, and the claims whose status
    moved."""

    row: Claim | Source
    evidence: list[int]
    evidence_left: list[int]
    links: list[dict[str, str]]
    links_left: list[dict[str, str]]
    children: list[str]
    status_changes: list[StatusChange]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.row.key,
            "evidence_restored": self.evidence,
            "evidence_left_removed": self.evidence_left,
            "links_restored": self.links,
            "links_left_removed": self.links_left,
            "children_moved": self.children,
            "status_changes": [change.as_dict() for change in self.status_changes],
        }


def actor_of(session: Session) -> str:
    return session.info.get("actor") or "unknown"


def record(
    session: Session, action: str, row: Claim | Source | Evidence | None = None, **event: Any
) -> None:
    """Append one history event in the caller's transaction, written with the others the
    command records in one statement before it commits (claimtrack.history_log).

    `action` is ENTITY.VERB (`claim.edit`). The event is filed under `row`, an evidence item's
    under its claim and source too, so that each one's history shows it. `event` holds the
    rest of HistoryLog.add's fields: before, after, reason, at, and the ids of an event with no
    row of its own (a link's, filed under each of its claims; a status change's)."""
    if isinstance(row, Evidence):
        event.update(evidence_id=row.id, claim_id=row.claim_id, source_id=row.source_id)
    elif isinstance(row, Claim):
        event["claim_id"] = row.id
    elif isinstance(row, Source):
        event["source_id"] = row.id
    session_log(session).add(action=action, entity=action.partition(".")[0], **event)


def alias_target(session: Session, entity: str, key: str) -> int | None:
    """The id a former key (renamed or merged away) now points to, if it is one."""
    return session.scalar(
        select(KeyAlias.target_id).where(KeyAlias.entity == entity, KeyAlias.alias == key)
    )


def _resolve(session: Session, model: type, entity: str, key: str, *, removed: bool = False):
    found = session.scalar(select(model).where(model.key == key))
    if found is None:
        target_id = alias_target(session, entity, key)
        if target_id is not None:
            found = session.get(model, target_id)
    if found is None:
        raise NotFound(f"no {entity} with key {key!r}", next_step=NextStep("list", entity=entity))
    if found.removed_at is not None and not removed:
        raise NotFound(
            f"{entity} {found.key!r} was removed on {found.removed_at:%Y-%m-%d} "
            f"(reason: {found.removed_reason!r})",
            next_step=NextStep("restore", entity=entity, key=found.key),
        )
    return found


def get_source(session: Session, key: str, *, removed: bool = False) -> Source:
    """The source with this key or former key; a removed one only if `removed`."""
    return _resolve(session, Source, "source", key, removed=removed)


def get_claim(session: Session, key: str, *, removed: bool = False) -> Claim:
    """The claim with this key or former key; a removed one only if `removed`."""
    return _resolve(session, Claim, "claim", key, removed=removed)


def new_key(session: Session, model: type, base: str, fallback: str) -> str:
    """A free key derived from `base` ('daily-nk', then 'daily-nk-2', ...)."""
    stem = values.slugify(base) or fallback
    taken = set(
        session.scalars(select(model.key).where((model.key == stem) | model.key.like(stem + "-%")))
    )
    taken |= set(
        session.scalars(
            select(KeyAlias.alias).where(
                (KeyAlias.alias == stem) | KeyAlias.alias.like(stem + "-%")
            )
        )
    )
    if stem not in taken:
        return stem
    number = 2
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def ensure_key_free(
    session: Session, model: type, entity: str, key: str, *, field: str = "key"
) -> None:
    exists = session.scalar(select(model.id).where(model.key == key)) or session.scalar(
        select(KeyAlias.id).where(KeyAlias.entity == entity, KeyAlias.alias == key)
    )
    if exists:
        raise Conflict(
            f"a {entity} with key {key!r} already exists: choose another {{field}}",
            field=field,
            next_step=NextStep("show", entity=entity, key=key),
        )


def free_new_key(session: Session, row: Claim | Source, entity: str, new_key: str) -> str:
    """`new_key` for a rename of `row`, checked (its record's key) and free: taken by no other
    claim or source; the row's own key, or a former key of its, is free to it."""
    model = type(row)
    record_type = ClaimRecord if model is Claim else SourceRecord
    new_key = checked(record_type, "key", new_key, field="new_key")
    if new_key != row.key and alias_target(session, entity, new_key) != row.id:
        ensure_key_free(session, model, entity, new_key, field="new_key")
    return new_key


def keep_former_key(session: Session, row: Claim | Source, entity: str, former: str) -> None:
    """After a rename, the former key keeps resolving (notes, scripts and earlier exports cite
    it), as after a merge; renaming back to a former key turns that alias back into the key."""
    session.execute(delete(KeyAlias).where(KeyAlias.entity == entity, KeyAlias.alias == row.key))
    session.add(KeyAlias(entity=entity, alias=former, target_id=row.id))
