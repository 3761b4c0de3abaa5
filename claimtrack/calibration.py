"""Calibrating the score on agreement and on the team's verdicts: pure functions, no database.

The score stays a sum of per-origin log-odds terms (claimtrack.status); a model only changes
where each term's weight comes from (docs/scoring.md, "Calibration"):

1. **Agreement** (no verdicts needed): a pooled Dawid–Skene model fitted by EM over every
   claim. Each reliability grade g has P(supports | true) and P(supports | false) among its
   origins' non-neutral stances; the weight of a supporting origin is ln(P(s|T) / P(s|F)), of
   a contradicting one ln(P(x|T) / P(x|F)), so support and contradiction weigh differently.
   The base rate is fitted too. A grade with few origins stays near its documented default
   (Beta pseudo-counts centred on it).
2. **Verdicts** (claims marked confirmed = true, debunked = false): a logistic regression of
   the verdicts on the agreement terms fits the base rate and a scale (so probabilities are
   calibrated), and each origin's own record on verdicted claims (how often its stance agreed
   with the verdict) moves its weight, shrunk toward its grade: an origin with n verdicted
   claims counts as n against `source_shrinkage` claims at its grade's rate.
3. **Leaving a claim's own verdict out**: a claim that had a verdict when the model was fitted
   is scored by the fit on every other verdict (leave-one-out; beyond `LEAVE_ONE_OUT_LIMIT`
   verdicts, by the fit on the other `calibration_folds` folds); every other claim by the fit
   on all of them. Giving a claim a verdict and refitting therefore leaves its score as it was.

Everything here is a few passes over the claims' terms: no numpy, the data is small (fits run
over verdicted claims; the EM over origins, a handful of numbers per grade).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import values
from .errors import InvalidValue
from .settings import DEFAULT_SETTINGS, Settings
from .status import NOT_CREDIBLE_RELIABILITY, GradeDefaults, logit
from .vocabulary import VERDICTS

# Which verdicts mean true (1) and false (0): `calibrate --verdict-map true=confirmed,...`.
DEFAULT_VERDICT_MAP: Mapping[str, int] = {"confirmed": 1, "debunked": 0}
GRADES = "ABCDF"  # E is never counted
GRADE_WORDS = {
    "A": "completely reliable (A) sources",
    "B": "usually reliable (B) sources",
    "C": "fairly reliable (C) sources",
    "D": "not usually reliable (D) sources",
    "F": "ungraded (F) sources",
}
STANCE_WORDS = {"supports": "supporting", "contradicts": "contradicting"}
# Pseudo-observations behind each grade's documented default in the agreement fit.
DEFAULT_STRENGTH = 2.0
# Pseudo-claims at the `prior` setting behind the fitted base rate: a handful of claims, all
# supported, must not make every claim "likely" before any evidence.
BASE_STRENGTH = 10.0
# The prior on the verdict fit's three numbers (base log-odds, scale, source factor): a
# standard normal around the agreement model, so a few verdicts barely move it.
FIT_PRIOR_PRECISION = 3.0
# The prior on each grade's and stance's own departure from that common scale: normal around
# 0, its precision what the agreement of every claim says about that grade and stance, counted
# as GRADE_PRIOR_WEIGHT of what verdicts on all of them would (`grade_precision`), and at
# least GRADE_PRIOR_PRECISION: a grade and stance keeps its agreement weight (times the common
# scale) until many verdicts disagree with it.
GRADE_PRIOR_WEIGHT = 1.0
GRADE_PRIOR_PRECISION = 10.0
EM_ITERATIONS = 200
# Bumped when the fitting method changes, so a refit after an upgrade is not "nothing new".
METHOD = 2
# Up to this many verdicts, each verdicted claim gets its own fit without its verdict (one
# small logistic fit per claim: quadratic, a few seconds at this size); beyond, the verdicts
# are split into folds.
LEAVE_ONE_OUT_LIMIT = 400


class Term(NamedTuple):
    """One independent origin's part in a claim, as the fit sees it."""

    origin: str
    reliability: str
    stance: str  # supports | contradicts
    credibility: int  # of its best item
    factor: float  # the single-channel discount


