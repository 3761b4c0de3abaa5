"""Claims: created or updated as the files describe them (matched on key, else on text), their
tags through tags/claim_tags (a sheet's tags added to the claim's, a record's replacing
them)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .... import values
from ....models import Claim, ClaimTag, Tag
from ....records import ClaimRecord, changed_fields
from ....services import search_index
from ...problems import MISSING
from ..rows import ClaimIntent
from ..staging import StagedEntities
from .core import HISTORY_FLUSH, WriterCore, chunks

CLAIM_VALUES = ("text", "event_date", "event_date_precision", "place", "notes")


class ClaimWriter(WriterCore):
    def __init__(self, conn: Connection, **options: Any):
        super().__init__(conn, **options)
        self.tag_ids: dict[str, int] = {}

    def write_claims(self, staged: StagedEntities, keyed: int, unkeyed: int) -> None:
        """Create or update every claim the files describe (text-only ones matched on text):
        those staged in pass 1 under the spaces `keyed` (by key) and `unkeyed` (by text),
        read back a chunk at a time."""
        if staged.count(unkeyed):
            self._key_unkeyed(staged, keyed, unkeyed)
        for chunk in staged.chunks(keyed, 2000):
            self._write_claim_chunk([intent for _, intent in chunk], [key for key, _ in chunk])
            self.bound_keys()

    def _key_unkeyed(self, staged: StagedEntities, space: int, unkeyed: int) -> None:
        """Give every claim given by text only a key, a chunk at a time: the key of a claim
        with that text in the files (the first one), else in the database, else a new one;
        merged into the staged claims."""
        staged_keys = partial(staged.has, space)  # a key given in the files is taken
        for chunk in staged.chunks(unkeyed, 2000):
            texts = staged.named(space, [text for text, _ in chunk])
            pending = {}
            for text, intent in chunk:
                if text in texts:
                    self._merge_staged(staged, space, texts[text], intent)
                    self.claim_by_text[text] = texts[text]
                else:
                    pending[text] = intent
            by_text = self.stored_keys(Claim, "text", pending)
            new_texts = [text for text in pending if text not in by_text]
            stems = [values.slugify(" ".join(text.split()[:6])) or "claim" for text in new_texts]
            by_text.update(
                zip(new_texts, self.free_keys(Claim, "claim", stems, staged_keys), strict=True)
            )
            for text, intent in pending.items():
                key = by_text[text]
                self.claim_by_text[text] = key
                if not self._merge_staged(staged, space, key, intent):
                    staged.put(
                        space,
                        key,
                        ClaimIntent(intent.where, key, text, dict(intent.fields), intent.add_tags),
                        labelled=False,
                    )

    def _merge_staged(
        self, staged: StagedEntities, space: int, key: str, other: ClaimIntent
    ) -> bool:
        """Merge `other`'s tags into the staged claim `key`; False when none is staged."""
        into = staged.get(space, key)
        if into is None:
            return False
        self._merge_tags(into, other)
        staged.put(space, key, into)
        return True

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
                self.refuse(
                    intent.where,
                    "claim_text" if intent.add_tags else "text",
                    MISSING,
                    f"the text of the new claim {key!r} (no claim has this key yet)",
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
            self.count("claim", "created")  # recorded by the import's event (finish)
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
            for chunk in chunks(tag_deletes):
                self.conn.execute(
                    ClaimTag.__table__.delete().where(
                        ClaimTag.__table__.c.claim_id.in_(list(chunk))
                    )
                )
        self.insert("claim_tags", ("claim_id", "tag_id"), tag_rows)
        self.flush_history(at_least=HISTORY_FLUSH)
