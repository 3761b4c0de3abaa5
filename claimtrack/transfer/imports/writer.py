"""The one writer every import goes through: records in batches, keys resolved through maps
loaded in bulk, rows written with executemany (SQLite) or COPY (PostgreSQL), never one
statement per row, all inside the caller's transaction.

It keeps the invariants the services keep: each source's materialised origin, tags through
tags/claim_tags, one history row per created or changed entity (through claimtrack.history_log,
as the services write theirs), UTC timestamps. With `write=False` (a dry run, or after the
first bad row of an all-or-nothing import) it does the same matching and counting without
writing: new rows get negative ids that are never stored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ... import values
from ...confusables import normalise_name
from ...history_log import HistoryLog
from ...models import (
    Claim,
    ClaimLink,
    ClaimTag,
    Evidence,
    EvidenceRelay,
    KeyAlias,
    Source,
    Tag,
    utcnow,
)
from ...records import (
    AliasRecord,
    ClaimRecord,
    EvidenceRecord,
    LinkRecord,
    SourceRecord,
    changed_fields,
)
from ...services import search_index
from ...services.search_index import TouchedIds
from ..problems import Problem, Shown, Where
from .pg_copy import PgCopy
from .rows import (
    GIVEN_BITS,
    RECORD_TYPES,
    ClaimIntent,
    EvidenceRow,
    SourceIntent,
    VerdictRow,
)

CHUNK = 500  # keys per IN (...) lookup
HISTORY_FLUSH = 20_000

Reject = Callable[[Where, list[Problem], Any], None]

# The columns an import writes: the values a file sets, which an update writes again.
SOURCE_VALUES = ("name", "kind", "reliability", "derived_from_id", "origin_id", "url", "notes")
CLAIM_VALUES = ("text", "event_date", "event_date_precision", "place", "notes")
EVIDENCE_VALUES = (
    "claim_id",
    "source_id",
    "stance",
    "credibility",
    "quote",
    "locator",
    "via_id",
    "observed",
    "notes",
)


class Resolved(NamedTuple):
    """An evidence row with its keys resolved: keys as history names them, ids as the
    tables store them (0: not found)."""

    where: Where
    item: EvidenceRow
    raw: Any
    claim_key: str
    source_key: str
    via_key: str | None
    claim_id: int
    source_id: int
    via_id: int | None
    relay_keys: tuple[str, ...]
    relay_ids: tuple[int, ...]

    def target(self) -> tuple:
        """What another row with the same key must repeat to be the same item."""
        return self[1:2] + self[6:]

    def record(self, evidence_id: int, credibility: int) -> EvidenceRecord:
        item = self.item
        return _evidence_record(
            (
                evidence_id,
                item.key,
                self.claim_key,
                self.source_key,
                item.stance,
                credibility,
                item.quote,
                item.url,
                (self.via_key, *self.relay_keys) if self.via_key else (),
                item.observed,
                item.notes,
                item.removed_reason,
            )
        )


# Named tuples made without the Python-level __new__ a NamedTuple has: an import makes one
# per row (and a re-import reads 110,000 stored rows for the quick benchmark's sheet).
_evidence_record = partial(tuple.__new__, EvidenceRecord)


class StoredEvidence(NamedTuple):
    """An evidence row as stored (or, in a dry run, as it would be), for matching."""

    id: int
    claim_id: int
    source_id: int
    stance: str
    quote: str | None
    locator: str | None
    key: str | None
    credibility: int
    via_id: int | None
    observed: str | None
    notes: str | None
    removed_at: Any
    removed_reason: str | None


_stored = partial(tuple.__new__, StoredEvidence)


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Writer:
    def __init__(
        self,
        conn: Connection,
        *,
        actor: str,
        reason: str,
        write: bool,
        reject: Reject,
        join_look_alike_sources: bool = False,
    ):
        self.conn = conn
        # --on-duplicate merge: a source given by name only whose name looks like another
        # source's (confusables.normalise_name) is that source, not a new one. Then
        # "Dаily NK" with a Cyrillic а cannot pass for a second origin, and importing the
        # sheet again maps it the same way (changes nothing).
        self.join_look_alike_sources = join_look_alike_sources
        # (name in the files, key of the source taken for it, that source's name)
        self.look_alike_names: list[tuple[str, str, str]] = []
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
        self.source_by_name: dict[str, str] = {}  # name -> key for sources given by name only
        self.claim_by_text: dict[str, str] = {}  # text -> key for claims given by text only
        self.created_claims: set[int] = set()
        self.created_sources: set[int] = set()
        self.tag_ids: dict[str, int] = {}
        self._key_cache: dict[Any, dict] = {}  # see _keys_of
        self.verdicts: dict[int, tuple] = {}
        self.links: dict[tuple[int, int], tuple[int, str]] = {}
        self.simulated_evidence: dict[str, tuple] = {}
        self.simulated_relays: dict[int, tuple[int, ...]] = {}  # dry run: evidence id -> hops
        self.sheet_verdicts: dict[int, tuple[str, Where]] = {}  # claim id -> first sheet verdict
        # Items that name one source both on their via chain and up their source's
        # derived-from chain: allowed, but said (the first few, and how many).
        self.relay_warnings: list[str] = []
        self.relay_warning_count = 0
        self._parents: dict[int, int] | None = None
        self.evidence_max = (
            conn.scalar(
                select(Evidence.__table__.c.id).order_by(Evidence.__table__.c.id.desc()).limit(1)
            )
            or 0
        )
        self.matched = bytearray(self.evidence_max // 8 + 1)
        # Rows whose full-text entries must be rebuilt (the search triggers are suspended
        # during the import; see services.search_index).
        self.touched = {table: TouchedIds() for table in ("claims", "evidence", "sources")}

    # --- low-level writing ------------------------------------------------------------

    def new_ids(self, table: str, count: int) -> list[int]:
        if count == 0:
            return []
        if not self.write:
            start = self._simulated
            self._simulated += count
            return [-(start + i + 1) for i in range(count)]
        if self.pg is not None:
            return self.pg.reserve_ids(table, count)
        if table not in self._next_id:
            self._next_id[table] = (
                self.conn.exec_driver_sql(f"SELECT max(id) FROM {table}").scalar() or 0  # noqa: S608
            ) + 1
        start = self._next_id[table]
        self._next_id[table] = start + count
        return list(range(start, start + count))

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

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        counts = self.counts.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        counts[outcome] += n

    # --- lookups ------------------------------------------------------------------------

    def _lookup(self, model, column: str, wanted: Iterable[str], extra=()) -> list:
        table = model.__table__
        wanted = sorted(set(wanted))
        rows = []
        for chunk in _chunks(wanted):
            rows.extend(
                self.conn.execute(
                    select(*(table.c[name] for name in (*extra,)), table.c[column])
                    .where(table.c[column].in_(chunk))
                    .order_by(table.c.id)
                )
            )
        return rows

    def _aliases(self, entity: str, wanted: Iterable[str]) -> dict[str, int]:
        table = KeyAlias.__table__
        found = {}
        for chunk in _chunks(sorted(set(wanted))):
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

    def free_keys(self, model, entity: str, stems: list[str]) -> list[str]:
        """A free key for each stem ('daily-nk', then 'daily-nk-2', ...), in few queries."""
        table = model.__table__
        taken = {row[0] for row in self._lookup(model, "key", stems)}
        taken |= set(self._aliases(entity, stems))
        known = self.claim_ids if entity == "claim" else self.source_ids
        taken |= {stem for stem in stems if known.get(stem)}
        result = []
        used: set[str] = set()
        for stem in stems:
            if stem not in taken and stem not in used:
                used.add(stem)
                result.append(stem)
                continue
            # A key that now names another record through an alias (merged away, renamed)
            # is taken too: reusing it would make the alias ambiguous.
            aliases = KeyAlias.__table__
            like = {
                row[0]
                for row in self.conn.execute(
                    select(table.c.key)
                    .where(table.c.key.like(stem + "-%"))
                    .union(
                        select(aliases.c.alias).where(
                            aliases.c.entity == entity, aliases.c.alias.like(stem + "-%")
                        )
                    )
                )
            }
            number = 2
            while (
                (candidate := f"{stem}-{number}") in like
                or candidate in used
                or known.get(candidate)
            ):
                number += 1
            used.add(candidate)
            result.append(candidate)
        return result

    # --- sources ------------------------------------------------------------------------

    def write_sources(
        self, keyed: dict[str, SourceIntent], unkeyed: dict[str, SourceIntent]
    ) -> None:
        """Create or update every source the files describe, then set every origin."""
        table = Source.__table__
        columns = ("id", "key", *SOURCE_VALUES)
        existing: dict[str, Any] = {}
        for chunk in _chunks(sorted(keyed)):
            for row in self.conn.execute(
                select(*(table.c[c] for c in columns)).where(table.c.key.in_(chunk))
            ):
                existing[row.key] = row
        # Sources named but not keyed: a `via` cell may be a key; else match on name; else new.
        refs = [name for name, intent in unkeyed.items() if intent.reference]
        self.load_source_ids(refs)
        keyed_names = {}
        for key, intent in keyed.items():
            name = intent.fields.get("name") or (existing[key].name if key in existing else None)
            if name:
                keyed_names.setdefault(name, key)
        pending = {}
        for name, intent in unkeyed.items():
            if intent.reference and (name in keyed or self.source_ids.get(name)):
                self.source_by_name[name] = name
            elif name in keyed_names:
                self.source_by_name[name] = keyed_names[name]
            else:
                pending[name] = intent
        by_name = {}
        for row in self._lookup(Source, "name", pending, ("key",)):
            by_name.setdefault(row[1], row[0])
        new_names = [name for name in pending if name not in by_name]
        looks_like: dict[str, str] = {}  # a new name -> the name (stored or new) it looks like
        if self.join_look_alike_sources and new_names:
            looks_like, new_names = self._look_alikes(new_names, keyed_names, by_name)
        stems = [values.slugify(name) or "src" for name in new_names]
        for name, key in zip(new_names, self.free_keys(Source, "source", stems), strict=True):
            by_name[name] = key
        for name, other in looks_like.items():
            by_name[name] = by_name[other]
            self.look_alike_names.append((name, by_name[other], other))
            pending.pop(name)
            self.source_by_name[name] = by_name[other]
        # A stored source taken for a look-alike name is not among those the files write.
        self.load_source_ids({by_name[other] for other in looks_like.values()} - set(keyed))
        for name, intent in pending.items():
            key = by_name[name]
            self.source_by_name[name] = key
            if key not in keyed:
                keyed[key] = SourceIntent(intent.where, key, name, dict(intent.fields))
        missing_rows = [key for key in keyed if key not in existing]
        for chunk in _chunks(missing_rows):
            for row in self.conn.execute(
                select(*(table.c[c] for c in columns)).where(table.c.key.in_(chunk))
            ):
                existing[row.key] = row

        # Parents must exist (in the files or the database); a refused source is dropped,
        # and so is anything derived from it.
        parent_keys = {
            i.fields["derived_from"] for i in keyed.values() if i.fields.get("derived_from")
        }
        self.load_source_ids(k for k in parent_keys if k not in keyed)
        while True:
            dropped = False
            for key, intent in list(keyed.items()):
                parent = intent.fields.get("derived_from")
                if parent and parent not in keyed and not self.source_ids.get(parent):
                    self.reject(
                        intent.where,
                        [
                            Problem(
                                intent.where,
                                "derived_from",
                                parent,
                                "the key of a source in the files or the database",
                            )
                        ],
                        None,
                    )
                    del keyed[key]
                    dropped = True
            if not dropped:
                break

        new_keys = [key for key in keyed if key not in existing]
        for key, new_id in zip(new_keys, self.new_ids("sources", len(new_keys)), strict=True):
            self.source_ids[key] = new_id
        for key, row in existing.items():
            if key in keyed:
                self.source_ids[key] = row.id

        # The derived-from graph: the database's, with the files' changes laid over it.
        parent_of: dict[int, int | None] = {}
        stored_origin: dict[int, int | None] = {}
        key_of: dict[int, str] = {}
        for sid, skey, parent_id, origin_id in self.conn.execute(
            select(table.c.id, table.c.key, table.c.derived_from_id, table.c.origin_id)
        ):
            parent_of[sid], stored_origin[sid], key_of[sid] = parent_id, origin_id, skey
        for key, intent in keyed.items():
            sid = self.source_ids[key]
            key_of[sid] = key
            if key not in existing:
                parent_of[sid] = None
                stored_origin[sid] = None
            if "derived_from" in intent.fields:
                parent = intent.fields["derived_from"]
                parent_of[sid] = self.source_ids[parent] if parent else None
        # Loops: refuse the sources on one, restoring what the database had.
        for key, intent in list(keyed.items()):
            sid = self.source_ids[key]
            seen = [sid]
            node = parent_of.get(sid)
            while node is not None:
                if node == sid:
                    path = " → ".join(key_of[n] for n in [*seen, sid])
                    self.reject(
                        intent.where,
                        [
                            Problem(
                                intent.where,
                                "derived_from",
                                intent.fields.get("derived_from"),
                                f"a source that does not derive from {key!r} (that makes a loop: {path})",
                            )
                        ],
                        None,
                    )
                    parent_of[sid] = existing[key].derived_from_id if key in existing else None
                    intent.fields.pop("derived_from", None)
                    break
                if node in seen:
                    break  # a loop further up, reported for its own members
                seen.append(node)
                node = parent_of.get(node)
        origin: dict[int, int] = {}
        depth: dict[int, int] = {}
        for sid in parent_of:
            path = []
            node = sid
            while node not in origin:
                if node in path:  # a loop left in a damaged database: stop there
                    origin[node], depth[node] = node, 0
                    break
                path.append(node)
                parent = parent_of.get(node)
                if parent is None:
                    origin[node], depth[node] = node, 0
                    break
                node = parent
            for item in reversed(path):
                if item not in origin:
                    origin[item] = origin[parent_of[item]]
                    depth[item] = depth[parent_of[item]] + 1

        # History is encoded as it is recorded (a few hundred bytes per source instead of the
        # record dicts) and written after the sources it refers to.
        inserts, updates = [], []
        for key, intent in keyed.items():
            sid = self.source_ids[key]
            fields = intent.fields
            parent_id = parent_of.get(sid)
            parent_key = key_of[parent_id] if parent_id else None
            origin_key = key_of[origin[sid]]
            if key not in existing:
                record = SourceRecord(
                    key,
                    fields.get("name") or key,
                    fields.get("kind") or "unknown",
                    fields.get("reliability") or "F",
                    parent_key,
                    origin_key,
                    fields.get("url"),
                    fields.get("notes"),
                )
                inserts.append(
                    (
                        depth[sid],
                        (
                            sid,
                            key,
                            record.name,
                            record.kind,
                            record.reliability,
                            parent_id,
                            origin[sid],
                            record.url,
                            record.notes,
                            self.now_db,
                            self.now_db,
                        ),
                    )
                )
                self.record("source.add", "source", source_id=sid, after=record.history_json())
                self.count("source", "created")
                self.created_sources.add(sid)
                continue
            row = existing[key]
            current = {
                "name": row.name,
                "kind": row.kind,
                "reliability": row.reliability,
                "derived_from": key_of.get(row.derived_from_id) if row.derived_from_id else None,
                "url": row.url,
                "notes": row.notes,
            }
            before, after = changed_fields(current, fields)
            if "derived_from" in after:
                before["origin"] = key_of.get(row.origin_id, key)
                after["origin"] = origin_key
            if after:
                merged = {**current, **{k: v for k, v in after.items() if k != "origin"}}
                updates.append(
                    (
                        merged["name"],
                        merged["kind"],
                        merged["reliability"],
                        parent_id,
                        origin[sid],
                        merged["url"],
                        merged["notes"],
                        self.now_db,
                        sid,
                    )
                )
                self.record("source.edit", "source", source_id=sid, before=before, after=after)
                self.count("source", "updated")
            else:
                self.count("source", "unchanged")
        inserts.sort(key=lambda item: item[0])
        self.insert("sources", (*columns, "created_at", "updated_at"), [row for _, row in inserts])
        self.update("sources", (*SOURCE_VALUES, "updated_at"), updates)
        # Sources the files did not mention whose origin moved with an ancestor.
        touched = {self.source_ids[key] for key in keyed}
        moved = [
            (origin[sid], self.now_db, sid)
            for sid in parent_of
            if sid not in touched and sid > 0 and stored_origin.get(sid) != origin[sid]
        ]
        self.update("sources", ("origin_id", "updated_at"), moved)
        self.flush_history(at_least=HISTORY_FLUSH)

    # --- claims -------------------------------------------------------------------------

    def _look_alikes(
        self, new_names: list[str], keyed_names: dict[str, str], by_name: dict[str, str]
    ) -> tuple[dict[str, str], list[str]]:
        """Which of the new names look like a source already stored, keyed in the files, or
        a new name earlier in the files: {name: name of that source}, and the names left to
        create. One pass over the stored sources' names (only with --on-duplicate merge)."""
        first: dict[str, str] = {}  # look-alike form -> the name that has it
        table = Source.__table__
        rows = self.conn.execute(
            select(table.c.key, table.c.name)
            .where(table.c.removed_at.is_(None))
            .order_by(table.c.id)
            .execution_options(yield_per=5000)
        )
        for key, name in rows:
            form = normalise_name(name)
            if form and form not in first:
                first[form] = name
                by_name.setdefault(name, key)
        for name, key in keyed_names.items():
            form = normalise_name(name)
            if form and form not in first:
                first[form] = name
                by_name.setdefault(name, key)
        looks_like: dict[str, str] = {}
        remaining = []
        for name in new_names:
            form = normalise_name(name)
            other = first.get(form) if form else None
            if other is None or other == name:
                if form:
                    first.setdefault(form, name)
                remaining.append(name)
            else:
                looks_like[name] = other
        return looks_like, remaining

    def write_claims(self, keyed: dict[str, ClaimIntent], unkeyed: dict[str, ClaimIntent]) -> None:
        """Create or update every claim the files describe (text-only ones matched on text)."""
        texts = {}
        for key, intent in keyed.items():
            if intent.fields.get("text"):
                texts.setdefault(intent.fields["text"], key)
        pending = {}
        for text, intent in unkeyed.items():
            if text in texts:
                self._merge_tags(keyed[texts[text]], intent)
                self.claim_by_text[text] = texts[text]
            else:
                pending[text] = intent
        by_text = {}
        for row in self._lookup(Claim, "text", pending, ("key",)):
            by_text.setdefault(row[1], row[0])
        new_texts = [text for text in pending if text not in by_text]
        stems = [values.slugify(" ".join(text.split()[:6])) or "claim" for text in new_texts]
        for text, key in zip(new_texts, self.free_keys(Claim, "claim", stems), strict=True):
            by_text[text] = key
        for text, intent in pending.items():
            key = by_text[text]
            self.claim_by_text[text] = key
            if key in keyed:
                self._merge_tags(keyed[key], intent)
            else:
                keyed[key] = ClaimIntent(
                    intent.where, key, text, dict(intent.fields), intent.add_tags
                )
        keys = list(keyed)
        for chunk in _chunks(keys, 2000):
            self._write_claim_chunk([keyed[key] for key in chunk], chunk)

    @staticmethod
    def _merge_tags(into: ClaimIntent, other: ClaimIntent) -> None:
        if other.fields.get("tags"):
            into.fields["tags"] = sorted(
                set(into.fields.get("tags") or ()) | set(other.fields["tags"])
            )

    def _tag_ids(self, names: Iterable[str]) -> None:
        missing = sorted({name for name in names if name not in self.tag_ids})
        if not missing:
            return
        for tag_id, name in self._lookup(Tag, "name", missing, ("id",)):
            self.tag_ids[name] = tag_id
        new = [name for name in missing if name not in self.tag_ids]
        ids = self.new_ids("tags", len(new))
        self.insert("tags", ("id", "name"), list(zip(ids, new, strict=True)))
        self.tag_ids.update(zip(new, ids, strict=True))

    def _write_claim_chunk(self, intents: list[ClaimIntent], keys: Sequence[str]) -> None:
        table = Claim.__table__
        columns = (
            "id",
            "key",
            "text",
            "event_date",
            "place",
            "notes",
            "verdict",
            "verdict_reason",
            "confidence",
        )
        existing = {
            row.key: row
            for row in self.conn.execute(
                select(*(table.c[c] for c in columns)).where(table.c.key.in_(list(keys)))
            )
        }
        tags: dict[int, list[str]] = {}
        if existing:
            ct, tg = ClaimTag.__table__, Tag.__table__
            for claim_id, name in self.conn.execute(
                select(ct.c.claim_id, tg.c.name)
                .join(tg, tg.c.id == ct.c.tag_id)
                .where(ct.c.claim_id.in_([row.id for row in existing.values()]))
                .order_by(tg.c.name)
            ):
                tags.setdefault(claim_id, []).append(name)
        # A key merged into another claim (claim merge, import --on-duplicate merge) names
        # the kept claim, whose own wording stands: importing the same file again is a no-op.
        merged = self._aliases("claim", [key for key in keys if key not in existing])
        new = []
        for intent in intents:
            key = intent.key
            if key in existing:
                self.claim_ids[key] = existing[key].id
            elif key in merged:
                self.claim_ids[key] = merged[key]
                self.count("claim", "unchanged")
            elif not intent.fields.get("text"):
                self.reject(
                    intent.where,
                    [
                        Problem(
                            intent.where,
                            "claim_text" if intent.add_tags else "text",
                            Shown("<missing>"),
                            f"the text of the new claim {key!r} (no claim has this key yet)",
                        )
                    ],
                    None,
                )
                self.claim_ids[key] = 0
            else:
                new.append(intent)
        ids = self.new_ids("claims", len(new))
        inserts, tag_rows, updates, tag_deletes = [], [], [], []
        self._tag_ids(name for intent in intents for name in intent.fields.get("tags") or ())
        for intent, claim_id in zip(new, ids, strict=True):
            fields = intent.fields
            parsed = values.partial_date(fields.get("event_date"))
            record = ClaimRecord(
                intent.key,
                fields["text"],
                parsed[0] if parsed else None,
                fields.get("place"),
                fields.get("notes"),
                list(fields.get("tags") or []),
            )
            self.claim_ids[intent.key] = claim_id
            self.created_claims.add(claim_id)
            inserts.append(
                (
                    claim_id,
                    intent.key,
                    record.text,
                    record.event_date,
                    parsed[1] if parsed else None,
                    record.place,
                    record.notes,
                    self.now_db,
                    self.now_db,
                )
            )
            tag_rows.extend((claim_id, self.tag_ids[name]) for name in record.tags)
            self.record("claim.add", "claim", claim_id=claim_id, after=record.history_json())
            self.count("claim", "created")
        retag: list[tuple[int, list[str]]] = []
        for intent in intents:
            row = existing.get(intent.key)
            if row is None:
                continue
            current = {
                "text": row.text,
                "event_date": row.event_date,
                "place": row.place,
                "notes": row.notes,
                "tags": tags.get(row.id, []),
            }
            requested = dict(intent.fields)
            if intent.add_tags and "tags" in requested:
                requested["tags"] = sorted(set(current["tags"]) | set(requested["tags"]))
            before, after = changed_fields(current, requested)
            if not after:
                self.count("claim", "unchanged")
                continue
            merged = {**current, **after}
            parsed = values.partial_date(merged["event_date"])
            updates.append(
                (
                    merged["text"],
                    parsed[0] if parsed else None,
                    parsed[1] if parsed else None,
                    merged["place"],
                    merged["notes"],
                    self.now_db,
                    row.id,
                )
            )
            if "tags" in after:
                tag_deletes.append(row.id)
                retag.append((row.id, after["tags"]))
            self.record("claim.edit", "claim", claim_id=row.id, before=before, after=after)
            self.count("claim", "updated")
        self._tag_ids(name for _, names in retag for name in names)
        tag_rows.extend(
            (claim_id, self.tag_ids[name]) for claim_id, names in retag for name in names
        )
        self.insert("claims", ("id", "key", *CLAIM_VALUES, "created_at", "updated_at"), inserts)
        self.update("claims", (*CLAIM_VALUES, "updated_at"), updates)
        if tag_deletes and self.write:
            search_index.forget(self.conn, "claims", sorted(tag_deletes))
            self.touched["claims"].update(tag_deletes)
            for chunk in _chunks(tag_deletes):
                self.conn.execute(
                    ClaimTag.__table__.delete().where(
                        ClaimTag.__table__.c.claim_id.in_(list(chunk))
                    )
                )
        self.insert("claim_tags", ("claim_id", "tag_id"), tag_rows)
        self.flush_history(at_least=HISTORY_FLUSH)

    # --- evidence -----------------------------------------------------------------------

    def _claim_of(self, item: tuple) -> str | None:
        return item.claim_key or self.claim_by_text.get(item.claim_text)

    def _source_of(self, key: str | None, name: str | None) -> str | None:
        return key or self.source_by_name.get(name) or (name if self.source_ids.get(name) else None)

    def write_evidence(self, batch: list[tuple[Where, tuple, Any]]) -> None:
        self.load_claim_ids(self._claim_of(item) for _, item, _ in batch)
        self.load_source_ids(
            key
            for _, item, _ in batch
            for key in (item.source_key, item.via_key, item.via_name, *item.relays)
            if key
        )
        claim_ids, source_ids = self.claim_ids, self.source_ids
        resolved = []
        for where, item, raw in batch:
            claim_key = self._claim_of(item)
            source_key = self._source_of(item.source_key, item.source_name)
            via_name = item.via_key or item.via_name
            via_key = self._source_of(item.via_key, item.via_name) if via_name else None
            claim_id = claim_ids.get(claim_key, 0) if claim_key else 0
            source_id = source_ids.get(source_key, 0) if source_key else 0
            via_id = source_ids.get(via_key, 0) if via_key else None
            # Later hops are written like hop 1: keys in a record, keys or names in a sheet.
            by_name = item.via_name is not None
            relay_keys = tuple(
                self._source_of(None, hop) if by_name else hop for hop in item.relays
            )
            relay_ids = tuple(source_ids.get(key, 0) if key else 0 for key in relay_keys)
            if 0 in relay_ids and via_id:
                via_id, via_name = 0, item.relays[relay_ids.index(0)]
            if not claim_id or not source_id or via_id == 0:
                problems = []
                sheet = item.from_sheet
                if not claim_id:
                    problems.append(
                        Problem(
                            where,
                            "claim_key" if sheet else "claim",
                            item.claim_key or item.claim_text,
                            "the key of a claim in the files or the database",
                        )
                    )
                if not source_id:
                    problems.append(
                        Problem(
                            where,
                            "source_key" if sheet else "source",
                            item.source_key or item.source_name,
                            "the key of a source in the files or the database",
                        )
                    )
                if via_id == 0:
                    problems.append(
                        Problem(
                            where,
                            "via",
                            via_name,
                            "the key of a source in the files or the database",
                        )
                    )
                self.reject(where, problems, raw)
                continue
            resolved.append(
                Resolved(
                    where,
                    item,
                    raw,
                    claim_key,
                    source_key,
                    via_key,
                    claim_id,
                    source_id,
                    via_id,
                    relay_keys,
                    relay_ids,
                )
            )
        if not resolved:
            return
        self._check_relays(resolved)
        existing = self._existing_evidence(resolved)
        stored_relays = self._stored_relays([row.id for row in existing.values()])
        inserts, updates, removals, relay_rows, relay_resets = [], [], [], [], []
        new_items: list[Resolved] = []
        batch_keys: dict[str, tuple] = {}
        for position, entry in enumerate(resolved):
            item = entry.item
            match = existing.get(position)
            if match is not None:
                relays = stored_relays.get(match.id, ())
                if self._compare_evidence(entry, match, relays, updates, removals):
                    relay_resets.append(match.id)
                    relay_rows += self._relay_rows(match.id, entry.relay_ids)
            elif item.key and item.key in batch_keys:
                if batch_keys[item.key] == entry.target():
                    self.count("evidence", "unchanged")
                else:
                    self.reject(
                        entry.where,
                        [
                            Problem(
                                entry.where,
                                "key",
                                item.key,
                                "one evidence item per key (this key is given "
                                "twice, differently, in this import)",
                            )
                        ],
                        entry.raw,
                    )
            else:
                if item.key:
                    batch_keys[item.key] = entry.target()
                new_items.append(entry)
        ids = self.new_ids("evidence", len(new_items))
        now, record = self.now_db, self.record
        for entry, item_id in zip(new_items, ids, strict=True):
            item, claim_id, source_id, via_id = (
                entry.item,
                entry.claim_id,
                entry.source_id,
                entry.via_id,
            )
            relay_rows += self._relay_rows(item_id, entry.relay_ids)
            credibility = item.credibility or 6
            removed = item.removed_reason
            inserts.append(
                (
                    item_id,
                    item.key,
                    claim_id,
                    source_id,
                    item.stance,
                    credibility,
                    item.quote,
                    item.url,
                    via_id,
                    item.observed,
                    item.notes,
                    now,
                    now,
                    now if removed else None,
                    removed,
                )
            )
            after = entry.record(item_id, credibility).history_json()
            record(
                "evidence.add",
                "evidence",
                evidence_id=item_id,
                claim_id=claim_id,
                source_id=source_id,
                after=after,
            )
            if removed:
                record(
                    "evidence.remove",
                    "evidence",
                    evidence_id=item_id,
                    claim_id=claim_id,
                    source_id=source_id,
                    before=after,
                    reason=removed,
                )
            if item.key and not self.write:
                self.simulated_evidence[item.key] = StoredEvidence(
                    item_id,
                    claim_id,
                    source_id,
                    item.stance,
                    item.quote,
                    item.url,
                    None,
                    credibility,
                    via_id,
                    item.observed,
                    item.notes,
                    now if removed else None,
                    removed,
                )
        self.count("evidence", "created", len(inserts))
        self.insert(
            "evidence",
            (
                "id",
                "key",
                *EVIDENCE_VALUES,
                "created_at",
                "updated_at",
                "removed_at",
                "removed_reason",
            ),
            inserts,
        )
        self.update("evidence", (*EVIDENCE_VALUES, "updated_at"), updates)
        self.update("evidence", ("removed_at", "removed_reason"), removals)
        if relay_resets and self.write:
            table = EvidenceRelay.__table__
            for chunk in _chunks(relay_resets):
                self.conn.execute(table.delete().where(table.c.evidence_id.in_(list(chunk))))
        self.insert("evidence_relays", ("evidence_id", "position", "source_id"), relay_rows)
        self.flush_history(at_least=HISTORY_FLUSH)

    def _check_relays(self, resolved: list[Resolved]) -> None:
        """Note items whose via chain names a source their source is derived from (as
        `evidence add` warns): one query for the derived-from links, then a walk per item."""
        relayed = [entry for entry in resolved if entry.via_id]
        if not relayed:
            return
        if self._parents is None:
            self._parents = dict(
                self.conn.execute(
                    select(Source.id, Source.derived_from_id).where(
                        Source.derived_from_id.is_not(None)
                    )
                ).all()
            )
        parents = self._parents
        for entry in relayed:
            where, source_key = entry.where, entry.source_key
            chain = dict(
                zip(
                    (entry.via_id, *entry.relay_ids),
                    (entry.via_key, *entry.relay_keys),
                    strict=True,
                )
            )
            seen, node = set(), parents.get(entry.source_id)
            while node is not None and node not in seen:
                seen.add(node)
                if node in chain:
                    self.relay_warning_count += 1
                    if len(self.relay_warnings) < 20:
                        self.relay_warnings.append(
                            f"{where}: {chain[node]} is both on this item's via chain and what "
                            f"its source {source_key} is derived from: keep one (via: who passed "
                            "it on; derived_from: a source that repeats another)"
                        )
                    break
                node = parents.get(node)

    def _relay_rows(self, evidence_id: int, relay_ids: tuple[int, ...]) -> list[tuple]:
        if not self.write and (
            relay_ids or evidence_id in self.simulated_relays or evidence_id > 0
        ):
            self.simulated_relays[evidence_id] = relay_ids
        return [(evidence_id, n, hop) for n, hop in enumerate(relay_ids, start=2)]

    def _stored_relays(self, evidence_ids: list[int]) -> dict[int, tuple[int, ...]]:
        """Hops 2, 3, ... of the via chain of these stored (or, in a dry run, simulated)
        items: one query per CHUNK ids, nothing when no item matched."""
        found: dict[int, tuple[int, ...]] = {}
        stored = sorted({i for i in evidence_ids if i > 0})
        for chunk in _chunks(stored):
            marks = ", ".join([self.mark] * len(chunk))
            for evidence_id, source_id in self.conn.exec_driver_sql(
                "SELECT evidence_id, source_id FROM evidence_relays "  # noqa: S608
                f"WHERE evidence_id IN ({marks}) ORDER BY evidence_id, position",
                tuple(chunk),
            ):
                found[evidence_id] = (*found.get(evidence_id, ()), source_id)
        for evidence_id in evidence_ids:
            if evidence_id in self.simulated_relays:
                found[evidence_id] = self.simulated_relays[evidence_id]
        return found

    def _existing_evidence(self, resolved: list[Resolved]) -> dict[int, StoredEvidence]:
        """Position in `resolved` -> the stored row it matches: by key, else (only for claims
        that existed before this import) by claim + source + stance + locator + quote, each
        stored row matched at most once."""
        found: dict[int, StoredEvidence] = {}
        cols = ", ".join(StoredEvidence._fields)
        keyed = [(n, entry.item.key) for n, entry in enumerate(resolved) if entry.item.key]
        if keyed:
            by_key: dict[str, StoredEvidence] = {}
            keys = sorted({key for _, key in keyed})
            for chunk in _chunks(keys):
                marks = ", ".join([self.mark] * len(chunk))
                for row in self.conn.exec_driver_sql(
                    f"SELECT {cols} FROM evidence WHERE key IN ({marks})",  # noqa: S608
                    tuple(chunk),
                ):
                    stored = _stored(row)
                    by_key[stored.key] = stored
            for position, key in keyed:
                row = by_key.get(key) or self.simulated_evidence.get(key)
                if row is not None:
                    found[position] = row
        loose = [
            (position, entry)
            for position, entry in enumerate(resolved)
            if not entry.item.key
            and entry.claim_id > 0
            and entry.claim_id not in self.created_claims
        ]
        if not loose or not self.evidence_max:
            return found
        matched = self.matched
        # Candidates come by entry, then id: each entry takes the first one no entry took.
        for index, row in self._stored_evidence_of([entry for _, entry in loose]):
            position = loose[index][0]
            if position in found:
                continue
            row_id = row[0]
            if not matched[row_id >> 3] & (1 << (row_id & 7)):
                matched[row_id >> 3] |= 1 << (row_id & 7)
                found[position] = _stored(row)
        return found

    def _stored_evidence_of(self, entries: list[Resolved]) -> Iterable[tuple[int, tuple]]:
        """(position in `entries`, stored row) for every row stored before this import with
        the same claim, stance, source, locator and quote as that entry: matched in SQL, one
        statement per batch, by position and then id."""
        limit = int(self.evidence_max)
        cols = ", ".join(f"e.{name}" for name in StoredEvidence._fields)
        if self.pg is not None:
            # One index probe per entry (OFFSET 0 keeps the subquery a nested loop): a plain
            # join, planned on the statistics of a table the import has just filled, sorted
            # the whole evidence table for every batch (120 ms per 5,000 rows at 50,000).
            for row in self.conn.exec_driver_sql(
                f"SELECT t.position - 1, {cols} FROM unnest(%(claims)s::integer[], "  # noqa: S608
                "%(stances)s::text[], %(sources)s::integer[], %(locators)s::text[], "
                "%(quotes)s::text[]) WITH ORDINALITY "
                "AS t (claim_id, stance, source_id, locator, quote, position) "
                "CROSS JOIN LATERAL (SELECT * FROM evidence AS e WHERE e.claim_id = t.claim_id "
                "AND e.stance = t.stance AND e.source_id = t.source_id "
                "AND e.locator IS NOT DISTINCT FROM t.locator "
                "AND e.quote IS NOT DISTINCT FROM t.quote AND e.id <= %(limit)s OFFSET 0) AS e "
                "ORDER BY t.position, e.id",
                {
                    "claims": [e.claim_id for e in entries],
                    "stances": [e.item.stance for e in entries],
                    "sources": [e.source_id for e in entries],
                    "locators": [e.item.url for e in entries],
                    "quotes": [e.item.quote for e in entries],
                    "limit": limit,
                },
            ):
                yield row[0], tuple(row[1:])
            return
        # SQLite: the entries as one JSON array driving the join; `+e.id` keeps the planner
        # on ix_evidence_claim_status, off the rowid and source indexes (OR-ed terms per
        # query scanned the table: an unchanged re-import of the quick sheet spent 5.5 s
        # there). Read through the driver's cursor: plain tuples, no result processing (the
        # rows need no conversion here: removed_at is only tested for NULL).
        cursor = self.conn.connection.driver_connection.cursor()
        try:
            cursor.execute(
                f"SELECT t.key, {cols} FROM json_each(?) AS t CROSS JOIN evidence AS e "  # noqa: S608
                "ON e.claim_id = json_extract(t.value, '$[0]') "
                "AND e.stance = json_extract(t.value, '$[1]') "
                "AND e.source_id = json_extract(t.value, '$[2]') "
                "AND e.locator IS json_extract(t.value, '$[3]') "
                "AND e.quote IS json_extract(t.value, '$[4]') "
                "WHERE +e.id <= ? ORDER BY t.key, e.id",
                (
                    json.dumps(
                        [
                            (e.claim_id, e.item.stance, e.source_id, e.item.url, e.item.quote)
                            for e in entries
                        ]
                    ),
                    limit,
                ),
            )
            for row in cursor.fetchall():
                yield row[0], row[1:]
        finally:
            cursor.close()

    def _compare_evidence(
        self,
        entry: Resolved,
        row: StoredEvidence,
        relays: tuple[int, ...],
        updates: list,
        removals: list,
    ) -> bool:
        """Queue the changes a matched row needs; True when its via chain's later hops must
        be written again."""
        where, item, raw = entry.where, entry.item, entry.raw
        claim_id, source_id, via_id = entry.claim_id, entry.source_id, entry.via_id
        row_id = row.id
        given = item.given
        current = {
            "claim": row.claim_id,
            "source": row.source_id,
            "stance": row.stance,
            "quote": row.quote,
            "url": row.locator,
            "credibility": row.credibility,
            "via": row.via_id,
            "relays": relays,
            "observed": row.observed,
            "notes": row.notes,
        }
        requested = {
            "claim": claim_id,
            "source": source_id,
            "stance": item.stance,
            "quote": item.quote,
            "url": item.url,
        }
        if given & GIVEN_BITS["credibility"]:
            requested["credibility"] = item.credibility or 6
        if given & GIVEN_BITS["via"]:
            requested["via"] = via_id
            requested["relays"] = entry.relay_ids
        if given & GIVEN_BITS["observed"]:
            requested["observed"] = item.observed
        if given & GIVEN_BITS["notes"]:
            requested["notes"] = item.notes
        changed = [name for name, value in requested.items() if current[name] != value]
        if (row_id > self.evidence_max or row_id < 0) and changed and item.key:
            self.reject(
                where,
                [
                    Problem(
                        where,
                        "key",
                        item.key,
                        "one evidence item per key (this key is given twice, "
                        "differently, in this import)",
                    )
                ],
                raw,
            )
            return False
        outcome = "unchanged"
        if changed:
            merged = {**current, **requested}
            updates.append(
                (
                    merged["claim"],
                    merged["source"],
                    merged["stance"],
                    merged["credibility"],
                    merged["quote"],
                    merged["url"],
                    merged["via"],
                    merged["observed"],
                    merged["notes"],
                    self.now_db,
                    row_id,
                )
            )
            old_chain = (current["via"], *relays) if current["via"] else ()
            new_chain = (merged["via"], *merged["relays"]) if merged["via"] else ()
            names = self._source_keys({current["source"], source_id, *old_chain, *new_chain})
            claims = self._claim_keys({current["claim"], claim_id})
            show = {"claim": claims, "source": names, "via": names}
            shown = [n for n in changed if n != "relays"]
            before = {n: show[n].get(current[n]) if n in show else current[n] for n in shown}
            after = {n: show[n].get(requested[n]) if n in show else requested[n] for n in shown}
            # "via" alone says it all for one-hop chains (as_of reads it so).
            if ("via" in changed or "relays" in changed) and max(
                len(old_chain), len(new_chain)
            ) > 1:
                before["via_chain"] = [names.get(hop) for hop in old_chain]
                after["via_chain"] = [names.get(hop) for hop in new_chain]
            self.record(
                "evidence.edit",
                "evidence",
                evidence_id=row_id,
                claim_id=claim_id,
                source_id=source_id,
                before=before,
                after=after,
            )
            outcome = "updated"
        removed = item.removed_reason
        if removed and row.removed_at is None:
            removals.append((self.now_db, removed, row_id))
            self.record(
                "evidence.remove",
                "evidence",
                evidence_id=row_id,
                claim_id=claim_id,
                source_id=source_id,
                before={"id": row_id},
                reason=removed,
            )
            outcome = "updated"
        self.count("evidence", outcome)
        return "relays" in changed

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
        known = {i: met[i] for i in wanted if i in met}
        rest = [i for i in wanted if i not in known and i > 0 and i not in stored]
        for key, found_id in self._lookup(model, "id", rest, ("key",)):
            stored[found_id] = key
        known.update((i, stored[i]) for i in wanted if i not in known and i in stored)
        return known

    # --- links and verdicts -------------------------------------------------------------

    def write_links(self, batch: list[tuple[Where, LinkRecord, Any]]) -> None:
        self.load_claim_ids(key for _, link, _ in batch for key in (link.claim, link.other))
        resolved = []
        for where, link, raw in batch:
            claim, other, relation = link
            first, second = self.claim_ids.get(claim, 0), self.claim_ids.get(other, 0)
            if not first or not second:
                self.reject(
                    where,
                    [
                        Problem(where, name, key, "the key of a claim in the files or the database")
                        for name, key, found in (("claim", claim, first), ("other", other, second))
                        if not found
                    ],
                    raw,
                )
                continue
            resolved.append((where, link, first, second))
        table = ClaimLink.__table__
        wanted = sorted({first for _, _, first, _ in resolved if first > 0})
        for chunk in _chunks(wanted):
            for link_id, claim_id, other_id, relation in self.conn.execute(
                select(table.c.id, table.c.claim_id, table.c.other_id, table.c.relation).where(
                    table.c.claim_id.in_(chunk)
                )
            ):
                self.links.setdefault((claim_id, other_id), (link_id, relation))
        inserts, updates = [], []
        for where, link, first, second in resolved:
            relation = link.relation
            current = self.links.get((first, second))
            data = link.history_json()
            if current is None:
                self.links[(first, second)] = (0, relation)
                inserts.append((first, second, relation, self.now_db))
                self.record("link.add", "link", claim_id=first, after=data)
                self.record("link.add", "link", claim_id=second, after=data)
                self.count("link", "created")
            elif current[1] != relation:
                self.links[(first, second)] = (current[0], relation)
                if current[0]:
                    updates.append((relation, current[0]))
                else:
                    self.reject(
                        where,
                        [
                            Problem(
                                where,
                                "relation",
                                relation,
                                f"{current[1]!r} as given earlier in this import",
                            )
                        ],
                        raw,
                    )
                    continue
                before = {"relation": current[1]}
                self.record("link.edit", "link", claim_id=first, before=before, after=data)
                self.record("link.edit", "link", claim_id=second, before=before, after=data)
                self.count("link", "updated")
            else:
                self.count("link", "unchanged")
        self.insert("claim_links", ("claim_id", "other_id", "relation", "created_at"), inserts)
        self.update("claim_links", ("relation",), updates)
        self.flush_history(at_least=HISTORY_FLUSH)

    def write_aliases(self, batch: list[tuple[Where, AliasRecord, Any]]) -> None:
        """Former keys (as `export` writes them after a merge or a rename) made to resolve
        again: `claim show OLDKEY` works in the database the export is imported into."""
        table = KeyAlias.__table__
        for entity, load, ids, model in (
            ("claim", self.load_claim_ids, self.claim_ids, Claim),
            ("source", self.load_source_ids, self.source_ids, Source),
        ):
            items = [(w, item, raw) for w, item, raw in batch if item.entity == entity]
            if not items:
                continue
            load(item.key for _, item, _ in items)
            stored = self._aliases(entity, (item.alias for _, item, _ in items))
            live_keys = {
                key for (key,) in self._lookup(model, "key", (item.alias for _, item, _ in items))
            }
            inserts = []
            for where, item, raw in items:
                alias, key = item.alias, item.key
                target = ids.get(key, 0)
                if not target:
                    what = f"the key of a {entity} in the files or the database"
                    self.reject(where, [Problem(where, "key", key, what)], raw)
                    continue
                if alias in live_keys:
                    what = f"a former key, not the key of an existing {entity}"
                    self.reject(where, [Problem(where, "alias", alias, what)], raw)
                    continue
                if alias in stored:
                    if stored[alias] != target:
                        what = f"an alias of the {entity} it already names"
                        self.reject(where, [Problem(where, "alias", alias, what)], raw)
                        continue
                    self.count("alias", "unchanged")
                    continue
                stored[alias] = target
                inserts.append((entity, alias, target))
                self.record(
                    f"{entity}.alias",
                    entity,
                    **{f"{entity}_id": target},
                    after=item.history_json(),
                )
                self.count("alias", "created")
            if self.write and inserts:
                self.conn.execute(
                    table.insert(),
                    [{"entity": e, "alias": a, "target_id": t} for e, a, t in inserts],
                )
        self.flush_history(at_least=HISTORY_FLUSH)

    def write_verdicts(self, batch: list[tuple[Where, VerdictRow, Any]]) -> None:
        # A sheet row names its claim by key or by text, as its evidence does.
        batch = [
            (where, item._replace(claim=item.claim or self.claim_by_text.get(item.claim_text)), raw)
            for where, item, raw in batch
        ]
        self.load_claim_ids(item.claim for _, item, _ in batch if item.claim)
        table = Claim.__table__
        wanted = sorted(
            {self.claim_ids.get(item.claim, 0) for _, item, _ in batch} - {0} - set(self.verdicts)
        )
        for chunk in _chunks([i for i in wanted if i > 0]):
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
            if from_sheet and claim_id:
                held = self.sheet_verdicts.setdefault(claim_id, (verdict, where))
                if held[0] != verdict:
                    self.reject(
                        where,
                        [
                            Problem(
                                where,
                                "verdict",
                                verdict,
                                f"{held[0]!r} as at {held[1]} (one verdict per claim)",
                            )
                        ],
                        raw,
                    )
                    continue
            if not claim_id:
                self.reject(
                    where,
                    [
                        Problem(
                            where, "claim", claim, "the key of a claim in the files or the database"
                        )
                    ],
                    raw,
                )
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
