"""The words a user types for a grade, a stance, a verdict or a status, declared once.

Nothing is imported here, so shell completion can offer these values without loading the
schema (models.py and status.py take them from here).
"""

from __future__ import annotations

RELIABILITY_GRADES = "ABCDEF"
CREDIBILITY_GRADES = (1, 2, 3, 4, 5, 6)
STANCES = ("supports", "contradicts", "neutral")
VERDICTS = ("confirmed", "debunked")
CONFIDENCES = ("low", "moderate", "high")
LINK_RELATIONS = ("supports", "contradicts")
STATUSES = ("unverified", "corroborated", "contested", "disputed", "refuted")


def counted(number: int, noun: str) -> str:
    """A number with its noun, plural unless one: `1 link`, `3 evidence items`,
    `100,000 records`."""
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
