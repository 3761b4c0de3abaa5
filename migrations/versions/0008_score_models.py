"""score_models: the score's fitted models, one row per fit (claimtrack calibrate)

A fit is kept, never replaced: reports use the newest, `--as-of` the one current then, and
the rows are the record of who fitted which model, when, on how many verdicts, with which
settings. The fingerprint (a hash of what the fit read) lets a re-run with nothing new
change nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "score_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("verdicts", sa.Integer(), nullable=False),
        sa.Column("claims", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("evaluation", sa.Text(), nullable=False),
        sa.CheckConstraint("kind IN ('agreement', 'verdicts')", name=op.f("ck_score_models_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_models")),
    )
    with op.batch_alter_table("score_models", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_models_fitted_at"), ["fitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("score_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_models_fitted_at"))
    op.drop_table("score_models")
