"""A whole database in a JSONL export, history included, and restoring it exactly.

`claimtrack export` (JSONL, the whole database, no filter) ends with a restore section after
the records: one `{"type": "restore", ...}` header (schema revision, rows per table, the
history chain's head), then every row of every table as `{"type": "row", "table": T, "row":
{column: value}}`, ids, times and removed rows included, history events last in chain order
with their hashes. The records before it stay what they always were (readable, importable
into any database); the section is what makes the export lossless.

Why rows with their ids: history snapshots name claim, source and evidence ids (an evidence
item's `after` holds its id, a claim removal lists the ids of the evidence removed with it, an
import's event the ids it created, as ranges, each range holding the rows created at the
event's time), and every snapshot is covered by its event's hash. Renumbering the rows would
make the snapshots name other rows, and rewriting the snapshots would break the chain. So a
restore keeps every id, every time and every hash, and it is done only into an empty database
(one just made by `init`): there, `history KEY --json`, old keys, `report --as-of` and
`db check --head` answer exactly as on the database exported. Into a database that already
holds data, the records are imported as by any import (new ids, its own import event) and the
section is checked but not restored, which the import says in one line.

The import reads the section in its first pass: each history event is checked against the
chain as it streams by (`history_log.verify_records`), a tampered file is refused naming the
first bad event's FILE:LINE, a truncated one (fewer rows than the header, or a last event
that is not the header's head) is refused whole. Rows are spooled to a temporary file, never
held in memory, and written in batches of 5,000 (one executemany each) in the import's
transaction.
"""

from __future__ import annotations

import marshal
import tempfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ..db import SCHEMA_REVISION
from ..errors import ClaimtrackError
from ..history_log import GENESIS, restore_events, verify_records
from ..models import Base
from .problems import Problem, Shown, Where

RECORD_TYPES = ("restore", "row")
# Written and restored in this order: every foreign key points at a table before it (a
# source's derived-from and origin links, which point at sources, are set after all sources).
TABLES = (
    "sources",
    "claims",
    "tags",
    "claim_tags",
    "evidence",
    "evidence_relays",
    "claim_links",
    "key_aliases",
    "score_models",
    "history",
)
BATCH = 5_000
# What the import summary calls each table's rows.
COUNTED = {
    "sources": "source",
    "claims": "claim",
    "evidence": "evidence",
    "claim_links": "link",
    "key_aliases": "alias",
    "score_models": "calibration",
    "history": "history",
}
_LATER = ("derived_from_id", "origin_id")  # sources' links to sources, set after all sources


def _table(name: str):
    return Base.metadata.tables[name]


def _columns(name: str) -> list[str]:
    return [column.name for column in _table(name).columns]


def _datetimes(name: str) -> set[str]:
    return {
        column.name
        for column in _table(name).columns
        if getattr(column.type, "python_type", None) is datetime
        or type(column.type).__name__ == "UTCDateTime"
    }


# --- export ---------------------------------------------------------------------------------


def restore_section(session: Session) -> Iterator[dict[str, Any]]:
    """The header and every row of every table, for the end of a whole-database export."""
    conn = session.connection()
    counts = {name: conn.scalar(select(func.count()).select_from(_table(name))) for name in TABLES}
    history = _table("history")
    head = conn.scalar(select(history.c.hash).order_by(history.c.id.desc()).limit(1))
    yield {
        "type": "restore",
        "revision": SCHEMA_REVISION,
        "rows": counts,
        "head": head or GENESIS,
    }
    for name in TABLES:
        table = _table(name)
        stamps = _datetimes(name)
        order = list(table.primary_key.columns)
        rows = conn.execute(
            select(table).order_by(*order).execution_options(stream_results=True, yield_per=2000)
        )
        for row in rows:
            values = dict(row._mapping)
            for column in stamps:
                if values[column] is not None:
                    values[column] = values[column].isoformat()
            yield {"type": "row", "table": name, "row": values}


# --- import ---------------------------------------------------------------------------------


class HistoryRefused(ClaimtrackError):
    """The restore section of an export is damaged: nothing was imported."""


