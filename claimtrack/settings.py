"""Tunable rules: status thresholds and score weights, with documented defaults.

Each setting comes from, in rising order: its default here (and in docs/scoring.md), the
TOML settings file (`claimtrack info` shows its path: $CLAIMTRACK_SETTINGS, else
settings.toml in the user config directory), a CLAIMTRACK_<NAME> environment variable, and
a command's own option (`duplicates --threshold`). A command loads and checks them once
(`settings_scope`); `claimtrack info` shows each value and where it came from, and reports
record the values that produced their scores.

    # settings.toml
    corroborated_min_origins = 3
    reliability_f = 0.52
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

ENV_SETTINGS = "CLAIMTRACK_SETTINGS"
# The scoring scheme the weights belong to (docs/scoring.md), recorded in every report.
SCORING_MODEL = "log-odds by independent origin"


@dataclass(frozen=True)
class Settings:
    # Status (README, "Status and score"): corroborated needs this many independent supporting origins,
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

    # Channels: when two or more supporting origins all reach us through one channel, the
    # first counts fully and each further one this share of a full origin (docs/scoring.md).
    channel_discount: float = 0.5
    # Calibration (claimtrack calibrate): how many verdicted claims a source's record counts as
    # before its own (shrunk toward its grade); the folds a claim's own verdict is kept out by.
    source_shrinkage: float = 10.0
    calibration_folds: int = 10

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
        if not 0.0 <= self.channel_discount <= 1.0:
            raise InvalidValue(
                "CLAIMTRACK_CHANNEL_DISCOUNT", self.channel_discount, "a share from 0 to 1"
            )
        if self.source_shrinkage <= 0:
            raise InvalidValue(
                "CLAIMTRACK_SOURCE_SHRINKAGE", self.source_shrinkage, "a number above 0"
            )
        if self.calibration_folds < 2:
            raise InvalidValue(
                "CLAIMTRACK_CALIBRATION_FOLDS", self.calibration_folds, "a whole number from 2"
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


def settings_path() -> Path:
    """The TOML settings file: $CLAIMTRACK_SETTINGS, else the user config directory's."""
    given = os.environ.get(ENV_SETTINGS)
    if given:
        return Path(given).expanduser()
    from platformdirs import user_config_path

    return user_config_path("claimtrack", appauthor=False) / "settings.toml"


def env_name(field_name: str) -> str:
    """The environment variable that sets a setting: CLAIMTRACK_<FIELD>."""
    return "CLAIMTRACK_" + field_name.upper()


@dataclass(frozen=True)
class LoadedSettings:
    """The effective settings and, per field, where its value came from: "default",
    "<path>" (the settings file) or the environment variable's name."""

    settings: Settings
    origins: dict[str, str]
    path: Path

    def as_dict(self) -> dict[str, Any]:
        values = asdict(self.settings)
        return {name: {"value": values[name], "from": self.origins[name]} for name in values}


def load() -> LoadedSettings:
    """Defaults < settings file < environment, each value checked; a bad one is reported
    under the name that set it (the file's key with its path, or the variable)."""
    from .errors import InvalidValue

    path = settings_path()
    given: dict[str, tuple[object, str, str]] = {}  # field -> (raw value, origin, its name)
    for name, raw in _read_file(path).items():
        given[name] = (raw, str(path), f"{name} in {path}")
    for field in fields(Settings):
        raw = os.environ.get(env_name(field.name))
        if raw is not None:
            given[field.name] = (raw, env_name(field.name), env_name(field.name))
    overrides: dict[str, object] = {}
    for name, (raw, _, shown) in given.items():
        kind = type(getattr(DEFAULT_SETTINGS, name))
        if isinstance(raw, bool) or not isinstance(raw, str | int | float):
            raise InvalidValue(shown, raw, f"a {kind.__name__}")
        try:
            overrides[name] = kind(raw)
        except ValueError:
            raise InvalidValue(shown, raw, f"a {kind.__name__}") from None
        if kind is int and overrides[name] != raw and not isinstance(raw, str):
            raise InvalidValue(shown, raw, "a whole number")
    try:
        settings = replace(DEFAULT_SETTINGS, **overrides) if overrides else DEFAULT_SETTINGS
    except InvalidValue as exc:
        if exc.field in given:
            exc.value, _, exc.field = given[exc.field]
        raise
    origins = {field.name: "default" for field in fields(Settings)}
    origins.update({name: origin for name, (_, origin, _) in given.items()})
    return LoadedSettings(settings, origins, path)


def _read_file(path: Path) -> dict[str, Any]:
    from .errors import InvalidValue

    if not path.is_file():
        return {}
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidValue(str(path), str(exc).splitlines()[0], "a TOML settings file") from None
    known = {field.name for field in fields(Settings)}
    for name in data:
        if name not in known:
            raise InvalidValue(f"{name} in {path}", data[name], "one of " + ", ".join(known))
    return data


_scope: ContextVar[list[LoadedSettings] | None] = ContextVar("claimtrack_settings", default=None)


@contextmanager
def settings_scope() -> Iterator[None]:
    """Within it (one command), settings are read and checked once, on first use."""
    token = _scope.set([])
    try:
        yield
    finally:
        _scope.reset(token)


def loaded_settings() -> LoadedSettings:
    """The settings with their origins: once per settings_scope, else read anew."""
    cached = _scope.get()
    if cached is None:
        return load()
    if not cached:
        cached.append(load())
    return cached[0]


def scoring_record() -> dict[str, Any]:
    """What a report records of how it scored: the model, every setting's value, and where
    each value that is not the default came from, so two reports can be compared."""
    loaded = loaded_settings()
    return {
        "model": SCORING_MODEL,
        "settings": asdict(loaded.settings),
        "settings_from": {k: v for k, v in loaded.origins.items() if v != "default"},
    }


def load_settings() -> Settings:
    """The effective settings (see loaded_settings)."""
    return loaded_settings().settings
