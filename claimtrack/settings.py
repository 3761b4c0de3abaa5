"""Tunable rules: status thresholds and score weights, with documented defaults.

Defaults live here and in docs/scoring.md; a user may override any of them in a TOML file
(`claimtrack info` shows where) or with CLAIMTRACK_<NAME> environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class Settings:
    # Status (product.md): corroborated needs this many independent supporting origins,
    # refuted this many contradicting ones.
    corroborated_min_origins: int = 2
    refuted_min_origins: int = 2

    # Score (docs/scoring.md). The prior probability of a claim before any evidence.
    prior: float = 0.5
    # Reliability: the probability one report from an origin of this grade, with an item
    # confirmed by other sources (credibility 1), gives a claim that started at even odds.
    # Its log-odds is the origin's weight. E is never counted (not credible); F (cannot be
    # judged) counts weakly, below D, never as "medium".
    reliability_a: float = 0.90
    reliability_b: float = 0.80
    reliability_c: float = 0.70
    reliability_d: float = 0.60
    reliability_e: float = 0.50
    reliability_f: float = 0.55
    # Credibility: the share of the origin's weight an item of this grade carries. 5 is never
    # counted (not credible); 6 (cannot be judged) counts weakly, below 3, never as "medium".
    credibility_1: float = 1.0
    credibility_2: float = 0.8
    credibility_3: float = 0.5
    credibility_4: float = 0.2
    credibility_5: float = 0.0
    credibility_6: float = 0.3

    # Duplicates (services/duplicates.py): two claims whose content words have at least this
    # Jaccard similarity are shown as likely duplicates by `claim add`, import and
    # `claimtrack duplicates`.
    duplicate_threshold: float = 0.6

    def __post_init__(self) -> None:
        from .errors import InvalidValue

        if not 0.0 < self.prior < 1.0:
            raise InvalidValue("prior", self.prior, "a probability between 0 and 1")
        for grade in "abcdef":
            value = getattr(self, "reliability_" + grade)
            if not 0.5 <= value < 1.0:
                raise InvalidValue(
                    "reliability_" + grade, value, "a probability from 0.5 (no weight) to below 1"
                )
        for grade in range(1, 7):
            value = getattr(self, f"credibility_{grade}")
            if not 0.0 <= value <= 1.0:
                raise InvalidValue(f"credibility_{grade}", value, "a share from 0 to 1")
        if not 0.0 < self.duplicate_threshold <= 1.0:
            raise InvalidValue(
                "duplicate_threshold", self.duplicate_threshold, "a number above 0 and at most 1"
            )

    def reliability_probability(self, grade: str) -> float:
        return getattr(self, "reliability_" + grade.lower())

    def credibility_share(self, grade: int) -> float:
        return getattr(self, f"credibility_{grade}")


DEFAULT_SETTINGS = Settings()


def load_settings() -> Settings:
    """Defaults, overridden by CLAIMTRACK_<FIELD> environment variables. A bad value is
    reported under the variable that set it."""
    from .errors import InvalidValue

    overrides: dict[str, object] = {}
    raw_values: dict[str, str] = {}
    for field in fields(Settings):
        raw = os.environ.get(env_name(field.name))
        if raw is None:
            continue
        kind = type(getattr(DEFAULT_SETTINGS, field.name))
        try:
            overrides[field.name] = kind(raw)
        except ValueError:
            raise InvalidValue(env_name(field.name), raw, f"a {kind.__name__}") from None
        raw_values[field.name] = raw
    if not overrides:
        return DEFAULT_SETTINGS
    try:
        return replace(DEFAULT_SETTINGS, **overrides)
    except InvalidValue as exc:
        if exc.field in raw_values:
            exc.field, exc.value = env_name(exc.field), raw_values[exc.field]
        raise


def env_name(field_name: str) -> str:
    """The environment variable that sets a setting: CLAIMTRACK_<FIELD>."""
    return "CLAIMTRACK_" + field_name.upper()