@dataclass(frozen=True)
class ClaimData:
    id: int
    terms: tuple[Term, ...]
    truth: int | None  # 1 true, 0 false, None no verdict


def truth_of(
    verdict: str | None, verdict_map: Mapping[str, int] = DEFAULT_VERDICT_MAP
) -> int | None:
    """1 (true), 0 (false) or None (the verdict is not used) for a claim's verdict."""
    return verdict_map.get(verdict) if verdict is not None else None


def parse_verdict_map(text: str | None) -> dict[str, int]:
    """`calibrate --verdict-map true=confirmed,false=debunked` (import's WORD=VERDICT form,
    the words being true and false) -> {'confirmed': 1, 'debunked': 0}; a verdict on neither
    side is left out of the fit. Empty: the default map."""
    if not (text or "").strip():
        return dict(DEFAULT_VERDICT_MAP)
    expected = "true=VERDICT and false=VERDICT pairs, e.g. true=confirmed,false=debunked"
    result: dict[str, int] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        word, sep, verdict = item.partition("=")
        word = word.strip().lower()
        if not sep or word not in ("true", "false"):
            raise InvalidValue("verdict_map", item, expected)
        checked = values.verdict(verdict, field="verdict_map")
        if checked is None:
            raise InvalidValue("verdict_map", item, "a verdict: " + ", ".join(VERDICTS))
        truth = int(word == "true")
        if result.get(checked, truth) != truth:
            raise InvalidValue("verdict_map", text, f"{checked} on one side only")
        result[checked] = truth
    if set(result.values()) != {0, 1}:
        raise InvalidValue("verdict_map", text, "at least one true and one false verdict")
    return result


def verdict_map_text(verdict_map: Mapping[str, int]) -> str:
    """{'confirmed': 1, 'debunked': 0} -> 'true=confirmed,false=debunked'."""
    return ",".join(
        f"{'true' if truth else 'false'}={verdict}"
        for verdict, truth in sorted(verdict_map.items(), key=lambda pair: (-pair[1], pair[0]))
    )


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


# --- the model -------------------------------------------------------------------------------


@dataclass
class FoldFit:
    """The verdict fit on every fold but one: base log-odds, scale of the agreement weights,
    factor of each source's record, and per source (agreeing, verdicted) claim counts."""

    base: float
    scale: float = 1.0
    source_factor: float = 0.0
    agreement: float = 0.5  # the pooled share of stances that agreed with the verdict
    # Per grade and stance, its departure from `scale` ("F" -> {"supports": 0.3}); absent: 0.
    grades: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    verdicts: int = 0  # how many verdicts this fit read
    records: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    # What one left-out claim's own stances added to `records` (taken away when read).
    minus: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def record(self, origin: str) -> tuple[int, int]:
        agree, n = self.records.get(origin, (0, 0))
        if origin in self.minus:
            own_agree, own_n = self.minus[origin]
            agree, n = agree - own_agree, n - own_n
        return agree, n

    def multiplier(self, grade: str, stance: str) -> float:
        """What this fit multiplies the agreement weight of a grade and stance by."""
        return self.scale + self.grades.get(grade, {}).get(stance, 0.0)

    def to_json(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "scale": self.scale,
            "source_factor": self.source_factor,
            "agreement": self.agreement,
            "grades": {g: dict(sorted(d.items())) for g, d in sorted(self.grades.items())},
            "verdicts": self.verdicts,
        }


@dataclass
class LeftOut:
    """The verdict fit without one claim's verdict: its numbers, and what the claim's own
    stances added to its origins' records (taken away again when it is scored)."""

    base: float
    scale: float
    source_factor: float
    agreement: float
    grades: Mapping[str, Mapping[str, float]]
    own: dict[str, tuple[int, int]]

    def to_json(self) -> list[Any]:
        own = {key: list(v) for key, v in sorted(self.own.items())}
        grades = {g: dict(sorted(d.items())) for g, d in sorted(self.grades.items())}
        return [self.base, self.scale, self.source_factor, self.agreement, grades, own]


