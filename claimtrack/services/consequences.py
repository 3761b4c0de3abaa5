"""What a re-grade does to the claims: status before and after, recorded in history.

Changing a source's reliability or derived-from link, or removing evidence, can change the
status of every claim the source (or a source passing on its information) bears on. These
functions make the change and return the claims whose status moved, each recorded as a
`claim.status` event in the same transaction. A fixed number of statements, whatever the
number of claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Claim, Evidence
from ..status import Assessment
from .assessments import assess_claims
from .common import get_source, record


@dataclass(frozen=True)
class StatusChange:
    claim: str
    before: str
    after: str
    score_before: float
    score_after: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim,
            "before": self.before,
            "after": self.after,
            "score_before": self.score_before,
            "score_after": self.score_after,
        }


def _restate(
    session: Session, claim_ids: Select, before: dict[int, Assessment], *, reason: str
) -> list[StatusChange]:
    session.flush()
    after = assess_claims(session, claim_ids)
    changed = [
        claim_id
        for claim_id in before.keys() | after.keys()
        if _status(before, claim_id) != _status(after, claim_id)
    ]
    if not changed:
        return []
    query = select(Claim.id, Claim.key).where(Claim.id.in_(changed))
    keys = {claim_id: key for claim_id, key in session.execute(query)}
    changes = []
    for claim_id in sorted(changed, key=lambda i: keys[i]):
        change = StatusChange(
            claim=keys[claim_id],
            before=_status(before, claim_id),
            after=_status(after, claim_id),
            score_before=_score(before, claim_id),
            score_after=_score(after, claim_id),
        )
        record(
            session,
            action="claim.status",
            entity="claim",
            claim_id=claim_id,
            before={"status": change.before, "score": change.score_before},
            after={"status": change.after, "score": change.score_after},
            reason=reason,
        )
        changes.append(change)
    return changes


def _status(assessments: dict[int, Assessment], claim_id: int) -> str:
    found = assessments.get(claim_id)
    return found.status if found else "unverified"


def _score(assessments: dict[int, Assessment], claim_id: int) -> float:
    found = assessments.get(claim_id)
    return found.score if found else 0.5


def edit_source(session: Session, key: str, **changes: Any):
    """services.sources.edit_source, plus the claims whose status it changed.

    Returns (source, before, after, status_changes).
    """
    from .sources import _UNSET, _descendant_ids
    from .sources import edit_source as edit

    source = get_source(session, key)
    regrade = changes.get("reliability") is not None or (
        changes.get("derived_from", _UNSET) is not _UNSET
    )
    if not regrade:
        return (*edit(session, key, **changes), [])
    claim_ids = select(Evidence.claim_id).where(
        Evidence.source_id.in_(_descendant_ids(session, source.id))
    )
    before_status = assess_claims(session, claim_ids)
    source, before, after = edit(session, key, **changes)
    if not ({"reliability", "derived_from"} & after.keys()):
        return source, before, after, []
    what = "; ".join(
        f"{name} {before.get(name) or '(none)'} → {after[name] or '(none)'}"
        for name in ("reliability", "derived_from")
        if name in after
    )
    reason = f"source {source.key} edited: {what}"
    if changes.get("reason"):
        reason += f" ({changes['reason']})"
    return source, before, after, _restate(session, claim_ids, before_status, reason=reason)


def remove_evidence(session: Session, evidence_id: int | str, *, reason: str):
    """services.evidence.remove_evidence, plus the status change of its claim (if any).

    Returns (item, status_changes).
    """
    from .evidence import get_evidence
    from .evidence import remove_evidence as remove

    claim_id = get_evidence(session, evidence_id).claim_id
    claim_ids = select(Claim.id).where(Claim.id == claim_id)
    before_status = assess_claims(session, claim_ids)
    item = remove(session, evidence_id, reason=reason)
    changes = _restate(
        session,
        claim_ids,
        before_status,
        reason=f"evidence {item.id} removed: {item.removed_reason}",
    )
    return item, changes
