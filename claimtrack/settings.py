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


DEFAULT_SETTINGS = Settings()


def load_settings() -> Settings:
    """Defaults, overridden by CLAIMTRACK_<FIELD> environment variables."""
    overrides = {}
    for field in fields(Settings):
        raw = os.environ.get("CLAIMTRACK_" + field.name.upper())
        if raw is None:
            continue
        kind = type(getattr(DEFAULT_SETTINGS, field.name))
        try:
            overrides[field.name] = kind(raw)
        except ValueError:
            from .errors import InvalidValue

            raise InvalidValue("CLAIMTRACK_" + field.name.upper(), raw, f"a {kind.__name__}")
    return replace(DEFAULT_SETTINGS, **overrides) if overrides else DEFAULT_SETTINGS
