"""The seed dataset (seeds/dailynk-crackdown-2018.jsonl): it imports cleanly and says what the
article supports: two independent informants corroborate the halt; what both relay from one
internal report counts once; one informant's three speakers are three origins, one channel."""

from __future__ import annotations

import json

from transfer_helpers import SEED, summary


def test_seed_imports_and_reimports_unchanged(cli):
    counts = summary(cli.ok("import", str(SEED), "--json"))
    assert {k: v["created"] for k, v in counts.items()} == {
        "source": 9,
        "claim": 7,
        "evidence": 12,
        "link": 2,
        "verdict": 0,
    }
    again = summary(cli.ok("import", str(SEED), "--json"))
    assert all(v["created"] == v["updated"] == 0 for v in again.values())


def test_seed_statuses_follow_independent_origins(cli):
    cli.ok("import", str(SEED))
    claims = {c["key"]: c for c in cli.ok("claim", "list", "--json").json()}
    assert {k: (c["status"], c["support_origins"]) for k, c in claims.items()} == {
        "halt": ("corroborated", 2),
        "decrees-down": ("unverified", 1),
        "backlash": ("corroborated", 3),
        "officials-disapprove": ("unverified", 1),
        "criticism-reached-centre": ("unverified", 1),
        "report-universal": ("unverified", 1),
        "kju-order": ("unverified", 1),
    }
    assert claims["backlash"]["support_channels"] == 1
    kju = cli.ok("claim", "show", "kju-order", "--json").json()
    assert [(e["source"], e["origin"]) for e in kju["evidence"]] == [
        ("kju-remarks", "mid-progress-report"),
        ("central-message", "mid-progress-report"),
    ]
    halt = cli.ok("claim", "show", "halt", "--json").json()
    assert {(link["direction"], link["relation"], link["claim"]) for link in halt["links"]} == {
        ("in", "supports", "decrees-down"),
        ("in", "supports", "kju-order"),
    }


def test_seed_records_are_curated():
    records = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    for record in records:
        if record["type"] == "source":
            assert record.get("notes"), record["key"]
        if record["type"] == "evidence":
            assert record.get("quote") and record.get("notes") and record.get("credibility")
            assert len(record["quote"]) < 120
        if record["type"] == "claim":
            assert record["text"].count(". ") == 0 and record["text"].endswith(".")
