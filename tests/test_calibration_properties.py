"""The calibrated score's promises (issue 12), over random claims, evidence and verdicts:
pure functions of claimtrack.calibration, no database (tests/test_calibrate.py runs the same
through the CLI on every engine)."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from claimtrack.calibration import (
    ClaimData,
    FittedWeights,
    FoldFit,
    Term,
    fit_model,
    score_of,
)
from claimtrack.settings import DEFAULT_SETTINGS

ORIGINS = [f"o{n}" for n in range(5)]


@st.composite
def claim_sets(draw, min_claims=1):
    claims = []
    for claim_id in range(1, draw(st.integers(min_claims, 8)) + 1):
        terms = set()
        for _ in range(draw(st.integers(0, 4))):
            terms.add(
                Term(
                    origin=draw(st.sampled_from(ORIGINS)),
                    reliability=draw(st.sampled_from("ABCDF")),
                    stance=draw(st.sampled_from(["supports", "contradicts"])),
                    credibility=draw(st.sampled_from([1, 2, 3, 4, 6])),
                    factor=1.0,
                )
            )
        # One term per origin and stance, as assess makes them.
        seen, unique = set(), []
        for term in sorted(terms):
            if (term.origin, term.stance) not in seen:
                seen.add((term.origin, term.stance))
                unique.append(term)
        truth = draw(st.sampled_from([None, 0, 1]))
        claims.append(ClaimData(claim_id, tuple(unique), truth))
    return claims


@given(claim_sets())
@settings(max_examples=40, deadline=None)
def test_no_verdicts_is_the_agreement_fallback_exactly(claims):
    claims = [replace(c, truth=None) for c in claims]
    model = fit_model(claims)
    assert (model.kind, model.verdicts, model.left_out, model.fold_fits) == ("agreement", 0, {}, [])
    fallback = FittedWeights(model, FoldFit(base=model.base), DEFAULT_SETTINGS)
    for claim in claims:
        assert score_of(claim, model.weights_for(claim.id)) == score_of(claim, fallback)


@given(claim_sets(), st.data())
@settings(max_examples=40, deadline=None)
def test_a_claims_own_verdict_never_moves_its_own_score(claims, data):
    claim = data.draw(st.sampled_from(claims))
    without = [replace(c, truth=None) if c.id == claim.id else c for c in claims]
    truth = data.draw(st.sampled_from([0, 1]))
    with_verdict = [replace(c, truth=truth) if c.id == claim.id else c for c in claims]
    before = fit_model(without).weights_for(claim.id)
    after = fit_model(with_verdict).weights_for(claim.id)
    assert score_of(claim, after) == score_of(claim, before)


@given(
    st.integers(0, 30),
    st.integers(0, 30),
    st.floats(0.05, 0.95),
    st.floats(0.0, 3.0),
    st.sampled_from(["supports", "contradicts"]),
    st.sampled_from("ABCDF"),
)
def test_more_agreeing_verdicts_never_lower_a_sources_weight(
    agree, disagree, rate, factor, stance, grade
):
    claims = [ClaimData(1, (Term("o", grade, stance, 2, 1.0),), None)]
    model = fit_model(claims)

    def weight(a: int, n: int) -> float:
        fit = FoldFit(
            base=0.0, scale=1.0, source_factor=factor, agreement=rate, records={"o": (a, n)}
        )
        return FittedWeights(model, fit, DEFAULT_SETTINGS).weight("o", grade, stance, 2)

    n = agree + disagree
    assert weight(agree + 1, n + 1) >= weight(agree, n)
    assert weight(agree, n + 1) <= weight(agree, n)


@given(claim_sets(min_claims=2))
@settings(max_examples=25, deadline=None)
def test_refitting_with_nothing_new_gives_the_same_model(claims):
    first, second = fit_model(claims), fit_model(claims)
    assert first.fingerprint == second.fingerprint
    assert first.params() == second.params()


def _two_grades(verdicted: int) -> list[ClaimData]:
    """Claims each supported by one B and one C origin (and some contradicted by a D one);
    in truth B's support says nothing (half of its claims are false) while C supports only
    true claims. The agreement fit cannot tell the two apart as well as verdicts can."""
    claims = []
    for n in range(120):
        truth = n % 2
        terms = [Term(f"b{n % 7}", "B", "supports", 2, 1.0)]
        if truth:
            terms.append(Term(f"c{n % 5}", "C", "supports", 2, 1.0))
        if n % 3 == 0:
            terms.append(Term(f"d{n % 4}", "D", "contradicts", 2, 1.0))
        claims.append(ClaimData(n + 1, tuple(terms), truth if n < verdicted else None))
    return claims


def test_verdicts_fit_a_weight_per_grade_and_stance_and_a_few_barely_move_it():
    many = fit_model(_two_grades(120)).full_fit
    few = fit_model(_two_grades(2)).full_fit
    # Many verdicts: B's support (worthless) ends below C's (telling), relative to agreement.
    assert many.multiplier("B", "supports") < many.multiplier("C", "supports")
    assert set(many.grades) == {"B", "C", "D"}
    # Two verdicts: each grade's and stance's departure from the common scale stays small.
    assert all(abs(d) < 0.1 for stances in few.grades.values() for d in stances.values())
    # No verdicts: no departures at all.
    assert fit_model([replace(c, truth=None) for c in _two_grades(0)]).full_fit.grades == {}