class Restore:
    """The restore section met in an import's first pass: checked as it streams by, spooled,
    and written (`write`) when the target is empty."""

    def __init__(self) -> None:
        self.header: dict[str, Any] | None = None
        self.header_at: Where | None = None
        self.counts = dict.fromkeys(TABLES, 0)
        self.previous = GENESIS
        self.last_table = -1
        self.restoring = False
        self.note: str | None = None
        self._spool = None
        self._pending: list[tuple] = []
        self._columns = {name: _columns(name) for name in TABLES}

    @property
    def present(self) -> bool:
        return self.header is not None

    def take(self, where: Where, record: dict[str, Any]) -> list[Problem]:
        """Check one record of the section; problems in its shape are bad rows, a history
        event that does not match the chain refuses the whole file at once."""
        if record.get("type") == "restore":
            return self._take_header(where, record)
        if self.header is None:
            return [_problem(where, "type", "row", 'a {"type": "restore"} header before the rows')]
        name, row = record.get("table"), record.get("row")
        if name not in TABLES:
            return [_problem(where, "table", name, "one of " + ", ".join(TABLES))]
        columns = self._columns[name]
        if not isinstance(row, dict) or set(row) != set(columns):
            return [
                _problem(
                    where, "row", row, f"an object with the columns of {name}: {', '.join(columns)}"
                )
            ]
        position = TABLES.index(name)
        if position < self.last_table:
            return [_problem(where, "table", name, "the tables in the order export writes them")]
        self.last_table = position
        values = tuple(row[column] for column in columns)
        if any(isinstance(value, dict | list | float) for value in values):
            return [_problem(where, "row", row, "text, whole numbers and nulls")]
        if name == "history":
            self._check_event(where, row)
        self.counts[name] += 1
        self._pending.append((name, values))
        if len(self._pending) >= BATCH:
            self._spill()
        return []

    def _take_header(self, where: Where, record: dict[str, Any]) -> list[Problem]:
        if self.header is not None:
            return [
                _problem(where, "type", "restore", f"one header (the first is at {self.header_at})")
            ]
        rows = record.get("rows")
        if (
            not isinstance(rows, dict)
            or set(rows) != set(TABLES)
            or not all(isinstance(n, int) and n >= 0 for n in rows.values())
            or not isinstance(record.get("head"), str)
        ):
            return [_problem(where, "restore", record, "the header export writes")]
        if record.get("revision") != SCHEMA_REVISION:
            return [
                _problem(
                    where,
                    "revision",
                    record.get("revision"),
                    f"{SCHEMA_REVISION}, this claimtrack's schema: upgrade both databases"
                    "{step:upgrade_both} and export again",
                )
            ]
        self.header, self.header_at = record, where
        return []

    def _check_event(self, where: Where, row: dict[str, Any]) -> None:
        try:
            problems = verify_records([row], previous=self.previous)
        except (TypeError, ValueError, KeyError):
            problems = ["its fields are not those of a history event"]
        if problems:
            raise HistoryRefused(
                f"{where}: history event {row.get('id')} ({row.get('action')} by "
                f"{row.get('actor')}, {row.get('at')}) does not match the hash chain: the file "
                "was changed after it was exported, or an event before it was removed; nothing "
                "was imported"
            )
        self.previous = row["hash"]

    def _spill(self) -> None:
        if self._spool is None:
            self._spool = tempfile.TemporaryFile()
        data = marshal.dumps(self._pending)
        self._spool.write(len(data).to_bytes(8, "little"))
        self._spool.write(data)
        self._pending = []

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None

    def decide(self, conn: Connection, *, inputs: int, dry_run: bool) -> None:
        """After the first pass: refuse a truncated section, then restore it when the target
        holds nothing yet (else say in `note` that only the records were imported)."""
        if self.header is None:
            return
        where = self.header_at
        expected = self.header["rows"]
        missing = [  # the first two tables that differ
            f"{name} {self.counts[name]:,} of {expected[name]:,}"
            for name in TABLES
            if self.counts[name] != expected[name]
        ][:2]
        if missing:
            raise HistoryRefused(
                f"{where}: the file holds other rows than its header says ({'; '.join(missing)}): "
                "it was cut short or edited; export again; nothing was imported"
            )
        if self.previous != self.header["head"]:
            raise HistoryRefused(
                f"{where}: the history ends at another event than the header's head "
                f"{self.header['head'] or '(none)'}: events were removed from its end; export "
                "again; nothing was imported"
            )
        events = expected["history"]
        if inputs == 1 and _empty(conn):
            self.restoring = True
            return
        reason = (
            "it is imported with other files" if inputs != 1 else "this database already holds data"
        )
        self.note = (
            f"the whole-database copy in {where.file} ({events:,} history events, ids and times) "
            f"was checked but not restored: {reason}; its records were imported as by any "
            "import. To keep its history, import it alone into an empty database"
            "{step:init_new}"
        )
        if dry_run:
            self.note = self.note.replace("were imported", "would be imported")

    def summary(self) -> dict[str, dict[str, int]]:
        return {
            COUNTED[name]: {"created": self.counts[name], "updated": 0, "unchanged": 0}
            for name in TABLES
            if name in COUNTED
        }

    def write(self, conn: Connection, touched: dict[str, Any]) -> None:
        """Insert every spooled row with its id (sources first without their links to other
        sources, set once all exist), history through history_log; then move PostgreSQL's id
        sequences past the restored ids. `touched` gets the rows search must index."""
        links: list[dict[str, Any]] = []
        batch: list[tuple] = []
        for chunk in self._chunks():
            for item in chunk:
                if batch and item[0] != batch[0][0]:
                    self._insert(conn, batch, links, touched)
                    batch = []
                batch.append(item)
                if len(batch) >= BATCH:
                    self._insert(conn, batch, links, touched)
                    batch = []
        if batch:
            self._insert(conn, batch, links, touched)
        if links:
            sources = _table("sources")
            conn.execute(
                sources.update()
                .where(sources.c.id == bindparam("b_id"))
                .values(
                    derived_from_id=bindparam("b_derived"),
                    origin_id=bindparam("b_origin"),
                    # as exported (the column's onupdate would stamp the restore's time)
                    updated_at=bindparam("b_updated"),
                ),
                links,
            )
        if conn.dialect.name == "postgresql":
            for table in TABLES:  # names from code, never from the file
                if "id" in self._columns[table]:
                    conn.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"COALESCE(max(id), 0) + 1, false) FROM {table}"
                    )

    def _chunks(self) -> Iterator[list[tuple]]:
        if self._spool is not None:
            self._spool.seek(0)
            while size := self._spool.read(8):
                yield marshal.loads(self._spool.read(int.from_bytes(size, "little")))
        if self._pending:
            yield self._pending

    def _insert(self, conn: Connection, batch: list[tuple], links: list, touched) -> None:
        try:
            self._insert_rows(conn, batch, links, touched)
        except DBAPIError as exc:  # a row the schema refuses: only an edited file holds one
            detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0][:200]
            raise HistoryRefused(
                f"{self.header_at.file}: a row of {batch[0][0]} cannot be restored ({detail}): "
                "the file was edited after it was exported; export again; nothing was imported"
            ) from None

    def _insert_rows(self, conn: Connection, batch: list[tuple], links: list, touched) -> None:
        name = batch[0][0]
        columns = self._columns[name]
        stamps = _datetimes(name)
        rows = []
        for _, values in batch:
            row = dict(zip(columns, values, strict=True))
            for column in stamps:
                if row[column] is not None:
                    row[column] = datetime.fromisoformat(row[column])
            rows.append(row)
        if name == "history":
            restore_events(conn, rows)
            return
        if name == "sources":
            for row in rows:
                if row["derived_from_id"] is not None or row["origin_id"] is not None:
                    links.append(
                        {
                            "b_id": row["id"],
                            "b_derived": row["derived_from_id"],
                            "b_origin": row["origin_id"],
                            "b_updated": row["updated_at"],
                        }
                    )
                    row.update(dict.fromkeys(_LATER))
        conn.execute(_table(name).insert(), rows)
        if name in touched:
            touched[name].update(row["id"] for row in rows)


def _empty(conn: Connection) -> bool:
    """Whether no table a restore writes holds a row (a database just made by `init`)."""
    probes = " UNION ALL ".join(
        f"SELECT 1 FROM (SELECT 1 FROM {name} LIMIT 1) AS {name}_probe"  # noqa: S608
        for name in TABLES
    )
    query = f"SELECT count(*) FROM ({probes}) AS probes"  # noqa: S608
    return conn.exec_driver_sql(query).scalar() == 0


def _problem(where: Where, name: str, value: Any, expected: str) -> Problem:
    shown = value if isinstance(value, str) else Shown(repr(value)[:200])
    return Problem(where, name, shown, expected)
