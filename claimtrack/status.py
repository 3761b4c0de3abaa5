"""Origins and status: pure functions of a claim's evidence, no database.

An evidence item is credible unless its origin is graded E or the item is graded 5. Items
whose sources share an origin (through derived-from), or share a source, count once. S and X
are the numbers of independent origins with credible supporting and contradicting evidence;
the status follows from them (README, "Status and score").

The score is a probability in log-odds (docs/scoring.md): the prior's log-odds plus, for each
independent origin and stance, the origin's weight (from its reliability) times the share the
best credibility among its credible items carries; supporting origins add, contradicting ones
subtract. Repeating an origin adds nothing; items that are not credible, and neutral items,
add nothing. Where each weight comes from is a `Weights`: the documented grade defaults
(`GradeDefaults`), or a model `claimtrack calibrate` fitted (claimtrack.calibration). Support
that shares a channel is discounted (`channel_factors`), and every standing
carries an analytic confidence beside its likelihood (`assessed_confidence`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

from .settings import DEFAULT_SETTINGS, Settings
from .vocabulary import STATUSES  # noqa: F401 (imported from here by the services)

# The orders a report lists claims in (services/report.py sorts; the CLI offers them).
SORTS = ("key", "status", "score", "last-change", "evidence", "origins")
NOT_CREDIBLE_RELIABILITY = "E"
NOT_CREDIBLE_CREDIBILITY = 5
# ICD 203 expressions of likelihood, from the ends inwards: (below, term, above, term). A
# probability on a boundary takes the term nearer to even chance, so 0.05 is "very unlikely"
# and 0.95 "very likely"; between 0.45 and 0.55 is "roughly even chance".
LIKELIHOOD_BANDS = (
    (0.05, "almost no chance", 0.95, "almost certain"),
    (0.20, "very unlikely", 0.80, "very likely"),
    (0.45, "unlikely", 0.55, "likely"),
)


@dataclass(frozen=True)
class EvidenceItem:
    """What status needs to know about one evidence item."""

    id: int
    source: str
    origin: str
    origin_reliability: str
    stance: str
    credibility: int
    via: str | None = None  # the first source that passed it on (hop 1 of the via chain)
    relays: tuple[str, ...] = ()  # hops 2, 3, ... of the via chain, in order
    # What reports and explain show beside the numbers; status and score never read them.
    source_name: str | None = field(default=None, compare=False)
    quote: str | None = field(default=None, compare=False)
    url: str | None = field(default=None, compare=False)
    observed: str | None = field(default=None, compare=False)


def via_chain(item: EvidenceItem) -> tuple[str, ...]:
    """Who passed the item on, in order from its source towards the user."""
    return (item.via, *item.relays) if item.via else item.relays


def channel_of(item: EvidenceItem) -> str:
    """The channel an item reached the user through: the first source that passed it on, or
    its own source when nobody did.

    The first relay is the one who heard it from the source: if they misheard or made it up,
    everything after them repeats that. Later hops (the outlet that printed what the informant
    said) are usually shared by a whole collection, so counting them would fold independent
    informants into one; `explain` shows the whole chain beside the channel.
    """
    return item.via or item.source


def channel_factor(sharing: int, settings: Settings) -> float:
    """The share of its weight each of `sharing` supporting origins that reach the user through
    one channel keeps: the first counts fully, each further one `channel_discount` of a full
    one. If the channel is wrong, every item it passed on is."""
    if sharing < 2:
        return 1.0
    return (1.0 + settings.channel_discount * (sharing - 1)) / sharing


MIXED_CHANNELS = object()  # an origin whose support reached the user through several channels


def channel_factors(channel_of_origin: dict, settings: Settings) -> dict:
    """Per supporting origin, the share of its weight it keeps: `channel_factor` of the number
    of supporting origins whose support all came through the same channel as its own. An
    origin heard through several channels (MIXED_CHANNELS) depends on none of them alone and
    keeps its whole weight. So support through one channel never scores higher than the same
    support spread over two (docs/scoring.md, "One channel")."""
    sharing: dict = {}
    for channel in channel_of_origin.values():
        if channel is not MIXED_CHANNELS:
            sharing[channel] = sharing.get(channel, 0) + 1
    return {
        origin: 1.0 if channel is MIXED_CHANNELS else channel_factor(sharing[channel], settings)
        for origin, channel in channel_of_origin.items()
    }


def is_single_channel(support_origins: int, channels: int) -> bool:
    return support_origins >= 2 and channels == 1


def is_credible(item: EvidenceItem) -> bool:
    return (
        item.origin_reliability != NOT_CREDIBLE_RELIABILITY
        and item.credibility != NOT_CREDIBLE_CREDIBILITY
    )


def status_for(
    support_origins: int, contradict_origins: int, settings: Settings = DEFAULT_SETTINGS
) -> str:
    s, x = support_origins, contradict_origins
    if s >= 1 and x >= 1:
        return "contested"
    if x == 0:
        return "corroborated" if s >= settings.corroborated_min_origins else "unverified"
    return "refuted" if x >= settings.refuted_min_origins else "disputed"


def status_rule(
    support_origins: int, contradict_origins: int, settings: Settings = DEFAULT_SETTINGS
) -> str:
    """The row of the status table that fires, in words (for explain)."""
    c, r = settings.corroborated_min_origins, settings.refuted_min_origins
    return {
        "unverified": f"S ≤ {c - 1} and X = 0",
        "corroborated": f"S ≥ {c} and X = 0",
        "contested": "S ≥ 1 and X ≥ 1",
        "refuted": f"S = 0 and X ≥ {r}",
        "disputed": f"S = 0 and 1 ≤ X ≤ {r - 1}",
    }[status_for(support_origins, contradict_origins, settings)]


def likelihood_term(probability: float) -> str:
    """The ICD 203 term for a probability: 0.5 is "roughly even chance"."""
    for below, low_term, above, high_term in LIKELIHOOD_BANDS:
        if probability < below:
            return low_term
        if probability > above:
            return high_term
    return "roughly even chance"


def logit(probability: float) -> float:
    return math.log(probability / (1.0 - probability))


def origin_weight(
    reliability: str, credibility: int, settings: Settings = DEFAULT_SETTINGS
) -> float:
    """How far (in log-odds) one origin of this reliability, whose best item has this
    credibility, moves a claim; zero when the evidence is not credible."""
    if reliability == NOT_CREDIBLE_RELIABILITY or credibility == NOT_CREDIBLE_CREDIBILITY:
        return 0.0
    return logit(settings.reliability_probability(reliability)) * settings.credibility_share(
        credibility
    )


class Weights(Protocol):
    """Where the score's numbers come from: the prior and each origin's term."""

    name: str

    def prior_log_odds(self) -> float: ...

    def weight(self, origin: str, reliability: str, stance: str, credibility: int) -> float:
        """The unsigned log-odds one origin with this grade, stance and best credibility
        carries (before any channel discount); 0 when not credible."""
        ...

    def why(self, origin: str, reliability: str, stance: str) -> str:
        """Where that weight came from, in words (for explain)."""
        ...


class GradeDefaults:
    """The documented defaults: weight = logit(p[reliability]) × share[credibility]."""

    name = "grade defaults"

    def __init__(self, settings: Settings = DEFAULT_SETTINGS) -> None:
        self.settings = settings

    def prior_log_odds(self) -> float:
        return logit(self.settings.prior)

    def weight(self, origin: str, reliability: str, stance: str, credibility: int) -> float:
        return origin_weight(reliability, credibility, self.settings)

    def why(self, origin: str, reliability: str, stance: str) -> str:
        return f"grade default for {reliability} (docs/scoring.md)"


def _sigmoid(log_odds: float) -> float:
    if log_odds < -700:
        return 0.0
    return 1.0 / (1.0 + math.exp(-log_odds))


# An 80% interval: ±1.2816 standard deviations of a normal.
INTERVAL_Z = 1.2816


def assessed_confidence(
    support_origins: int,
    contradict_origins: int,
    channels: int,
    log_odds: float,
    weights: list[float],
    ungraded_share: float,
) -> tuple[str, float, float]:
    """Analytic confidence (ICD 203: kept apart from likelihood) and an 80% interval on the
    probability, from the evidence base alone (docs/scoring.md, "Confidence")."""
    origins = support_origins + contradict_origins
    # Each term may be off by half its size, and an origin not yet recorded could move the
    # claim by about one log-odds unit, less the more origins already speak to it.
    spread = INTERVAL_Z * math.sqrt(0.25 * math.fsum([w * w for w in weights]) + 1 / (1 + origins))
    low, high = _sigmoid(log_odds - spread), _sigmoid(log_odds + spread)
    width = high - low
    if (
        origins < 2
        or (support_origins >= 2 and channels == 1)
        or ungraded_share >= 0.75
        or width > 0.5
    ):
        term = "low"
    elif origins >= 3 and ungraded_share < 0.25 and width <= 0.3 and channels != 1:
        term = "high"
    else:
        term = "moderate"
    return term, round(low, 4), round(high, 4)


class Standing(NamedTuple):
    """Where a claim stands, from S, X and its origins' signed weights."""

    status: str
    support_origins: int
    contradict_origins: int
    log_odds: float  # unrounded: the prior's log-odds plus every weight
    score: float  # the probability, rounded to 4 places
    likelihood: str
    single_channel: bool = False
    assessed_confidence: str = "low"
    interval: tuple[float, float] = (0.0, 1.0)

    @classmethod
    def of(
        cls,
        support_origins: int,
        contradict_origins: int,
        weights: Iterable[float],
        settings: Settings = DEFAULT_SETTINGS,
        *,
        prior_log_odds: float | None = None,
        channels: int = 0,
        ungraded: float = 0.0,
    ) -> Standing:
        """`weights` are the signed terms (after any channel discount); `ungraded` is the
        part of their absolute total resting on ungraded origins (F) or items (6)."""
        weights = weights if isinstance(weights, list) else list(weights)
        prior = logit(settings.prior) if prior_log_odds is None else prior_log_odds
        # fsum: the total does not depend on the order the origins were met in.
        log_odds = math.fsum([prior, *weights])
        return cls.at(
            support_origins,
            contradict_origins,
            log_odds,
            settings,
            channels=channels,
            weights=weights,
            ungraded=ungraded,
        )

    @classmethod
    def at(
        cls,
        support_origins: int,
        contradict_origins: int,
        log_odds: float,
        settings: Settings = DEFAULT_SETTINGS,
        *,
        channels: int = 0,
        weights: Iterable[float] = (),
        ungraded: float = 0.0,
    ) -> Standing:
        probability = _sigmoid(log_odds)
        weights = weights if isinstance(weights, list) else list(weights)
        total = math.fsum([abs(w) for w in weights]) if ungraded else 1.0
        share = ungraded / total if total > 0 else 1.0
        if not weights:
            share = 1.0
        confidence, low, high = assessed_confidence(
            support_origins, contradict_origins, channels, log_odds, weights, share
        )
        return cls(
            status_for(support_origins, contradict_origins, settings),
            support_origins,
            contradict_origins,
            log_odds,
            round(probability, 4),
            likelihood_term(probability),
            is_single_channel(support_origins, channels),
            confidence,
            (low, high),
        )


