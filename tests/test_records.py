"""One definition of each record (claimtrack.records): the services (the command line) and the
bulk importer write the very same history JSON for the same changes (what an import creates is
its one event instead of an event per record), and an export reads the same whichever of them
wrote the rows (the records, without the rows an import into an empty
database restores, `--no-history`). `--as-of` replays that history, so a copy that drifted
would make it answer wrong."""

from __future__ import annotations

import json

from conftest import Cli
from sqlalchemy import create_engine, text
from transfer_helpers import write_jsonl

from claimtrack.records import ClaimRecord, EvidenceRecord, SourceRecord

RECORDS = [
    {"type": "source", "key": "dnk", "name": "Daily NK", "kind": "outlet", "reliability": "C"},
    {"type": "source", "key": "ryg", "name": "Ryanggang informant"},
    {
        "type": "source",
        "key": "police",
        "name": "Hyesan police",
        "derived_from": "dnk",
        "url": "https://example.org/police",
        "notes": "repeats Daily NK",
    },
    {
        "type": "claim",
        "key": "mkt",
        "text": "The Hyesan market closed",
        "tags": ["markets", "hyesan"],
        "event_date": "2018-06",
        "place": "Hyesan",
        "notes": "first report",
    },
    {"type": "claim", "key": "halt", "text": "The crackdown stopped"},
    {
        "type": "evidence",
        "key": "e1",
        "claim": "mkt",
        "source": "police",
        "stance": "supports",
        "credibility": 2,
        "quote": "the market is shut",
        "url": "p. 3",
        "via": ["ryg", "dnk"],
        "observed": "2018-06-02",
        "notes": "phone call",
    },
    {"type": "evidence", "key": "e2", "claim": "halt", "source": "dnk", "stance": "contradicts"},
    {"type": "evidence", "claim": "halt", "source": "ryg", "stance": "supports", "via": "dnk"},
    {"type": "link", "claim": "mkt", "other": "halt", "relation": "contradicts"},
]


def enter_by_hand(cli: Cli) -> None:
    """RECORDS, typed one command at a time (each through its service)."""
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok(
        "source", "add", "Hyesan police", "--key", "police", "--derived-from", "dnk",
        "--url", "https://example.org/police", "--notes", "repeats Daily NK",
    )  # fmt: skip
    cli.ok(
        "claim", "add", "The Hyesan market closed", "--key", "mkt", "--tag", "markets",
        "--tag", "hyesan", "--event-date", "2018-06", "--place", "Hyesan",
        "--notes", "first report",
    )  # fmt: skip
    cli.ok("claim", "add", "The crackdown stopped", "--key", "halt")
    cli.ok(
        "evidence", "add", "mkt", "--source", "police", "--supports", "--credibility", "2",
        "--quote", "the market is shut", "--url", "p. 3", "--via", "ryg", "--via", "dnk",
        "--observed", "2018-06-02", "--notes", "phone call", "--key", "e1",
    )  # fmt: skip
    cli.ok("evidence", "add", "halt", "--source", "dnk", "--contradicts", "--key", "e2")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk")
    cli.ok("link", "add", "mkt", "halt", "--contradicts")


def recorded(url: str) -> list[tuple]:
    """(action, before, after) of every history event but status changes, as stored."""
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT action, before, after FROM history "
                    "WHERE action != 'claim.status' ORDER BY id"
                )
            ).all()
    finally:
        engine.dispose()
    return [(action, _text(before), _text(after)) for action, before, after in rows]


def _text(value):
    # PostgreSQL hands JSON back decoded, SQLite as the stored text: compare them decoded.
    return json.loads(value) if isinstance(value, str) else value


def test_the_command_line_and_an_import_record_the_same_history_and_export(db_url, tmp_path):
    by_hand = Cli(f"sqlite:///{tmp_path / 'by-hand.db'}")
    by_hand.ok("init")
    enter_by_hand(by_hand)
    imported = Cli(db_url)
    imported.ok("import", str(write_jsonl(tmp_path / "records.jsonl", RECORDS)))

    typed, bulk = recorded(by_hand.url), recorded(db_url)
    # What each created is its own event by hand, the import's one event in bulk; what
    # changed a claim (a link, on each) the same per-record events in both.
    creations = ("source.add", "claim.add", "evidence.add")
    assert sorted((e for e in typed if e[0] not in creations), key=repr) == sorted(
        (e for e in bulk if e[0] != "import"), key=repr
    )
    (event,) = [after for action, _, after in bulk if action == "import"]
    assert {entity: sum(last - first + 1 for first, last in ranges)
            for entity, ranges in event["created"].items()} == {
        entity: [action for action, _, _ in typed].count(f"{entity}.add")
        for entity in ("source", "claim", "evidence")
    }  # fmt: skip
    evidence = next(after for action, _, after in typed if after and after.get("key") == "e1")
    assert evidence["via"] == "ryg" and evidence["via_chain"] == ["ryg", "dnk"]

    assert (
        by_hand.ok("export", "--no-history").stdout == imported.ok("export", "--no-history").stdout
    )


def test_a_removed_item_is_recorded_whole_by_both(db_url, tmp_path):
    by_hand = Cli(f"sqlite:///{tmp_path / 'by-hand.db'}")
    by_hand.ok("init")
    enter_by_hand(by_hand)
    by_hand.ok("evidence", "remove", "e2", "--reason", "a duplicate")
    removed = [
        dict(r, removed_reason="a duplicate") if r.get("key") == "e2" else r for r in RECORDS
    ]
    imported = Cli(db_url)
    imported.ok("import", str(write_jsonl(tmp_path / "records.jsonl", removed)))

    def removal(url):
        return [(b, a) for action, b, a in recorded(url) if action == "evidence.remove"]

    assert removal(by_hand.url) == removal(db_url)
    assert removal(db_url)[0][0]["key"] == "e2"
    assert (
        by_hand.ok("export", "--no-history").stdout == imported.ok("export", "--no-history").stdout
    )


def test_each_record_names_its_fields_once():
    """History stores every field of a created record; an export leaves out what import
    works out (a source's origin) and what is empty."""
    source = SourceRecord("p", "Police", "unknown", "F", "dnk", "dnk", None, None)
    assert list(source.history_json()) == list(SourceRecord._fields)
    assert source.export_json() == {
        "type": "source",
        "key": "p",
        "name": "Police",
        "kind": "unknown",
        "reliability": "F",
        "derived_from": "dnk",
    }
    claim = ClaimRecord("c", "text", None, None, None, ["t"], "confirmed", "seen", "high")
    assert set(claim.history_json()) == set(ClaimRecord._fields)
    assert claim.verdict_record().export_json() == {
        "type": "verdict",
        "claim": "c",
        "verdict": "confirmed",
        "reason": "seen",
        "confidence": "high",
    }
    item = EvidenceRecord(7, None, "c", "p", "supports", 6, None, None, ("a", "b"), None, None)
    assert item.history_json()["via"] == "a"
    assert item.export_json()["via"] == ["a", "b"]
    assert item._replace(via_chain=("a",)).export_json()["via"] == "a"
