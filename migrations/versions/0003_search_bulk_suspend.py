"""search triggers can be suspended inside one bulk-import transaction

Row-by-row trigger maintenance of the full-text index made bulk imports several times slower
than the inserts themselves. The importer now suspends the triggers for its own transaction and
re-indexes the rows it touched with a few set-based statements before it commits, so the index
is as current as before for every other writer and reader.

SQLite: a one-row table `search_suspended`; each search trigger gains
`WHEN NOT EXISTS (SELECT 1 FROM search_suspended)`. The importer inserts the row and deletes it
again in the same transaction, so a committed database never has it (a crash rolls it back).

PostgreSQL: each search trigger gains a WHEN clause on the transaction-local setting
`claimtrack.search_suspended` (set with set_config(..., true), gone at commit or rollback).

The triggers are rewritten from their stored definitions, so this migration does not repeat
0002's trigger bodies.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

# ruff: noqa: S608 -- the DDL below is rebuilt from the database's own trigger definitions.
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_GUARD = " WHEN NOT EXISTS (SELECT 1 FROM search_suspended)"
PG_GUARD = " WHEN (current_setting('claimtrack.search_suspended', true) IS DISTINCT FROM 'on')"


def _sqlite_triggers() -> list[tuple[str, str]]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, 6) = 'search' "
        "ORDER BY name"
    )
    return [(row[0], row[1]) for row in rows]


def _pg_triggers() -> list[tuple[str, str, str]]:
    rows = op.get_bind().exec_driver_sql(
        "SELECT t.tgname, c.relname, pg_get_triggerdef(t.oid) FROM pg_trigger AS t "
        "JOIN pg_class AS c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND starts_with(t.tgname, 'search') "
        "AND c.relnamespace = current_schema()::regnamespace ORDER BY t.tgname"
    )
    return [(row[0], row[1], row[2]) for row in rows]


def _sqlite_rewrite(add: bool) -> None:
    for name, sql in _sqlite_triggers():
        if add:
            if SQLITE_GUARD in sql:
                continue
            head, body = sql.split(" BEGIN ", 1)
            new_sql = head + SQLITE_GUARD + " BEGIN " + body
        else:
            new_sql = sql.replace(SQLITE_GUARD, "")
        op.execute(f'DROP TRIGGER "{name}"')
        op.execute(new_sql)


def _pg_rewrite(add: bool) -> None:
    for name, table, definition in _pg_triggers():
        if add:
            if "claimtrack.search_suspended" in definition:
                continue
            new_sql = definition.replace(" FOR EACH ROW ", " FOR EACH ROW" + PG_GUARD + " ", 1)
        else:
            start = definition.find(" WHEN (")
            if start < 0:
                continue
            end = definition.find(" EXECUTE ", start)
            new_sql = definition[:start] + definition[end:]
        op.execute(f'DROP TRIGGER "{name}" ON "{table}"')
        op.execute(new_sql)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE TABLE search_suspended (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1))")
        _sqlite_rewrite(add=True)
    else:
        _pg_rewrite(add=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rewrite(add=False)
        op.execute("DROP TABLE search_suspended")
    else:
        _pg_rewrite(add=False)
