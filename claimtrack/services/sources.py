"""Sources: adding, editing, listing, and keeping each source's origin current."""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session, aliased

from ..errors import Conflict
from ..models import Evidence, Source, utcnow
from ..records import SourceRecord, changed_fields, checked
from .assessments import assess_claims
from .common import (
    UNSET,
    Edit,
    ensure_key_free,
    free_new_key,
    get_source,
    keep_former_key,
    new_key,
    record,
)
from .status_changes import record_status_changes


def source_chain(session: Session, source_id: int) -> list[tuple[int, str]]:
    """(id, key) of the source and every source up its derived-from chain, nearest first,
    in one recursive query."""
    chain = (
        select(Source.id, Source.key, Source.derived_from_id, literal(0).label("depth"))
        .where(Source.id == source_id)
        .cte("chain", recursive=True)
    )
    parent = aliased(Source)
    chain = chain.union_all(
        select(parent.id, parent.key, parent.derived_from_id, chain.c.depth + 1)
        .join(chain, parent.id == chain.c.derived_from_id)
        # A loop can only exist in a damaged database (edits refuse them); stop anyway.
        .where(chain.c.depth < 100_000)
    )
    rows = session.execute(select(chain.c.id, chain.c.key).order_by(chain.c.depth))
    return [(row.id, row.key) for row in rows]


def descendant_ids(session: Session, source_id: int) -> list[int]:
    tree = select(Source.id).where(Source.id == source_id).cte("tree", recursive=True)
    child = aliased(Source)
    tree = tree.union(select(child.id).join(tree, child.derived_from_id == tree.c.id))
    return list(session.scalars(select(tree.c.id)))


