"""Evidence met again: which stored row an incoming item is (by key, else, for a claim that
existed before this import, by claim + source + stance + locator + quote, in one statement
per batch), and the update and history a matched row needs."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ....models import Evidence
from ....records import EvidenceRecord
from ...problems import Where
from ..rows import GIVEN_BITS, EvidenceRow
from .core import KEY_GIVEN_TWICE, WriterCore, chunks


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


class EvidenceMatching(WriterCore):
    def __init__(self, conn: Connection, **options: Any):
        super().__init__(conn, **options)
        self.simulated_evidence: dict[str, tuple] = {}
        self.evidence_max = (
            conn.scalar(
                select(Evidence.__table__.c.id).order_by(Evidence.__table__.c.id.desc()).limit(1)
            )
            or 0
        )
        self.matched = bytearray(self.evidence_max // 8 + 1)

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
            for chunk in chunks(keys):
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
            self.refuse(where, "key", item.key, KEY_GIVEN_TWICE, raw)
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