@dataclass(frozen=True)
class Contribution:
    """One independent origin's part in the score, for one stance."""

    origin: str
    stance: str
    reliability: str
    credibility: int  # the best credibility among the origin's credible items
    weight: float  # signed log-odds: positive supports, negative contradicts
    items: tuple[EvidenceItem, ...]
    channel_factor: float = 1.0  # the single-channel discount already in `weight`
    why: str = ""  # where the weight came from

    @property
    def ungraded(self) -> bool:
        return self.reliability == "F" or self.credibility == 6


@dataclass
class Assessment:
    status: str
    support_origins: int
    contradict_origins: int
    # origin key -> the credible items that were folded together under it, per stance
    supporting: dict[str, list[EvidenceItem]] = field(default_factory=dict)
    contradicting: dict[str, list[EvidenceItem]] = field(default_factory=dict)
    not_credible: list[EvidenceItem] = field(default_factory=list)
    neutral: list[EvidenceItem] = field(default_factory=list)
    support_channels: set[str] = field(default_factory=set)
    prior: float = DEFAULT_SETTINGS.prior
    log_odds: float = 0.0  # unrounded: the prior's log-odds plus every contribution
    score: float = DEFAULT_SETTINGS.prior  # the probability, rounded to 4 places
    likelihood: str = "roughly even chance"
    contributions: list[Contribution] = field(default_factory=list)
    model: str = GradeDefaults.name
    single_channel: bool = False
    assessed_confidence: str = "low"
    interval: tuple[float, float] = (0.0, 1.0)

    @property
    def standing(self) -> Standing:
        return Standing(
            self.status,
            self.support_origins,
            self.contradict_origins,
            self.log_odds,
            self.score,
            self.likelihood,
            self.single_channel,
            self.assessed_confidence,
            self.interval,
        )

    @property
    def evidence_count(self) -> int:
        return (
            sum(len(c.items) for c in self.contributions)
            + len(self.not_credible)
            + len(self.neutral)
        )


