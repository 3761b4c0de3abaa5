"""The history of imports: `--as-of` over imported records answers what was current at each
moment (before the import, after it, after hand edits and a re-import that changes rows),
whatever form the import's history takes.

Real SQLite and PostgreSQL (CLAIMTRACK_TEST_POSTGRES_URL)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
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
