"""`claimtrack calibrate` (issue 12): the stored, named model; a claim's own verdict never
entering its own score; idempotence; --as-of; and the measured targets on Emergent
(Ferreira & Vlachos 2016, via Nguyen et al. 2018, fc-aaai18, MIT) from docs/scoring.md."""

from __future__ import annotations

import json
import random

import pytest
from seed_example import enter_seed
from test_emergent import EMERGENT_ARGS, emergent  # noqa: F401  (the fixture)

from claimtrack.calibration import auc, brier


def verdicts(cli, path, pairs):
    path.write_text(
        "".join(
            json.dumps({"type": "verdict", "claim": k, "verdict": v, "reason": "checked"}) + "\n"
            for k, v in pairs
        ),
        encoding="utf-8",
    )
    cli.ok("import", str(path))


def scores(cli) -> dict[str, float]:
    return {row["key"]: row["score"] for row in cli.ok("report", "--json").json()["claims"]}


def test_without_a_fit_the_grade_defaults_are_named(cli):
    enter_seed(cli)
    report = cli.ok("report", "--json").json()
    assert report["model"]["name"] == "grade defaults"
    assert {row["model"] for row in report["claims"]} == {"grade defaults"}
    halt = cli.ok("claim", "show", "halt", "--json").json()
    assert (halt["model"], halt["single_channel"], halt["assessed_confidence"]) == (
        "grade defaults",
        True,
        "low",
    )
    low, high = halt["score_interval"]
    assert low < halt["score"] < high
    assert cli.ok("calibrate", "--history").stderr.startswith("No fits yet")


def test_calibrate_without_verdicts_uses_agreement_and_is_idempotent(cli, db_dump):
    enter_seed(cli)
    run = cli.ok("calibrate")
    assert run.stdout.startswith("Fitted and stored model #1 (agreement of 3 claims, no verdicts)")
    assert "No verdicts: the weights come from agreement alone" in run.stdout
    before = db_dump(cli.url)
    again = cli.ok("calibrate")
    assert again.stdout.startswith("Nothing new since the last fit: model #1")
    assert db_dump(cli.url) == before
    name = "model #1 (agreement of 3 claims, no verdicts)"
    assert cli.ok("report", "--json").json()["model"]["name"] == name
    assert cli.ok("claim", "show", "halt", "--json").json()["model"] == name
    explained = cli.ok("explain", "halt", "--json").json()
    assert explained["model"] == name
    assert "learned from the agreement of 3 claims" in explained["origins"][0]["weight_from"]
    (fit,) = cli.ok("calibrate", "--history", "--json").json()
    assert (fit["id"], fit["fitted_by"], fit["kind"], fit["verdicts"]) == (
        1,
        "tester",
        "agreement",
        0,
    )
    assert fit["settings"]["calibration_folds"] == 10


def test_a_new_verdict_makes_a_new_fit_and_dry_run_stores_nothing(cli, db_dump):
    enter_seed(cli)
    cli.ok("calibrate")
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "checked")
    before = db_dump(cli.url)
    dry = cli.ok("calibrate", "--dry-run", "--json").json()
    assert (dry["created"], dry["model"]["kind"], dry["model"]["verdicts"]) == (
        False,
        "verdicts",
        1,
    )
    assert db_dump(cli.url) == before
    data = cli.ok("calibrate", "--json").json()
    assert (data["created"], data["model"]["id"]) == (True, 2)
    assert data["verdict_map"] == {"true": ["confirmed"], "false": ["debunked"]}
    assert [m["model"] for m in data["evaluation"]["models"]] == [
        "fitted",
        "agreement",
        "grade defaults",
        "naive count",
    ]
    assert len(cli.ok("calibrate", "--history", "--json").json()) == 2


def test_as_of_uses_the_model_current_then(cli):
    enter_seed(cli)
    before_fit = cli.ok("report", "--json").json()["generated_at"]
    cli.ok("calibrate")
    then = cli.ok("report", "--json", "--as-of", before_fit).json()
    assert then["model"]["name"] == "grade defaults"
    assert cli.ok("report", "--json").json()["model"]["id"] == 1


