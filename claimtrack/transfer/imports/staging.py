"""Pass 1's sources and claims, staged on disk: merged by key (or name / text when keyless)
in a scratch SQLite file beside the import, not in dicts, so an import's memory does not grow
with the number of distinct claims and sources in its files.

Held in memory, a claim as a file describes it cost ~640 bytes (the intent, its dict, its
tags, its Where): 97 MB at the end of pass 1 for the full benchmark sheet's 100,000 claims
and 50,000 sources, the largest part of the import's peak (184 MB). Rows are checked a batch
at a time: the intents the batch names are read in one statement per space and CHUNK names
(`begin`), the rows are checked and merged in file order against them exactly as against the
dicts they replace, and what changed is written back (`end`). The scratch file is private to
the import (an unlinked temporary file, no journal, no fsync); the database's own transaction is
untouched by it, on either engine.
"""

from __future__ import annotations

import marshal
import os
import sqlite3
import sys
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from itertools import repeat
from operator import and_, eq, or_
from typing import Any

from ..problems import Problem, Where
from .rows import ClaimIntent, SourceIntent

CHUNK = 500  # names per IN (...) lookup
SLOTS = 1 << 20  # the digests of what is held (8 MB)
# Entities held in dicts before they move to the scratch file (~700 bytes each: ~14 MB).
# Below it an import checks rows at the speed of dicts; above it memory stays flat, and
# pass 1 costs more per row (at 1,000,000 rows: ~13 s against ~20 s in dicts).
SPILL = 20_000

# The four spaces an entity is held in, as _held finds it.
SOURCES, NAMED_SOURCES, CLAIMS, TEXT_CLAIMS = range(4)
_SOURCE_SPACES = (SOURCES, NAMED_SOURCES)
LOOKUPS = {  # StagedEntities._where
    "name": "SELECT name, seq FROM held WHERE space = ? AND name IN ({marks})",
    "label": "SELECT label, name, seq FROM held WHERE space = ? AND label IN ({marks})",
}
NAME_KEYS = "SELECT name, key FROM names WHERE name IN ({marks})"  # NameKeys.load
INSERT = (
    "INSERT OR REPLACE INTO held (space, name, seq, data, label, parent) VALUES (?, ?, ?, ?, ?, ?)"
)


def _encode(intent: Any) -> bytes:
    # The file's name and the fields' names interned: read back, each is one string shared
    # by every intent, not one per intent (~10 MB for 50,000 sources).
    where = intent.where
    if isinstance(intent, SourceIntent):
        flag, name = intent.reference, intent.name
    else:
        flag, name = intent.add_tags, intent.text
    fields = {sys.intern(field): value for field, value in intent.fields.items()}
    return marshal.dumps((sys.intern(where.file), where.line, intent.key, name, fields, flag))


# A slot's digest: NOTHING (no record with this slot was ever held), UNKNOWN (one is held,
# changed in this batch), else the digest of the held record's fields.
NOTHING, UNKNOWN = 0, 1


def _digest(slot: tuple[int, str], fields: dict) -> int:
    digest = hash((*slot, marshal.dumps(fields)))
    return digest if digest not in (NOTHING, UNKNOWN) else 2


def _columns(space: int, intent: Any) -> tuple[str | None, str | None]:
    """(label, parent) held beside an intent, for the writers' set-based lookups: its name
    (a source) or text (a claim) where it gives one; a source's derived_from ('' where the
    field is given empty, None where it is not given)."""
    fields = intent.fields
    if space in _SOURCE_SPACES:
        parent = fields["derived_from"] or "" if "derived_from" in fields else None
        return fields.get("name") or None, parent
    return fields.get("text") or None, None


def _decode(space: int, data: bytes) -> Any:
    file, line, key, name, fields, flag = marshal.loads(data)
    cls = SourceIntent if space in _SOURCE_SPACES else ClaimIntent
    return cls(Where(file, line), key, name, fields, flag)


def scratch_database() -> sqlite3.Connection:
    """A private SQLite file for what an import holds on disk: unlinked as soon as it is open
    (no journal: SQLite opens nothing else), so nothing is left behind even by a killed
    import; no fsync, a 4 MB page cache."""
    handle, path = tempfile.mkstemp(prefix="claimtrack-import-", suffix=".db")
    try:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode = OFF")
    finally:
        os.close(handle)
        os.unlink(path)
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -4096")  # KiB
    return db


