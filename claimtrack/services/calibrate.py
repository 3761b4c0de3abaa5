"""The score's model: fitting it from the database (claimtrack calibrate), storing each fit,
and listing the fits (the one a score uses: score_model)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import calibration
from ..calibration import ClaimData, ScoreModel, Term
from ..errors import NextStep, NotFound
from ..models import Claim
from ..models import ScoreModel as ScoreModelRow
from ..settings import Settings, load_settings
from ..status import GradeDefaults, assess
from .assessments import evidence_items
from .common import record
from .score_model import ModelInUse, current_model


def training_data(
    session: Session,
    settings: Settings,
    verdict_map: Mapping[str, int] = calibration.DEFAULT_VERDICT_MAP,
) -> list[ClaimData]:
    """Every claim's terms under the grade defaults (origins, grades, channel discount) and its
    verdict as truth (through `verdict_map`): three statements, whatever the number of
    claims."""
    items = evidence_items(session, None)
    verdicts = dict(session.execute(select(Claim.id, Claim.verdict)).all())
    data = []
    for claim_id in sorted(verdicts):
        assessment = assess(items.get(claim_id, []), settings)
        terms = tuple(
            Term(c.origin, c.reliability, c.stance, c.credibility, c.channel_factor)
            for c in assessment.contributions
        )
        data.append(
            ClaimData(claim_id, terms, calibration.truth_of(verdicts[claim_id], verdict_map))
        )
    return data


def evaluate(model: ScoreModel, data: list[ClaimData], settings: Settings) -> dict[str, Any]:
    """The fitted model, the agreement model alone, the grade defaults and the naive count on
    the verdicted claims, each claim scored without its own verdict."""
    labelled = [c for c in data if c.truth is not None]
    defaults = GradeDefaults(settings)
    agreement = ScoreModel(
        kind="agreement",
        grade_weights=model.grade_weights,
        base=model.base,
        folds=model.folds,
        fold_fits=[],
        full_fit=calibration.FoldFit(base=model.base),
        verdicts=0,
        claims=model.claims,
        shrinkage=model.shrinkage,
    )
    fitted = [
        (calibration.score_of(c, model.weights_for(c.id, settings)), c.truth) for c in labelled
    ]
    rows = [
        calibration.summarise("fitted" if model.kind == "verdicts" else "agreement", fitted),
    ]
    if model.kind == "verdicts":
        weights = agreement.weights_for(0, settings)
        rows.append(
            calibration.summarise(
                "agreement", [(calibration.score_of(c, weights), c.truth) for c in labelled]
            )
        )
    rows.append(
        calibration.summarise(
            "grade defaults", [(calibration.score_of(c, defaults), c.truth) for c in labelled]
        )
    )
    rows.append(
        calibration.summarise(
            "naive count", [(calibration.naive_count(c), c.truth) for c in labelled]
        )
    )
    return {
        "verdicts": len(labelled),
        "true": sum(1 for c in labelled if c.truth),
        "false": sum(1 for c in labelled if not c.truth),
        "models": rows,
        "reliability": calibration.reliability_table(fitted),
    }


def calibrate(
    session: Session,
    *,
    actor: str,
    dry_run: bool = False,
    verdict_map: Mapping[str, int] = calibration.DEFAULT_VERDICT_MAP,
) -> dict[str, Any]:
    """Fit the model on every claim's evidence and verdicts (true and false as `verdict_map`
    says); store it, and record the fit in history, unless the newest fit read exactly the
    same (then nothing changes). Returns the model and its evaluation."""
    settings = load_settings()
    data = training_data(session, settings, verdict_map)
    if not any(claim.terms for claim in data):
        raise NotFound(
            "nothing to calibrate on: no claim has credible supporting or contradicting "
            "evidence yet",
            next_step=NextStep("add_evidence"),
        )
    model = calibration.fit_model(data, settings, verdict_map)
    newest = current_model(session)
    unchanged = newest is not None and newest.fingerprint == model.fingerprint
    if unchanged:
        model = newest
    else:
        model.evaluation = evaluate(model, data, settings)
        if not dry_run:
            row = ScoreModelRow(
                actor=actor,
                kind=model.kind,
                verdicts=model.verdicts,
                claims=model.claims,
                fingerprint=model.fingerprint,
                settings=json.dumps(asdict(settings), sort_keys=True),
                params=json.dumps(model.params(), sort_keys=True),
                evaluation=json.dumps(model.evaluation, sort_keys=True),
            )
            session.add(row)
            session.flush()
            model.id = row.id
            model.fitted_at = row.fitted_at.isoformat()
            model.actor = actor
            record(
                session,
                "model.fit",
                after={
                    "id": row.id,
                    "name": model.name,
                    "kind": model.kind,
                    "verdicts": model.verdicts,
                    "claims": model.claims,
                    "verdict_map": calibration.verdict_map_text(verdict_map),
                    "fingerprint": model.fingerprint,
                },
                at=row.fitted_at,
            )
    in_use = ModelInUse(model, settings)
    return {
        "model": in_use.describe(),
        "created": not unchanged and not dry_run,
        "unchanged": unchanged,
        "verdict_map": {
            "true": sorted(v for v, truth in model.verdict_map.items() if truth),
            "false": sorted(v for v, truth in model.verdict_map.items() if not truth),
        },
        "grade_weights": {
            grade: {stance: round(w, 4) for stance, w in weights.items()}
            for grade, weights in model.grade_weights.items()
        },
        "fit": _rounded(model.full_fit.to_json()),
        "evaluation": model.evaluation,
        "_model": model,
    }


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, dict):
        return {key: _rounded(v) for key, v in value.items()}
    return value


def model_history(session: Session) -> list[dict[str, Any]]:
    """Every fit, oldest first: who, when, on how many verdicts, with which settings."""
    rows = session.scalars(select(ScoreModelRow).order_by(ScoreModelRow.id))
    return [
        {
            "id": row.id,
            "fitted_at": row.fitted_at.isoformat(),
            "fitted_by": row.actor,
            "kind": row.kind,
            "verdicts": row.verdicts,
            "claims": row.claims,
            "settings": json.loads(row.settings),
        }
        for row in rows
    ]
