"""Merging a duplicate claim or source into the one kept.

Everything that pointed at OTHER points at KEEP afterwards: evidence (removed items too),
links, tags, history, derived-from children, key aliases. Fields KEEP leaves empty are filled
from OTHER; the merge is recorded in KEEP's history with OTHER's full record; OTHER is deleted
and its key becomes an alias of KEEP, so scripts that stored it keep working.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..errors import Conflict, InvalidValue
from ..history_log import flush_session_log
from ..models import ClaimLink, Evidence, EvidenceRelay, HistoryEvent, KeyAlias, Source
from ..records import ClaimRecord, SourceRecord
from .assessments import assess_claims
from .common import get_claim, get_source, record
from .status_changes import record_status_changes


def _move_history(session: Session, entity: str, merged, kept) -> int:
    """OTHER's history (this command's own events about it too) becomes KEEP's, and OTHER's
    key an alias of KEEP; returns how many events moved."""
    flush_session_log(session)
    column = getattr(HistoryEvent, f"{entity}_id")
    moved = session.execute(
        update(HistoryEvent)
        .where(column == merged.id)
        .values({column.key: kept.id})
        .execution_options(synchronize_session=False)
    ).rowcount
    _alias(session, entity, merged.key, merged.id, kept.id)
    session.flush()
    return moved


def _alias(session: Session, entity: str, old_key: str, old_id: int, keep_id: int) -> None:
    session.execute(
        update(KeyAlias)
        .where(KeyAlias.entity == entity, KeyAlias.target_id == old_id)
        .values(target_id=keep_id)
        .execution_options(synchronize_session=False)
    )
    session.add(KeyAlias(entity=entity, alias=old_key, target_id=keep_id))


def merge_claims(
    session: Session, *, keep: str, other: str, reason: str | None = None
) -> dict[str, Any]:
    """Merge claim OTHER into KEEP; returns what moved and the status before and after."""
    # Each merge imports its entity's services: claim add loads this module for
    # --on-duplicate merge and would load the source services too (and source add the claims').
    from .claims import tag_rows

    kept, merged = get_claim(session, keep), get_claim(session, other)
    if kept.id == merged.id:
        raise InvalidValue("OTHER", other, "a different claim than KEEP")
    statuses = assess_claims(session, [kept.id, merged.id])
    before_kept, merged_record = (
        ClaimRecord.of(kept).history_json(),
        ClaimRecord.of(merged).history_json(),
    )

    evidence_ids = list(session.scalars(select(Evidence.id).where(Evidence.claim_id == merged.id)))
    session.execute(
        update(Evidence)
        .where(Evidence.claim_id == merged.id)
        .values(claim_id=kept.id)
        .execution_options(synchronize_session=False)
    )

    dropped_links: list[dict[str, str]] = []
    moved_links = 0
    existing = {
        (link.claim_id, link.other_id): link
        for link in session.scalars(
            select(ClaimLink).where(
                (ClaimLink.claim_id == kept.id) | (ClaimLink.other_id == kept.id)
            )
        )
    }
    for link in list(
        session.scalars(
            select(ClaimLink).where(
                (ClaimLink.claim_id == merged.id) | (ClaimLink.other_id == merged.id)
            )
        )
    ):
        source_id = kept.id if link.claim_id == merged.id else link.claim_id
        target_id = kept.id if link.other_id == merged.id else link.other_id
        description = {
            "claim": link.claim.key,
            "other": link.other.key,
            "relation": link.relation,
        }
        if source_id == target_id or (source_id, target_id) in existing:
            # A link between the two merged claims, or one KEEP already has: nothing to keep.
            dropped_links.append(description)
            session.delete(link)
            continue
        link.claim_id, link.other_id = source_id, target_id
        existing[(source_id, target_id)] = link
        moved_links += 1
    session.flush()

    names = sorted(set(before_kept["tags"]) | set(merged_record["tags"]))
    changes: dict[str, Any] = {}
    if names != before_kept["tags"]:
        kept.tags = tag_rows(session, names)
        changes["tags"] = names
    for name in ("place", "notes", "verdict", "verdict_reason", "confidence"):
        if getattr(kept, name) is None and getattr(merged, name) is not None:
            if name == "verdict_reason" and kept.verdict is not None:
                continue
            setattr(kept, name, getattr(merged, name))
            changes[name] = getattr(merged, name)
    if kept.event_date is None and merged.event_date is not None:
        kept.event_date = merged.event_date
        kept.event_date_precision = merged.event_date_precision
        changes["event_date"] = merged.event_date

    history_moved = _move_history(session, "claim", merged, kept)
    session.delete(merged)
    session.flush()
    session.expire(kept)

    # As an edit or a removal does: a merge that moves the kept claim's status says so.
    moved = record_status_changes(
        session,
        [kept.id],
        {kept.id: statuses[kept.id]},
        reason=f"claim {merged_record['key']} merged into {kept.key}"
        + (f" ({reason})" if reason else ""),
    )
    after_status = moved[0].after if moved else statuses[kept.id].status
    summary = {
        "kept": kept.key,
        "merged": merged_record["key"],
        "evidence_moved": evidence_ids,
        "links_moved": moved_links,
        "links_dropped": dropped_links,
        "history_moved": history_moved,
        "filled": changes,
        "status_before": {
            kept.key: statuses[kept.id].status,
            merged_record["key"]: statuses[merged.id].status,
        },
        "status": after_status,
    }
    record(
        session,
        "claim.merge",
        kept,
        before={key: before_kept[key] for key in changes} | {"merged": merged_record},
        after=changes | {"merged_from": merged_record["key"], "status": after_status},
        reason=reason,
    )
    return summary


def merge_sources(
    session: Session, *, keep: str, other: str, reason: str | None = None
) -> dict[str, Any]:
    """Merge source OTHER into KEEP: its evidence (as source and as via), its derived-from
    children and its history move to KEEP, and every origin below KEEP is recomputed."""
    from .sources import set_derived_from, source_chain

    kept, merged = get_source(session, keep), get_source(session, other)
    if kept.id == merged.id:
        raise InvalidValue("OTHER", other, "a different source than KEEP")
    kept_chain = [source_id for source_id, _ in source_chain(session, kept.id)]
    if merged.id in kept_chain[2:]:
        raise Conflict(
            f"cannot merge {merged.key!r} into {kept.key!r}: {kept.key!r} derives from it "
            f"through other sources ({' → '.join(k for _, k in source_chain(session, kept.id))}); "
            f"merging would make a loop. Edit {{field:derived_from}} of {kept.key!r} first"
        )
    before_kept, merged_record = (
        SourceRecord.of(kept).history_json(),
        SourceRecord.of(merged).history_json(),
    )

    evidence_ids = sorted(
        set(
            session.scalars(
                select(Evidence.id).where(
                    (Evidence.source_id == merged.id) | (Evidence.via_id == merged.id)
                )
            )
        )
        | set(
            session.scalars(
                select(EvidenceRelay.evidence_id).where(EvidenceRelay.source_id == merged.id)
            )
        )
    )
    session.execute(
        update(EvidenceRelay)
        .where(EvidenceRelay.source_id == merged.id)
        .values(source_id=kept.id)
        .execution_options(synchronize_session=False)
    )
    for column in (Evidence.source_id, Evidence.via_id):
        session.execute(
            update(Evidence)
            .where(column == merged.id)
            .values({column.key: kept.id})
            .execution_options(synchronize_session=False)
        )
    children = list(
        session.scalars(
            select(Source.key).where(Source.derived_from_id == merged.id, Source.id != kept.id)
        )
    )
    session.execute(
        update(Source)
        .where(Source.derived_from_id == merged.id, Source.id != kept.id)
        .values(derived_from_id=kept.id)
        .execution_options(synchronize_session=False)
    )

    changes: dict[str, Any] = {}
    parent = kept.derived_from
    if kept.derived_from_id == merged.id:
        parent = merged.derived_from  # KEEP passed on OTHER: now it passes on OTHER's source
    elif kept.derived_from_id is None and merged.derived_from_id is not None:
        candidate = merged.derived_from
        below_kept = {row for row, _ in source_chain(session, candidate.id)}
        if kept.id not in below_kept:
            parent = candidate
    if (parent.id if parent else None) != kept.derived_from_id:
        changes["derived_from"] = parent.key if parent else None
    for name in ("url", "notes"):
        if getattr(kept, name) is None and getattr(merged, name) is not None:
            setattr(kept, name, getattr(merged, name))
            changes[name] = getattr(merged, name)
    if kept.kind == "unknown" and merged.kind != "unknown":
        kept.kind = merged.kind
        changes["kind"] = merged.kind

    history_moved = _move_history(session, "source", merged, kept)
    kept_id, merged_id = kept.id, merged.id
    # Plain UPDATEs (as services.sources does): detach OTHER, hand its origin role to KEEP,
    # then recompute every origin from KEEP down (KEEP's own chain may have gone through OTHER).
    session.execute(
        update(Source)
        .where(Source.id == merged_id)
        .values(derived_from_id=None, origin_id=merged_id)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Source)
        .where(Source.origin_id == merged_id, Source.id != merged_id)
        .values(origin_id=kept_id)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()
    kept = session.get(Source, kept_id)
    set_derived_from(session, kept, session.get(Source, parent.id) if parent else None)
    session.execute(
        delete(Source).where(Source.id == merged_id).execution_options(synchronize_session=False)
    )
    session.expire_all()
    kept = session.get(Source, kept_id)
    changes["origin"] = SourceRecord.of(kept).origin
    if changes["origin"] == before_kept["origin"]:
        del changes["origin"]

    summary = {
        "kept": kept.key,
        "merged": merged_record["key"],
        "evidence_moved": evidence_ids,
        "children_moved": children,
        "history_moved": history_moved,
        "filled": changes,
    }
    record(
        session,
        "source.merge",
        kept,
        before={key: before_kept.get(key) for key in changes} | {"merged": merged_record},
        after=changes | {"merged_from": merged_record["key"]},
        reason=reason,
    )
    return summary
