"""The score's promises (issue 3, the README's status table), over random sets of evidence."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from claimtrack.settings import DEFAULT_SETTINGS
from claimtrack.status import (
    EvidenceItem,
    assess,
    channel_of,
    is_credible,
    likelihood_term,
    origin_weight,
)

ORIGINS = [f"o{n}" for n in range(6)]
CREDIBLE_GRADES = ["A", "B", "C", "D", "F"]
CREDIBLE_ITEMS = [1, 2, 3, 4, 6]


@st.composite
def evidence_sets(draw):
    """(items, reliability of each origin): several sources may share an origin."""
    reliability = {origin: draw(st.sampled_from("ABCDEF")) for origin in ORIGINS}
    items = []
    for n in range(draw(st.integers(0, 12))):
        origin = draw(st.sampled_from(ORIGINS))
        source = draw(st.sampled_from([origin, origin + "-copy", origin + "-wire"]))
        items.append(
            EvidenceItem(
                id=n,
                source=source,
                origin=origin,
                origin_reliability=reliability[origin],
                stance=draw(st.sampled_from(["supports", "contradicts", "neutral"])),
                credibility=draw(st.integers(1, 6)),
                via=draw(st.sampled_from([None, "dnk", "rfa"])),
            )
        )
    return items, reliability


def share(grade: int) -> float:
    return DEFAULT_SETTINGS.credibility_share(grade)


@given(st.floats(0.01, 0.99))
def test_no_evidence_gives_the_prior(prior):
    from claimtrack.settings import Settings

    assert assess([], Settings(prior=prior)).score == round(prior, 4)


@given(evidence_sets(), st.randoms())
def test_the_order_of_items_does_not_matter(data, random):
    items, _ = data
    shuffled = list(items)
    random.shuffle(shuffled)
    assert assess(shuffled).log_odds == assess(items).log_odds


@given(evidence_sets(), st.data())
def test_a_repeated_origin_with_no_better_credibility_never_moves_the_score(data, draw):
    items, reliability = data
    counted = [i for i in items if i.stance != "neutral" and is_credible(i)]
    if not counted:
        return
    model = draw.draw(st.sampled_from(counted))
    same_stance = [i for i in counted if i.origin == model.origin and i.stance == model.stance]
    best = max(share(i.credibility) for i in same_stance)
    grade = draw.draw(st.sampled_from([g for g in CREDIBLE_ITEMS + [5] if share(g) <= best]))
    repeat = EvidenceItem(
        id=999,
        source=draw.draw(st.sampled_from([model.source, model.origin, model.origin + "-new"])),
        origin=model.origin,
        origin_reliability=reliability[model.origin],
        stance=model.stance,
        credibility=grade,
        # Through the channel the origin already reached us by: a new channel for the same
        # origin can lift a single-channel discount (test_one_channel_never_scores_higher).
        via=channel_of(model),
    )
    before, after = assess(items), assess([*items, repeat])
    assert after.log_odds == before.log_odds
    assert after.score == before.score
    assert (after.support_origins, after.contradict_origins) == (
        before.support_origins,
        before.contradict_origins,
    )


@given(evidence_sets(), st.data())
def test_evidence_that_is_not_credible_or_neutral_leaves_it_unchanged(data, draw):
    items, _ = data
    stance = draw.draw(st.sampled_from(["supports", "contradicts", "neutral"]))
    if stance == "neutral":
        reliability = draw.draw(st.sampled_from("ABCDEF"))
        credibility = draw.draw(st.integers(1, 6))
    elif draw.draw(st.booleans()):
        reliability, credibility = "E", draw.draw(st.integers(1, 6))
    else:
        reliability, credibility = draw.draw(st.sampled_from("ABCDEF")), 5
    extra = EvidenceItem(
        id=999,
        source="fresh",
        origin="fresh",
        origin_reliability=reliability,
        stance=stance,
        credibility=credibility,
    )
    assert assess([*items, extra]).log_odds == assess(items).log_odds


@given(
    evidence_sets(),
    st.sampled_from(CREDIBLE_GRADES),
    st.sampled_from(CREDIBLE_ITEMS),
    st.sampled_from(["supports", "contradicts"]),
)
def test_an_independent_credible_origin_moves_it_its_way(data, reliability, credibility, stance):
    items, _ = data
    extra = EvidenceItem(
        id=999,
        source="independent",
        origin="independent",
        origin_reliability=reliability,
        stance=stance,
        credibility=credibility,
    )
    before, after = assess(items), assess([*items, extra])
    if stance == "supports":
        assert after.log_odds > before.log_odds
        assert after.score >= before.score
        assert after.support_origins == before.support_origins + 1
    else:
        assert after.log_odds < before.log_odds
        assert after.score <= before.score
        assert after.contradict_origins == before.contradict_origins + 1


@given(st.sampled_from(CREDIBLE_ITEMS), st.sampled_from(CREDIBLE_GRADES))
def test_cannot_be_judged_counts_weakly_not_as_medium(credibility, reliability):
    assert 0 < origin_weight("F", credibility) < origin_weight("C", credibility)
    assert 0 < origin_weight(reliability, 6) < origin_weight(reliability, 3)


@given(evidence_sets())
@settings(max_examples=200)
def test_score_contributions_and_counts_agree(data):
    items, _ = data
    assessment = assess(items)
    assert 0.0 <= assessment.score <= 1.0
    assert (
        assessment.likelihood == likelihood_term(assessment.score)
        or abs(assessment.score - round(assessment.score, 2)) < 1e-4
    )  # a rounded score may sit on a band's edge
    supports = [c for c in assessment.contributions if c.stance == "supports"]
    contradicts = [c for c in assessment.contributions if c.stance == "contradicts"]
    assert len(supports) == assessment.support_origins
    assert len(contradicts) == assessment.contradict_origins
    assert all(c.weight > 0 for c in supports) and all(c.weight < 0 for c in contradicts)


@given(evidence_sets())
def test_fragility_equals_reassessing_without_the_origin(data):
    from claimtrack.status import fragility

    items, _ = data
    for origin, without in fragility(items).items():
        again = assess([item for item in items if item.origin != origin])
        assert (without.status, without.score, without.likelihood) == (
            again.status,
            again.score,
            again.likelihood,
        )
        assert without.log_odds == again.log_odds
        assert (without.support_origins, without.contradict_origins) == (
            again.support_origins,
            again.contradict_origins,
        )


class OriginWeights:
    """A fitted model's shape: a prior of its own and a weight per origin (some zero)."""

    name = "per origin"

    def __init__(self, prior: float, scale: dict[str, float]) -> None:
        self.prior, self.scale = prior, scale

    def prior_log_odds(self) -> float:
        return self.prior

    def weight(self, origin: str, reliability: str, stance: str, credibility: int) -> float:
        return self.scale[origin] * DEFAULT_SETTINGS.credibility_share(credibility)

    def why(self, origin: str, reliability: str, stance: str) -> str:
        return "fitted"


