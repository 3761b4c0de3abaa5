"""Aliases: the former keys of claims and sources (renamed or merged away) that an export
carries, made to resolve again."""

from __future__ import annotations

from typing import Any

from ....models import Claim, KeyAlias, Source
from ....records import AliasRecord
from ...problems import Where
from .core import HISTORY_FLUSH, WriterCore, unknown


class AliasWriter(WriterCore):
    def write_aliases(self, batch: list[tuple[Where, AliasRecord, Any]]) -> None:
        """Former keys (as `export` writes them after a merge or a rename) made to resolve
        again: `claim show OLDKEY` works in the database the export is imported into."""
        self.bound_keys()
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
                    self.refuse(where, "key", key, unknown(entity), raw)
                    continue
                if alias in live_keys:
                    what = f"a former key, not the key of an existing {entity}"
                    self.refuse(where, "alias", alias, what, raw)
                    continue
                if alias in stored:
                    if stored[alias] != target:
                        what = f"an alias of the {entity} it already names"
                        self.refuse(where, "alias", alias, what, raw)
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