@dataclass
class ScoreModel:
    """A fitted model: the agreement weights per grade and stance, the base rate, and (with
    verdicts) the verdict fit on all of them (`full_fit`, for claims without a verdict when it
    was fitted) and, per verdicted claim, one without its verdict (`left_out`, or above
    LEAVE_ONE_OUT_LIMIT verdicts one `fold_fits` per fold of the verdicted claims' ids)."""

    kind: str  # "agreement" | "verdicts"
    grade_weights: dict[str, dict[str, float]]
    base: float
    folds: int
    fold_fits: list[FoldFit]
    full_fit: FoldFit
    verdicts: int
    claims: int
    shrinkage: float
    left_out: dict[int, LeftOut] = field(default_factory=dict)
    verdict_map: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_VERDICT_MAP))
    verdicted: frozenset[int] = frozenset()  # in fold mode: who had a verdict
    id: int | None = None
    fitted_at: str | None = None
    actor: str | None = None
    fingerprint: str = ""
    evaluation: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        number = f"#{self.id} " if self.id is not None else ""
        if self.kind == "agreement":
            return f"model {number}(agreement of {self.claims} claims, no verdicts)"
        return f"model {number}({self.verdicts} verdicts, agreement of {self.claims} claims)"

    def fit_key(self, claim_id: int) -> tuple[str, int]:
        """Which fit scores this claim: its own (verdicted, leave-one-out), its fold's
        (verdicted, fold mode) or the full one."""
        if claim_id in self.left_out:
            return ("left_out", claim_id)
        if self.fold_fits and claim_id in self.verdicted:
            return ("fold", claim_id % self.folds)
        return ("full", 0)

    def fit_for(self, claim_id: int) -> FoldFit:
        kind, n = self.fit_key(claim_id)
        if kind == "fold":
            return self.fold_fits[n]
        if kind == "full":
            return self.full_fit
        left = self.left_out[claim_id]
        return FoldFit(
            left.base,
            left.scale,
            left.source_factor,
            left.agreement,
            left.grades,
            self.verdicts - 1,
            self.full_fit.records,
            left.own,
        )

    def weights_for(self, claim_id: int, settings: Settings = DEFAULT_SETTINGS) -> FittedWeights:
        return FittedWeights(self, self.fit_for(claim_id), settings)

    # Stored as JSON in score_models.params: records per fold as [agree, n] pairs per source.
    def params(self) -> dict[str, Any]:
        sources = sorted({key for fit in self.fold_fits for key in fit.records})
        return {
            "kind": self.kind,
            "grade_weights": self.grade_weights,
            "base": self.base,
            "folds": self.folds,
            "fold_fits": [fit.to_json() for fit in self.fold_fits],
            "full_fit": self.full_fit.to_json(),
            "records": {
                key: [list(fit.records.get(key, (0, 0))) for fit in self.fold_fits]
                for key in sources
            },
            "full_records": {key: list(v) for key, v in sorted(self.full_fit.records.items())},
            "left_out": {str(i): left.to_json() for i, left in sorted(self.left_out.items())},
            "verdicted": sorted(self.verdicted),
            "verdicts": self.verdicts,
            "claims": self.claims,
            "shrinkage": self.shrinkage,
            "verdict_map": dict(sorted(self.verdict_map.items())),
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any], **extra: Any) -> ScoreModel:
        records = params.get("records", {})
        fold_fits = []
        # Fits stored before method 2 lack `verdicts` per fit: all of the model's, or (one
        # fold's) those of the other folds.
        verdicts = params["verdicts"]
        for n, data in enumerate(params["fold_fits"]):
            fit = FoldFit(**{"verdicts": verdicts, **data})
            fit.records = {key: tuple(counts[n]) for key, counts in records.items()}
            fold_fits.append(fit)
        full = FoldFit(**{"verdicts": verdicts, **params["full_fit"]})
        full.records = {key: tuple(v) for key, v in params.get("full_records", {}).items()}
        left_out = {}
        for i, (*numbers, own) in params.get("left_out", {}).items():
            grades = numbers.pop() if len(numbers) == 5 else {}  # fits before method 2: none
            left_out[int(i)] = LeftOut(
                *numbers, grades=grades, own={key: tuple(v) for key, v in own.items()}
            )
        return cls(
            kind=params["kind"],
            grade_weights=params["grade_weights"],
            base=params["base"],
            folds=params["folds"],
            fold_fits=fold_fits,
            full_fit=full,
            verdicts=params["verdicts"],
            claims=params["claims"],
            shrinkage=params["shrinkage"],
            left_out=left_out,
            verdicted=frozenset(params.get("verdicted", ())),
            verdict_map=params.get("verdict_map", DEFAULT_VERDICT_MAP),
            **extra,
        )


