"""history: the connected database user, a hash chain, and triggers that keep it append-only

Every event now records who was connected (`db_user`) beside the declared actor, and a hash
chained to the previous event's, so a later change to any event, even by the database's
owner or through another tool, is found by `claimtrack db check`. The events already held are
chained here, in id order (their database user was not recorded: NULL). Triggers refuse
UPDATE and DELETE of history on both engines (and TRUNCATE on PostgreSQL), except re-filing
an event under another claim or source, which merges do.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# The hash is the one claimtrack appends with; a later change to it needs its own migration.
from claimtrack.history_log import GENESIS, event_hash
from claimtrack.models import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000

# Columns no UPDATE may change. claim_id and source_id are left out: a merge re-files the
# events of the claim or source merged away under the one kept.
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

_old = ", ".join(f"OLD.{name}" for name in FROZEN)
_new = ", ".join(f"NEW.{name}" for name in FROZEN)
POSTGRES_TRIGGERS = (
    f"""CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND ({_new}) IS NOT DISTINCT FROM ({_old}) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        RAISE EXCEPTION 'history is append-only: it cannot be truncated';
    END IF;
    RAISE EXCEPTION 'history is append-only: event % cannot be %', OLD.id,
        CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'changed' END;
END
$$""",
    "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
    "FOR EACH ROW EXECUTE FUNCTION history_append_only()",
    "CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history "
    "FOR EACH STATEMENT EXECUTE FUNCTION history_append_only()",
)


def upgrade() -> None:
    op.add_column("history", sa.Column("db_user", sa.String(length=200), nullable=True))
    op.add_column("history", sa.Column("hash", sa.String(length=64), nullable=True))
    bind = op.get_bind()
    _chain(bind)
    for statement in SQLITE_TRIGGERS if bind.dialect.name == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(statement)


def _chain(bind) -> None:
    """Hash the events held, oldest first, in batches (one UPDATE per batch)."""
    history = sa.table(
        "history",
        sa.column("id", sa.Integer),
        sa.column("at", UTCDateTime),
        *(
            sa.column(name, sa.Text)
            for name in ("actor", "db_user", "action", "entity", "before", "after", "reason")
        ),
    )
    rows = bind.execute(
        sa.select(history)
        .order_by(history.c.id)
        .execution_options(stream_results=True, yield_per=BATCH)
    )
    previous = GENESIS
    postgres = bind.dialect.name == "postgresql"
    for batch in rows.partitions(BATCH):
        hashes = []
        for row in batch:
            previous = event_hash(
                previous,
                row.at,
                row.actor,
                row.db_user,
                row.action,
                row.entity,
                row.before,
                row.after,
                row.reason,
            )
            hashes.append((previous, row.id))
        if postgres:
            bind.exec_driver_sql(
                "UPDATE history AS h SET hash = t.hash "
                "FROM unnest(%(hashes)s::text[], %(ids)s::integer[]) AS t (hash, id) "
                "WHERE h.id = t.id",
                {"hashes": [h for h, _ in hashes], "ids": [i for _, i in hashes]},
            )
        else:
            bind.exec_driver_sql("UPDATE history SET hash = ? WHERE id = ?", hashes)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER history_no_update")
        op.execute("DROP TRIGGER history_no_delete")
    else:
        op.execute("DROP TRIGGER history_no_truncate ON history")
        op.execute("DROP TRIGGER history_append_only ON history")
        op.execute("DROP FUNCTION history_append_only()")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_column("hash")
        batch_op.drop_column("db_user")
