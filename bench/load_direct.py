"""Load dataset.jsonl straight into an initialised claimtrack database through SQLAlchemy Core.

    python bench/load_direct.py DB_URL bench/data/quick/dataset.jsonl

Set-up only, never measured: it builds the database that the read benchmarks (`claim show`,
`explain`, `report`, `search`) run against while `claimtrack import` is not available, so those
benchmarks do not depend on the importer. It fills sources (with the materialised origin_id),
claims, tags and evidence, plus one `create` history event per claim and source, as the product
would; run.py prefers `claimtrack import` when the command exists.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

CHUNK = 20_000


def load(url: str, path: Path) -> dict[str, int]:
    from sqlalchemy import insert

    from claimtrack.db import Database
    from claimtrack.models import Claim, ClaimTag, Evidence, HistoryEvent, Source, Tag

    now = datetime.now(UTC)
    sources: list[dict] = []
    claims: list[dict] = []
    source_ids: dict[str, int] = {}
    claim_ids: dict[str, int] = {}
    origin: dict[int, int] = {}
    tag_ids: dict[str, int] = {}
    claim_tags: list[dict] = []
    evidence: list[dict] = []
    counts = {"sources": 0, "claims": 0, "evidence": 0}
    database = Database(url)
    with database.connect(write=True) as conn, path.open(encoding="utf-8") as lines:

        def flush_evidence() -> None:
            if evidence:
                conn.execute(insert(Evidence), evidence)
                counts["evidence"] += len(evidence)
                evidence.clear()

        for line in lines:
            record = json.loads(line)
            kind = record.pop("type")
            if kind == "source":
                sid = len(source_ids) + 1
                source_ids[record["key"]] = sid
                parent = source_ids[record["derived_from"]] if record.get("derived_from") else None
                origin[sid] = origin[parent] if parent else sid
                sources.append(
                    {
                        "id": sid,
                        "key": record["key"],
                        "name": record["name"],
                        "kind": record.get("kind", "unknown"),
                        "reliability": record.get("reliability", "F"),
                        "derived_from_id": parent,
                        "origin_id": origin[sid],
                        "url": record.get("url"),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            elif kind == "claim":
                if sources:
                    conn.execute(insert(Source), sources)
                    _history(conn, HistoryEvent, "source", "source_id", sources, now)
                    counts["sources"] += len(sources)
                    sources.clear()
                cid = len(claim_ids) + 1
                claim_ids[record["key"]] = cid
                date = record.get("event_date")
                claims.append(
                    {
                        "id": cid,
                        "key": record["key"],
                        "text": record["text"],
                        "event_date": date,
                        "event_date_precision": {4: "year", 7: "month", 10: "day"}[len(date)]
                        if date
                        else None,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                for name in record.get("tags", []):
                    tid = tag_ids.setdefault(name, len(tag_ids) + 1)
                    claim_tags.append({"claim_id": cid, "tag_id": tid})
            elif kind == "evidence":
                if claims:
                    conn.execute(insert(Claim), claims)
                    _history(conn, HistoryEvent, "claim", "claim_id", claims, now)
                    conn.execute(insert(Tag), [{"id": i, "name": n} for n, i in tag_ids.items()])
                    conn.execute(insert(ClaimTag), claim_tags)
                    counts["claims"] += len(claims)
                    claims.clear()
                evidence.append(
                    {
                        "claim_id": claim_ids[record["claim"]],
                        "source_id": source_ids[record["source"]],
                        "stance": record["stance"],
                        "credibility": record.get("credibility", 6),
                        "quote": record.get("quote"),
                        "locator": record.get("url"),
                        "via_id": source_ids[record["via"]] if record.get("via") else None,
                        "observed": record.get("observed"),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                if len(evidence) >= CHUNK:
                    flush_evidence()
        flush_evidence()
    database.dispose()
    return counts


def _history(conn, table, entity: str, column: str, rows: list[dict], now: datetime) -> None:
    from sqlalchemy import insert

    events = [
        {
            "at": now,
            "actor": "bench",
            "action": "create",
            "entity": entity,
            column: row["id"],
            "after": json.dumps({"key": row["key"]}),
        }
        for row in rows
    ]
    for start in range(0, len(events), CHUNK):
        conn.execute(insert(table), events[start : start + CHUNK])


if __name__ == "__main__":
    print(json.dumps(load(sys.argv[1], Path(sys.argv[2]))))