class FittedWeights:
    """The Weights (claimtrack.status) of one fold of a fitted model."""

    def __init__(self, model: ScoreModel, fit: FoldFit, settings: Settings) -> None:
        self.model = model
        self.fit = fit
        self.settings = settings
        self.name = model.name
        self._cache: dict[tuple[str, str, str], float] = {}

    def prior_log_odds(self) -> float:
        return self.fit.base

    def source_deviation(self, origin: str) -> float:
        """How far this origin's record on verdicted claims puts it above (or below) the pooled
        agreement rate, in log-odds, shrunk toward it."""
        agree, n = self.fit.record(origin)
        if n == 0:
            return 0.0
        rate = self.fit.agreement
        k = self.model.shrinkage
        shrunk = (agree + k * rate) / (n + k)
        return logit(shrunk) - logit(rate)

    def weight(self, origin: str, reliability: str, stance: str, credibility: int) -> float:
        share = self.settings.credibility_share(credibility)
        if reliability == NOT_CREDIBLE_RELIABILITY or share == 0:
            return 0.0
        key = (origin, reliability, stance)
        unit = self._cache.get(key)
        if unit is None:
            grade = abs(self.model.grade_weights[reliability][stance])
            unit = self.fit.multiplier(reliability, stance) * grade
            unit += self.fit.source_factor * self.source_deviation(origin)
            # A supporting report never counts against a claim, nor a contradiction for it.
            unit = self._cache[key] = max(unit, 0.0)
        return unit * share

    def why(self, origin: str, reliability: str, stance: str) -> str:
        """E.g. "ungraded (F) sources supporting: learned from the agreement of 300 claims and
        139 verdicts (not this claim's); this source: 7 of 8 verdicted claims agreed"."""
        what = f"{GRADE_WORDS[reliability]} {STANCE_WORDS[stance]}: learned from the agreement "
        what += f"of {self.model.claims} claims"
        if self.model.kind == "verdicts":
            verdicts = self.fit.verdicts
            own = " (not this claim's)" if verdicts < self.model.verdicts else ""
            what += f" and {verdicts} verdicts{own}"
        else:
            what += ", no verdicts"
        agree, n = self.fit.record(origin)
        if n and self.fit.source_factor:
            what += f"; this source: {agree} of {n} verdicted claims agreed"
        elif n:
            what += (
                f"; this source: {agree} of {n} verdicted claims agreed (sources' records carry "
                "no weight in this fit)"
            )
        elif self.model.kind == "verdicts":
            what += "; this source: no other verdicted claims, so its grade's weight"
        return what


# --- fitting ---------------------------------------------------------------------------------


def _grade_counts(claims: Sequence[ClaimData]) -> dict[str, int]:
    counts = dict.fromkeys(GRADES, 0)
    for claim in claims:
        for term in claim.terms:
            counts[term.reliability] += 1
    return counts


