"""Sources: created or updated as the files describe them (matched on key, else on name),
their derived-from chains checked for missing parents and loops, and every origin set again
where a chain moved."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from .... import values
from ....confusables import normalise_name
from ....models import Source
from ....records import SourceRecord, changed_fields
from ..rows import SourceIntent
from .core import HISTORY_FLUSH, WriterCore, chunks, unknown

# The columns an import writes: the values a file sets, which an update writes again.
SOURCE_VALUES = ("name", "kind", "reliability", "derived_from_id", "origin_id", "url", "notes")


class SourceWriter(WriterCore):
    def __init__(self, conn: Connection, *, join_look_alike_sources: bool = False, **options: Any):
        super().__init__(conn, **options)
        # --on-duplicate merge: a source given by name only whose name looks like another
        # source's (confusables.normalise_name) is that source, not a new one. Then
        # "Dаily NK" with a Cyrillic а cannot pass for a second origin, and importing the
        # sheet again maps it the same way (changes nothing).
        self.join_look_alike_sources = join_look_alike_sources
        # (name in the files, key of the source taken for it, that source's name)
        self.look_alike_names: list[tuple[str, str, str]] = []

    def write_sources(
        self, keyed: MutableMapping[str, SourceIntent], unkeyed: dict[str, SourceIntent]
    ) -> None:
        """Create or update every source the files describe, then set every origin. `keyed`
        may decode its intents on each read (staging.Encoded): a change is kept by assigning
        the intent again."""
        table = Source.__table__
        columns = ("id", "key", *SOURCE_VALUES)
        # Stored sources the files name, by key: what the graph needs, not every column (the
        # rest is read a chunk at a time where it is compared: holding every column of 50,000
        # sources took ~10 MB more on a re-import).
        held = ("id", "key", "name", "derived_from_id", "origin_id")
        existing: dict[str, Any] = {}
        for chunk in chunks(sorted(keyed)):
            for row in self.conn.execute(
                select(*(table.c[c] for c in held)).where(table.c.key.in_(chunk))
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
        for chunk in chunks(missing_rows):
            for row in self.conn.execute(
                select(*(table.c[c] for c in held)).where(table.c.key.in_(chunk))
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
            for key in list(keyed):
                intent = keyed[key]
                parent = intent.fields.get("derived_from")
                if parent and parent not in keyed and not self.source_ids.get(parent):
                    self.refuse(intent.where, "derived_from", parent, unknown("source"), None)
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

        # The derived-from graph: the database's, with the files' changes laid over it. Only
        # sources that derive from another are held (a source deriving from nothing is its own
        # origin at depth 0): holding every source's parent, origin, depth and key took ~25 MB
        # at 50,000 sources, the peak of a 1M-row import.
        parent_of: dict[int, int] = {}
        stored_origin: dict[int, int | None] = {}  # where it is not the source itself
        for sid, parent_id, origin_id in self.conn.execute(
            select(table.c.id, table.c.derived_from_id, table.c.origin_id).where(
                or_(
                    table.c.derived_from_id.is_not(None),
                    table.c.origin_id.is_(None),
                    table.c.origin_id != table.c.id,
                )
            )
        ):
            stored_origin[sid] = origin_id
            if parent_id is not None:
                parent_of[sid] = parent_id
        for key, intent in keyed.items():
            sid = self.source_ids[key]
            if key not in existing:
                parent_of.pop(sid, None)
            if "derived_from" in intent.fields:
                parent = intent.fields["derived_from"]
                if parent:
                    parent_of[sid] = self.source_ids[parent]
                else:
                    parent_of.pop(sid, None)
        # Loops: refuse the sources on one, restoring what the database had.
        loops = []
        for key in [key for key in keyed if self.source_ids[key] in parent_of]:
            sid = self.source_ids[key]
            seen = [sid]
            node = parent_of.get(sid)
            while node is not None:
                if node == sid:
                    intent = keyed[key]
                    loops.append((intent.where, intent.fields.get("derived_from"), key, seen))
                    stored = existing[key].derived_from_id if key in existing else None
                    if stored is None:
                        parent_of.pop(sid, None)
                    else:
                        parent_of[sid] = stored
                    intent.fields.pop("derived_from", None)
                    keyed[key] = intent  # kept (keyed may hold its intents encoded)
                    break
                if node in seen:
                    break  # a loop further up, reported for its own members
                seen.append(node)
                node = parent_of.get(node)
        origin: dict[int, int] = {}  # only for sources deriving from another
        depth: dict[int, int] = {}
        for sid in parent_of:
            path = []
            node = sid
            while node not in origin:
                if node in path:  # a loop left in a damaged database: stop there
                    origin[node], depth[node] = node, 0
                    break
                parent = parent_of.get(node)
                if parent is None:
                    break  # its own origin
                path.append(node)
                node = parent
            for item in reversed(path):
                if item not in origin:
                    parent = parent_of[item]
                    origin[item] = origin.get(parent, parent)
                    depth[item] = depth.get(parent, 0) + 1
        # Keys of the sources some source derives from or starts at, and of those on a loop.
        wanted = {*parent_of.values(), *origin.values()}
        for row in existing.values():  # a source's own key is known: only other sources'
            if row.derived_from_id is not None:
                wanted.update((row.derived_from_id, row.origin_id))
            elif row.origin_id != row.id:
                wanted.add(row.origin_id)
        wanted.update(i for *_, seen in loops for i in seen)
        wanted.discard(None)
        key_of = self._derived_keys(wanted, keyed)
        for where, parent, key, seen in loops:
            path = " → ".join(key_of[n] for n in [*seen, seen[0]])
            self.refuse(
                where,
                "derived_from",
                parent,
                f"a source that does not derive from {key!r} (that makes a loop: {path})",
                None,
            )

        # History is encoded as it is recorded (a few hundred bytes per source instead of the
        # record dicts) and written after the sources it refers to.
        inserts, updates = [], []
        stored_rows: dict[int, Any] = {}
        for key_chunk in chunks(list(keyed)):
            ids = [existing[key].id for key in key_chunk if key in existing]
            stored_rows.clear()
            for chunk in chunks(ids):
                for row in self.conn.execute(
                    select(*(table.c[c] for c in columns)).where(table.c.id.in_(chunk))
                ):
                    stored_rows[row.id] = row
            for key in key_chunk:
                intent = keyed[key]
                sid = self.source_ids[key]
                fields = intent.fields
                parent_id = parent_of.get(sid)
                if key not in existing:
                    inserts.append(key)  # rows made a chunk at a time (below)
                    self.count("source", "created")  # recorded by the import's event (finish)
                    self.created_sources.add(sid)
                    continue
                row = stored_rows[existing[key].id]
                current = {
                    "name": row.name,
                    "kind": row.kind,
                    "reliability": row.reliability,
                    "derived_from": key_of.get(row.derived_from_id)
                    if row.derived_from_id
                    else None,
                    "url": row.url,
                    "notes": row.notes,
                }
                before, after = changed_fields(current, fields)
                if "derived_from" in after:
                    before["origin"] = key_of.get(row.origin_id, key)
                    after["origin"] = key_of[origin[sid]] if sid in origin else key
                if after:
                    merged = {**current, **{k: v for k, v in after.items() if k != "origin"}}
                    updates.append(
                        (
                            merged["name"],
                            merged["kind"],
                            merged["reliability"],
                            parent_id,
                            origin.get(sid, sid),
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
        inserts.sort(key=lambda key: depth.get(self.source_ids[key], 0))  # parents first
        for chunk in chunks(inserts, 5000):
            rows = []
            for key in chunk:
                sid = self.source_ids[key]
                fields = keyed[key].fields
                parent_id = parent_of.get(sid)
                record = SourceRecord(
                    key,
                    fields.get("name") or key,
                    fields.get("kind") or "unknown",
                    fields.get("reliability") or "F",
                    key_of[parent_id] if parent_id else None,
                    key_of[origin[sid]] if sid in origin else key,
                    fields.get("url"),
                    fields.get("notes"),
                )
                rows.append(
                    (
                        sid,
                        key,
                        record.name,
                        record.kind,
                        record.reliability,
                        parent_id,
                        origin.get(sid, sid),
                        record.url,
                        record.notes,
                        self.now_db,
                        self.now_db,
                    )
                )
            self.insert("sources", (*columns, "created_at", "updated_at"), rows)
        self.update("sources", (*SOURCE_VALUES, "updated_at"), updates)
        # Sources the files did not mention whose origin moved with an ancestor.
        held = parent_of.keys() | stored_origin.keys()
        touched = {sid for sid in map(self.source_ids.__getitem__, keyed) if sid in held}
        moved = [
            (origin.get(sid, sid), self.now_db, sid)
            for sid in sorted(held)
            if sid not in touched
            and sid > 0
            and stored_origin.get(sid, sid) != origin.get(sid, sid)
        ]
        self.update("sources", ("origin_id", "updated_at"), moved)
        self.flush_history(at_least=HISTORY_FLUSH)

    def _derived_keys(
        self, ids: set[int], keyed: MutableMapping[str, SourceIntent]
    ) -> dict[int, str]:
        """id -> key of these sources: those the files write by their keys, the rest read."""
        key_of = {}
        if ids:
            for key in keyed:
                sid = self.source_ids[key]
                if sid in ids:
                    key_of[sid] = key
        table = Source.__table__
        for chunk in chunks(sorted(ids - key_of.keys())):
            for sid, key in self.conn.execute(
                select(table.c.id, table.c.key).where(table.c.id.in_(chunk))
            ):
                key_of[sid] = key
        return key_of

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
