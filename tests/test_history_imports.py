"""The history of imports: `--as-of` over imported records answers what was current at each
moment (before the import, after it, after hand edits and a re-import that changes rows); an
import records the rows it creates in one event (the files and their hashes, the counts, the
ids as ranges), which `history KEY` shows, `db check` verifies, merges, removals and restores
work with, and `--since` counts.

Real SQLite and PostgreSQL (CLAIMTRACK_TEST_POSTGRES_URL)."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import UTC, datetime

import pytest
from conftest import Cli, migrated_database
from seed_example import enter_seed
from transfer_helpers import write_jsonl

pytestmark = pytest.mark.postgres

SOURCES = [
    {"type": "source", "key": "nk-wire", "name": "NK wire", "kind": "outlet", "reliability": "B"},
    {"type": "source", "key": "hyesan", "name": "Hyesan informant", "kind": "informant"},
    {"type": "source", "key": "echo", "name": "Echo paper", "derived_from": "nk-wire"},
]
CLAIMS = [
    {"type": "claim", "key": "markets", "text": "Markets reopened in Hyesan.", "tags": ["trade"]},
    {"type": "claim", "key": "fuel", "text": "Fuel prices doubled.", "event_date": "2018-07"},
    {"type": "claim", "key": "border", "text": "The border was sealed.", "place": "Hyesan"},
]
EVIDENCE = [
    {"type": "evidence", "key": "m1", "claim": "markets", "source": "hyesan",
     "stance": "supports", "credibility": 2, "via": "nk-wire", "quote": "stalls are back"},
    {"type": "evidence", "key": "m2", "claim": "markets", "source": "echo",
     "stance": "supports", "credibility": 3},
    {"type": "evidence", "claim": "fuel", "source": "nk-wire", "stance": "contradicts",
     "credibility": 3, "quote": "prices held"},
    {"type": "evidence", "claim": "fuel", "source": "hyesan", "stance": "supports"},
    {"type": "evidence", "key": "b1", "claim": "border", "source": "echo", "stance": "supports",
     "credibility": 2},
    # Into a claim that existed before the import.
    {"type": "evidence", "key": "h9", "claim": "halt", "source": "hyesan",
     "stance": "contradicts", "credibility": 2, "quote": "raids went on"},
    {"type": "evidence", "claim": "border", "source": "nk-wire", "stance": "neutral",
     "removed_reason": "a duplicate of b1"},
]  # fmt: skip
RELATIONS = [
    {"type": "link", "claim": "border", "other": "markets", "relation": "contradicts"},
    {"type": "verdict", "claim": "fuel", "verdict": "debunked", "reason": "one informant"},
]


def moment() -> str:
    """Now, with a clear gap on either side so no event shares the instant."""
    time.sleep(0.01)
    now = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return now


KEYS = ("halt", "backlash", "markets", "fuel", "border")


def answers(cli, *as_of: str, reports_only: bool = False) -> dict:
    """What the --as-of readers say (or, without a moment, what is current), minus the fields
    that say when or how the question was asked."""

    def clean(data):
        for name in ("generated_at", "as_of"):
            data.pop(name, None)
        return data

    found = {
        "report": clean(cli.ok("report", "--json", *as_of).json()),
        "detail": clean(cli.ok("report", "--json", "--detail", *as_of).json()),
        "sources": clean(cli.ok("report", "--by", "source", "--json", *as_of).json()),
    }
    for key in () if reports_only else KEYS:
        run = cli("claim", "show", key, "--json", *as_of)
        found[key] = clean(run.json()) if run.exit_code == 0 else None
        if key != "fuel":  # explain --as-of refuses a claim removed since, whatever made it
            run = cli("explain", key, "--json", *as_of)
            found["explain " + key] = clean(run.json()) if run.exit_code == 0 else None
    return found


def differences(found, expected, path: str = "") -> list[str]:
    """Where two answers differ, for the failure message."""
    if isinstance(found, dict) and isinstance(expected, dict):
        return [
            difference
            for name in sorted(set(found) | set(expected), key=str)
            for difference in differences(found.get(name), expected.get(name), f"{path}.{name}")
        ]
    if isinstance(found, list) and isinstance(expected, list) and len(found) == len(expected):
        return [
            difference
            for n, (one, two) in enumerate(zip(found, expected, strict=True))
            for difference in differences(one, two, f"{path}[{n}]")
        ]
    return [] if found == expected else [f"{path}: {found!r} != {expected!r}"]


def since(cli, start: str, *as_of: str) -> list[str]:
    return [row["key"] for row in cli.ok("report", "--json", "--since", start, *as_of)
            .json()["claims"]]  # fmt: skip


def test_as_of_answers_what_was_current_before_and_after_an_import_and_its_edits(cli, tmp_path):
    enter_seed(cli)
    moments, current, changed_since = [], [], []

    def take() -> None:
        # What is current, by the readers that answer the same with and without a moment, and
        # by every reader asked about this moment at once (when nothing is yet to be undone).
        moments.append(moment())
        live = answers(cli, reports_only=True)
        then = answers(cli, "--as-of", moments[-1])
        assert {name: then[name] for name in live} == live
        current.append(then)
        changed_since.append({start: since(cli, start) for start in moments})

    take()  # before the import
    sheet = write_jsonl(tmp_path / "sheet.jsonl", SOURCES + CLAIMS + EVIDENCE + RELATIONS)
    cli.ok("import", str(sheet))
    take()  # after it

    # Hand edits of imported records.
    cli.ok("claim", "edit", "markets", "--text", "Markets reopened in Hyesan in July.",
           "--tag", "summer")  # fmt: skip
    cli.ok("source", "edit", "hyesan", "--reliability", "D")
    cli.ok("source", "edit", "echo", "--derived-from", "hyesan")
    cli.ok("evidence", "edit", "m2", "--credibility", "5", "--reason", "second look")
    cli.ok("evidence", "remove", "b1", "--reason", "misread")
    cli.ok("claim", "verdict", "markets", "confirmed", "--reason", "two sources")
    cli.ok("claim", "remove", "fuel", "--cascade", "--reason", "out of scope", "--yes")
    take()  # after the edits

    # A re-import that changes some imported rows and creates others (not the removed claim:
    # --as-of does not follow a removal undone by a restore, whatever made the claim).
    changed = [dict(r) for r in SOURCES + CLAIMS + EVIDENCE if "fuel" not in r.values()]
    changed[0]["reliability"] = "C"
    changed[4]["place"] = "Hyesan market"
    changed[5]["credibility"] = 4  # m1
    changed.append({"type": "claim", "key": "rice", "text": "Rice prices fell."})
    changed.append({"type": "evidence", "claim": "rice", "source": "echo", "stance": "supports"})
    changed.append({"type": "evidence", "claim": "border", "source": "dnk", "stance": "supports"})
    cli.ok("import", str(write_jsonl(tmp_path / "again.jsonl", changed)))
    take()  # after the re-import

    cli.ok("evidence", "edit", "h9", "--contradicts", "--credibility", "1")
    cli.ok("source", "edit", "nk-wire", "--reliability", "E")
    take()  # now

    for when, expected, expected_since in zip(moments, current, changed_since, strict=True):
        found = answers(cli, "--as-of", when)
        if found != expected:
            print("\n".join(d[:400] for d in differences(found, expected)))
        assert found == expected, when
        for start, keys in expected_since.items():
            assert since(cli, start, "--as-of", when) == keys, (start, when)
    # Each moment is worth comparing: every one answers differently.
    assert len({repr(sorted(answer["report"]["claims"], key=repr)) for answer in current}) == 5


# --- the import event -------------------------------------------------------------------------


def history_rows(url: str) -> list[dict]:
    return [
        dict(row._mapping)
        for row in rows_of(url, "SELECT id, action, entity, claim_id, source_id, evidence_id, "
                           "after, reason FROM history ORDER BY id")
    ]  # fmt: skip


def rows_of(url: str, sql: str) -> list:
    from sqlalchemy import text

    from claimtrack.db import Database, resolve_url

    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            return conn.execute(text(sql)).all()
    finally:
        database.dispose()


def ids(url: str, table: str, where: str = "1 = 1") -> list[int]:
    return [row[0] for row in rows_of(url, f"SELECT id FROM {table} WHERE {where} ORDER BY id")]


def test_an_import_records_what_it_creates_in_one_event(cli, tmp_path):
    enter_seed(cli)
    before = len(history_rows(cli.url))
    sheet = write_jsonl(tmp_path / "sheet.jsonl", SOURCES + CLAIMS + EVIDENCE[:3])
    more = write_jsonl(tmp_path / "more.jsonl", EVIDENCE[3:] + RELATIONS)
    summary = cli.ok("import", str(sheet), str(more), "--json").json()
    events = history_rows(cli.url)[before:]
    # Per record: what the import changed (a verdict, a link on each claim, an item given as
    # removed); the rows it created: one event, last.
    assert [e["action"] for e in events] == [
        "evidence.remove", "link.add", "link.add", "claim.verdict", "import",
    ]  # fmt: skip
    event = events[-1]
    assert (event["entity"], event["claim_id"], event["source_id"], event["evidence_id"]) == (
        "import", None, None, None,
    )  # fmt: skip
    assert event["reason"] == f"import {sheet}, {more}"
    after = json.loads(event["after"])
    assert after["files"] == [
        {"name": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
         "bytes": path.stat().st_size}
        for path in (sheet, more)
    ]  # fmt: skip
    assert (after["records"], after["rejected"]) == (15, 0)
    assert after["counts"] == summary["counts"]
    new_claims = ids(cli.url, "claims", "key IN ('markets', 'fuel', 'border')")
    new_sources = ids(cli.url, "sources", "key IN ('nk-wire', 'hyesan', 'echo')")
    new_items = ids(cli.url, "evidence", f"id > {max(ids(cli.url, 'evidence')) - 7}")
    assert after["created"] == {
        "claim": [[new_claims[0], new_claims[-1]]],
        "source": [[new_sources[0], new_sources[-1]]],
        "evidence": [[new_items[0], new_items[-1]]],
    }
    halt = ids(cli.url, "claims", "key = 'halt'")[0]
    assert after["evidence_of"] == {
        "claim": sorted([[halt, halt], [new_claims[0], new_claims[-1]]]),
        "source": [[new_sources[0], new_sources[-1]]],
    }
    assert cli.ok("db", "check").exit_code == 0

    # Importing the same files again writes nothing; a change is one edit and one event.
    count = len(history_rows(cli.url))
    cli.ok("import", str(sheet), str(more))
    assert len(history_rows(cli.url)) == count
    changed = [dict(r, place="Hyesan market") if r.get("key") == "border" else r
               for r in SOURCES + CLAIMS]  # fmt: skip
    again = write_jsonl(tmp_path / "again.jsonl", changed)
    cli.ok("import", str(again))
    events = history_rows(cli.url)[count:]
    assert [e["action"] for e in events] == ["claim.edit", "import"]
    after = json.loads(events[-1]["after"])
    assert after["created"] == {"claim": [], "source": [], "evidence": []}
    assert after["counts"]["claim"] == {"created": 0, "updated": 1, "unchanged": 2}
    # A dry run and a refused import record nothing.
    cli.ok("import", str(write_jsonl(tmp_path / "new.jsonl", [CLAIMS[0] | {"key": "x"}])),
           "--dry-run")  # fmt: skip
    bad = write_jsonl(tmp_path / "bad.jsonl", [CLAIMS[0] | {"key": "y"}, {"type": "claim"}])
    assert cli("import", str(bad)).exit_code == 1
    assert len(history_rows(cli.url)) == count + 2


def test_history_shows_the_import_that_created_a_record_or_gave_it_evidence(cli, tmp_path):
    enter_seed(cli)
    sheet = write_jsonl(tmp_path / "sheet.jsonl", SOURCES + CLAIMS + EVIDENCE + RELATIONS)
    cli.ok("import", str(sheet))
    event = history_rows(cli.url)[-1]["id"]
    markets = cli.ok("history", "markets").stdout
    lines = markets.splitlines()
    assert len(lines) == 4  # header, rule, the link, the import
    assert f"created by import of {sheet} (event {event}), with 2 evidence items (" in lines[-1]
    assert "  import  " in lines[-1]
    # Evidence given to a claim that existed: one line for the import, beside its own events.
    halt = cli.ok("history", "halt", "--json").json()
    imported = [e for e in halt if e["action"] == "import"]
    assert len(imported) == 1 and imported[0]["id"] == event
    item = ids(cli.url, "evidence", "key = 'h9'")[0]
    assert imported[0]["created"] == {"evidence": [[item, item]]}
    assert f"evidence {item} added by import of {sheet} (event {event})" in (
        cli.ok("history", "halt").stdout
    )
    assert halt[0]["action"] == "import"  # the newest
    # A source it created, and the items that source gave.
    hyesan = cli.ok("history", "hyesan", "--json").json()
    assert [e["action"] for e in hyesan] == ["import"]
    assert hyesan[0]["created"]["source"] is True and len(hyesan[0]["created"]["evidence"]) >= 1
    # A source that existed, which gave an item in the import: one line, no source.add.
    assert cli.ok("history", "dnk", "--json").json()[0]["action"] == "source.add"
    # --verify checks the import's event too.
    assert cli.ok("history", "markets", "--verify").stdout == (
        "ok: 2 history events of markets match the chain\n"
    )
    # A limit counts the import as one event.
    assert len(cli.ok("history", "markets", "--limit", "1", "--json").json()) == 1


def test_db_check_finds_rows_with_no_creation_event_or_two(cli, tmp_path):
    from test_maintenance import tamper

    from claimtrack.db import Database, resolve_url
    from claimtrack.history_log import HistoryLog

    sheet = write_jsonl(tmp_path / "sheet.jsonl", SOURCES + CLAIMS + EVIDENCE[:5])
    cli.ok("import", str(sheet))
    assert cli.ok("db", "check").exit_code == 0
    first, second = ids(cli.url, "evidence")[:2]
    # A row written behind claimtrack's back, a forged second creation (chained properly),
    # and an imported row deleted.
    tamper(
        cli.url,
        "INSERT INTO claims (key, text, created_at, updated_at) "
        "VALUES ('ghost', 'Never recorded.', '2026-01-01', '2026-01-01')",
        f"DELETE FROM evidence WHERE id = {second}",
    )
    database = Database(resolve_url(cli.url))
    with database.engine.begin() as conn:
        log = HistoryLog(actor="mallory")
        log.add(action="evidence.add", entity="evidence", evidence_id=first, after={"id": first})
        log.flush(conn)
    database.dispose()
    ghost = ids(cli.url, "claims", "key = 'ghost'")[0]
    run = cli("db", "check")
    assert run.exit_code == 1
    event = history_rows(cli.url)[-2]["id"]
    assert [line for line in run.stderr.splitlines() if line.startswith("creation:")] == [
        f"creation: 1 claim (id {ghost}) has no creation event: written outside claimtrack, or "
        "its events were deleted",
        f"creation: 1 evidence item (id {first}) has more than one creation event: an event "
        "was forged",
        f"creation: 1 of the evidence items {first} to {first + 4} that import event {event} "
        "created are missing: deleted outside claimtrack",
    ]


def test_merge_remove_and_restore_of_imported_records(cli, tmp_path):
    sheet = write_jsonl(tmp_path / "sheet.jsonl", SOURCES + CLAIMS + EVIDENCE[:5])
    cli.ok("import", str(sheet))
    cli.ok("claim", "merge", "markets", "border", "--yes")
    cli.ok("source", "merge", "nk-wire", "echo", "--yes")
    cli.ok("claim", "remove", "fuel", "--cascade", "--reason", "out of scope", "--yes")
    cli.ok("claim", "restore", "fuel", "--reason", "back")
    cli.ok("evidence", "remove", "m2", "--reason", "misread")
    cli.ok("source", "remove", "hyesan", "--cascade", "--reason", "unreliable", "--yes")
    cli.ok("source", "restore", "hyesan", "--reason", "back")
    # The id border had is free again on SQLite (max(id) + 1): a claim added by hand takes
    # it, and is not the import's.
    border = ids(cli.url, "claims", "key = 'markets'")[0] + 2
    cli.ok("claim", "add", "A later claim.", "--key", "later")
    later = cli.ok("history", "later", "--json").json()
    assert [e["action"] for e in later] == ["claim.add"]
    if cli.url.endswith(".db"):
        assert ids(cli.url, "claims", "key = 'later'") == [border]
    assert cli.ok("db", "check").exit_code == 0
    actions = [e["action"] for e in cli.ok("history", "markets", "--json").json()]
    assert actions[-1] == "import" and "claim.merge" in actions
    shown = cli.ok("history", "border").stdout  # the merged-away key: the claim kept
    assert "merged border into this" in shown and "created by import of" in shown
    assert len(cli.ok("claim", "show", "fuel", "--json").json()["evidence"]) == 2
    assert len(cli.ok("claim", "show", "markets", "--json").json()["evidence"]) == 2


def test_since_counts_imports_over_claims_scattered_among_many(cli, tmp_path):
    """More than a hundred separate ranges of claims an import gave evidence to: the ids go
    to the database as one parameter."""
    claims = [{"type": "claim", "key": f"c{n}", "text": f"Claim {n}."} for n in range(240)]
    cli.ok("import", str(write_jsonl(tmp_path / "claims.jsonl", claims + SOURCES)))
    start = moment()
    items = [{"type": "evidence", "claim": f"c{n}", "source": "hyesan", "stance": "supports"}
             for n in range(0, 240, 2)]  # fmt: skip
    cli.ok("import", str(write_jsonl(tmp_path / "items.jsonl", items)))
    later = moment()
    expected = sorted(f"c{n}" for n in range(0, 240, 2))
    assert sorted(since(cli, start)) == expected
    assert sorted(since(cli, start, "--as-of", later)) == expected
    assert since(cli, later) == []


@pytest.fixture
def other_url(engine_name, request, tmp_path):
    """An empty, migrated database of the other engine."""
    yield from migrated_database(
        "sqlite" if engine_name == "postgres" else "postgres", request, tmp_path / "target.db"
    )


def test_import_events_move_to_the_other_engine_with_the_database(cli, other_url, tmp_path):
    enter_seed(cli)
    start = moment()
    cli.ok("import", str(write_jsonl(tmp_path / "sheet.jsonl", SOURCES + CLAIMS + EVIDENCE)))
    imported = moment()
    cli.ok("claim", "edit", "markets", "--place", "Hyesan", "--reason", "from the article")
    cli.ok("claim", "merge", "markets", "border", "--yes")
    exported = tmp_path / "move.jsonl"
    cli.ok("export", "-o", str(exported))
    target = Cli(other_url)
    target.ok("import", str(exported))
    for key in ("halt", "markets", "border", "hyesan", "nk-wire", "dnk"):
        assert target.ok("history", key, "--json").json() == cli.ok("history", key, "--json").json()
    for when in (start, imported):
        assert answers(target, "--as-of", when) == answers(cli, "--as-of", when)
    assert target.ok("db", "check").exit_code == 0
    assert target.ok("db", "check", "--head").stdout == cli.ok("db", "check", "--head").stdout
    # New ids on the target come after the restored ones, so a new import's ranges hold none
    # of them.
    target.ok("import", str(write_jsonl(tmp_path / "new.jsonl", [
        {"type": "claim", "key": "new", "text": "A new claim."},
        {"type": "evidence", "claim": "new", "source": "hyesan", "stance": "supports"},
    ])))  # fmt: skip
    assert target.ok("db", "check").exit_code == 0
