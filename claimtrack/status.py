"""Origins and status: pure functions of a claim's evidence, no database.

An evidence item is credible unless its origin is graded E or the item is graded 5. Items
whose sources share an origin (through derived-from), or share a source, count once. S and X
are the numbers of independent origins with credible supporting and contradicting evidence;
the status follows from them (product.md, "Status").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .settings import DEFAULT_SETTINGS, Settings

STATUSES = ("unverified", "corroborated", "contested", "disputed", "refuted")
NOT_CREDIBLE_RELIABILITY = "E"
NOT_CREDIBLE_CREDIBILITY = 5


@dataclass(frozen=True)
class EvidenceItem:
    """What status needs to know about one evidence item."""

    id: int
    source: str
    origin: str
    origin_reliability: str
    stance: str
    credibility: int
    via: str | None = None


def is_credible(item: EvidenceItem) -> bool:
    return (
        item.origin_reliability != NOT_CREDIBLE_RELIABILITY
        and item.credibility != NOT_CREDIBLE_CREDIBILITY
    )


def status_for(support_origins: int, contradict_origins: int, settings: Settings = DEFAULT_SETTINGS) -> str:
    s, x = support_origins, contradict_origins
    if s >= 1 and x >= 1:
        return "contested"
    if x == 0:
        return "corroborated" if s >= settings.corroborated_min_origins else "unverified"
    return "refuted" if x >= settings.refuted_min_origins else "disputed"


def status_rule(support_origins: int, contradict_origins: int, settings: Settings = DEFAULT_SETTINGS) -> str:
    """The row of the status table that fires, in words (for explain)."""
    c, r = settings.corroborated_min_origins, settings.refuted_min_origins
    return {
        "unverified": f"S ≤ {c - 1} and X = 0",
        "corroborated": f"S ≥ {c} and X = 0",
        "contested": "S ≥ 1 and X ≥ 1",
        "refuted": f"S = 0 and X ≥ {r}",
        "disputed": f"S = 0 and 1 ≤ X ≤ {r - 1}",
    }[status_for(support_origins, contradict_origins, settings)]


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
            # An item with no via reached the user directly from its own source.
            channels.add(item.via or item.source)
        else:
            contradicting.setdefault(item.origin, []).append(item)
    s, x = len(supporting), len(contradicting)
    return Assessment(
        status=status_for(s, x, settings),
        support_origins=s,
        contradict_origins=x,
        supporting=supporting,
        contradicting=contradicting,
        not_credible=not_credible,
        neutral=neutral,
        support_channels=channels,
    )