def agreement_fit(
    claims: Sequence[ClaimData], settings: Settings = DEFAULT_SETTINGS
) -> tuple[dict[str, dict[str, float]], float]:
    """Pooled Dawid–Skene EM over every claim's terms (verdicts unused): per grade, the
    log-likelihood ratio of a supporting and of a contradicting origin; and the base log-odds.

    Started from the grade defaults' posteriors, so "supports" means evidence for the claim.
    """
    defaults = GradeDefaults(settings)
    # Beta pseudo-counts: P(s|T) = q, P(s|F) = 1 - q reproduces the default ±logit(q).
    prior = {g: settings.reliability_probability(g) for g in GRADES}
    posterior = []
    for claim in claims:
        z = defaults.prior_log_odds()
        for t in claim.terms:
            w = defaults.weight(t.origin, t.reliability, t.stance, t.credibility) * t.factor
            z += w if t.stance == "supports" else -w
        posterior.append(_sigmoid(z))
    rate = 0.5
    weights: dict[str, dict[str, float]] = {}
    for _ in range(EM_ITERATIONS):
        # M step: per grade, expected supporting and contradicting stances on true and false.
        st = {g: [0.0, 0.0, 0.0, 0.0] for g in GRADES}  # sT, xT, sF, xF
        for claim, p in zip(claims, posterior, strict=True):
            for t in claim.terms:
                c = st[t.reliability]
                i = 0 if t.stance == "supports" else 1
                c[i] += p
                c[2 + i] += 1.0 - p
        rate = (math.fsum(posterior) + BASE_STRENGTH * settings.prior) / (
            len(posterior) + BASE_STRENGTH
        )
        weights = {}
        for g in GRADES:
            s_t, x_t, s_f, x_f = st[g]
            q, m = prior[g], DEFAULT_STRENGTH
            a_t = (s_t + m * q) / (s_t + x_t + m)
            a_f = (s_f + m * (1 - q)) / (s_f + x_f + m)
            weights[g] = {
                "supports": math.log(a_t / a_f),
                "contradicts": math.log((1 - a_t) / (1 - a_f)),
            }
        # E step: each term at its grade's full ratio (credibility is applied when scoring).
        base = logit(rate)
        change = 0.0
        for n, claim in enumerate(claims):
            z = base + math.fsum(weights[t.reliability][t.stance] * t.factor for t in claim.terms)
            p = _sigmoid(max(-50.0, min(50.0, z)))
            change = max(change, abs(p - posterior[n]))
            posterior[n] = p
        if change < 1e-7:
            break
    # Per unit of credibility share: scoring multiplies by the item's share, so a grade's
    # typical term (at its mean share) carries the fitted ratio. Support must count for a
    # claim and contradiction against it.
    shares: dict[str, list[float]] = {g: [] for g in GRADES}
    for claim in claims:
        for t in claim.terms:
            shares[t.reliability].append(settings.credibility_share(t.credibility))
    for g in GRADES:
        mean = math.fsum(shares[g]) / len(shares[g]) if shares[g] else 1.0
        weights[g] = {
            "supports": max(weights[g]["supports"], 0.0) / mean,
            "contradicts": min(weights[g]["contradicts"], 0.0) / mean,
        }
    return weights, logit(rate)


def _agrees(term: Term, truth: int) -> bool:
    return (term.stance == "supports") == (truth == 1)


def _records(claims: Iterable[ClaimData]) -> tuple[dict[str, tuple[int, int]], float]:
    records: dict[str, list[int]] = {}
    agree_total = n_total = 0
    for claim in claims:
        for term in claim.terms:
            record = records.setdefault(term.origin, [0, 0])
            agreed = int(_agrees(term, claim.truth))
            record[0] += agreed
            record[1] += 1
            agree_total += agreed
            n_total += 1
    # Laplace: a pooled rate strictly inside (0, 1).
    rate = (agree_total + 1) / (n_total + 2)
    return {key: (a, n) for key, (a, n) in records.items()}, rate


GRADE_STANCES = tuple((g, s) for g in GRADES for s in ("supports", "contradicts"))