class NameKeys:
    """name -> key for the claims a file gives by text only and the sources it gives by name
    only (the writers fill it, evidence and verdicts look names up in it), held in a dict up
    to HELD names and in a scratch file beyond: a dict of every text and name held 17 MB of
    the peak of a 1M-row sheet of text-only claims and name-only sources (142 -> 125 MB), and
    grew with them. Look a batch of names up with `load` first: `get` of a name not in memory
    reads it from the file."""

    HELD = 20_000

    def __init__(self) -> None:
        self._new: dict[str, str] = {}  # set since the last spill (these win)
        self._read: dict[str, str] = {}  # read back from the file
        self._db: sqlite3.Connection | None = None

    def __len__(self) -> int:
        """How many names are held in memory."""
        return len(self._new) + len(self._read)

    def __setitem__(self, name: str, key: str) -> None:
        self._new[name] = key
        if len(self._new) > self.HELD:
            self._spill()

    def get(self, name: str | None, default: str | None = None) -> str | None:
        if name is None:
            return default
        if name in self._new:
            return self._new[name]
        if name in self._read:
            return self._read[name] or default  # "": looked up, not there
        if self._db is None:
            return default
        row = self._db.execute("SELECT key FROM names WHERE name = ?", (name,)).fetchone()
        self._remember({name: row[0] if row else ""})
        return row[0] if row else default

    def load(self, names: Iterable[str | None]) -> None:
        """Read these names' keys from the file into memory, in a few statements (a name
        that is not there too, so that `get` does not look for it again: a `via` cell may
        give a key, not a name)."""
        if self._db is None:
            return
        new, read = self._new, self._read
        missing = sorted({n for n in names if n is not None and n not in new and n not in read})
        found = dict.fromkeys(missing, "")  # what is not there is remembered as such
        for start in range(0, len(missing), CHUNK):
            part = missing[start : start + CHUNK]
            marks = ", ".join("?" * len(part))
            found.update(self._db.execute(NAME_KEYS.format(marks=marks), part))
        self._remember(found)

    def _remember(self, found: dict[str, str]) -> None:
        if len(self._read) + len(found) > self.HELD:
            self._read = {}
        self._read.update(found)

    def _spill(self) -> None:
        if self._db is None:
            self._db = scratch_database()
            self._db.execute("CREATE TABLE names (name TEXT PRIMARY KEY, key TEXT) WITHOUT ROWID")
        self._db.executemany("INSERT OR REPLACE INTO names VALUES (?, ?)", self._new.items())
        self._new, self._read = {}, {}  # what was read may be older than what was set

    def close(self) -> None:
        self._new, self._read = {}, {}
        if self._db is not None:
            self._db.close()
            self._db = None


class Taken:
    """Digests of the sheet cells that claims and sources of rows taken whole were made from
    (SheetRows makes them, the import notes them once it takes the row): a row whose cells
    repeat them would merge nothing new and could conflict with nothing (what is held only
    gains fields and tags), so its reader leaves those intents out. Most rows of a large
    sheet repeat a claim and a source met before (1M-row benchmark: 150,000 of 2.2M).

    A fixed table of SLOTS digests (8 MB once the first is noted): a digest that lost its
    slot to another only has its intent built and checked again. 64 bits stand for the
    cells, so two different ones share a digest with a chance of 2**-63 (`mark` takes the
    same chance)."""

    def __init__(self) -> None:
        self.forget()

    @staticmethod
    def digests(cells: Iterable[tuple]) -> list[int]:
        """The digest of each intent's cells (never 0, which is no digest)."""
        return [*map(or_, map(hash, cells), repeat(1))]

    def known(self, digests: list[int]) -> list[bool]:
        """Whether each digest is held, a column at a time."""
        table, mask = self._table, self._mask
        return [*map(eq, map(table.__getitem__, map(and_, digests, repeat(mask))), digests)]

    def add(self, digest: int) -> None:
        if not self._mask:
            self._table, self._mask = array("q", [0]) * SLOTS, SLOTS - 1  # no 8 MB bytes first
        self._table[digest & self._mask] = digest

    def forget(self) -> None:
        """Hold nothing (a digest is never 0)."""
        self._table, self._mask = array("q", [0]), 0