def set_derived_from(session: Session, source: Source, parent: Source | None) -> None:
    """Point `source` at `parent`, refusing loops, and move its whole subtree's origin."""
    if parent is not None:
        if parent.id == source.id:
            raise Conflict(
                f"source {source.key!r} cannot be derived from itself: "
                "give {field:derived_from} another source, or '' to clear it"
            )
        chain = source_chain(session, parent.id)
        if source.id in {i for i, _ in chain}:
            path = " → ".join(k for _, k in chain[: [i for i, _ in chain].index(source.id) + 1])
            raise Conflict(
                f"source {source.key!r} cannot be derived from {parent.key!r}: "
                f"{parent.key!r} already derives from {source.key!r} ({path}), "
                "which would make a loop"
            )
    # Plain UPDATEs, not relationship assignments: a root source's origin is itself, and the
    # unit of work cannot order a row that depends on itself.
    session.flush()
    session.execute(
        update(Source)
        .where(Source.id == source.id)
        .values(derived_from_id=parent.id if parent is not None else None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    origin_id = (parent.origin_id or parent.id) if parent is not None else source.id
    session.execute(
        update(Source)
        .where(Source.id.in_(descendant_ids(session, source.id)))
        .values(origin_id=origin_id)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def add_source(
    session: Session,
    *,
    name: str,
    key: str | None = None,
    kind: str | None = None,
    reliability: str | None = None,
    derived_from: str | None = None,
    url: str | None = None,
    notes: str | None = None,
) -> Source:
    name = checked(SourceRecord, "name", name)
    if key is not None:
        key = checked(SourceRecord, "key", key)
        ensure_key_free(session, Source, "source", key)
    else:
        key = new_key(session, Source, name, "src")
    parent = get_source(session, derived_from) if derived_from else None
    source = Source(
        key=key,
        name=name,
        kind=checked(SourceRecord, "kind", kind) or "unknown",
        reliability=checked(SourceRecord, "reliability", reliability) if reliability else "F",
        url=checked(SourceRecord, "url", url),
        notes=checked(SourceRecord, "notes", notes),
    )
    session.add(source)
    session.flush()
    source.origin_id = (parent.origin_id or parent.id) if parent else source.id
    source.derived_from = parent
    session.flush()
    record(session, "source.add", source, after=SourceRecord.of(source).history_json())
    return source


def edit_source(
    session: Session,
    key: str,
    *,
    name: str | None = None,
    kind: str | None = None,
    reliability: str | None = None,
    derived_from: str | None = UNSET,
    url: str | None = UNSET,
    notes: str | None = UNSET,
    new_key: str | None = None,
    reason: str | None = None,
) -> Edit:
    """Change the given fields; returns the source, the changed fields before and after, and
    the claims whose status a new reliability or derived-from link moved (each recorded as a
    `claim.status` event).

    `derived_from=None` (or "") clears the link; leaving it out keeps it. `new_key` renames
    the source; its old key stays an alias, as after a merge.
    """
    source = get_source(session, key)
    regrade = reliability is not None or derived_from is not UNSET
    if regrade:
        claim_ids = select(Evidence.claim_id).where(
            Evidence.source_id.in_(descendant_ids(session, source.id))
        )
        status_before = assess_claims(session, claim_ids)
    current = SourceRecord.of(source).history_json()
    requested: dict[str, Any] = {}
    if name is not None:
        requested["name"] = checked(SourceRecord, "name", name)
    if kind is not None:
        requested["kind"] = checked(SourceRecord, "kind", kind) or "unknown"
    if reliability is not None:
        requested["reliability"] = checked(SourceRecord, "reliability", reliability)
    if url is not UNSET:
        requested["url"] = checked(SourceRecord, "url", url)
    if notes is not UNSET:
        requested["notes"] = checked(SourceRecord, "notes", notes)
    parent: Source | None = None
    if derived_from is not UNSET:
        parent = get_source(session, derived_from) if derived_from else None
        requested["derived_from"] = parent.key if parent else None
    if new_key is not None:
        requested["key"] = free_new_key(session, source, "source", new_key)
    before, after = changed_fields(current, requested)
    if not after:
        return Edit(source, {}, {}, [])
    for field_name in ("name", "kind", "reliability", "url", "notes", "key"):
        if field_name in after:
            setattr(source, field_name, after[field_name])
    if "key" in after:
        keep_former_key(session, source, "source", before["key"])
    if "derived_from" in after:
        set_derived_from(session, source, parent)
        source = get_source(session, source.key)
        origin = SourceRecord.of(source).origin
        if origin != current["origin"]:
            before["origin"], after["origin"] = current["origin"], origin
    session.flush()
    record(session, "source.edit", source, before=before, after=after, reason=reason)
    status_changes = []
    if regrade and {"reliability", "derived_from"} & after.keys():
        what = "; ".join(
            f"{name} {before.get(name) or '(none)'} → {after[name] or '(none)'}"
            for name in ("reliability", "derived_from")
            if name in after
        )
        status_changes = record_status_changes(
            session,
            claim_ids,
            status_before,
            reason=f"source {source.key} edited: {what}" + (f" ({reason})" if reason else ""),
        )
    return Edit(source, before, after, status_changes)


class SourcePage(NamedTuple):
    """What `source list` shows: the sources, and how many there are in all."""

    rows: list[dict[str, Any]]
    total: int


def list_sources(
    session: Session, *, kind: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Sources (of `kind`, if given) in key order, the first `limit` of them (None: all),
    with their origin and how much evidence cites each."""
    return source_page(session, kind=kind, limit=limit).rows


def source_page(
    session: Session, *, kind: str | None = None, limit: int | None = None
) -> SourcePage:
    """The first `limit` sources (of `kind`; None: all) in key order, with their origin and
    how much evidence cites each, and how many there are: the evidence counted is only that
    of the sources shown."""
    origin = aliased(Source)
    parent = aliased(Source)
    current = Source.removed_at.is_(None)
    if kind:
        current &= Source.kind == kind
    sources = session.execute(
        select(Source, parent.key, origin.key)
        .outerjoin(parent, parent.id == Source.derived_from_id)
        .outerjoin(origin, origin.id == Source.origin_id)
        .where(current)
        .order_by(Source.key)
        .limit(limit)
    ).all()
    counts = (
        select(Evidence.source_id, func.count())
        .where(Evidence.removed_at.is_(None))
        .group_by(Evidence.source_id)
    )
    total = len(sources)
    if limit is not None:
        counts = counts.where(Evidence.source_id.in_([source.id for source, _, _ in sources]))
        total = session.scalar(select(func.count(Source.id)).where(current))
    evidence_counts = dict(session.execute(counts).all()) if sources else {}
    rows = []
    for source, parent_key, origin_key in sources:
        rows.append(
            {
                "key": source.key,
                "name": source.name,
                "kind": source.kind,
                "reliability": source.reliability,
                "derived_from": parent_key,
                "origin": origin_key or source.key,
                "url": source.url,
                "notes": source.notes,
                "evidence_count": evidence_counts.get(source.id, 0),
            }
        )
    return SourcePage(rows, total)


def show_source(session: Session, key: str) -> dict[str, Any]:
    source = get_source(session, key)
    data = SourceRecord.of(source).history_json()
    data["chain"] = [key for _, key in source_chain(session, source.id)]
    data["created_at"] = source.created_at.isoformat()
    data["updated_at"] = source.updated_at.isoformat()
    data["evidence_count"] = session.scalar(
        select(func.count())
        .select_from(Evidence)
        .where(Evidence.source_id == source.id, Evidence.removed_at.is_(None))
    )
    return data
