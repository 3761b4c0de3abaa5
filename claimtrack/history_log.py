"""The one way history is written: the services (one event at a time) and the importer (tens of
thousands per import) both append through a `HistoryLog`, which buffers events and writes them
in one set-based statement per flush (executemany on SQLite, binary COPY on PostgreSQL when the
caller has one), inside the caller's transaction.

An event's `before` and `after` are JSON snapshots of the fields that changed (the whole record
on creation), encoded here and nowhere else, which is what --as-of reads back.

Each event also records who was connected (`db_user`: PostgreSQL's session_user, the OS user
on SQLite) beside the declared actor, and a hash chained to the previous event's: sha256 over
the previous hash and the event's time, actor, database user, action, entity, before, after
and reason (`event_hash`). The ids of the claim, source or evidence item an event is filed
under are not hashed: merges re-file events under the claim kept, and ids change when a
database is exported and imported into another. The chain is appended per flush, after
reading the head under the write lock (PostgreSQL: the transaction-level advisory lock every
claimtrack writer takes; SQLite: writers are serialised by BEGIN IMMEDIATE), so the chain's
order is the order of ids. See docs/reliability.md for what it protects against.

An import records what it creates in one event of its own (action and entity `import`, no
claim, source or evidence item): its `after` (`import_record`) names the files and their
sha256, the counts, the ids of the sources, claims and evidence it created, and the ids of the
claims and sources its new evidence belongs to, all as ranges; readers load the ranges
(`load_ranges`, one statement) and look ids up in them. What an import changes is recorded
per record, as hand edits are.
"""

from __future__ import annotations

import getpass
import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Integer, Subquery, literal, or_, select, text, union_all
from sqlalchemy.engine import Connection

from .models import HistoryEvent, UTCDateTime, utcnow

COLUMNS = (
    "at",
    "actor",
    "db_user",
    "action",
    "entity",
    "claim_id",
    "source_id",
    "evidence_id",
    "before",
    "after",
    "reason",
    "hash",
)
GENESIS = ""  # the "previous hash" of the first event

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


