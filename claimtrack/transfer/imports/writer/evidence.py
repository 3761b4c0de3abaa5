"""Evidence: each item's claim, source and via chain resolved (by key, or in a sheet by
text and name), then created, or matched to a stored row (evidence_matching.py) and updated
or removed; the via chain's later hops in evidence_relays."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ....models import EvidenceRelay, Source
from ...problems import Problem, Where
from .core import HISTORY_FLUSH, KEY_GIVEN_TWICE, chunks, unknown
from .evidence_matching import EvidenceMatching, Resolved, StoredEvidence

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


class EvidenceWriter(EvidenceMatching):
    def __init__(self, conn: Connection, **options: Any):
        super().__init__(conn, **options)
        self.simulated_relays: dict[int, tuple[int, ...]] = {}  # dry run: evidence id -> hops
        # Items that name one source both on their via chain and up their source's
        # derived-from chain: allowed, but said (the first few, and how many).
        self.relay_warnings: list[str] = []
        self.relay_warning_count = 0
        self._parents: dict[int, int] | None = None
        # Ids set aside, in file order, for rows that may turn out new (staged_evidence.py).
        self.reserved_ids: dict[Where, int] = {}

    def _claim_of(self, item: tuple) -> str | None:
        return item.claim_key or self.claim_by_text.get(item.claim_text)

    def _source_of(self, key: str | None, name: str | None) -> str | None:
        return key or self.source_by_name.get(name) or (name if self.source_ids.get(name) else None)

    def write_evidence(self, batch: list[tuple[Where, tuple, Any]]) -> None:
        self.bound_keys()
        self.claim_by_text.load(item.claim_text for _, item, _ in batch if not item.claim_key)
        self.source_by_name.load(
            name
            for _, item, _ in batch
            for name in (item.source_name, item.via_name, *item.relays)
            if name
        )
        self.load_claim_ids(self._claim_of(item) for _, item, _ in batch)
        self.load_source_ids(
            key
            for _, item, _ in batch
            for key in (item.source_key, item.via_key, item.via_name, *item.relays)
            if key
        )
        # The keys names stand for (a name may be a key: loaded above).
        self.load_source_ids(
            self._source_of(None, name)
            for _, item, _ in batch
            for name in (item.source_name, item.via_name, *item.relays)
            if name
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
                    claim = item.claim_key or item.claim_text
                    field = "claim_key" if sheet else "claim"
                    problems.append(Problem(where, field, claim, unknown("claim")))
                if not source_id:
                    source = item.source_key or item.source_name
                    field = "source_key" if sheet else "source"
                    problems.append(Problem(where, field, source, unknown("source")))
                if via_id == 0:
                    problems.append(Problem(where, "via", via_name, unknown("source")))
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
                    self.refuse(entry.where, "key", item.key, KEY_GIVEN_TWICE, entry.raw)
            else:
                if item.key:
                    batch_keys[item.key] = entry.target()
                new_items.append(entry)
        ids = self._ids_for(new_items)
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
            # Its creation is the import's event (finish); a removal is a change of its own.
            if removed:
                record(
                    "evidence.remove",
                    "evidence",
                    evidence_id=item_id,
                    claim_id=claim_id,
                    source_id=source_id,
                    before=entry.record(item_id, credibility).history_json(),
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
        if self.write:
            self.created_evidence.extend(ids)
            self.evidence_of["claim"].update(entry.claim_id for entry in new_items)
            self.evidence_of["source"].update(entry.source_id for entry in new_items)
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
            for chunk in chunks(relay_resets):
                self.conn.execute(table.delete().where(table.c.evidence_id.in_(list(chunk))))
        self.insert("evidence_relays", ("evidence_id", "position", "source_id"), relay_rows)
        self.flush_history(at_least=HISTORY_FLUSH)

    def _ids_for(self, items: list[Resolved]) -> list[int] | range:
        """Ids for these new items: those set aside for them, else new ones."""
        reserved = self.reserved_ids
        if not reserved:
            return self.new_ids("evidence", len(items))
        ids = [reserved.pop(entry.where, 0) for entry in items]
        missing = [n for n, item_id in enumerate(ids) if not item_id]
        for n, item_id in zip(missing, self.new_ids("evidence", len(missing)), strict=True):
            ids[n] = item_id
        return ids

    def _check_relays(self, resolved: list[Resolved]) -> None:
        """Note items whose via chain names a source their source is derived from (as
        `evidence add` warns): one query for the derived-from links, then a walk per item."""
        relayed = [entry for entry in resolved if entry.via_id]
        if not relayed:
            return
        parents = self._derived_from()
        for entry in relayed:
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
                            self.relay_warning(entry.where, chain[node], entry.source_key)
                        )
                    break
                node = parents.get(node)

    def _derived_from(self) -> dict[int, int]:
        """Source id -> the id it is derived from, for every source derived from another
        (read once per import)."""
        if self._parents is None:
            self._parents = dict(
                self.conn.execute(
                    select(Source.id, Source.derived_from_id).where(
                        Source.derived_from_id.is_not(None)
                    )
                ).all()
            )
        return self._parents

    @staticmethod
    def relay_warning(where: Where, hop_key: str, source_key: str) -> str:
        return (
            f"{where}: {hop_key} is both on this item's via chain and what its source "
            f"{source_key} is derived from: keep one (via: who passed it on; derived_from: a "
            "source that repeats another)"
        )

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
        for chunk in chunks(stored):
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