def test_a_claims_own_verdict_never_moves_its_own_score(cli, tmp_path):
    """Every claim is scored by the fit on the other folds (claim id modulo the folds), so
    adding or changing its own verdict and refitting leaves its score as it was."""
    enter_seed(cli)
    for n in range(12):
        cli.ok("claim", "add", f"Claim {n}.", "--key", f"c{n}")
        cli.ok("evidence", "add", f"c{n}", "--source", "dnk", "--supports")
        if n % 3 == 0:
            cli.ok("evidence", "add", f"c{n}", "--source", "police", "--contradicts")
    verdicts(
        cli,
        tmp_path / "v.jsonl",
        [(f"c{n}", "confirmed" if n % 3 else "debunked") for n in range(1, 12)],
    )
    cli.ok("calibrate")
    before = scores(cli)
    cli.ok("claim", "verdict", "c0", "confirmed", "--reason", "now checked")
    assert cli.ok("calibrate", "--json").json()["created"]
    after = scores(cli)
    assert after["c0"] == before["c0"]
    cli.ok("claim", "verdict", "c0", "debunked", "--reason", "the other way")
    cli.ok("calibrate")
    assert scores(cli)["c0"] == before["c0"]


def test_explain_says_where_a_learned_source_weight_came_from(cli, tmp_path):
    enter_seed(cli)
    for n in range(20):
        cli.ok("claim", "add", f"Claim {n}.", "--key", f"c{n}")
        cli.ok("evidence", "add", f"c{n}", "--source", "dnk", "--supports")
    verdicts(cli, tmp_path / "v.jsonl", [(f"c{n}", "confirmed") for n in range(20)])
    cli.ok("calibrate")
    data = cli.ok("explain", "c0", "--json").json()
    (origin,) = data["origins"]
    # c0's fold (id modulo 10) is left out: dnk's record on the other claims
    assert "this source: " in origin["weight_from"]
    assert "verdicted claims agreed" in origin["weight_from"]
    assert data["model"].startswith("model #1 (20 verdicts")


# --- Emergent: the targets in docs/scoring.md ---------------------------------------------------


def emergent_truth(path) -> dict[str, int]:
    import csv

    with path.open(encoding="utf-8") as handle:
        labels = {row["claimId"]: row["claimTruth"] for row in csv.DictReader(handle)}
    return {key: int(t == "true") for key, t in labels.items() if t in ("true", "false")}


def test_emergent_targets(cli, emergent, tmp_path):  # noqa: F811
    """5-fold: verdicts of 4/5 imported, the held-out fifth scored: AUC ≥ 0.92, Brier ≤ 0.12;
    no verdicts: AUC ≥ 0.91 (bench/emergent_calibration.py prints the whole table)."""
    from sqlalchemy import select, update

    from claimtrack.db import Database, resolve_url
    from claimtrack.models import Claim
    from claimtrack.services.assessments import assess_claims
    from claimtrack.services.calibrate import ModelInUse, calibrate
    from claimtrack.settings import load_settings

    cli.ok("import", str(emergent), *EMERGENT_ARGS)
    truth = emergent_truth(emergent)
    labelled = sorted(truth)
    random.Random(0).shuffle(labelled)
    database = Database(resolve_url(cli.url))
    settings = load_settings()

    def held_out_scores(verdicted: set[str], wanted: list[str]):
        with database.session(write=True, actor="test") as session:
            session.execute(update(Claim).values(verdict=None))
            for key in verdicted:
                verdict = "confirmed" if truth[key] else "debunked"
                session.execute(update(Claim).where(Claim.key == key).values(verdict=verdict))
            result = calibrate(session, actor="test", dry_run=True)
            model = ModelInUse(result["_model"], settings)
            ids = dict(session.execute(select(Claim.key, Claim.id)).all())
            scored = assess_claims(session, [ids[k] for k in wanted], settings, model=model)
            return [(scored[ids[k]].score, truth[k]) for k in wanted]

    try:
        pooled = []
        for fold in range(5):
            test = labelled[fold::5]
            pooled += held_out_scores(set(labelled) - set(test), test)
        none = held_out_scores(set(), labelled)
    finally:
        database.dispose()
    assert auc(pooled) >= 0.92
    assert brier(pooled) <= 0.12
    assert auc(none) >= 0.91


