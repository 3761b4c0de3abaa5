"""The score, checked against numbers worked out by hand (docs/scoring.md shows the method).

Default weights: an origin's weight is logit(p) for its reliability grade
(A 0.90 -> ln 9 = 2.1972, B 0.80 -> ln 4 = 1.3863, C 0.70 -> ln 7/3 = 0.8473,
D 0.60 -> ln 1.5 = 0.4055, F 0.55 -> ln 11/9 = 0.2007, E -> 0), times the share of its best
credible item (1 -> 1.0, 2 -> 0.8, 3 -> 0.5, 4 -> 0.2, 6 -> 0.3, 5 -> 0). The score is
1 / (1 + e^-L) where L = logit(prior) + sum of signed weights; prior 0.5 gives logit 0.
"""

from __future__ import annotations

import math

import pytest

from claimtrack.errors import InvalidValue
from claimtrack.settings import Settings, load_settings
from claimtrack.status import EvidenceItem, assess, likelihood_term, origin_weight


def item(n, source, stance, credibility, reliability="C", origin=None, via=None):
    return EvidenceItem(
        id=n,
        source=source,
        origin=origin or source,
        origin_reliability=reliability,
        stance=stance,
        credibility=credibility,
        via=via,
    )


def test_no_evidence_gives_the_prior():
    assessment = assess([])
    assert (assessment.score, assessment.log_odds, assessment.likelihood) == (
        0.5,
        0.0,
        "roughly even chance",
    )
    assert assess([], Settings(prior=0.2)).score == 0.2


def test_one_usually_reliable_origin_probably_true():
    # B, 2: L = ln 4 x 0.8 = 1.1090; 1 / (1 + e^-1.1090) = 0.7519 -> likely
    assessment = assess([item(1, "wire", "supports", 2, "B")])
    assert assessment.log_odds == pytest.approx(1.10904, abs=1e-5)
    assert (assessment.score, assessment.likelihood) == (0.7519, "likely")


def test_two_unjudged_informants_possibly_true_are_roughly_even():
    # The seed article: two informants graded F, each item 3 (possibly true), both through
    # Daily NK. Through two channels: L = 2 x ln(11/9) x 0.5 = ln(11/9) -> exactly 0.55.
    # Through one, each keeps (1 + 0.5) / 2 = 0.75 of its weight: L = 0.75 ln(11/9), 0.5376.
    # Corroborated by status, but two sources nobody can judge do not make it likely.
    through_one = assess(
        [
            item(1, "ryg", "supports", 3, "F", via="dnk"),
            item(2, "nhg", "supports", 3, "F", via="dnk"),
        ]
    )
    assert through_one.status == "corroborated"
    assert through_one.single_channel
    assert through_one.log_odds == pytest.approx(0.75 * math.log(11 / 9))
    assert (through_one.score, through_one.likelihood) == (0.5376, "roughly even chance")
    through_two = assess(
        [
            item(1, "ryg", "supports", 3, "F", via="dnk"),
            item(2, "nhg", "supports", 3, "F", via="rfa"),
        ]
    )
    assert not through_two.single_channel
    assert (through_two.score, through_two.likelihood) == (0.55, "roughly even chance")
    assert through_one.assessed_confidence == "low"


def test_support_and_contradiction_pull_apart():
    # A,1 supports: +2.1972; C,2 contradicts: -0.8473 x 0.8 = -0.6778; L = 1.5194 -> 0.8204
    assessment = assess([item(1, "a", "supports", 1, "A"), item(2, "c", "contradicts", 2, "C")])
    assert assessment.log_odds == pytest.approx(1.51939, abs=1e-5)
    assert (assessment.status, assessment.score, assessment.likelihood) == (
        "contested",
        0.8204,
        "very likely",
    )
    assert [round(c.weight, 4) for c in assessment.contributions] == [2.1972, -0.6778]


def test_two_weak_contradictions():
    # D,4: -0.4055 x 0.2 = -0.0811; D,6: -0.4055 x 0.3 = -0.1216; L = -0.2027 -> 0.4495, just below 0.45: unlikely
    assessment = assess(
        [item(1, "d1", "contradicts", 4, "D"), item(2, "d2", "contradicts", 6, "D")]
    )
    assert (assessment.status, assessment.score, assessment.likelihood) == (
        "refuted",
        0.4495,
        "unlikely",
    )


def test_an_origin_counts_once_with_its_best_credibility():
    # The wire copies the informant (same origin, graded C): 3 and 2 fold into one origin
    # weighted by its best item, 2: 0.8473 x 0.8 = 0.6778 -> 0.6633
    folded = assess(
        [
            item(1, "informant", "supports", 3, "C"),
            item(2, "wire", "supports", 2, "C", origin="informant"),
        ]
    )
    assert folded.support_origins == 1
    assert folded.score == 0.6633
    (contribution,) = folded.contributions
    assert (contribution.origin, contribution.credibility) == ("informant", 2)
    assert [i.id for i in contribution.items] == [1, 2]


def test_cannot_be_judged_is_not_medium():
    assert origin_weight("F", 3) < origin_weight("C", 3)
    assert origin_weight("C", 6) < origin_weight("C", 3)
    assert origin_weight("E", 1) == 0.0
    assert origin_weight("A", 5) == 0.0
    # F,6: ln(11/9) x 0.3 = 0.0602 -> 0.5150
    assert assess([item(1, "f", "supports", 6, "F")]).score == 0.515


@pytest.mark.parametrize(
    ("probability", "term"),
    [
        (0.0, "almost no chance"),
        (0.049, "almost no chance"),
        (0.05, "very unlikely"),
        (0.2, "unlikely"),
        (0.45, "roughly even chance"),
        (0.55, "roughly even chance"),
        (0.5501, "likely"),
        (0.8, "likely"),
        (0.8001, "very likely"),
        (0.95, "very likely"),
        (0.9501, "almost certain"),
    ],
)
def test_likelihood_terms_follow_icd_203(probability, term):
    assert likelihood_term(probability) == term


def test_weights_are_settings(monkeypatch):
    monkeypatch.setenv("CLAIMTRACK_RELIABILITY_C", "0.75")
    monkeypatch.setenv("CLAIMTRACK_CREDIBILITY_2", "1.0")
    settings = load_settings()
    assert origin_weight("C", 2, settings) == pytest.approx(math.log(3))
    monkeypatch.setenv("CLAIMTRACK_PRIOR", "1.5")
    with pytest.raises(InvalidValue, match="CLAIMTRACK_PRIOR"):
        load_settings()


def test_claim_json_carries_score_and_likelihood(cli):
    cli.ok("source", "add", "Wire", "--key", "wire", "--reliability", "B")
    cli.ok("claim", "add", "Something happened.", "--key", "c1")
    cli.ok("evidence", "add", "c1", "--source", "wire", "--supports", "--credibility", "2")
    shown = cli.ok("claim", "show", "c1", "--json").json()
    assert (shown["score"], shown["likelihood"]) == (0.7519, "likely")
    listed = cli.ok("claim", "list", "--json").json()
    assert (listed[0]["score"], listed[0]["likelihood"]) == (0.7519, "likely")
