"""Alembic environment. A caller may hand over what to migrate in config.attributes["connection"]:
a Connection (claimtrack's run_migration, inside its own transaction) or an Engine (the setup
pytest-alembic documents: its `alembic_engine` fixture). Developers running `alembic` from the
project root get the database claimtrack would use."""

from __future__ import annotations

from alembic import context

from claimtrack.models import schema_metadata

config = context.config
target_metadata = schema_metadata()


def _include_object(obj, name, type_, reflected, compare_to) -> bool:
    # Objects a migration makes for an engine-specific feature (full-text search: the tables,
    # their FTS5 shadow tables, indexes) are not in the models; autogenerate must not drop them.
    if reflected and compare_to is None and name and name.startswith("search"):
        return False
    return True


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=_include_object,
        render_as_batch=True,
        # SQLite's DDL is transactional: running each upgrade inside one transaction means an
        # interrupted migration leaves the previous revision intact.
        transactional_ddl=True,
        compare_type=True,
        # claimtrack's run_migration passes a callback on SQLite (db._KeepTriggers).
        on_version_apply=config.attributes.get("on_version_apply"),
    )


def run_migrations_offline() -> None:
    from claimtrack.db import resolve_url

    context.configure(
        url=resolve_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    from sqlalchemy.engine import Connection

    connectable = config.attributes.get("connection")
    if isinstance(connectable, Connection):
        _configure(connectable)
        with context.begin_transaction():
            context.run_migrations()
        return

    database = None
    if connectable is None:
        from claimtrack.db import Database, resolve_url

        database = Database(resolve_url(), create=True)
        connectable = database.engine.execution_options(claimtrack_write=True)
    with connectable.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    if database is not None:
        database.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
