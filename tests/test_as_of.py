"""--as-of: the state as recorded at a moment, rebuilt from history after edits, removals,
re-grades, derived-from changes and verdicts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from seed_example import HALT, enter_seed


def moment() -> str:
    """Now, with a clear gap on either side so no event shares the instant."""
    time.sleep(0.01)
    now = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    return now


def report(cli, *args):
    data = cli.ok("report", "--json", *args).json()
    return {row["key"]: row for row in data["claims"]}


def test_report_claim_show_and_explain_as_of(cli):
    enter_seed(cli)
    seeded = moment()

    cli.ok("claim", "edit", "halt", "--text", "The crackdown stopped.", "--tag", "summer")
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "state media, August")
    cli.ok("source", "add", "KCNA", "--key", "kcna", "--reliability", "B")
    cli.ok("evidence", "add", "halt", "--source", "kcna", "--contradicts", "--credibility", "2")
    cli.ok("claim", "add", "A later claim.", "--key", "later")
    edited = moment()

    # Re-grade, fold the informants into one origin, remove an item.
    cli.ok("source", "edit", "kcna", "--reliability", "E")
    cli.ok("source", "edit", "src-nhamgyong", "--derived-from", "src-ryanggang")
    first = cli.ok("evidence", "list", "halt", "--json").json()[0]["id"]
    cli.ok("evidence", "remove", str(first), "--reason", "misread")

    now = report(cli)
    assert (now["halt"]["status"], now["halt"]["support_origins"]) == ("unverified", 1)
    assert now["halt"]["evidence_count"] == 2  # nhamgyong + kcna (not credible)

    then = report(cli, "--as-of", seeded)
    assert sorted(then) == ["backlash", "halt", "kim-order"]
    halt = then["halt"]
    assert (halt["status"], halt["support_origins"], halt["contradict_origins"]) == (
        "corroborated",
        2,
        0,
    )
    assert (halt["text"], halt["tags"], halt["verdict"], halt["score"]) == (
        HALT,
        ["crackdown"],
        None,
        0.5376,
    )
    assert halt["evidence_count"] == 2
    assert halt["last_change"] <= seeded

    middle = report(cli, "--as-of", edited)
    assert sorted(middle) == ["backlash", "halt", "kim-order", "later"]
    halt = middle["halt"]
    assert (halt["status"], halt["support_origins"], halt["contradict_origins"]) == (
        "contested",
        2,
        1,
    )
    assert (halt["text"], halt["tags"], halt["verdict"]) == (
        "The crackdown stopped.",
        ["crackdown", "summer"],
        "confirmed",
    )
    # KCNA was still graded B then: B, 2 -> -ln 4 x 0.8 = -1.1090; with the two informants
    # through one channel (0.75 x 0.2007 = +0.1505) L = -0.9585 -> 0.2772
    assert halt["score"] == 0.2772
    assert {r["key"] for r in cli.ok("report", "--json", "--as-of", edited, "--tag",
                                      "summer").json()["claims"]} == {"halt"}  # fmt: skip

    shown = cli.ok("claim", "show", "halt", "--as-of", seeded, "--json").json()
    assert (shown["status"], shown["text"], shown["verdict"]) == ("corroborated", HALT, None)
    assert [e["source"] for e in shown["evidence"]] == ["src-ryanggang", "src-nhamgyong"]
    assert shown["links"] == [{"direction": "in", "relation": "supports", "claim": "backlash"}]
    text = cli.ok("claim", "show", "halt", "--as-of", seeded).stdout
    assert "corroborated" in text and HALT in text

    explained = cli.ok("explain", "halt", "--as-of", edited, "--json").json()
    assert [(o["origin"], o["reliability"]) for o in explained["origins"]] == [
        ("src-ryanggang", "F"),
        ("src-nhamgyong", "F"),
        ("kcna", "B"),
    ]
    explained_now = cli.ok("explain", "halt", "--json").json()
    assert [o["origin"] for o in explained_now["origins"]] == ["src-ryanggang"]
    assert explained_now["origins"][0]["items"][0]["why"] == (
        "derived from: src-nhamgyong → src-ryanggang"
    )
    assert [i["source"] for i in explained_now["not_credible"]] == ["kcna"]


def test_as_of_before_a_claim_existed(cli):
    before = moment()
    cli.ok("claim", "add", "Something.", "--key", "c1")
    run = cli("claim", "show", "c1", "--as-of", before)
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: claim 'c1' did not exist on ")
    assert cli("explain", "c1", "--as-of", before).exit_code == 1
    assert cli.ok("report", "--json", "--as-of", before).json()["claims"] == []
    assert cli.ok("report", "--json", "--as-of", "2999-12-31").json()["summary"]["claims"] == 1


def test_as_of_source_track_record(cli):
    enter_seed(cli)
    seeded = moment()
    cli.ok("claim", "verdict", "halt", "debunked", "--reason", "retracted")
    then = cli.ok("report", "--by", "source", "--json", "--as-of", seeded).json()["sources"]
    ryanggang = next(r for r in then if r["key"] == "src-ryanggang")
    assert (ryanggang["supports"]["claims"], ryanggang["supports"]["debunked"]) == (1, 0)
    now = cli.ok("report", "--by", "source", "--json").json()["sources"]
    ryanggang = next(r for r in now if r["key"] == "src-ryanggang")
    assert ryanggang["supports"]["debunked"] == 1
