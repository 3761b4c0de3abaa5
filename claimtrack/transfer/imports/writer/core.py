"""The writer's core: what every entity's writer shares. Ids (reserved in bulk, negative in a
dry run), INSERT and UPDATE of many rows in one statement (executemany, or COPY on
PostgreSQL), the buffered history, the counts, and the key -> id maps of what was met,
loaded in bulk (CHUNK keys per IN (...) lookup).

While the writer writes, the key -> id maps are caches of what the database holds: emptied
past KEY_CACHE keys (`bound_keys`), where every key they hold is written, and loaded again
from the tables. A map of every key met took ~100 bytes a key, ~75 MB at a 5M-row sheet's
500,000 claims and 250,000 sources. A dry run (or an import refused part way) keeps every
key: its new rows exist nowhere else."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ....history_log import IMPORT, HistoryLog, IdRanges, import_record
from ....models import Claim, KeyAlias, Source, utcnow
from ....services import search_index
from ....services.search_index import TouchedIds
from ...problems import Problem, Where
from ..pg_copy import PgCopy
from ..repeat import Settled
from ..rows import RECORD_TYPES
from ..staging import NameKeys

CHUNK = 500  # keys per IN (...) lookup
HISTORY_FLUSH = 20_000
KEY_CACHE = 20_000  # keys a key -> id map holds before bound_keys empties it

Reject = Callable[[Where, list[Problem], Any], None]


# What a row repeating an evidence key with other values is told.
KEY_GIVEN_TWICE = "one evidence item per key (this key is given twice, differently, in this import)"


def unknown(entity: str) -> str:
    """What a key that names no such claim or source was expected to be."""
    return f"the key of a {entity} in the files or the database"


def chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class IdSet(IdRanges):
    """A set of ids held as runs of consecutive ids (what an import creates comes from a
    counter): 100,000 new claims take a few runs, not a set of 100,000 ints (~7 MB). Ids
    that come in no order (the claims new evidence is of) are joined into runs as they
    accumulate."""

    def __init__(self) -> None:
        super().__init__()
        self._joined = 0  # how many runs there were after the last join

    def add(self, row_id: int) -> None:
        ranges = self._ranges
        if ranges and row_id == ranges[-1][1] + 1:
            ranges[-1][1] = row_id
        else:
            self.update((row_id,))

    def update(self, ids: Iterable[int]) -> None:
        self.extend(ids)
        if len(self._ranges) > 2 * self._joined + 1000:
            self._ranges = self.ranges()
            self._joined = len(self._ranges)

    def __contains__(self, row_id: object) -> bool:
        if len(self._ranges) != self._joined:
            self._ranges = self.ranges()
            self._joined = len(self._ranges)
        runs = self._ranges
        at = bisect_right(runs, [row_id, float("inf")]) - 1
        return at >= 0 and runs[at][0] <= row_id <= runs[at][1]

    def __iter__(self) -> Iterator[int]:
        for first, last in self.ranges():
            yield from range(first, last + 1)

    def __len__(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges())


class WriterCore:
    """The state and the low-level writing the entities' writers (sources.py, claims.py, ...)
    share; Writer (writer/__init__.py) is all of them in one."""

    def __init__(
        self,
        conn: Connection,
        *,
        actor: str,
        reason: str,
        write: bool,
        reject: Reject,
    ):
        self.conn = conn
        self.dialect = conn.dialect.name
        self.write = write
        self.actor = actor
        self.reason = reason
        self.reject = reject
        self.now = utcnow()
        stored = Source.__table__.c.created_at.type
        self.now_db = stored.dialect_impl(conn.dialect).bind_processor(conn.dialect)(self.now)
        if self.dialect == "postgresql":
            self.now_db = self.now
        self.mark = "%s" if self.dialect == "postgresql" else "?"
        self.pg = PgCopy(conn) if self.dialect == "postgresql" else None
        # Aliases are counted only in an import that has some (an export after a merge).
        self.counts = {
            kind: {"created": 0, "updated": 0, "unchanged": 0}
            for kind in RECORD_TYPES
            if kind != "alias"
        }
        self.history = HistoryLog(
            actor=actor, copy_rows=self.pg.copy_rows if self.pg is not None else None
        )
        # Called once, before the first history rows are written: (rows buffered, whether
        # this is the last flush). The importer drops history's indexes there if worth it.
        self.before_history: Callable[[int, bool], None] | None = None
        self._next_id: dict[str, int] = {}
        self._simulated = 0
        # key -> id (0: known not to exist) for everything met so far
        self.claim_ids: dict[str, int] = {}
        self.source_ids: dict[str, int] = {}
        self.source_by_name = NameKeys()  # name -> key for sources given by name only
        self.claim_by_text = NameKeys()  # text -> key for claims given by text only
        self.created_claims = IdSet()
        self.created_sources = IdSet()
        # What the import's one event lists (finish): the evidence it created, as ranges
        # (never a list of a million ids), and the claims and sources that evidence is of.
        self.created_evidence = IdRanges()
        self.evidence_of = {"claim": IdSet(), "source": IdSet()}
        self._key_cache: dict[Any, dict] = {}  # see _keys_of
        # (entity, stem) -> the number after the last key made from it (free_keys): the
        # numbers below are taken. A hint only, emptied past KEY_CACHE stems.
        self._key_numbers: dict[tuple[str, str], int] = {}
        # Rows whose full-text entries must be rebuilt (the search triggers are suspended
        # during the import; see services.search_index).
        self.touched = {table: TouchedIds() for table in ("claims", "evidence", "sources")}

    # --- low-level writing ------------------------------------------------------------

    def new_ids(self, table: str, count: int) -> Sequence[int]:
        """`count` new ids, as a range where they are consecutive (a million of them are
        never a list)."""
        if count == 0:
            return range(0)
        if not self.write:
            start = self._simulated
            self._simulated += count
            return range(-(start + 1), -(start + count + 1), -1)
        if self.pg is not None:
            return self.pg.reserve_ids(table, count)
        if table not in self._next_id:
            self._next_id[table] = (
                self.conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0  # noqa: S608
            ) + 1
        start = self._next_id[table]
        self._next_id[table] = start + count
        return range(start, start + count)

    def insert(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows or not self.write:
            return
        if table in self.touched and "id" in columns:
            position = list(columns).index("id")
            self.touched[table].update(row[position] for row in rows)
        elif table == "claim_tags":
            claims = sorted({row[0] for row in rows})
            search_index.forget(self.conn, "claims", claims)
            self.touched["claims"].update(claims)
        if self.pg is not None:
            self.pg.copy_rows(table, columns, rows)
            return
        names = ", ".join(columns)
        marks = ", ".join([self.mark] * len(columns))
        self.conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)  # noqa: S608

    def update(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """rows are (value, ..., id) for `columns`."""
        if not rows or not self.write:
            return
        if search_index.changes_documents(table, columns):
            ids = [row[-1] for row in rows]
            search_index.forget(self.conn, table, ids)
            self.touched[table].update(ids)
        sets = ", ".join(f"{name} = {self.mark}" for name in columns)
        self.conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {self.mark}", rows)  # noqa: S608

    def record(self, action: str, entity: str, *, reason=None, **event) -> None:
        """One history event (HistoryLog.add's fields), at the import's time and reason."""
        self.history.add(
            at=self.now, action=action, entity=entity, reason=reason or self.reason, **event
        )

    def flush_history(self, *, at_least: int = 0) -> None:
        """Write the buffered history rows; called after the rows they refer to exist."""
        if len(self.history) < at_least:
            return
        if self.write:
            if self.before_history is not None and len(self.history):
                hook, self.before_history = self.before_history, None
                hook(len(self.history), not at_least)
            self.history.flush(self.conn)
        else:
            self.history.discard()

    def refuse(self, where: Where, field: str, value: Any, expected: str, raw: Any) -> None:
        """Reject a row for one problem (raw None: a source or claim gathered in pass 1)."""
        self.reject(where, [Problem(where, field, value, expected)], raw)

    def finish(
        self,
        *,
        files: list[dict[str, Any]],
        records: int,
        rejected: int,
        settled: Settled | None = None,
    ) -> None:
        """Record the import in one event, after its per-record events (history_log's
        import_record: the files, counts, what it created and, for an import its files could
        repeat without being read again, `settled`), and write what is buffered. An import
        that wrote nothing records nothing."""
        wrote = any(c["created"] or c["updated"] for c in self.counts.values())
        if self.write and wrote:
            self.history.add(
                at=self.now,
                action=IMPORT,
                entity=IMPORT,
                reason=self.reason,
                after=import_record(
                    files=files,
                    records=records,
                    rejected=rejected,
                    counts=self.counts,
                    created={
                        "source": self.created_sources,
                        "claim": self.created_claims,
                        "evidence": self.created_evidence,
                    },
                    evidence_of=self.evidence_of,
                    settled=settled.as_dict() if settled is not None else None,
                ),
            )
        self.flush_history()

    def bound_keys(self) -> None:
        """Empty each key -> id map past KEY_CACHE keys, while writing: called only where
        every key a map holds names a row written (or none), so each is found again in the
        tables. Those of a dry run are kept: its new ids exist nowhere else."""
        if not self.write:
            return
        for ids in (self.claim_ids, self.source_ids):
            if len(ids) > KEY_CACHE:
                ids.clear()

    def forget_keys(self) -> None:
        """Drop the key -> id maps once every row is written: at 100,000 claims and 50,000
        sources they hold ~15 MB that the steps after the rows (indexes, the search index,
        the duplicate check) would otherwise add to."""
        self.claim_ids, self.source_ids = {}, {}
        self.source_by_name.close()
        self.claim_by_text.close()
        self._key_cache = {}

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        counts = self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        counts[outcome] += n

    # --- lookups ------------------------------------------------------------------------

    def _lookup(self, model, column: str, wanted: Iterable[str], extra=()) -> list:
        table = model.__table__
        wanted = sorted(set(wanted))
        rows = []
        for chunk in chunks(wanted):
            rows.extend(
                self.conn.execute(
                    select(*(table.c[name] for name in (*extra,)), table.c[column])
                    .where(table.c[column].in_(chunk))
                    .order_by(table.c.id)
                )
            )
        return rows

    def stored_keys(self, model, column: str, wanted: Iterable[str]) -> dict[str, str]:
        """The key of the first stored record (by id) with each wanted value of `column`."""
        found: dict[str, str] = {}
        for key, value in self._lookup(model, column, wanted, ("key",)):
            found.setdefault(value, key)
        return found

    def _aliases(self, entity: str, wanted: Iterable[str]) -> dict[str, int]:
        table = KeyAlias.__table__
        found = {}
        for chunk in chunks(sorted(set(wanted))):
            for alias, target in self.conn.execute(
                select(table.c.alias, table.c.target_id).where(
                    table.c.entity == entity, table.c.alias.in_(chunk)
                )
            ):
                found[alias] = target
        return found

    def load_claim_ids(self, keys: Iterable[str]) -> None:
        self._load_ids(Claim, "claim", self.claim_ids, keys)

    def load_source_ids(self, keys: Iterable[str]) -> None:
        self._load_ids(Source, "source", self.source_ids, keys)

    def _load_ids(self, model, entity: str, ids: dict[str, int], keys: Iterable[str]) -> None:
        """Resolve keys (and merged-away aliases) to ids in bulk; 0 marks a key not found."""
        missing = {key for key in keys if key and key not in ids}
        if not missing:
            return
        for found_id, key in self._lookup(model, "key", missing, ("id",)):
            ids[key] = found_id
        ids.update(self._aliases(entity, [key for key in missing if key not in ids]))
        for key in missing:
            ids.setdefault(key, 0)

    def free_keys(
        self, model, entity: str, stems: list[str], staged: Callable[[list[str]], set[str]]
    ) -> list[str]:
        """A free key for each stem ('daily-nk', then 'daily-nk-2', ...), in order;
        `staged(keys)` says which of these keys the files' records hold (given in the files,
        or made by an earlier call and staged since).

        A key is free when no record has it, no alias names it (a key that now names
        another record through an alias, merged away or renamed, would make the alias
        ambiguous) and no record of the files has it (a claim given by text only once took
        the key of another claim in the same file, and was merged into it). Candidates are
        looked up in bulk, a round at a time: each stem that still needs keys proposes as
        many as it needs, then twice as many each round, from the number after the last key
        made from it by an earlier call. A stem shared by 10,000 claim texts costs a few
        statements, not one per text (one LIKE per colliding stem took 2.4 s of a
        100,000-row import of text-only claims, and a scan of the claims per stem on
        PostgreSQL); counting from 1 in each chunk took 20 s of a 1M-row one."""
        used: set[str] = set()
        known = self.claim_ids if entity == "claim" else self.source_ids
        keys: list[str] = [""] * len(stems)
        waiting: dict[str, list[int]] = {}  # stem -> positions without a key, last first
        for position, stem in enumerate(stems):
            waiting.setdefault(stem, []).append(position)
        for positions in waiting.values():
            positions.reverse()
        hints = self._key_numbers
        if len(hints) > KEY_CACHE:
            hints.clear()
        # The next number to try (1: the bare stem), past the keys made from it before.
        numbers = {stem: hints.get((entity, stem), 1) for stem in waiting}
        width = 1
        while waiting:
            proposed: list[tuple[str, str, int]] = []
            for stem, positions in waiting.items():
                first = numbers[stem]
                numbers[stem] = first + len(positions) * width
                proposed += [
                    (f"{stem}-{number}" if number > 1 else stem, stem, number)
                    for number in range(first, numbers[stem])
                ]
            candidates = [candidate for candidate, _, _ in proposed]
            taken = {row[0] for row in self._lookup(model, "key", candidates)}
            taken |= set(self._aliases(entity, candidates))
            taken |= staged(candidates)
            for candidate, stem, number in proposed:
                positions = waiting.get(stem)
                if not positions or candidate in taken or candidate in used or known.get(candidate):
                    continue
                used.add(candidate)
                keys[positions.pop()] = candidate
                hints[entity, stem] = number + 1
                if not positions:
                    del waiting[stem]
            width *= 2
        return keys

    def _source_keys(self, ids: set) -> dict[int, str]:
        return self._keys_of(Source, self.source_ids, ids)

    def _claim_keys(self, ids: set) -> dict[int, str]:
        return self._keys_of(Claim, self.claim_ids, ids)

    def _keys_of(self, model, ids_by_key: dict[str, int], ids: set) -> dict[int, str]:
        """id -> key for these ids: the key met in the files (the last one met, if an alias
        and a key share an id), else the stored key. The id -> key map of the keys met is
        rebuilt only when keys were met since, not for every changed row (re-importing 47,000
        changed evidence rows spent 113 of 170 s inverting the key maps)."""
        cache = self._key_cache.setdefault(model, {"size": -1, "met": {}, "stored": {}})
        wanted = {i for i in ids if i}
        met = cache["met"]
        if cache["size"] != len(ids_by_key) or any(
            ids_by_key.get(met[i]) != i if i in met else i < 0 for i in wanted
        ):
            met = cache["met"] = {v: k for k, v in ids_by_key.items()}
            cache["size"] = len(ids_by_key)
        stored = cache["stored"]
        if len(stored) > KEY_CACHE:
            stored.clear()
        known = {i: met[i] for i in wanted if i in met}
        rest = [i for i in wanted if i not in known and i > 0 and i not in stored]
        for key, found_id in self._lookup(model, "id", rest, ("key",)):
            stored[found_id] = key
        known.update((i, stored[i]) for i in wanted if i not in known and i in stored)
        return known
