"""Verdicts: a claim's verdict, reason and confidence, from a verdict record or a sheet's
verdict column: one verdict per claim within an import (a second, different one is refused,
so that importing the same files again changes nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ....models import Claim
from ....records import changed_fields
from ...problems import Where
from ..rows import VerdictRow
from .core import HISTORY_FLUSH, WriterCore, chunks, unknown


class VerdictWriter(WriterCore):
    def __init__(self, conn: Connection, **options: Any):
        super().__init__(conn, **options)
        self.verdicts: dict[int, tuple] = {}
        # claim id -> the first verdict this import gives it, and where: a sheet's verdict
        # column (repeated on each of the claim's rows, with no reason) or a verdict record.
        self.given_verdicts: dict[int, tuple[tuple, Where]] = {}

    def write_verdicts(self, batch: list[tuple[Where, VerdictRow, Any]]) -> None:
        self.bound_keys()
        # A sheet row names its claim by key or by text, as its evidence does.
        self.claim_by_text.load(item.claim_text for _, item, _ in batch if not item.claim)
        batch = [
            (where, item._replace(claim=item.claim or self.claim_by_text.get(item.claim_text)), raw)
            for where, item, raw in batch
        ]
        self.load_claim_ids(item.claim for _, item, _ in batch if item.claim)
        table = Claim.__table__
        wanted = sorted(
            {self.claim_ids.get(item.claim, 0) for _, item, _ in batch} - {0} - set(self.verdicts)
        )
        for chunk in chunks([i for i in wanted if i > 0]):
            for claim_id, verdict, reason, confidence in self.conn.execute(
                select(
                    table.c.id, table.c.verdict, table.c.verdict_reason, table.c.confidence
                ).where(table.c.id.in_(chunk))
            ):
                self.verdicts[claim_id] = (verdict, reason, confidence)
        updates = []
        for where, item, raw in batch:
            claim, verdict, reason, confidence, has_confidence, _text, from_sheet = item
            claim_id = self.claim_ids.get(claim, 0) if claim else 0
            if claim_id:
                given = (verdict,) if from_sheet else (verdict, reason, has_confidence, confidence)
                held = self.given_verdicts.setdefault(claim_id, (given, where))
                if held[0][0] != verdict:
                    one = f"{held[0][0]!r} as at {held[1]} (one verdict per claim)"
                    self.refuse(where, "verdict", verdict, one, raw)
                    continue
                if held[0] != given and len(held[0]) == len(given):
                    one = f"the reason and confidence given at {held[1]} (one verdict per claim)"
                    self.refuse(where, "reason", reason, one, raw)
                    continue
            if not claim_id:
                self.refuse(where, "claim", claim, unknown("claim"), raw)
                continue
            stored = self.verdicts.get(claim_id, (None, None, None))
            current = {"verdict": stored[0], "verdict_reason": stored[1], "confidence": stored[2]}
            requested = {"verdict": verdict, "verdict_reason": reason if verdict else None}
            if has_confidence:
                requested["confidence"] = confidence
            before, after = changed_fields(current, requested)
            if not after:
                self.count("verdict", "unchanged")
                continue
            merged = {**current, **after}
            self.verdicts[claim_id] = (
                merged["verdict"],
                merged["verdict_reason"],
                merged["confidence"],
            )
            updates.append(
                (
                    merged["verdict"],
                    merged["verdict_reason"],
                    merged["confidence"],
                    self.now_db,
                    claim_id,
                )
            )
            self.record(
                "claim.verdict",
                "claim",
                claim_id=claim_id,
                before=before,
                after=after,
                reason=reason or self.reason,
            )
            self.count("verdict", "updated" if any(before.values()) else "created")
        self.update("claims", ("verdict", "verdict_reason", "confidence", "updated_at"), updates)
        self.flush_history(at_least=HISTORY_FLUSH)
