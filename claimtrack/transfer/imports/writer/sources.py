"""Sources: created or updated as the files describe them (matched on key, else on name),
their derived-from chains checked for missing parents and loops, and every origin set again
where a chain moved."""

from __future__ import annotations

from functools import partial
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from .... import values
from ....confusables import normalise_name
from ....models import Source
from ....records import changed_fields
from ..rows import SourceIntent
from ..staging import StagedEntities
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
        self._alike_forms: dict[str, tuple[str, str | None]] | None = None  # _look_alikes

    def write_sources(self, staged: StagedEntities, keyed: int, unkeyed: int) -> None:
        """Create or update every source the files describe, then set every origin: those
        staged in pass 1 under the spaces `keyed` (by key) and `unkeyed` (by name), read back
        a chunk at a time. Only the sources whose derived-from chain the files set or the
        database holds are held together (their origins depend on each other); the rest are
        written a chunk at a time as they are read."""
        self._label_by_stored_names(staged, keyed)
        self._key_unkeyed_sources(staged, keyed, unkeyed)
        derived = self._check_parents(staged, keyed)
        table = Source.__table__
        columns = ("id", "key", *SOURCE_VALUES)
        # The sources of the derived-from graph: by key, their intents, ids and stored rows.
        graph: dict[str, SourceIntent] = {}
        graph_ids: dict[str, int] = {}
        existing: dict[str, Any] = {}
        for chunk in staged.chunks(keyed, 2000):
            stored = {
                row.key: row
                for row in self.conn.execute(
                    select(*(table.c[c] for c in columns)).where(
                        table.c.key.in_([key for key, _ in chunk])
                    )
                )
            }
            new_ids = iter(self.new_ids("sources", sum(key not in stored for key, _ in chunk)))
            inserts, updates = [], []
            for key, intent in chunk:
                row = stored.get(key)
                sid = row.id if row is not None else next(new_ids)
                if key in derived or (
                    row is not None and (row.derived_from_id is not None or row.origin_id != row.id)
                ):
                    graph[key], graph_ids[key] = intent, sid
                    if row is not None:
                        existing[key] = row
                    continue
                self.source_ids[key] = sid
                fields = intent.fields
                if row is None:
                    self.count("source", "created")  # recorded by the import's event (finish)
                    self.created_sources.add(sid)
                    inserts.append(self._source_row(sid, key, fields, None, sid))
                    continue
                current = self._current(row, {})
                before, after = changed_fields(current, fields)
                if after:
                    updates.append(self._update_row(row, current, after, None, sid))
                    self.record("source.edit", "source", source_id=sid, before=before, after=after)
                    self.count("source", "updated")
                else:
                    self.count("source", "unchanged")
            self.insert("sources", (*columns, "created_at", "updated_at"), inserts)
            self.update("sources", (*SOURCE_VALUES, "updated_at"), updates)
            self.flush_history(at_least=HISTORY_FLUSH)
            self.bound_keys()
        self.source_ids.update(graph_ids)
        self._write_graph(graph, existing)
        self.flush_history(at_least=HISTORY_FLUSH)
        self.bound_keys()

    def _label_by_stored_names(self, staged: StagedEntities, keyed: int) -> None:
        """A source the files give by key without a name goes by its stored name (a name
        given by another row is that source)."""
        table = Source.__table__
        for names in staged.unlabelled(keyed):
            staged.set_labels(
                keyed,
                self.conn.execute(
                    select(table.c.name, table.c.key).where(
                        table.c.key.in_(names), table.c.name.is_not(None)
                    )
                ),
            )

    def _key_unkeyed_sources(self, staged: StagedEntities, keyed: int, unkeyed: int) -> None:
        """Give every source named without a key a key, a chunk at a time: a `via` cell's
        name may be a key; else the key of a source with that name in the files (the first
        one), else in the database; else a new key. Those new to the files are staged with
        the keyed ones."""
        staged_keys = partial(staged.has, keyed)  # a key given in the files is taken
        for chunk in staged.chunks(unkeyed, 2000):
            refs = [name for name, intent in chunk if intent.reference]
            self.load_source_ids(refs)
            refs_keyed = staged.has(keyed, refs)
            keys = {
                name for name in refs if name in refs_keyed or self.source_ids.get(name)
            }  # found as keys where they are used (EvidenceWriter._source_of)
            keyed_names = staged.named(keyed, [name for name, _ in chunk if name not in keys])
            pending = {}
            for name, intent in chunk:
                if name in keys:
                    continue
                if name in keyed_names:
                    self.source_by_name[name] = keyed_names[name]
                else:
                    pending[name] = intent
            by_name = self.stored_keys(Source, "name", pending)
            new_names = [name for name in pending if name not in by_name]
            looks_like: dict[str, str] = {}  # a new name -> the name it looks like
            if self.join_look_alike_sources and new_names:
                looks_like, new_names = self._look_alikes(new_names, staged, keyed, by_name)
            stems = [values.slugify(name) or "src" for name in new_names]
            made = self.free_keys(Source, "source", stems, staged_keys)
            for name, key in zip(new_names, made, strict=True):
                by_name[name] = key
                self._alike_key(name, key)
            for name, other in looks_like.items():
                by_name[name] = by_name[other]
                self.look_alike_names.append((name, by_name[other], other))
                pending.pop(name)
                self.source_by_name[name] = by_name[other]
            # A stored source taken for a look-alike name is not among those the files write.
            others = {by_name[other] for other in looks_like.values()}
            self.load_source_ids(others - staged.has(keyed, others))
            held = staged.has(keyed, [by_name[name] for name in pending])
            for name, intent in pending.items():
                key = by_name[name]
                self.source_by_name[name] = key
                if key not in held:
                    held.add(key)
                    source = SourceIntent(intent.where, key, name, dict(intent.fields))
                    staged.put(keyed, key, source, labelled=False)
            self.bound_keys()

    def _check_parents(self, staged: StagedEntities, keyed: int) -> set[str]:
        """Parents must exist (in the files or the database); a refused source is dropped,
        and so is anything derived from it. The keys of the sources left that give
        derived_from."""
        derived = staged.derived(keyed)
        parents = {parent for _, parent in derived if parent}
        present = staged.has(keyed, parents)
        self.load_source_ids(parent for parent in parents if parent not in present)
        dropped: set[str] = set()
        while True:
            refused = [
                key
                for key, parent in derived
                if key not in dropped
                and parent
                and (parent in dropped or parent not in present and not self.source_ids.get(parent))
            ]
            if not refused:
                break
            for key in refused:
                intent = staged.get(keyed, key)
                parent = intent.fields.get("derived_from")
                self.refuse(intent.where, "derived_from", parent, unknown("source"), None)
            dropped.update(refused)
        staged.drop(keyed, dropped)
        return {key for key, _ in derived if key not in dropped}

    def _write_graph(self, keyed: dict[str, SourceIntent], existing: dict[str, Any]) -> None:
        """Write the sources whose derived-from chain the files set or the database holds
        (`keyed`, with their ids in source_ids; `existing`: the stored rows of those stored),
        and every origin that moved with them."""
        table = Source.__table__
        columns = ("id", "key", *SOURCE_VALUES)
        self.load_source_ids(
            {i.fields["derived_from"] for i in keyed.values() if i.fields.get("derived_from")}
        )
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
        for key, intent in keyed.items():
            sid = self.source_ids[key]
            fields = intent.fields
            if key not in existing:
                inserts.append(key)  # rows made below, parents first
                self.count("source", "created")  # recorded by the import's event (finish)
                self.created_sources.add(sid)
                continue
            row = existing[key]
            current = self._current(row, key_of)
            before, after = changed_fields(current, fields)
            if "derived_from" in after:
                before["origin"] = key_of.get(row.origin_id, key)
                after["origin"] = key_of[origin[sid]] if sid in origin else key
            if after:
                after_values = {k: v for k, v in after.items() if k != "origin"}
                updates.append(
                    self._update_row(
                        row, current, after_values, parent_of.get(sid), origin.get(sid, sid)
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
                rows.append(
                    self._source_row(
                        sid, key, keyed[key].fields, parent_of.get(sid), origin.get(sid, sid)
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

    def _source_row(
        self, sid: int, key: str, fields: dict, parent_id: int | None, origin_id: int
    ) -> tuple:
        """A new source's row (the columns of `insert`, then created and updated at)."""
        return (
            sid,
            key,
            fields.get("name") or key,
            fields.get("kind") or "unknown",
            fields.get("reliability") or "F",
            parent_id,
            origin_id,
            fields.get("url"),
            fields.get("notes"),
            self.now_db,
            self.now_db,
        )

    @staticmethod
    def _current(row: Any, key_of: dict[int, str]) -> dict[str, Any]:
        """A stored source's values as a file gives them (derived_from by key)."""
        return {
            "name": row.name,
            "kind": row.kind,
            "reliability": row.reliability,
            "derived_from": key_of.get(row.derived_from_id) if row.derived_from_id else None,
            "url": row.url,
            "notes": row.notes,
        }

    def _update_row(
        self,
        row: Any,
        current: dict[str, Any],
        after: dict[str, Any],
        parent_id: int | None,
        origin_id: int,
    ) -> tuple:
        """An UPDATE's values (SOURCE_VALUES, updated at, id) for a stored source."""
        merged = {**current, **after}
        return (
            merged["name"],
            merged["kind"],
            merged["reliability"],
            parent_id,
            origin_id,
            merged["url"],
            merged["notes"],
            self.now_db,
            row.id,
        )

    def _derived_keys(self, ids: set[int], keyed: dict[str, SourceIntent]) -> dict[int, str]:
        """id -> key of these sources: those of the graph by their keys, the rest read (in
        a dry run, a new source's from the key map: it is not stored)."""
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
        if any(sid not in key_of for sid in ids):
            key_of.update(self._source_keys({sid for sid in ids if sid not in key_of}))
        return key_of

    def _look_alikes(
        self, new_names: list[str], staged: StagedEntities, keyed: int, by_name: dict[str, str]
    ) -> tuple[dict[str, str], list[str]]:
        """Which of the new names look like a source already stored, keyed in the files, or
        a new name earlier in the files: {name: name of that source}, and the names left to
        create. One pass over the stored sources' names, at the first call (only with
        --on-duplicate merge); by_name gains the keys of the names they look like."""
        first = self._alike_forms  # look-alike form -> (the name that has it, its key)
        if first is None:
            first = self._alike_forms = {}
            table = Source.__table__
            rows = self.conn.execute(
                select(table.c.name, table.c.key)
                .where(table.c.removed_at.is_(None))
                .order_by(table.c.id)
                .execution_options(yield_per=5000)
            )
            for name, key in [*rows, *staged.labels(keyed)]:
                form = normalise_name(name)
                if form and form not in first:
                    first[form] = (name, key)
        looks_like: dict[str, str] = {}
        remaining = []
        for name in new_names:
            form = normalise_name(name)
            other = first.get(form) if form else None
            if other is None or other[0] == name:
                if form:
                    first.setdefault(form, (name, None))  # its key once made (_alike_key)
                remaining.append(name)
            else:
                looks_like[name] = other[0]
                if other[1] is not None:
                    by_name.setdefault(other[0], other[1])
        return looks_like, remaining

    def _alike_key(self, name: str, key: str) -> None:
        """The key made for a new name that later names may look like."""
        if self._alike_forms is not None:
            form = normalise_name(name)
            if form and self._alike_forms.get(form, (None,))[0] == name:
                self._alike_forms[form] = (name, key)
