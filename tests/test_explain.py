"""explain and fragility on the seed article, and the consequences of a re-grade."""

from __future__ import annotations

from seed_example import enter_seed


def test_explain_the_seed_claim_line_by_line(cli):
    enter_seed(cli)
    data = cli.ok("explain", "halt", "--json").json()
    assert (data["status"], data["rule"], data["support_origins"]) == (
        "corroborated",
        "S ≥ 2 and X = 0",
        2,
    )
    # two F informants, items graded 3: ln(11/9) x 0.5 each, both through Daily NK so each
    # keeps 0.75 of it: 0.0753 each -> 0.5376 (tests/test_score.py)
    assert (data["score"], data["likelihood"]) == (0.5376, "roughly even chance")
    assert (data["model"], data["assessed_confidence"], data["single_channel"]) == (
        "grade defaults",
        "low",
        True,
    )
    assert [
        (o["origin"], o["reliability"], o["credibility"], o["weight"], o["channel_factor"])
        for o in data["origins"]
    ] == [
        ("src-ryanggang", "F", 3, 0.0753, 0.75),
        ("src-nhamgyong", "F", 3, 0.0753, 0.75),
    ]
    assert data["origins"][0]["weight_from"] == "grade default for F (docs/scoring.md)"
    assert data["channels"] == ["dnk"]
    assert data["channel_warning"].startswith("all support comes through one channel: dnk")
    assert [(f["origin"], f["status"], f["changes_status"]) for f in data["fragility"]] == [
        ("src-ryanggang", "unverified", True),
        ("src-nhamgyong", "unverified", True),
    ]

    text = cli.ok("explain", "halt").stdout
    assert "status: corroborated  (S = 2, X = 0; rule: S ≥ 2 and X = 0)" in text
    assert "score: 0.5376 (roughly even chance)" in text
    assert "src-ryanggang: reliability F, best credibility 3 → +0.0753" in text
    assert (
        "weight from: grade default for F (docs/scoring.md); × 0.75 for the shared channel" in text
    )
    assert "model: grade defaults" in text
    assert "without src-ryanggang: unverified (score 0.5251)" in text
    assert "the status hangs on this origin" in text
    assert "warning: all support comes through one channel: dnk (2 origins, 1 channel)" in text


def test_explain_shows_folding_and_what_was_left_out(cli):
    enter_seed(cli)
    cli.ok("source", "add", "Wire copy of the Ryanggang report", "--key", "wire",
           "--derived-from", "src-ryanggang")  # fmt: skip
    cli.ok("evidence", "add", "halt", "--source", "wire", "--supports", "--credibility", "4")
    cli.ok("source", "add", "KCNA", "--key", "kcna", "--reliability", "E")
    cli.ok("evidence", "add", "halt", "--source", "kcna", "--contradicts", "--credibility", "2")
    cli.ok("evidence", "add", "halt", "--source", "dnk", "--neutral")
    data = cli.ok("explain", "halt", "--json").json()
    origin = data["origins"][0]
    assert (origin["origin"], origin["credibility"]) == ("src-ryanggang", 3)
    assert [(i["source"], i["why"], i["counted"]) for i in origin["items"]] == [
        ("src-ryanggang", "the origin itself", True),
        ("wire", "derived from: wire → src-ryanggang", False),
    ]
    assert [(i["source"], i["why"]) for i in data["not_credible"]] == [
        ("kcna", "its origin kcna is graded E (unreliable)")
    ]
    assert [i["source"] for i in data["neutral"]] == ["dnk"]
    assert (data["status"], data["support_origins"], data["contradict_origins"]) == (
        "corroborated",
        2,
        0,
    )
    text = cli.ok("explain", "halt").stdout
    assert "2 items folded into one" in text
    assert "Left out as not credible" in text
    assert "its origin kcna is graded E (unreliable)" in text


def test_explain_an_unknown_claim(cli):
    run = cli("explain", "nope")
    assert run.exit_code == 1
    assert run.stderr.strip() == (
        "Error: no claim with key 'nope': list them with `claimtrack claim list`"
    )


def test_regrade_prints_and_records_status_changes(cli):
    enter_seed(cli)
    run = cli.ok("source", "edit", "src-nhamgyong", "--reliability", "E", "--reason", "fabricated")
    assert run.stdout.splitlines() == [
        "reliability: F → E",
        "Status changed:",
        "  halt: corroborated → unverified (score 0.54 → 0.53)",
    ]
    event = cli.ok("history", "halt", "--json").json()[0]
    assert (event["action"], event["before"]["status"], event["after"]["status"]) == (
        "claim.status",
        "corroborated",
        "unverified",
    )
    assert event["reason"] == "source src-nhamgyong edited: reliability F → E (fabricated)"

    # Deriving the North Hamgyong informant from the Ryanggang one folds them into one origin.
    cli.ok("source", "edit", "src-nhamgyong", "--reliability", "F")
    run = cli.ok("source", "edit", "src-nhamgyong", "--derived-from", "src-ryanggang", "--json")
    assert run.json()["status_changes"] == [
        {
            "claim": "halt",
            "before": "corroborated",
            "after": "unverified",
            "score_before": 0.5376,
            "score_after": 0.5251,
        }
    ]
    # A name change re-grades nothing.
    assert cli.ok("source", "edit", "dnk", "--name", "Daily NK (Seoul)").stdout.splitlines() == [
        "name: Daily NK → Daily NK (Seoul)"
    ]


def test_removing_evidence_prints_the_status_change(cli):
    enter_seed(cli)
    item = cli.ok("evidence", "list", "halt", "--json").json()[1]["id"]
    run = cli.ok("evidence", "remove", str(item), "--reason", "misread the article")
    assert run.stdout.splitlines() == [
        f"Removed evidence {item}",
        "Status changed:",
        "  halt: corroborated → unverified (score 0.54 → 0.53)",
    ]
    assert cli.ok("history", "halt", "--json").json()[0]["reason"] == (
        f"evidence {item} removed: misread the article"
    )


def test_source_track_record(cli):
    enter_seed(cli)
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "later reporting")
    data = cli.ok("source", "show", "src-ryanggang", "--json").json()
    supports = data["track_record"]["supports"]
    # halt, which it said itself; what police and a smuggler said reached us through it (via),
    # which is their record, not its own
    assert (supports["claims"], supports["corroborated"], supports["unverified"]) == (1, 1, 0)
    assert (supports["confirmed"], supports["debunked"]) == (1, 0)
    assert data["track_record"]["contradicts"]["claims"] == 0
    text = cli.ok("source", "show", "src-ryanggang").stdout
    assert "supported 1 claim: corroborated; 1 with a verdict: confirmed" in text

    rows = cli.ok("report", "--by", "source", "--format", "json").json()["sources"]
    by_key = {row["key"]: row for row in rows}
    assert by_key["src-nhamgyong"]["supports"]["claims"] == 1  # halt (kim-order came via it)
    assert by_key["police"]["supports"]["claims"] == 1
    assert by_key["dnk"]["supports"]["claims"] == 0