def test_a_learned_score_recomputed_by_hand(cli, tmp_path):
    """docs/scoring.md, "Term by term": for a claim without a verdict, whose sources have no
    verdicted record, score = logistic(base + Σ ± share × scale × |w[grade][stance]|), from
    the numbers `calibrate --json` prints."""
    import math

    enter_seed(cli)
    cli.ok("source", "add", "Radio Free Asia", "--key", "rfa", "--reliability", "B")
    cli.ok("evidence", "add", "kim-order", "--source", "rfa", "--contradicts", "--credibility", "3")
    for n in range(6):
        cli.ok("claim", "add", f"Claim {n}.", "--key", f"c{n}")
        cli.ok("evidence", "add", f"c{n}", "--source", "police", "--supports")
        cli.ok("evidence", "add", f"c{n}", "--source", "rfa", "--contradicts")
    verdicts(cli, tmp_path / "v.jsonl", [(f"c{n}", "debunked") for n in range(6)])
    data = cli.ok("calibrate", "--json").json()
    assert data["model"]["kind"] == "verdicts"
    fit, weights = data["fit"], data["grade_weights"]
    # kim-order: supported by the mid-progress report (origin src-nhamgyong, F, item 4: share
    # 0.2), contradicted by rfa (B, item 3: share 0.5); src-nhamgyong has no verdicted record
    # but rfa has (6 of 6 agreed), so its term adds factor × deviation.
    rate = fit["agreement"]
    shrunk = (6 + 10 * rate) / (6 + 10)
    deviation = math.log(shrunk / (1 - shrunk)) - math.log(rate / (1 - rate))

    def multiplier(grade: str, stance: str) -> float:
        # the common scale plus this grade's and stance's own departure from it
        return fit["scale"] + fit["grades"].get(grade, {}).get(stance, 0.0)

    support = 0.2 * max(0.0, multiplier("F", "supports") * abs(weights["F"]["supports"]))
    against = 0.5 * max(
        0.0,
        multiplier("B", "contradicts") * abs(weights["B"]["contradicts"])
        + fit["source_factor"] * deviation,
    )
    expected = 1 / (1 + math.exp(-(fit["base"] + support - against)))
    shown = cli.ok("explain", "kim-order", "--json").json()
    assert shown["score"] == pytest.approx(expected, abs=1e-3)  # fit numbers are rounded
    support_from, against_from = (o["weight_from"] for o in shown["origins"])
    assert against_from.startswith(
        "usually reliable (B) sources contradicting: learned from the agreement of 9 claims and "
        "6 verdicts; this source: 6 of 6 verdicted claims agreed"
    )
    assert support_from == (
        "ungraded (F) sources supporting: learned from the agreement of 9 claims and 6 "
        "verdicts; this source: no other verdicted claims, so its grade's weight"
    )


def test_the_html_report_draws_the_reliability_diagram(cli, tmp_path):
    enter_seed(cli)
    assert "reliability diagram" not in cli.ok("report", "--format", "html").stdout
    for n in range(6):
        cli.ok("claim", "add", f"Claim {n}.", "--key", f"c{n}")
        cli.ok("evidence", "add", f"c{n}", "--source", "police", "--supports")
    verdicts(cli, tmp_path / "v.jsonl", [(f"c{n}", "confirmed") for n in range(6)])
    cli.ok("calibrate")
    page = cli.ok("report", "--format", "html").stdout
    assert 'aria-label="reliability diagram"' in page
    assert "Reliability of the score on 6 verdicted claims" in page
    assert "<circle" in page


def test_calibrate_with_no_evidence_says_what_to_do_and_stores_nothing(cli, db_dump):
    cli.ok("claim", "add", "Nothing backs this yet.", "--key", "bare")
    before = db_dump(cli.url)
    run = cli("calibrate")
    assert run.exit_code == 1
    assert run.stderr == (
        "Error: nothing to calibrate on: no claim has credible supporting or contradicting "
        "evidence yet; add some with `claimtrack evidence add` or `claimtrack import`\n"
    )
    assert db_dump(cli.url) == before


