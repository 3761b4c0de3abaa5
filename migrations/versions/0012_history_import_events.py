"""history: an import is one event (entity `import`), with the ids of the rows it created

An import records the claims, sources and evidence it creates in one history event (who, when,
the files and their sha256, the counts, and the created ids as ranges) instead of one event
per row; what it changes keeps a per-record event. Such an event has no claim, source or
evidence item of its own, so the two checks on history allow it as they allow a fit of the
score (0011), and a partial index finds the import events among the per-record ones.

Nothing that exists is converted: the per-row events of earlier imports stay as they are and
stay valid (`db check` counts either form as a row's creation). The append-only triggers are
kept (on SQLite the table is copied to change its checks, and the triggers, which go with the
old table, are made again).

Downgrading is refused while history holds an import event: it cannot be removed (history is
append-only) and the older checks do not allow it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from claimtrack.errors import DatabaseError

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTITY_BEFORE = "entity IN ('source', 'claim', 'evidence', 'link', 'model')"
ENTITY_AFTER = "entity IN ('source', 'claim', 'evidence', 'link', 'model', 'import')"
SUBJECTS = "claim_id IS NOT NULL OR source_id IS NOT NULL OR evidence_id IS NOT NULL"
SUBJECT_BEFORE = f"entity = 'model' OR {SUBJECTS}"
SUBJECT_AFTER = f"entity IN ('model', 'import') OR {SUBJECTS}"
IMPORTS = "entity = 'import'"


# 0009's append-only triggers on SQLite, which go with the table a batch copy replaces.
FROZEN = (
    "id",
    "at",
    "actor",
    "db_user",
    "action",
    "entity",
    "evidence_id",
    '"before"',
    '"after"',
    "reason",
    "hash",
)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER history_no_update BEFORE UPDATE OF {', '.join(FROZEN)} ON history "
    "BEGIN SELECT RAISE(ABORT, 'history is append-only: an event cannot be changed'); END",
    "CREATE TRIGGER history_no_delete BEFORE DELETE ON history "
    "BEGIN SELECT RAISE(ABORT, 'history is append-only: an event cannot be deleted'); END",
)


def _set_checks(entity: str, subject: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER history_no_update")
        op.execute("DROP TRIGGER history_no_delete")
        with op.batch_alter_table("history", schema=None, recreate="always") as batch_op:
            batch_op.drop_constraint(op.f("ck_history_entity"), type_="check")
            batch_op.drop_constraint(op.f("ck_history_has_subject"), type_="check")
            batch_op.create_check_constraint(op.f("ck_history_entity"), entity)
            batch_op.create_check_constraint(op.f("ck_history_has_subject"), subject)
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
        return
    op.drop_constraint(op.f("ck_history_entity"), "history", type_="check")
    op.drop_constraint(op.f("ck_history_has_subject"), "history", type_="check")
    op.create_check_constraint(op.f("ck_history_entity"), "history", entity)
    op.create_check_constraint(op.f("ck_history_has_subject"), "history", subject)


def upgrade() -> None:
    _set_checks(ENTITY_AFTER, SUBJECT_AFTER)
    op.create_index(
        "ix_history_imports",
        "history",
        ["id"],
        sqlite_where=sa.text(IMPORTS),
        postgresql_where=sa.text(IMPORTS),
    )


def downgrade() -> None:
    events = op.get_bind().exec_driver_sql("SELECT count(*) FROM history WHERE entity = 'import'")
    count = events.scalar()
    if count:
        raise DatabaseError(
            f"history records imports as one event each ({count}), which cannot be removed "
            "(history is append-only) and which revisions before 0012 do not allow; stay at "
            "0012 or later"
        )
    op.drop_index("ix_history_imports", table_name="history")
    _set_checks(ENTITY_BEFORE, SUBJECT_BEFORE)
