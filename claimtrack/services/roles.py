"""Team roles on a PostgreSQL database: who may read, who may write, who may administer.

- reader: connect, and SELECT on every table and sequence: every read command (report, claim
  list, search, export, history, db check, db backup) and nothing else;
- analyst: a reader who may also INSERT, UPDATE and DELETE the data (add, edit, import, merge,
  calibrate), use the id sequences, and append to history: INSERT on history, UPDATE of only
  its claim_id and source_id (merges re-file events), no DELETE or TRUNCATE;
- admin: a member of the role that owns the tables (with ADMIN OPTION, to make other admins),
  so also migrate, back up and grant.

Privileges go to the user directly; default privileges of the owner give the same rights on
tables a later migration creates, and claimtrack runs migrations as the owner (db.run_migration),
so migrations keep the grants. Every statement is built here and shown by `--dry-run`.
"""

from __future__ import annotations

from typing import Any

from .. import values
from ..db import Database
from ..errors import Conflict, InvalidValue, NextStep

ROLES = ("reader", "analyst", "admin")
# Tables only claimtrack's migrations write (no analyst may): the schema's revision.
MIGRATION_ONLY = ("alembic_version",)


def _names(database: Database, user: str) -> dict[str, Any]:
    """Quoted names (by the server) of the user, the database, the schema and the tables'
    owner, and whether the user and the owner exist / are superusers."""
    if database.dialect != "postgresql":
        raise Conflict(
            "roles are for PostgreSQL databases: a SQLite database is one file, and who may "
            "read or write it is set by the file's permissions (chmod)"
        )
    with database.engine.connect() as conn:
        row = conn.exec_driver_sql(
            "SELECT quote_ident(%(user)s), quote_ident(current_database()), "
            "quote_ident(current_schema()), quote_ident(t.tableowner), "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = t.tableowner), "
            "EXISTS (SELECT FROM pg_roles WHERE rolname = %(user)s), t.tableowner, "
            "EXISTS (SELECT FROM pg_auth_members AS m "
            "JOIN pg_roles AS r ON r.oid = m.roleid AND r.rolname = t.tableowner "
            "JOIN pg_roles AS g ON g.oid = m.member AND g.rolname = %(user)s) "
            "FROM pg_tables AS t WHERE t.schemaname = current_schema() "
            "AND t.tablename = 'history'",
            {"user": user},
        ).one_or_none()
        tables = (
            conn.exec_driver_sql(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = current_schema() ORDER BY tablename"
            )
            .scalars()
            .all()
        )
    if row is None:
        raise Conflict(
            f"no claimtrack schema in {database.engine.url.database!r}", next_step=NextStep("init")
        )
    quoted, db, schema, owner, owner_super, exists, owner_name, member = row
    if not exists:
        raise InvalidValue(
            "DBUSER",
            user,
            "an existing PostgreSQL role: create it first, e.g. "
            f"CREATE ROLE {quoted} LOGIN PASSWORD '...'",
        )
    if user == owner_name:
        raise InvalidValue(
            "DBUSER", user, f"another role than the tables' owner ({owner_name} has every right)"
        )
    return {
        "user": quoted,
        "db": db,
        "schema": schema,
        "owner": owner,
        "owner_name": owner_name,
        "owner_super": owner_super,
        "member": member,
        "tables": tables,
    }


def _revoke(n: dict[str, Any]) -> list[str]:
    u, s, o = n["user"], n["schema"], n["owner"]
    return [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {u}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {u}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} REVOKE ALL ON TABLES FROM {u}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} REVOKE ALL ON SEQUENCES FROM {u}",
        # Only a role with ADMIN OPTION on the owner may take membership back: said only
        # when there is something to take.
        *([f"REVOKE {o} FROM {u}"] if n["member"] else []),
        f"REVOKE USAGE ON SCHEMA {s} FROM {u}",
        f"REVOKE CONNECT ON DATABASE {n['db']} FROM {u}",
    ]


def _grant(n: dict[str, Any], role: str) -> list[str]:
    u, s, o = n["user"], n["schema"], n["owner"]
    statements = [
        f"GRANT CONNECT ON DATABASE {n['db']} TO {u}",
        f"GRANT USAGE ON SCHEMA {s} TO {u}",
    ]
    if role == "admin":
        return [*statements, f"GRANT {o} TO {u} WITH ADMIN OPTION"]
    statements += [
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {u}",
        # SELECT on a sequence reads its state (pg_dump does, for `db backup`), never advances it.
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {u}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT SELECT ON TABLES TO {u}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} GRANT SELECT ON SEQUENCES TO {u}",
    ]
    if role == "reader":
        return statements
    data = [t for t in n["tables"] if t not in ("history", *MIGRATION_ONLY)]
    return [
        *statements,
        f"GRANT INSERT, UPDATE, DELETE ON {', '.join(data)} TO {u}",
        f"GRANT INSERT, UPDATE (claim_id, source_id) ON history TO {u}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO {u}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT INSERT, UPDATE, DELETE ON TABLES TO {u}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA {s} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {u}",
    ]


def grant_role(database: Database, *, user: str, role: str, dry_run: bool = False) -> list[str]:
    """Give `user` exactly the rights of `role` here (any earlier grant replaced); returns the
    SQL, run in one transaction unless `dry_run`."""
    values.one_of(role, ROLES, field="role")
    names = _names(database, user)
    if role == "admin" and names["owner_super"]:
        raise Conflict(
            f"the tables are owned by {names['owner_name']}, a superuser: an admin is made a "
            "member of the owner role, which would hand out the superuser's objects too. Give "
            "the database a dedicated owner role (see README, 'Working as a team'), or connect "
            "admins as the owner"
        )
    return _run(database, [*_revoke(names), *_grant(names, role)], dry_run)


def revoke_roles(database: Database, *, user: str, dry_run: bool = False) -> list[str]:
    """Take back every right `db grant` gives (rights granted to PUBLIC stay)."""
    return _run(database, _revoke(_names(database, user)), dry_run)


def _run(database: Database, statements: list[str], dry_run: bool) -> list[str]:
    if not dry_run:
        with database.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
    return statements