def test_the_fast_report_and_the_item_by_item_path_agree_under_a_fitted_model(cli, tmp_path):
    """report (one pass over the grades) and report --detail (every item assessed) give the
    same score, confidence and interval with a fitted model, verdicted claims included."""
    enter_seed(cli)
    for n in range(8):
        cli.ok("claim", "add", f"Claim {n}.", "--key", f"c{n}")
        cli.ok("evidence", "add", f"c{n}", "--source", "police", "--supports", "--via", "dnk")
        cli.ok("evidence", "add", f"c{n}", "--source", "smuggler", "--supports", "--via", "dnk")
        if n % 2:
            cli.ok("evidence", "add", f"c{n}", "--source", "mid-report", "--contradicts")
    verdicts(
        cli,
        tmp_path / "v.jsonl",
        [(f"c{n}", "debunked" if n % 2 else "confirmed") for n in range(6)],
    )
    cli.ok("calibrate")
    fields = (
        "score",
        "likelihood",
        "assessed_confidence",
        "score_interval",
        "single_channel",
        "model",
    )

    def rows(*args):
        report = cli.ok("report", "--json", *args).json()
        return {row["key"]: tuple(row[f] for f in fields) for row in report["claims"]}

    fast, detailed = rows(), rows("--detail")
    assert fast == detailed
    assert fast["c0"][-1].startswith("model #1 (6 verdicts")


def fit_events(cli) -> list[dict]:
    """The history events `calibrate` recorded, oldest first."""
    from sqlalchemy import select

    from claimtrack.db import Database, resolve_url
    from claimtrack.models import HistoryEvent

    database = Database(resolve_url(cli.url))
    try:
        with database.session() as session:
            rows = session.execute(
                select(HistoryEvent.action, HistoryEvent.actor, HistoryEvent.after)
                .where(HistoryEvent.entity == "model")
                .order_by(HistoryEvent.id)
            ).all()
    finally:
        database.dispose()
    return [{"action": a, "actor": actor, **json.loads(after)} for a, actor, after in rows]


def test_history_records_each_fit_and_nothing_when_nothing_changed(cli):
    enter_seed(cli)
    cli.ok("calibrate")
    (first,) = fit_events(cli)
    assert (first["action"], first["actor"], first["id"], first["kind"]) == (
        "model.fit",
        "tester",
        1,
        "agreement",
    )
    assert first["verdict_map"] == "true=confirmed,false=debunked"
    cli.ok("calibrate")  # nothing new
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "checked")
    cli.ok("calibrate", "--dry-run")
    assert len(fit_events(cli)) == 1
    cli.ok("calibrate")
    second = fit_events(cli)[1]
    assert (second["id"], second["kind"], second["verdicts"]) == (2, "verdicts", 1)
    assert second["name"] == "model #2 (1 verdicts, agreement of 3 claims)"
    # The events are in the hash chain like every other.
    assert "every history event matches the hash chain" in cli.ok("db", "check").stdout


def test_the_verdict_map_says_which_verdicts_are_true(cli, db_dump):
    enter_seed(cli)
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "checked")
    default = cli.ok("calibrate", "--dry-run", "--json").json()
    same = cli.ok(
        "calibrate", "--dry-run", "--json", "--verdict-map", "TRUE=Confirmed, false=debunked"
    ).json()
    assert default["verdict_map"] == {"true": ["confirmed"], "false": ["debunked"]}
    assert same["verdict_map"] == default["verdict_map"]
    assert default["fit"] == same["fit"]
    flipped = cli.ok("calibrate", "--json", "--verdict-map", "true=debunked,false=confirmed").json()
    assert flipped["verdict_map"] == {"true": ["debunked"], "false": ["confirmed"]}
    assert flipped["evaluation"]["true"] == 0 and flipped["evaluation"]["false"] == 1
    # The map is part of the fit: the default map again is a new fit, not "nothing new".
    assert cli.ok("calibrate", "--json").json()["created"]
    before = db_dump(cli.url)
    for bad, expected in [
        ("yes=confirmed", "expected true=VERDICT and false=VERDICT pairs"),
        ("true=maybe", "expected confirmed, debunked or none"),
        ("true=confirmed", "expected at least one true and one false verdict"),
        ("true=confirmed,false=confirmed", "expected confirmed on one side only"),
    ]:
        run = cli("calibrate", "--verdict-map", bad)
        assert run.exit_code == 2, run.stderr
        assert run.stderr.startswith("Error: --verdict-map: ")
        assert expected in run.stderr
        assert run.stderr.count("\n") == 1
    assert db_dump(cli.url) == before
