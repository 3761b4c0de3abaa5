"""The claims whose status an operation moved, each recorded as a `claim.status` event.

Changing a source's reliability or derived-from link, or removing evidence, can change the
status of every claim the source (or a source passing on its information) bears on. Those
operations assess the claims before the change, make it, then call `record_status_changes`
in the same transaction, and return what it found. A fixed number of statements, whatever
the number of claims.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from ..models import Claim
from ..status import Assessment
from .assessments import assess_claims
from .common import record


@dataclass(frozen=True)
class StatusChange:
    claim: str
    before: str
    after: str
    score_before: float
    score_after: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def record_status_changes(
    session: Session,
    claim_ids: Select | list[int],
    before: dict[int, Assessment],
    *,
    reason: str,
) -> list[StatusChange]:
    """Assess `claim_ids` again and record each claim whose status differs from `before`
    (what assess_claims said before the change), by claim key."""
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
            "claim.status",
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