class StagedEntities:
    """Sources and claims met in pass 1 (rows.SourceIntent, rows.ClaimIntent), merged by key,
    else by name (sources) or text (claims): `conflicts` and `add` between `begin(records)`
    and `end()`, for the records of one batch; then `load` or `chunks` to write them."""

    def __init__(self) -> None:
        # In memory (dicts, as fast as they are) until SPILL entities are held, then on disk.
        self._memory: list[dict[str, Any]] | None = [{}, {}, {}, {}]
        self._seq = 0
        self._counts = [0, 0, 0, 0]
        self._batch: dict[tuple[int, str], list] = {}
        self._dirty: set[tuple[int, str]] = set()
        self._db: sqlite3.Connection | None = None
        self._digests = array("q")
        self.taken = Taken()

    @property
    def staged(self) -> bool:
        """Whether the entities are held on disk (checked through `mark` and `begin`)."""
        return self._memory is None

    def _spill(self) -> None:
        """Move what is held to the scratch file and hold it there from now on."""
        # Per slot, the digest of a held record's fields: a row that repeats what is held
        # is known to change nothing without reading it. A fixed size, whatever the file:
        # records that share a slot only read more.
        self._digests = digests = array("q", bytes(8 * SLOTS))
        for space, held in enumerate(self._memory):
            for name, intent in held.items():
                digests[hash((space, name)) & (SLOTS - 1)] = _digest((space, name), intent.fields)
        self._to_disk()

    def _to_disk(self) -> None:
        """Move what is held in dicts to the scratch file."""
        self._db = scratch_database()
        # Rows in the order first met (seq is the rowid: new ones are appended), found by
        # name through a narrow index: at 150,000 entities a table keyed by name, the
        # intents inside its B-tree, cost pass 1 a random page write per new entity. label
        # and parent (_columns) are what the writers look up set-based once pass 1 is over.
        self._db.execute(
            "CREATE TABLE held (seq INTEGER PRIMARY KEY, space INTEGER, name TEXT, data BLOB, "
            "label TEXT, parent TEXT)"
        )
        self._db.execute("CREATE UNIQUE INDEX held_name ON held (space, name)")
        self._db.execute("BEGIN")
        memory, self._memory = self._memory, None
        rows = []
        for space, held in enumerate(memory):
            for name, intent in held.items():
                rows.append((space, name, self._seq, _encode(intent), *_columns(space, intent)))
                self._seq += 1
        self._db.executemany(INSERT, rows)

    def __len__(self) -> int:
        return sum(self._counts)

    def count(self, space: int) -> int:
        return self._counts[space]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- pass 1, a batch at a time ------------------------------------------------------

    @staticmethod
    def _slot(kind: str, record: Any) -> tuple[int, str]:
        if kind == "source":
            return (SOURCES, record.key) if record.key else (NAMED_SOURCES, record.name)
        return (CLAIMS, record.key) if record.key else (TEXT_CLAIMS, record.text)

    def mark(self, kind: str, record: Any) -> tuple[array, int, int]:
        """(table, slot, digest): the record is held exactly as it is (it changes nothing)
        when table[slot] == digest. The digest is of its fields (a `via` cell's name: of the
        name alone, which is all it asks to be held); 64 bits stand for the fields, so two
        different records share one with a chance of 2**-64, and another record in the same
        slot only makes the test fail (the record is then read)."""
        if record.key:
            slot = (SOURCES if kind == "source" else CLAIMS, record.key)
        elif kind == "source":
            # A `via` cell's name ({"name": NAME}) is fresh when a source is held under
            # that name with just that field (as `via` cells make them); else it is read.
            slot = (NAMED_SOURCES, record.name)
        else:
            slot = (TEXT_CLAIMS, record.text)
        digest = hash((*slot, marshal.dumps(record.fields)))
        return self._digests, hash(slot) & (SLOTS - 1), digest if digest > 1 or digest < 0 else 2

    def begin(self, records: Iterable[tuple[str, Any, tuple]]) -> None:
        """Read what is held for these (kind, record, mark), for the batch's checks (the
        caller passes those that are not `fresh`). A record whose slot never held anything
        is new without reading (most records, the first time they are met)."""
        wanted: list[set[str]] = [set(), set(), set(), set()]
        batch, digests = self._batch, self._digests
        for kind, record, mark in records:
            slot = self._slot(kind, record)
            if digests[mark[1]] == NOTHING:
                batch[slot] = None
            else:
                wanted[slot[0]].add(slot[1])
        for space, names in enumerate(wanted):
            ordered = sorted(names)
            batch.update(((space, name), None) for name in ordered)  # unless found
            for start in range(0, len(ordered), CHUNK):
                chunk = ordered[start : start + CHUNK]
                marks = ", ".join("?" * len(chunk))
                for name, seq, data in self._db.execute(
                    f"SELECT name, seq, data FROM held WHERE space = ? AND name IN ({marks})",  # noqa: S608
                    (space, *chunk),
                ):
                    batch[space, name] = [seq, _decode(space, data)]

    def _entry(self, slot: tuple[int, str]) -> list | None:
        """[seq, intent] held for the slot, or None; read if `begin` did not (a record
        `fresh` when the batch began, whose digest a change of another in its slot
        cleared)."""
        if self._memory is not None:
            intent = self._memory[slot[0]].get(slot[1])
            return None if intent is None else [None, intent]
        batch = self._batch
        if slot not in batch:
            row = self._db.execute(
                "SELECT seq, data FROM held WHERE space = ? AND name = ?", slot
            ).fetchone()
            batch[slot] = [row[0], _decode(slot[0], row[1])] if row is not None else None
        return batch[slot]

    def end(self) -> None:
        """Write back what the batch added or merged, note the digests of what it read, and
        let the batch go."""
        if self._memory is not None:
            if len(self) > SPILL:
                self._spill()
            return
        batch = self._batch
        self._db.executemany(
            INSERT,
            [
                (*slot, batch[slot][0], _encode(batch[slot][1]), *_columns(slot[0], batch[slot][1]))
                for slot in self._dirty
            ],
        )
        digests = self._digests
        for slot, entry in batch.items():
            if entry is None:
                continue
            index = hash(slot) & (SLOTS - 1)
            digests[index] = _digest(slot, entry[1].fields)
        self._batch = {}
        self._dirty = set()

    def _held(self, kind: str, record: Any):
        memory = self._memory
        if memory is not None:  # as fast as the dicts it replaces
            if kind == "source":
                if record.key:
                    return memory[SOURCES].get(record.key)
                return None if record.reference else memory[NAMED_SOURCES].get(record.name)
            if record.key:
                return memory[CLAIMS].get(record.key)
            return memory[TEXT_CLAIMS].get(record.text)
        if kind == "source":
            if record.key:
                slot = (SOURCES, record.key)
            elif record.reference:
                return None
            else:
                slot = (NAMED_SOURCES, record.name)
        else:
            slot = self._slot(kind, record)
        found = self._entry(slot)
        return found[1] if found is not None else None

    def conflicts(self, kind: str, record: Any) -> list[Problem]:
        held = self._held(kind, record)
        if held is None or held.fields == record.fields:  # most rows repeat what is held
            return []
        problems = []
        for name, value in record.fields.items():
            if name == "tags" and getattr(record, "add_tags", False):
                continue
            if name in held.fields and held.fields[name] != value:
                problems.append(
                    Problem(
                        record.where,
                        name,
                        value,
                        f"{held.fields[name]!r} as at {held.where} (one {kind}, one {name})",
                    )
                )
        return problems

    def add(self, kind: str, record: Any) -> None:
        held = self._held(kind, record)
        if held is not None and held.fields == record.fields:
            return  # the same again: merging it would change nothing
        if held is None:
            slot = self._slot(kind, record)
            if self._entry(slot) is not None:  # a name given by a `via` cell, held already
                return
            if self._memory is not None:
                self._memory[slot[0]][slot[1]] = record
                self._counts[slot[0]] += 1
                return
            self._batch[slot] = [self._seq, record]
            self._seq += 1
            self._counts[slot[0]] += 1
            self._changed(slot)
            return
        for name, value in record.fields.items():
            if name == "tags" and getattr(record, "add_tags", False):
                value = sorted(set(held.fields.get("tags") or ()) | set(value))
            held.fields[name] = value
        if self._memory is None:
            self._changed(self._slot(kind, held))

    def _changed(self, slot: tuple[int, str]) -> None:
        self._dirty.add(slot)
        self._digests[hash(slot) & (SLOTS - 1)] = UNKNOWN  # until `end` notes the new one

    def pass_over(self) -> None:
        """Pass 1 is over: let the digests go (8 MB each, back to the system before the
        writers take theirs), and hold everything in the scratch file, where the writers
        read it a chunk at a time and look it up set-based (`has`, `named`, `derived`)."""
        self._digests = array("q")
        self.taken.forget()
        if self._memory is not None:
            self._to_disk()
        self._db.execute("CREATE INDEX held_label ON held (space, label)")

    # --- reading them back --------------------------------------------------------------

    def load(self, space: int) -> dict[str, Any]:
        """Every entity of a space, in the order first met: name -> intent."""
        if self._memory is not None:
            return self._memory[space]
        return dict(self.items(space))

    def has(self, space: int, names: Iterable[str]) -> set[str]:
        """Which of these names are held in the space."""
        return {name for name, _ in self._where(space, "name", names)}

    def named(self, space: int, labels: Iterable[str]) -> dict[str, str]:
        """label -> name of the first entity of the space (in the order met) that gives
        this name (sources) or text (claims), for these labels."""
        found: dict[str, str] = {}
        for label, name in sorted(self._where(space, "label", labels), key=_third):
            found.setdefault(label, name)
        return found

    def _where(self, space: int, column: str, values: Iterable[str]) -> list[tuple]:
        """The space's rows (as LOOKUPS selects them) whose `column` is one of `values`,
        CHUNK at a time."""
        values = sorted(set(values))
        found: list[tuple] = []
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]
            marks = ", ".join("?" * len(chunk))
            found.extend(self._db.execute(LOOKUPS[column].format(marks=marks), (space, *chunk)))
        return found

    def unlabelled(self, space: int) -> Iterator[list[str]]:
        """Names of the space's entities that give no name (or text), CHUNK at a time."""
        names = [
            name
            for (name,) in self._db.execute(
                "SELECT name FROM held WHERE space = ? AND label IS NULL ORDER BY seq", (space,)
            )
        ]
        for start in range(0, len(names), CHUNK):
            yield names[start : start + CHUNK]

    def set_labels(self, space: int, labels: Iterable[tuple[str, str]]) -> None:
        """Give these (label, name) entities the label (a stored source's name)."""
        self._db.executemany(
            "UPDATE held SET label = ? WHERE space = ? AND name = ?",
            [(label, space, name) for label, name in labels],
        )

    def labels(self, space: int) -> Iterator[tuple[str, str]]:
        """(label, name) of the space's entities that have a label, in the order met."""
        yield from self._db.execute(
            "SELECT label, name FROM held WHERE space = ? AND label IS NOT NULL ORDER BY seq",
            (space,),
        )

    def derived(self, space: int) -> list[tuple[str, str]]:
        """(name, parent) of the sources that give derived_from ('' to derive from nothing),
        in the order met: the only ones whose write depends on other sources."""
        return self._db.execute(
            "SELECT name, parent FROM held WHERE space = ? AND parent IS NOT NULL ORDER BY seq",
            (space,),
        ).fetchall()

    def drop(self, space: int, names: Iterable[str]) -> None:
        """Hold these entities no longer (refused)."""
        names = list(names)
        self._db.executemany(
            "DELETE FROM held WHERE space = ? AND name = ?", [(space, name) for name in names]
        )
        self._counts[space] -= len(names)

    def items(self, space: int) -> Iterator[tuple[str, Any]]:
        for chunk in self.chunks(space):
            yield from chunk

    def chunks(self, space: int, size: int = 2000) -> Iterator[list[tuple[str, Any]]]:
        """The entities of a space in the order first met, `size` at a time."""
        if self._memory is not None:
            held = list(self._memory[space].items())
            for start in range(0, len(held), size):
                yield held[start : start + size]
            return
        for rows in self._chunks_of_rows(space, size):
            yield [(name, _decode(space, data)) for name, _, data in rows]

    def _chunks_of_rows(self, space: int, size: int = 2000) -> Iterator[list[tuple]]:
        after = -1
        while True:
            rows = self._db.execute(
                "SELECT name, seq, data FROM held WHERE space = ? AND seq > ? ORDER BY seq LIMIT ?",
                (space, after, size),
            ).fetchall()
            if not rows:
                return
            after = rows[-1][1]
            yield rows

    def get(self, space: int, name: str) -> Any:
        if self._memory is not None:
            return self._memory[space].get(name)
        row = self._db.execute(
            "SELECT data FROM held WHERE space = ? AND name = ?", (space, name)
        ).fetchone()
        return _decode(space, row[0]) if row is not None else None

    def put(self, space: int, name: str, intent: Any, *, labelled: bool = True) -> None:
        """Hold `intent` under `name` (replacing what was, in its place in the order); not
        found by `named` unless `labelled`."""
        if self._memory is not None:
            self._counts[space] += name not in self._memory[space]
            self._memory[space][name] = intent
            return
        row = self._db.execute(
            "SELECT seq FROM held WHERE space = ? AND name = ?", (space, name)
        ).fetchone()
        if row is None:
            seq, self._seq = self._seq, self._seq + 1
            self._counts[space] += 1
        else:
            seq = row[0]
        label, parent = _columns(space, intent)
        self._db.execute(
            INSERT, (space, name, seq, _encode(intent), label if labelled else None, parent)
        )


def _third(row: tuple) -> Any:
    return row[2]
