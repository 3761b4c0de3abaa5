"""Origins and status: pure functions of a claim's evidence, no database.

An evidence item is credible unless its origin is graded E or the item is graded 5. Items
whose sources share an origin (through derived-from), or share a source, count once. S and X
are the numbers of independent origins with credible supporting and contradicting evidence;
the status follows from them (README, "Status and score").

The score is a probability in log-odds (docs/scoring.md): the prior's log-odds plus, for each
independent origin and stance, the origin's weight (from its reliability) times the share the
best credibility among its credible items carries; supporting origins add, contradicting ones
subtract. Repeating an origin adds nothing; items that are not credible, and neutral items,
add nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .settings import DEFAULT_SETTINGS, Settings

STATUSES = ("unverified", "corroborated", "contested", "disputed", "refuted")
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


class Standing(NamedTuple):
    """Where a claim stands, from S, X and its origins' signed weights."""

    status: str
    support_origins: int
    contradict_origins: int
    log_odds: float  # unrounded: the prior's log-odds plus every weight
    score: float  # the probability, rounded to 4 places
    likelihood: str

    @classmethod
    def of(
        cls,
        support_origins: int,
        contradict_origins: int,
        weights: Iterable[float],
        settings: Settings = DEFAULT_SETTINGS,
    ) -> Standing:
        # fsum: the total does not depend on the order the origins were met in.
        log_odds = math.fsum([logit(settings.prior), *weights])
        return cls.at(support_origins, contradict_origins, log_odds, settings)

    @classmethod
    def at(
        cls,
        support_origins: int,
        contradict_origins: int,
        log_odds: float,
        settings: Settings = DEFAULT_SETTINGS,
    ) -> Standing:
        probability = 1.0 / (1.0 + math.exp(-log_odds))
        return cls(
            status_for(support_origins, contradict_origins, settings),
            support_origins,
            contradict_origins,
            log_odds,
            round(probability, 4),
            likelihood_term(probability),
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

    @property
    def standing(self) -> Standing:
        return Standing(
            self.status,
            self.support_origins,
            self.contradict_origins,
            self.log_odds,
            self.score,
            self.likelihood,
        )

    @property
    def evidence_count(self) -> int:
        return (
            sum(len(c.items) for c in self.contributions)
            + len(self.not_credible)
            + len(self.neutral)
        )


def _contribution(
    origin: str, stance: str, items: list[EvidenceItem], settings: Settings
) -> Contribution:
    best = max(items, key=lambda item: settings.credibility_share(item.credibility))
    weight = origin_weight(best.origin_reliability, best.credibility, settings)
    return Contribution(
        origin=origin,
        stance=stance,
        reliability=best.origin_reliability,
        credibility=best.credibility,
        weight=weight if stance == "supports" else -weight,
        items=tuple(items),
    )


def assess(items: Iterable[EvidenceItem], settings: Settings = DEFAULT_SETTINGS) -> Assessment:
    supporting: dict[str, list[EvidenceItem]] = {}
    contradicting: dict[str, list[EvidenceItem]] = {}
    not_credible: list[EvidenceItem] = []
    neutral: list[EvidenceItem] = []
    channels: set[str] = set()
    for item in items:
        if item.stance == "neutral":
            neutral.append(item)
        elif not is_credible(item):
            not_credible.append(item)
        elif item.stance == "supports":
            supporting.setdefault(item.origin, []).append(item)
            channels.add(channel_of(item))
        else:
            contradicting.setdefault(item.origin, []).append(item)
    s, x = len(supporting), len(contradicting)
    contributions = [_contribution(o, "supports", i, settings) for o, i in supporting.items()]
    contributions += [
        _contribution(o, "contradicts", i, settings) for o, i in contradicting.items()
    ]
    standing = Standing.of(s, x, [c.weight for c in contributions], settings)
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
    items: Iterable[EvidenceItem], settings: Settings = DEFAULT_SETTINGS
) -> dict[str, Without]:
    """For each origin with credible evidence: the standing without any of its items.

    The origins whose removal changes the status are the ones a conclusion hangs on. Taking
    an origin away removes its terms and its count from S and X and nothing else, so this is
    linear in the number of items (equal to re-assessing without it; the tests check that).
    """
    assessment = assess(items, settings)
    by_origin: dict[str, list[Contribution]] = {}
    for contribution in assessment.contributions:
        by_origin.setdefault(contribution.origin, []).append(contribution)
    # The exact sum of every term, as a few non-overlapping floats: adding the negated weights
    # of one origin gives exactly the sum of the others, which fsum rounds as it would have
    # rounded them (the same float), without summing all other origins again for each origin.
    total = _exact_partials([logit(settings.prior), *(c.weight for c in assessment.contributions)])
    result = {}
    for origin, parts in by_origin.items():
        s = assessment.support_origins - sum(1 for c in parts if c.stance == "supports")
        x = assessment.contradict_origins - sum(1 for c in parts if c.stance == "contradicts")
        standing = Standing.at(s, x, math.fsum([*total, *(-c.weight for c in parts)]), settings)
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
