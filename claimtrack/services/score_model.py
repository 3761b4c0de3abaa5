"""The score's model a claim is scored with: the newest fit `calibrate` stored (or the one
current at --as-of), or the grade defaults when there is none."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import ScoreModel as ScoreModelRow
from ..settings import Settings, load_settings
from ..status import GradeDefaults, Weights

if TYPE_CHECKING:
    from ..calibration import ScoreModel


def current_model(session: Session, as_of: datetime | None = None) -> ScoreModel | None:
    """The newest fit (by `as_of`, if given); None: the grade defaults are in use."""
    query = select(ScoreModelRow).order_by(ScoreModelRow.id.desc()).limit(1)
    if as_of is not None:
        query = query.where(ScoreModelRow.fitted_at <= as_of)
    row = session.scalars(query).first()
    return _from_row(row) if row is not None else None


def _from_row(row: ScoreModelRow) -> ScoreModel:
    # Imported here: the fitting code is needed only once `calibrate` has stored a fit.
    from ..calibration import ScoreModel

    return ScoreModel.from_params(
        json.loads(row.params),
        id=row.id,
        fitted_at=row.fitted_at.isoformat(),
        actor=row.actor,
        fingerprint=row.fingerprint,
        evaluation=json.loads(row.evaluation),
    )


class ModelInUse:
    """Weights per claim: one fold of a fitted model, or the grade defaults for every claim."""

    def __init__(self, model: ScoreModel | None, settings: Settings) -> None:
        self.model = model
        self.settings = settings
        self._defaults = GradeDefaults(settings)
        self._folds: dict[tuple[str, int], Weights] = {}

    @property
    def name(self) -> str:
        return self.model.name if self.model else self._defaults.name

    def for_claim(self, claim_id: int) -> Weights:
        if self.model is None:
            return self._defaults
        key = self.model.fit_key(claim_id)
        weights = self._folds.get(key)
        if weights is None:
            weights = self._folds[key] = self.model.weights_for(claim_id, self.settings)
        return weights

    def describe(self) -> dict[str, Any]:
        if self.model is None:
            return {"name": self.name, "kind": "grade defaults", "id": None}
        return {
            "name": self.name,
            "kind": self.model.kind,
            "id": self.model.id,
            "fitted_at": self.model.fitted_at,
            "fitted_by": self.model.actor,
            "verdicts": self.model.verdicts,
            "claims": self.model.claims,
            "evaluation": self.model.evaluation,
        }


def model_in_use(
    session: Session, settings: Settings | None = None, as_of: datetime | None = None
) -> ModelInUse:
    return ModelInUse(current_model(session, as_of), settings or load_settings())
