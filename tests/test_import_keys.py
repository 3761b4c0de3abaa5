"""The writer's key -> id maps are bounded caches over a temporary table (import_keys, in
transfer/imports/writer/core.py): an import with more keys than a map holds writes the same
database, counts and history as one whose maps hold every key, dry runs included. Both
engines."""

from __future__ import annotations

import json
import re
from datetime import date, datetime

from conftest import Cli, dump
from transfer_helpers import write_jsonl

from claimtrack.transfer.imports.writer import core

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d[.\d]*(\+00:00|Z)?")
HEADER = "claim_key,claim_text,source_key,source_name,stance,credibility,quote,via,tags,verdict"


def sheet_lines(credibility: int = 3) -> list[str]:
    lines = [HEADER]
    for n in range(24):
        claim = f"c{n},Claim number {n}" if n % 5 else f",Claim given by text {n}"
        source = f"s{n % 7},Source {n % 7}" if n % 4 else f",Named source {n % 3}"
        via = ("s6" if n % 2 else "Named source 1") if n % 3 == 0 else ""
        verdict = "confirmed" if n == 7 else ""
        stance = "supports" if n % 6 else "contradicts"
        lines.append(f"{claim},{source},{stance},{credibility},quote {n},{via},t{n % 2},{verdict}")
    return lines


RECORDS = [
    {"type": "source", "key": "wire", "name": "Wire copy", "derived_from": "s1"},
    {"type": "source", "key": "s2", "name": "Source 2", "derived_from": "s3"},
    {"type": "claim", "key": "c30", "text": "Claim thirty", "tags": ["x"]},
    {"type": "evidence", "key": "k1", "claim": "c2", "source": "s2", "stance": "supports"},
    {"type": "evidence", "key": "k2", "claim": "c3", "source": "wire", "stance": "supports"},
    {
        "type": "evidence",
        "key": "k3",
        "claim": "c4",
        "source": "s4",
        "stance": "contradicts",
        "via": ["wire", "s1"],
    },
    {"type": "link", "claim": "c1", "other": "c2", "relation": "supports"},
    {"type": "link", "claim": "c3", "other": "c30", "relation": "contradicts"},
    {"type": "verdict", "claim": "c2", "verdict": "debunked", "reason": "checked"},
    {"type": "alias", "entity": "claim", "alias": "old-c3", "key": "c3"},
    {"type": "alias", "entity": "source", "alias": "old-s4", "key": "s4"},
]

CHANGES = [
    {"type": "source", "key": "fresh", "name": "A new source", "derived_from": "old-s4"},
    {"type": "claim", "key": "c-new", "text": "A new claim"},
    {"type": "evidence", "key": "k1", "claim": "old-c3", "source": "fresh", "stance": "supports"},
    {"type": "evidence", "key": "k2", "claim": "c3", "source": "old-s4", "stance": "neutral"},
    {
        "type": "evidence",
        "key": "k3",
        "claim": "c-new",
        "source": "s4",
        "stance": "contradicts",
        "via": ["fresh", "old-s4"],
    },
    {"type": "link", "claim": "c-new", "other": "old-c3", "relation": "supports"},
    {"type": "verdict", "claim": "c-new", "verdict": "confirmed", "reason": "seen"},
]


def plain(value):
    """Timestamps, and history's chain of hashes over them, differ from run to run;
    everything else must not."""
    if isinstance(value, (datetime, date)):
        return None
    if isinstance(value, str) and re.fullmatch("[0-9a-f]{64}", value):
        return "(hash)"
    if isinstance(value, str):
        value = TIMESTAMP.sub("(time)", value)
    if isinstance(value, str) and value.startswith("{"):
        value = json.loads(value)
    if isinstance(value, dict):
        return json.dumps({k: v for k, v in value.items() if k != "seconds"}, sort_keys=True)
    return value


def run_imports(url: str, tmp_path) -> tuple[list, list]:
    """Every kind of import, into `url`: (what each printed, the database after)."""
    cli = Cli(url)
    sheet = tmp_path / "sheet.csv"
    changed = tmp_path / "changed.csv"
    sheet.write_text("\n".join(sheet_lines()) + "\n", encoding="utf-8")
    changed.write_text("\n".join(sheet_lines(credibility=2)) + "\n", encoding="utf-8")
    records = write_jsonl(tmp_path / "records.jsonl", RECORDS)
    changes = write_jsonl(tmp_path / "changes.jsonl", CHANGES)
    printed = []
    for args in (
        (str(sheet),),
        (str(records),),
        (str(changes), "--dry-run"),
        (str(changed), "--dry-run"),
        (str(changes),),
        (str(changed),),
        (str(sheet), str(records)),
    ):
        out = cli.ok("import", *args, "--json").json()
        out.pop("seconds")
        printed.append(out)
    stored = [tuple(plain(value) for value in row) for row in dump(url)]
    return printed, stored


def test_an_import_with_more_keys_than_the_maps_hold_writes_what_one_holding_all_does(
    db_url, blank_db_url, tmp_path, monkeypatch
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    Cli(blank_db_url).ok("init")
    expected = run_imports(db_url, tmp_path / "a")
    saved = []
    original = core.WriterCore._save_keys
    monkeypatch.setattr(core, "KEY_CACHE", 3)
    monkeypatch.setattr(
        core.WriterCore, "_save_keys", lambda self, ids: saved.append(1) or original(self, ids)
    )
    got = run_imports(blank_db_url, tmp_path / "b")
    assert saved  # the maps were emptied, their keys read back from import_keys
    paths = str(tmp_path / "b"), str(tmp_path / "a")
    assert json.loads(json.dumps(got).replace(*paths)) == json.loads(json.dumps(expected))
