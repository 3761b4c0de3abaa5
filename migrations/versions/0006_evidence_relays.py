"""evidence_relays: the whole via chain of an evidence item, not only its first hop

`--via` named one source; a second `--via` was dropped. What police said, passed on by an
informant and printed by an outlet is a chain: police (the source) → informant (hop 1) →
outlet (hop 2). Hop 1 stays in evidence.via_id, so every existing item keeps its via as a
one-element chain and nothing is copied; hops 2, 3, ... get a row each here. The downgrade
drops the table, and with it every hop after the first.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_relays",
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("position >= 2", name=op.f("ck_evidence_relays_position")),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name=op.f("fk_evidence_relays_evidence_id_evidence"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_evidence_relays_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("evidence_id", "position", name=op.f("pk_evidence_relays")),
    )
    with op.batch_alter_table("evidence_relays", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_relays_source_id"), ["source_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence_relays", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_relays_source_id"))
    op.drop_table("evidence_relays")
