"""The one way history is written: the services (one event at a time) and the importer (tens of
thousands per import) both append through a `HistoryLog`, which buffers events and writes them
in one set-based statement per flush (executemany on SQLite, binary COPY on PostgreSQL when the
caller has one), inside the caller's transaction.

An event's `before` and `after` are JSON snapshots of the fields that changed (the whole record
on creation), encoded here and nowhere else, which is what --as-of reads back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from .models import HistoryEvent, utcnow

COLUMNS = (
    "at",
    "actor",
    "action",
    "entity",
    "claim_id",
    "source_id",
    "evidence_id",
    "before",
    "after",
    "reason",
)

CopyRows = Callable[[str, Sequence[str], Sequence[tuple]], None]


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in history")


# One encoder for every event (json.dumps would build one per call).
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_json_default).encode


def to_json(data: dict[str, Any] | None) -> str | None:
    """A snapshot as history stores it."""
    return None if data is None else _encode(data)


class HistoryLog:
    """Events buffered for one transaction, written by `flush` after the rows they refer to
    exist. `copy_rows` (PostgreSQL's binary COPY, from the importer) replaces executemany when
    given."""

    def __init__(self, *, actor: str, copy_rows: CopyRows | None = None):
        self.actor = actor
        self.copy_rows = copy_rows
        self.pending: list[tuple] = []

    def __len__(self) -> int:
        return len(self.pending)

    def add(
        self,
        *,
        action: str,
        entity: str,
        claim_id: int | None = None,
        source_id: int | None = None,
        evidence_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        reason: str | None = None,
        at: datetime | None = None,
    ) -> None:
        self.pending.append(
            (
                at or utcnow(),
                self.actor,
                action,
                entity,
                claim_id,
                source_id,
                evidence_id,
                to_json(before),
                to_json(after),
                reason,
            )
        )

    def discard(self) -> None:
        """Forget the buffered events (a dry run writes nothing)."""
        self.pending = []

    def flush(self, conn: Connection) -> None:
        """Write the buffered events in one statement."""
        rows, self.pending = self.pending, []
        if not rows:
            return
        dialect = conn.dialect
        if dialect.name == "sqlite":
            stamp = HistoryEvent.__table__.c.at.type.dialect_impl(dialect).bind_processor(dialect)
            stamps: dict[datetime, Any] = {}  # an import's events share one time
            rows = [
                (stamps.get(row[0]) or stamps.setdefault(row[0], stamp(row[0])), *row[1:])
                for row in rows
            ]
        if self.copy_rows is not None:
            self.copy_rows("history", COLUMNS, rows)
            return
        mark = "?" if dialect.name == "sqlite" else "%s"
        names, marks = ", ".join(COLUMNS), ", ".join([mark] * len(COLUMNS))
        conn.exec_driver_sql(f"INSERT INTO history ({names}) VALUES ({marks})", rows)  # noqa: S608


def session_log(session) -> HistoryLog:
    """The log of this session's transaction (made on first use, flushed before it commits)."""
    log = session.info.get("history_log")
    if log is None:
        log = session.info["history_log"] = HistoryLog(actor=session.info.get("actor") or "unknown")
    return log


def flush_session_log(session) -> None:
    """Write what the session's services recorded so far: before the transaction commits, and
    before anything that reads or moves history rows in the same transaction (a merge)."""
    log = session.info.get("history_log")
    if log is not None and len(log):
        session.flush()
        log.flush(session.connection())