def _features(
    claim: ClaimData,
    grade_weights: Mapping[str, Mapping[str, float]],
    deviation,
    settings: Settings,
) -> tuple[float, float, dict[tuple[str, str], float]]:
    """(agreement sum, source-record sum, agreement sum per grade and stance)."""
    agreement = source = 0.0
    per_grade: dict[tuple[str, str], float] = {}
    for t in claim.terms:
        sign = 1.0 if t.stance == "supports" else -1.0
        scale = settings.credibility_share(t.credibility) * t.factor
        term = sign * abs(grade_weights[t.reliability][t.stance]) * scale
        agreement += term
        key = (t.reliability, t.stance)
        per_grade[key] = per_grade.get(key, 0.0) + term
        source += sign * deviation(t) * scale
    return agreement, source, per_grade


def _verdict_fit(
    train: Sequence[ClaimData],
    grade_weights: Mapping[str, Mapping[str, float]],
    base: float,
    settings: Settings,
    grade_precision: Mapping[tuple[str, str], float],
) -> FoldFit:
    """MAP logistic regression of the verdicts on (1, agreement sum, source-record sum, and the
    agreement sum of each grade and stance present), prior N((base, 1, 1), I / 3) on the first
    three and N(0, 1 / 10) on each grade's and stance's departure from the common scale. Each
    training claim's own record is left out of its source feature."""
    shrinkage = settings.source_shrinkage
    records, rate = _records(train)
    fit = FoldFit(
        base=base,
        scale=1.0,
        source_factor=0.0,
        agreement=rate,
        verdicts=len(train),
        records=records,
    )
    if not train:
        return fit

    def deviation_without(claim: ClaimData):
        def deviation(t: Term) -> float:
            agree, n = records.get(t.origin, (0, 0))
            agree -= int(_agrees(t, claim.truth))
            n -= 1
            if n <= 0:
                return 0.0
            return logit((agree + shrinkage * rate) / (n + shrinkage)) - logit(rate)

        return deviation

    features = [_features(c, grade_weights, deviation_without(c), settings) for c in train]
    present = [key for key in GRADE_STANCES if any(key in f[2] for f in features)]
    rows = [
        ((1.0, a, s, *(per_grade.get(key, 0.0) for key in present)), claim.truth)
        for claim, (a, s, per_grade) in zip(train, features, strict=True)
    ]
    mean = (base, 1.0, 1.0, *[0.0] * len(present))
    precision = (FIT_PRIOR_PRECISION,) * 3 + tuple(grade_precision[key] for key in present)
    beta = _map_logistic(rows, mean, precision)
    fit.base, fit.scale, fit.source_factor = beta[0], max(beta[1], 0.0), max(beta[2], 0.0)
    grades: dict[str, dict[str, float]] = {}
    for (grade, stance), departure in zip(present, beta[3:], strict=True):
        # A grade's and stance's multiplier never goes below 0 (the term never changes sign).
        grades.setdefault(grade, {})[stance] = max(departure, -fit.scale)
    fit.grades = grades
    return fit


def _map_logistic(
    rows: Sequence[tuple[tuple[float, ...], int]],
    mean: Sequence[float],
    precision: Sequence[float],
) -> list[float]:
    """Newton's method with step halving on the negative log posterior (convex); a normal
    prior around `mean` with `precision` per coefficient."""
    d = len(mean)
    beta = list(mean)

    def objective(b: Sequence[float]) -> float:
        value = math.fsum(precision[j] * (b[j] - mean[j]) ** 2 / 2 for j in range(d))
        for x, y in rows:
            z = math.fsum(b[j] * x[j] for j in range(d))
            value += math.log1p(math.exp(-abs(z))) + max(z, 0.0) - y * z
        return value

    current = objective(beta)
    for _ in range(100):
        grad = [precision[j] * (beta[j] - mean[j]) for j in range(d)]
        hess = [[precision[i] if i == j else 0.0 for j in range(d)] for i in range(d)]
        for x, y in rows:
            p = _sigmoid(math.fsum(beta[j] * x[j] for j in range(d)))
            for i in range(d):
                grad[i] += (p - y) * x[i]
                for j in range(d):
                    hess[i][j] += p * (1 - p) * x[i] * x[j]
        step = _solve(hess, grad)
        t = 1.0
        while True:
            trial = [beta[j] - t * step[j] for j in range(d)]
            value = objective(trial)
            if value <= current or t < 1e-8:
                break
            t /= 2
        beta, done = trial, current - value < 1e-12
        current = value
        if done:
            break
    return beta


