"""Links between claims: created, or their relation changed, with one history event on each
of the two claims."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ....models import ClaimLink
from ....records import LinkRecord
from ...problems import Problem, Where
from .core import HISTORY_FLUSH, WriterCore, chunks, unknown


class LinkWriter(WriterCore):
    def __init__(self, conn: Connection, **options: Any):
        super().__init__(conn, **options)
        self.links: dict[tuple[int, int], tuple[int, str]] = {}
        # (claim id, other id) -> where this import first gave the link: one relation per
        # link within an import, so that importing the same files again changes nothing.
        self.given_links: dict[tuple[int, int], Where] = {}

    def write_links(self, batch: list[tuple[Where, LinkRecord, Any]]) -> None:
        self.bound_keys()
        self.load_claim_ids(key for _, link, _ in batch for key in (link.claim, link.other))
        resolved = []
        for where, link, raw in batch:
            claim, other, relation = link
            first, second = self.claim_ids.get(claim, 0), self.claim_ids.get(other, 0)
            if not first or not second:
                self.reject(
                    where,
                    [
                        Problem(where, name, key, unknown("claim"))
                        for name, key, found in (("claim", claim, first), ("other", other, second))
                        if not found
                    ],
                    raw,
                )
                continue
            resolved.append((where, link, first, second))
        table = ClaimLink.__table__
        wanted = sorted({first for _, _, first, _ in resolved if first > 0})
        for chunk in chunks(wanted):
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
            given = self.given_links.setdefault((first, second), where)
            if current is not None and current[1] != relation and given is not where:
                earlier = f"{current[1]!r} as given at {given} (one relation per link)"
                self.refuse(where, "relation", relation, earlier, raw)
                continue
            data = link.history_json()
            if current is None:
                self.links[(first, second)] = (0, relation)
                inserts.append((first, second, relation, self.now_db))
                self.record("link.add", "link", claim_id=first, after=data)
                self.record("link.add", "link", claim_id=second, after=data)
                self.count("link", "created")
            elif current[1] != relation:
                self.links[(first, second)] = (current[0], relation)
                updates.append((relation, current[0]))
                before = {"relation": current[1]}
                self.record("link.edit", "link", claim_id=first, before=before, after=data)
                self.record("link.edit", "link", claim_id=second, before=before, after=data)
                self.count("link", "updated")
            else:
                self.count("link", "unchanged")
        self.insert("claim_links", ("claim_id", "other_id", "relation", "created_at"), inserts)
        self.update("claim_links", ("relation",), updates)
        self.flush_history(at_least=HISTORY_FLUSH)