def _contribution(
    origin: str,
    stance: str,
    items: list[EvidenceItem],
    settings: Settings,
    weights: Weights,
    factor: float,
) -> Contribution:
    best = max(items, key=lambda item: settings.credibility_share(item.credibility))
    weight = weights.weight(origin, best.origin_reliability, stance, best.credibility) * factor
    return Contribution(
        origin=origin,
        stance=stance,
        reliability=best.origin_reliability,
        credibility=best.credibility,
        weight=weight if stance == "supports" else -weight,
        items=tuple(items),
        channel_factor=factor,
        why=weights.why(origin, best.origin_reliability, stance),
    )


def assess(
    items: Iterable[EvidenceItem],
    settings: Settings = DEFAULT_SETTINGS,
    weights: Weights | None = None,
) -> Assessment:
    supporting: dict[str, list[EvidenceItem]] = {}
    contradicting: dict[str, list[EvidenceItem]] = {}
    not_credible: list[EvidenceItem] = []
    neutral: list[EvidenceItem] = []
    channels: set[str] = set()
    channel_of_origin: dict[str, object] = {}
    for item in items:
        if item.stance == "neutral":
            neutral.append(item)
        elif not is_credible(item):
            not_credible.append(item)
        elif item.stance == "supports":
            supporting.setdefault(item.origin, []).append(item)
            channel = channel_of(item)
            channels.add(channel)
            if channel_of_origin.setdefault(item.origin, channel) != channel:
                channel_of_origin[item.origin] = MIXED_CHANNELS
        else:
            contradicting.setdefault(item.origin, []).append(item)
    s, x = len(supporting), len(contradicting)
    weights = weights or GradeDefaults(settings)
    factors = channel_factors(channel_of_origin, settings)
    contributions = [
        _contribution(o, "supports", i, settings, weights, factors[o])
        for o, i in supporting.items()
    ]
    contributions += [
        _contribution(o, "contradicts", i, settings, weights, 1.0) for o, i in contradicting.items()
    ]
    standing = Standing.of(
        s,
        x,
        [c.weight for c in contributions],
        settings,
        prior_log_odds=weights.prior_log_odds(),
        channels=len(channels),
        ungraded=math.fsum(abs(c.weight) for c in contributions if c.ungraded),
    )
    return Assessment(
        status=standing.status,
        support_origins=s,
        contradict_origins=x,
        supporting=supporting,
        contradicting=contradicting,
        not_credible=not_credible,
        neutral=neutral,
        support_channels=channels,
        prior=settings.prior,
        log_odds=standing.log_odds,
        score=standing.score,
        likelihood=standing.likelihood,
        contributions=contributions,
        model=weights.name,
        single_channel=standing.single_channel,
        assessed_confidence=standing.assessed_confidence,
        interval=standing.interval,
    )


