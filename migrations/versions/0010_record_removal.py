"""claims, sources: removed_at and removed_reason, so a claim or source can be removed

`claim remove` and `source remove` keep the row, as `evidence remove` does: history points at
it (it is append-only and never loses a subject), `--as-of` an earlier date still shows it, and
`claim restore` / `source restore` can put it back. Existing rows stay as they are (not
removed).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("claims", "sources"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
            batch_op.add_column(sa.Column("removed_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), never a table copy: on SQLite the search
    # view (0007) reads claims and sources, and dropping a copied table's original breaks it.
    for table in ("claims", "sources"):
        with op.batch_alter_table(table, schema=None, recreate="never") as batch_op:
            batch_op.drop_column("removed_reason")
            batch_op.drop_column("removed_at")
