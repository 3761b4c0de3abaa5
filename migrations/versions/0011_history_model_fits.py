"""history: an event may record a fit of the score (entity `model`, no claim or source)

`claimtrack calibrate` records each fit it stores in history, beside the other changes and in
the same hash chain. Such an event is about the database's score model, not a claim, source or
evidence item, so the two checks on history allow it: entity `model`, and no subject for it.
The append-only triggers are kept (on SQLite the table is copied to change its checks, and the
triggers, which go with the old table, are made again).

Downgrading is refused while history holds a model event: it cannot be removed (history is
append-only) and the older checks do not allow it.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from claimtrack.errors import DatabaseError

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTITY_BEFORE = "entity IN ('source', 'claim', 'evidence', 'link')"
ENTITY_AFTER = "entity IN ('source', 'claim', 'evidence', 'link', 'model')"
SUBJECT_BEFORE = "claim_id IS NOT NULL OR source_id IS NOT NULL OR evidence_id IS NOT NULL"
SUBJECT_AFTER = f"entity = 'model' OR {SUBJECT_BEFORE}"


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


def downgrade() -> None:
    fits = op.get_bind().exec_driver_sql("SELECT count(*) FROM history WHERE entity = 'model'")
    count = fits.scalar()
    if count:
        raise DatabaseError(
            f"history records fits of the score (claimtrack calibrate: {count}), which cannot "
            "be removed (history is append-only) and which revisions before 0011 do not "
            "allow; stay at 0011 or later"
        )
    _set_checks(ENTITY_BEFORE, SUBJECT_BEFORE)