@dataclass(frozen=True)
class Without:
    """A claim's standing with every item of one origin taken away."""

    origin: str
    status: str
    support_origins: int
    contradict_origins: int
    log_odds: float
    score: float
    likelihood: str


def fragility(
    items: Iterable[EvidenceItem],
    settings: Settings = DEFAULT_SETTINGS,
    weights: Weights | None = None,
) -> dict[str, Without]:
    """For each origin with credible evidence: the standing without any of its items.

    The origins whose removal changes the status are the ones a conclusion hangs on. Taking
    an origin away removes its terms and its counts, and can lift part of the single-channel
    discount from the origins that shared its channel: those are re-weighted as `assess`
    would weight them without it. Linear in the number of items (the 5,000-item claim has
    ~900 origins; re-assessing without each was quadratic); equal to re-assessing without the
    origin, to the last bit of the log-odds (the property tests check that).
    """
    items = list(items)
    weights = weights or GradeDefaults(settings)
    assessment = assess(items, settings, weights)
    channel_of_origin: dict[str, object] = {}
    for item in items:
        if item.stance == "supports" and is_credible(item):
            channel = channel_of(item)
            if channel_of_origin.setdefault(item.origin, channel) != channel:
                channel_of_origin[item.origin] = MIXED_CHANNELS
    by_origin: dict[str, list[Contribution]] = {}
    members: dict[object, list[Contribution]] = {}  # supporting origins by their one channel
    for contribution in assessment.contributions:
        by_origin.setdefault(contribution.origin, []).append(contribution)
        channel = channel_of_origin.get(contribution.origin)
        if contribution.stance == "supports" and channel is not MIXED_CHANNELS:
            members.setdefault(channel, []).append(contribution)
    # Per shared channel, each member's term as `assess` would round it with one member fewer
    # (base weight times the factor), and the exact sum of (that term - its term now).
    fewer: dict[str, float] = {}
    regroup: dict[object, list[float]] = {}
    for channel, group in members.items():
        if len(group) < 2:
            continue
        factor = channel_factor(len(group) - 1, settings)
        for c in group:
            fewer[c.origin] = (
                weights.weight(c.origin, c.reliability, "supports", c.credibility) * factor
            )
        regroup[channel] = _exact_partials(
            [*(fewer[c.origin] for c in group), *(-c.weight for c in group)]
        )
    # The exact sum of every term, as a few non-overlapping floats: adding the changes gives
    # exactly the sum `assess` would take without the origin, which fsum rounds as it would
    # have (the same float), without summing every other origin again for each origin.
    total = _exact_partials(
        [weights.prior_log_odds(), *(c.weight for c in assessment.contributions)]
    )
    result = {}
    for origin, parts in by_origin.items():
        s = assessment.support_origins - sum(1 for c in parts if c.stance == "supports")
        x = assessment.contradict_origins - sum(1 for c in parts if c.stance == "contradicts")
        if origin in fewer:
            # Its channel mates move to the factor of one member fewer; its own term, at that
            # factor, goes (the regrouped sum counted it).
            change = [-c.weight for c in parts if c.stance == "contradicts"]
            change += [*regroup[channel_of_origin[origin]], -fewer[origin]]
        else:
            change = [-c.weight for c in parts]
        standing = Standing.at(s, x, math.fsum([*total, *change]), settings)
        result[origin] = Without(
            origin=origin,
            status=standing.status,
            support_origins=s,
            contradict_origins=x,
            log_odds=standing.log_odds,
            score=standing.score,
            likelihood=standing.likelihood,
        )
    return result


def _exact_partials(values: Iterable[float]) -> list[float]:
    """Shewchuk's non-overlapping partial sums (the recipe math.fsum is built on): floats whose
    exact sum is exactly the sum of `values`."""
    partials: list[float] = []
    for x in values:
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            high = x + y
            low = y - (high - x)
            if low:
                partials[i] = low
                i += 1
            x = high
        partials[i:] = [x]
    return partials