@given(
    evidence_sets(),
    st.floats(-3, 3),
    st.lists(st.floats(0, 5), min_size=len(ORIGINS), max_size=len(ORIGINS)),
    st.floats(0, 1),
)
@settings(max_examples=300)
def test_fragility_equals_reassessing_with_a_fitted_model(data, prior, scales, discount):
    """Taking an origin away can lift the channel discount of the origins that shared its
    channel: fragility must re-weight them exactly as assess does."""
    from claimtrack.settings import Settings
    from claimtrack.status import fragility

    items, _ = data
    options = Settings(channel_discount=discount)
    weights = OriginWeights(prior, dict(zip(ORIGINS, scales, strict=True)))
    for origin, without in fragility(items, options, weights).items():
        again = assess([item for item in items if item.origin != origin], options, weights)
        assert without.log_odds == again.log_odds
        assert (without.status, without.score, without.likelihood) == (
            again.status,
            again.score,
            again.likelihood,
        )


@given(evidence_sets(), st.sampled_from(["dnk", "rfa", "wire"]))
def test_one_channel_never_scores_higher_than_the_same_support_through_two(data, channel):
    items, _ = data
    one = [
        EvidenceItem(
            id=i.id,
            source=i.source,
            origin=i.origin,
            origin_reliability=i.origin_reliability,
            stance=i.stance,
            credibility=i.credibility,
            via=channel,
        )
        for i in items
    ]
    supporting = [i for i in one if i.stance == "supports" and is_credible(i)]
    if not supporting:
        return
    # The same items, one supporting origin's items moved to a second channel.
    moved = supporting[0].origin
    two = [
        i
        if i.origin != moved or i.stance != "supports"
        else i.__class__(**{**i.__dict__, "via": "other"})
        for i in one
    ]
    single, split = assess(one), assess(two)
    assert single.log_odds <= split.log_odds
    assert single.single_channel == (single.support_origins >= 2)
    assert not split.single_channel or split.support_origins < 2 or len(split.support_channels) == 1


@given(evidence_sets(), st.data())
def test_support_that_shares_a_channel_is_discounted_and_splitting_it_never_lowers_the_score(
    data, draw
):
    """The discount applies to origins that share a channel, not only when all support comes
    through one: moving one origin's support from a channel it shares to a channel of its own
    never lowers the score, and raises it whenever the channel was shared."""
    items, _ = data
    support = [i for i in items if i.stance == "supports" and is_credible(i)]
    channels: dict[str, set[str]] = {}
    for item in support:
        channels.setdefault(item.origin, set()).add(channel_of(item))
    alone = [origin for origin, found in channels.items() if len(found) == 1]
    if not alone:
        return
    moved = draw.draw(st.sampled_from(sorted(alone)))
    (channel,) = channels[moved]
    shared = any(o != moved and found == {channel} for o, found in channels.items())
    split = [
        i.__class__(**{**i.__dict__, "via": "own-channel"})
        if i.origin == moved and i.stance == "supports"
        else i
        for i in items
    ]
    before, after = assess(items), assess(split)
    assert after.log_odds >= before.log_odds - 1e-12
    factor = next(c.channel_factor for c in before.contributions if c.origin == moved)
    assert (factor < 1.0) == shared
    if shared:
        assert after.log_odds > before.log_odds
