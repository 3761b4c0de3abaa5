"""Helpers shared by the import/export tests."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

SEED = Path(__file__).resolve().parents[1] / "seeds" / "dailynk-crackdown-2018.jsonl"


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return path


def scalar(url: str, sql: str):
    from claimtrack.db import Database, resolve_url

    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        database.dispose()


def rows(url: str, sql: str) -> list[tuple]:
    from claimtrack.db import Database, resolve_url

    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        database.dispose()


class StageRecorder:
    """An import's progress display that keeps the phases it is told (Progress.stage)."""

    def __init__(self):
        self.stages: list[str] = []

    def __call__(self, done_bytes: int, records: int) -> None:
        pass

    def stage(self, label: str) -> None:
        self.stages.append(label)


def summary(run) -> dict:
    """The counts of `import --json`."""
    return json.loads(run.stdout)["counts"]


BASE = [
    {"type": "source", "key": "dnk", "name": "Daily NK", "kind": "outlet", "reliability": "C"},
    {"type": "source", "key": "ryg", "name": "Ryanggang informant", "kind": "informant"},
    {"type": "source", "key": "wire", "name": "Wire copy", "derived_from": "ryg"},
    {
        "type": "claim",
        "key": "halt",
        "text": "The crackdown had largely stopped by June 2018.",
        "tags": ["crackdown"],
        "event_date": "2018-06",
    },
    {"type": "claim", "key": "decrees-down", "text": "The decrees were taken down."},
    {
        "type": "evidence",
        "claim": "halt",
        "source": "ryg",
        "stance": "supports",
        "credibility": 2,
        "quote": "the crackdowns have stopped",
        "via": "dnk",
    },
    {"type": "link", "claim": "decrees-down", "other": "halt", "relation": "supports"},
    {"type": "verdict", "claim": "halt", "verdict": "confirmed", "reason": "two informants"},
]