_canonical = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def event_hash(
    previous: str,
    at: datetime,
    actor: str,
    db_user: str | None,
    action: str,
    entity: str,
    before: str | None,
    after: str | None,
    reason: str | None,
) -> str:
    """The event's link in the chain (hex sha256). `at` counts as its UTC ISO form, with
    microseconds, which both engines store exactly; before/after as the stored JSON text."""
    payload = _canonical(
        [
            previous,
            at.astimezone(UTC).isoformat(),
            actor,
            db_user,
            action,
            entity,
            before,
            after,
            reason,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name for this uid (a bare container)
        return "unknown"


def chain_head(conn: Connection) -> tuple[str | None, str]:
    """(database user, hash of the newest event) for appending. History is appended only in
    claimtrack's write transactions, which hold the write lock from their start (db.py: the
    advisory lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so two writers never chain onto
    the same head."""
    if conn.dialect.name == "postgresql":
        user, head = conn.exec_driver_sql(
            "SELECT session_user::text, (SELECT hash FROM history ORDER BY id DESC LIMIT 1)"
        ).one()
        return user, head or GENESIS
    head = conn.exec_driver_sql("SELECT hash FROM history ORDER BY id DESC LIMIT 1").scalar()
    return os_user(), head or GENESIS


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
        at = at or utcnow()
        if at.tzinfo is None:
            raise ValueError("naive datetime: history stores UTC-aware times only")
        self.pending.append(
            (
                at,
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
        """Chain the buffered events onto the head and write them in one statement."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        db_user, previous = chain_head(conn)
        rows = []
        for event in pending:
            # (at, actor, action, entity, claim_id, source_id, evidence_id, before, after,
            # reason): stored with the database user after the actor, and chained.
            at, actor, action, entity, _, _, _, before, after, reason = event
            previous = event_hash(
                previous, at, actor, db_user, action, entity, before, after, reason
            )
            rows.append((at, actor, db_user, *event[2:], previous))
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


# --- imports ------------------------------------------------------------------------------

IMPORT = "import"  # the action and entity of an import's one event
CREATED = ("source", "claim", "evidence")  # the rows an import event lists by id
# The claims the created evidence was given to and the sources it came from, by id: what a
# per-row `evidence.add` was filed under.
EVIDENCE_OF = ("claim", "source")


def id_ranges(ids: Iterable[int] | IdRanges) -> list[list[int]]:
    """Ids as [first, last] ranges, in order: an import's ids come from a counter (SQLite's
    max(id) + 1, PostgreSQL's sequence), so a few ranges hold them all."""
    if isinstance(ids, IdRanges):
        return ids.ranges()
    ranges: list[list[int]] = []
    for row_id in sorted(ids):
        if ranges and row_id <= ranges[-1][1] + 1:
            ranges[-1][1] = max(ranges[-1][1], row_id)
        else:
            ranges.append([row_id, row_id])
    return ranges


class IdRanges:
    """Ids gathered as ranges as they come (mostly in increasing order, from a counter), so
    that a million new ids take a few pairs of memory, never a list of a million."""

    def __init__(self) -> None:
        self._ranges: list[list[int]] = []

    def extend(self, ids: Iterable[int]) -> None:
        ranges = self._ranges
        if isinstance(ids, range) and ids.step == 1:
            if ids:
                ranges.append([ids.start, ids.stop - 1])
            return
        for row_id in ids:
            if ranges and row_id == ranges[-1][1] + 1:
                ranges[-1][1] = row_id
            else:
                ranges.append([row_id, row_id])

    def __bool__(self) -> bool:
        return bool(self._ranges)

    def ranges(self) -> list[list[int]]:
        """The ranges in order, those that touch or overlap joined."""
        return joined_ranges(self._ranges)


def joined_ranges(ranges: Iterable[list[int]]) -> list[list[int]]:
    """[first, last] ranges of ids in order, those that touch or overlap joined into one."""
    joined: list[list[int]] = []
    for first, last in sorted(ranges):
        if joined and first <= joined[-1][1] + 1:
            joined[-1][1] = max(joined[-1][1], last)
        else:
            joined.append([first, last])
    return joined


def import_record(
    *,
    files: Sequence[Mapping[str, Any]],
    records: int,
    rejected: int,
    counts: Mapping[str, Mapping[str, int]],
    created: Mapping[str, Iterable[int] | IdRanges],
    evidence_of: Mapping[str, Iterable[int] | IdRanges],
    settled: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The `after` of an import's event: the files read (name, sha256 and size of what was
    read; None for records given through the Python API), how many records they held and how
    many were skipped as bad rows, the import's counts, the ids it created, and the ids of
    the claims and sources its new evidence belongs to, all as ranges; and, for an import
    whose files could be imported again without being read (transfer.imports.repeat), what
    that needs."""
    record = {
        "files": [dict(file) for file in files],
        "records": records,
        "rejected": rejected,
        "counts": {kind: dict(outcomes) for kind, outcomes in counts.items()},
        "created": {entity: id_ranges(created.get(entity, ())) for entity in CREATED},
        "evidence_of": {entity: id_ranges(evidence_of.get(entity, ())) for entity in EVIDENCE_OF},
    }
    if settled is not None:
        record["settled"] = dict(settled)
    return record


def import_ranges_sql(dialect: str, group: str, entity: str) -> str:
    """SELECT event_id, at, first_id, last_id: the id ranges import events list under `group`
    ("created" or "evidence_of") for `entity`, read from the events' JSON in SQL (the partial
    index ix_history_imports finds the events). A range holds the rows with those ids that
    were created at the event's time (`created_at` = `at`, to the microsecond): an id freed by
    a merge and taken again by a later row is not the import's."""
    if entity not in {"created": CREATED, "evidence_of": EVIDENCE_OF}.get(group, ()):
        raise ValueError(f"import events list no {group} {entity} ids")
    # `group` and `entity` are names checked above, never text from outside.
    if dialect == "postgresql":
        first, last = "(r.value ->> 0)::integer", "(r.value ->> 1)::integer"
        ranges = (
            "CROSS JOIN LATERAL "
            f"jsonb_array_elements(h.after::jsonb -> '{group}' -> '{entity}') AS r (value)"
        )
    else:
        first, last = "json_extract(r.value, '$[0]')", "json_extract(r.value, '$[1]')"
        ranges = f"CROSS JOIN json_each(h.after, '$.{group}.{entity}') AS r"
    return (
        f"SELECT h.id AS event_id, h.at AS at, {first} AS first_id, {last} AS last_id "  # noqa: S608
        f"FROM history AS h {ranges} WHERE h.entity = '{IMPORT}'"
    )


def import_ranges(dialect: str, group: str, entity: str) -> Subquery:
    """import_ranges_sql as a subquery of (event_id, at, first_id, last_id)."""
    columns = {"event_id": Integer, "at": UTCDateTime, "first_id": Integer, "last_id": Integer}
    sql = import_ranges_sql(dialect, group, entity)
    return text(sql).columns(**columns).subquery(f"{group}_{entity}")


class Range(NamedTuple):
    first: int
    last: int
    event: int
    at: datetime


Path = tuple[str, str]  # (group, entity): ("created", "claim"), ("evidence_of", "source"), ...


def load_ranges(
    conn: Connection,
    *paths: Path,
    as_of: datetime | None = None,
    since: datetime | None = None,
) -> dict[Path, list[Range]]:
    """Every range import events (made by `as_of`, since `since`) list at each path, ordered
    by first id: one statement for all the paths; a few ranges per import. Readers look ids
    up in them in memory, so no statement ever joins a table row by row against the JSON."""
    queries = []
    for number, (group, entity) in enumerate(paths):
        table = import_ranges(conn.dialect.name, group, entity)
        query = select(
            literal(number, Integer).label("path"),
            table.c.first_id,
            table.c.last_id,
            table.c.event_id,
            table.c.at,
        )
        if as_of is not None:
            query = query.where(table.c.at <= as_of)
        if since is not None:
            query = query.where(table.c.at >= since)
        queries.append(query)
    found: dict[Path, list[Range]] = {path: [] for path in paths}
    if not queries:
        return found
    union = union_all(*queries).subquery("ranges") if len(queries) > 1 else queries[0].subquery()
    rows = conn.execute(select(union).order_by(union.c.path, union.c.first_id, union.c.event_id))
    for number, first, last, event, at in rows:
        found[paths[number]].append(Range(first, last, event, at))
    return found


def restore_events(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Write exported events as they are, ids, database users and hashes included, in one
    statement (executemany): how a restore into an empty database (transfer.restore) carries
    a whole history over, after checking each event against the chain (`verify_records`).
    Appending them unchanged keeps the chain, and its head, the exported database's."""
    if rows:
        conn.execute(HistoryEvent.__table__.insert(), [dict(row) for row in rows])


# --- verifying ------------------------------------------------------------------------------

_HASHED = ("id", "at", "actor", "db_user", "action", "entity", "before", "after", "reason", "hash")


def _describe(row) -> str:
    return f"event {row.id} ({row.action} by {row.actor}, {row.at:%Y-%m-%d %H:%M:%S})"


def _verify_row(row, previous: str) -> str | None:
    """Why this event breaks the chain after `previous`, or None when it holds."""
    if row.hash is None:
        return f"{_describe(row)} has no hash: it was written outside claimtrack"
    expected = event_hash(
        previous,
        row.at,
        row.actor,
        row.db_user,
        row.action,
        row.entity,
        row.before,
        row.after,
        row.reason,
    )
    if expected != row.hash:
        return (
            f"{_describe(row)} does not match its hash: it was changed, or the event before it "
            "was changed or deleted"
        )
    return None


def verify_records(records: Iterable[Mapping[str, Any]], *, previous: str = GENESIS) -> list[str]:
    """Check exported history events (in chain order; `at` an ISO string or a datetime,
    `before`/`after` as stored text or as decoded JSON) against the hashes they carry: what an
    import of a full history must do before appending it, so a database moved between engines
    stays verifiable. One problem per event that does not match, naming its position."""
    problems = []
    for number, record in enumerate(records, 1):
        at = record["at"]
        at = datetime.fromisoformat(at) if isinstance(at, str) else at
        stored = {
            name: record.get(name)
            if isinstance(record.get(name), str | None)
            else to_json(record.get(name))
            for name in ("before", "after")
        }
        expected = event_hash(
            previous,
            at,
            record["actor"],
            record.get("db_user"),
            record["action"],
            record["entity"],
            stored["before"],
            stored["after"],
            record.get("reason"),
        )
        if record.get("hash") != expected:
            problems.append(
                f"history event {number} ({record['action']} by {record['actor']}, "
                f"{record['at']}) does not match its hash: it was changed after it was exported, "
                "or an event before it was removed"
            )
        previous = record.get("hash") or GENESIS
    return problems


def verify_chain(conn: Connection, *, kept: str | None = None) -> tuple[int, list[str], Any]:
    """Check every event's hash against its content and the event before it, oldest first:
    (events checked, one problem per broken event, the newest event or None). `kept`, a head
    printed earlier, must still be the hash of some event."""
    table = HistoryEvent.__table__
    rows = conn.execute(
        select(*(table.c[name] for name in _HASHED))
        .order_by(table.c.id)
        .execution_options(stream_results=True, yield_per=10_000)
    )
    previous, problems, count, last = GENESIS, [], 0, None
    for row in rows:
        count += 1
        problem = _verify_row(row, previous)
        if problem:
            problems.append(problem)
        previous, last = row.hash or GENESIS, row
        if kept is not None and row.hash == kept:
            kept = None
    if kept is not None:
        problems.append(
            f"no event carries the kept head {kept}: history was rewritten (or the head was "
            "taken from another database)"
        )
    return count, problems, last


def verify_events(
    conn: Connection, column, subject_id: int, *, also: Sequence[int] = ()
) -> tuple[int, list[str]]:
    """Check the events filed under one claim or source, and the events with ids in `also`
    (the imports that created it), each against the event just before it in the whole chain
    (one query)."""
    table = HistoryEvent.__table__
    before = table.alias("before_it")
    previous = (
        select(before.c.hash)
        .where(before.c.id < table.c.id)
        .order_by(before.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(*(table.c[name] for name in _HASHED), previous.label("previous"))
        .where(or_(column == subject_id, table.c.id.in_(list(also))))
        .order_by(table.c.id)
    )
    problems, count = [], 0
    for row in conn.execute(query):
        count += 1
        problem = _verify_row(row, row.previous or GENESIS)
        if problem:
            problems.append(problem)
    return count, problems