def _solve(a: Sequence[Sequence[float]], b: Sequence[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a is small and positive definite)."""
    n = len(b)
    m = [list(row) + [b[i]] for i, row in enumerate(a)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(m[r][i]))
        m[i], m[pivot] = m[pivot], m[i]
        for r in range(n):
            if r != i and m[r][i]:
                f = m[r][i] / m[i][i]
                for c in range(i, n + 1):
                    m[r][c] -= f * m[i][c]
    return [m[i][n] / m[i][i] for i in range(n)]


def grade_precision(
    claims: Sequence[ClaimData],
    grade_weights: Mapping[str, Mapping[str, float]],
    settings: Settings,
) -> dict[tuple[str, str], float]:
    """The prior precision of each grade's and stance's departure from the common scale: what
    the agreement of every claim says about it, counted as `GRADE_PRIOR_WEIGHT` of what verdicts
    on all those claims would (the Fisher information of a logistic coefficient at p = 1/2 is
    Σ x² / 4). A grade and stance the agreement fit saw often is held near its agreement weight
    until many verdicts disagree; one it rarely saw (little evidence either way) moves with a
    few verdicts."""
    information = dict.fromkeys(GRADE_STANCES, 0.0)
    for claim in claims:
        _, _, per_grade = _features(claim, grade_weights, lambda t: 0.0, settings)
        for key, x in per_grade.items():
            information[key] += x * x / 4
    return {
        key: max(GRADE_PRIOR_PRECISION, GRADE_PRIOR_WEIGHT * value)
        for key, value in information.items()
    }


def _own_records(claim: ClaimData) -> dict[str, tuple[int, int]]:
    records, _ = _records([claim])
    return records


def fit_model(
    claims: Sequence[ClaimData],
    settings: Settings = DEFAULT_SETTINGS,
    verdict_map: Mapping[str, int] = DEFAULT_VERDICT_MAP,
) -> ScoreModel:
    """The agreement fit over every claim, then (with verdicts) the verdict fit on all of them
    and, for each verdicted claim, the same fit without its verdict (or per fold). The claims'
    truths were read through `verdict_map`, which the model records."""
    grade_weights, base = agreement_fit(claims, settings)
    labelled = [c for c in claims if c.truth is not None]
    precision = grade_precision(claims, grade_weights, settings)
    folds = settings.calibration_folds
    k = settings.source_shrinkage
    fold_fits: list[FoldFit] = []
    left_out: dict[int, LeftOut] = {}
    verdicted: frozenset[int] = frozenset()
    if labelled:
        full = _verdict_fit(labelled, grade_weights, base, settings, precision)
        kind = "verdicts"
        if len(labelled) <= LEAVE_ONE_OUT_LIMIT:
            for n, claim in enumerate(labelled):
                fit = _verdict_fit(
                    labelled[:n] + labelled[n + 1 :], grade_weights, base, settings, precision
                )
                left_out[claim.id] = LeftOut(
                    fit.base,
                    fit.scale,
                    fit.source_factor,
                    fit.agreement,
                    fit.grades,
                    _own_records(claim),
                )
        else:
            verdicted = frozenset(c.id for c in labelled)
            fold_fits = [
                _verdict_fit(
                    [c for c in labelled if c.id % folds != n],
                    grade_weights,
                    base,
                    settings,
                    precision,
                )
                for n in range(folds)
            ]
    else:
        full = FoldFit(base=base)
        kind = "agreement"
    model = ScoreModel(
        kind=kind,
        grade_weights=grade_weights,
        base=base,
        folds=folds,
        fold_fits=fold_fits,
        full_fit=full,
        verdicts=len(labelled),
        claims=len(claims),
        shrinkage=k,
        left_out=left_out,
        verdicted=verdicted,
        verdict_map=dict(verdict_map),
    )
    model.fingerprint = fingerprint(claims, settings, verdict_map)
    return model


def fingerprint(
    claims: Sequence[ClaimData],
    settings: Settings,
    verdict_map: Mapping[str, int] = DEFAULT_VERDICT_MAP,
) -> str:
    """What a fit depends on, hashed: re-running with nothing new finds the same one."""
    digest = hashlib.sha256(f"method {METHOD};".encode())
    for name in ("calibration_folds", "source_shrinkage", "channel_discount", "prior"):
        digest.update(f"{name}={getattr(settings, name)};".encode())
    for g in GRADES:
        digest.update(f"{g}={settings.reliability_probability(g)};".encode())
    for c in (1, 2, 3, 4, 6):
        digest.update(f"{c}={settings.credibility_share(c)};".encode())
    digest.update(f"verdicts {verdict_map_text(verdict_map)};".encode())
    for claim in sorted(claims, key=lambda c: c.id):
        terms = sorted(claim.terms)
        digest.update(json.dumps([claim.id, claim.truth, terms]).encode())
    return digest.hexdigest()


# --- evaluation ------------------------------------------------------------------------------


def auc(pairs: Sequence[tuple[float, int]]) -> float | None:
    """Area under the ROC curve: the chance a true claim scores above a false one (ties
    half), by ranks."""
    positives = sum(1 for _, y in pairs if y)
    negatives = len(pairs) - positives
    if not positives or not negatives:
        return None
    ordered = sorted(pairs, key=lambda pair: pair[0])
    rank_sum = 0.0
    i = 0
    while i < len(ordered):
        j = i
        while j < len(ordered) and ordered[j][0] == ordered[i][0]:
            j += 1
        mid_rank = (i + j + 1) / 2  # ranks i+1..j, averaged
        rank_sum += mid_rank * sum(1 for _, y in ordered[i:j] if y)
        i = j
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def brier(pairs: Sequence[tuple[float, int]]) -> float | None:
    if not pairs:
        return None
    return math.fsum((p - y) ** 2 for p, y in pairs) / len(pairs)


def reliability_table(pairs: Sequence[tuple[float, int]], bins: int = 10) -> list[dict[str, Any]]:
    """Predicted against observed, by bins of predicted probability (empty bins left out)."""
    rows = []
    for n in range(bins):
        low, high = n / bins, (n + 1) / bins
        inside = [(p, y) for p, y in pairs if low <= p < high or (n == bins - 1 and p == 1.0)]
        if inside:
            rows.append(
                {
                    "bin": f"{low:.1f}–{high:.1f}",
                    "claims": len(inside),
                    "predicted": round(math.fsum(p for p, _ in inside) / len(inside), 4),
                    "observed": round(sum(y for _, y in inside) / len(inside), 4),
                }
            )
    return rows


def score_of(claim: ClaimData, weights) -> float:
    """The probability `weights` (claimtrack.status.Weights) give a claim's terms."""
    z = weights.prior_log_odds()
    for t in claim.terms:
        w = weights.weight(t.origin, t.reliability, t.stance, t.credibility) * t.factor
        z += w if t.stance == "supports" else -w
    return _sigmoid(z)


def naive_count(claim: ClaimData) -> float:
    """(S + 1) / (S + X + 2): counting origins, the baseline a score must beat."""
    s = sum(1 for t in claim.terms if t.stance == "supports")
    x = len(claim.terms) - s
    return (s + 1) / (s + x + 2)


def summarise(name: str, pairs: Sequence[tuple[float, int]]) -> dict[str, Any]:
    a, b = auc(pairs), brier(pairs)
    return {
        "model": name,
        "claims": len(pairs),
        "auc": None if a is None else round(a, 4),
        "brier": None if b is None else round(b, 4),
    }
