"""claimtrack db upgrade | downgrade | current | check | backup"""

from __future__ import annotations

from typing import Annotated

import typer

from .output import print_json
from .params import PlainValuesGroup

app = typer.Typer(
    cls=PlainValuesGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="The database schema: migrations and checks.\n\n\b\nExample: claimtrack db current",
    no_args_is_help=True,
)


def _migrate(database, command_name: str, revision: str) -> None:
    from alembic.util import CommandError

    from ..db import run_migration
    from ..errors import InvalidValue

    try:
        run_migration(database, command_name, revision)
    except CommandError as exc:
        database.dispose()
        raise InvalidValue(
            "REVISION",
            revision,
            f"a revision this claimtrack knows, e.g. head, base, -1 or 0001 ({exc})",
        ) from None


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Migrate the database forward (to the newest schema by default).

    \b
    Example: claimtrack db upgrade
    """
    database = ctx.obj.database(create=True)
    before = database.schema_revision()
    _migrate(database, "upgrade", revision)
    after = database.schema_revision()
    database.dispose()
    typer.echo(
        f"Schema: {before or 'empty'} → {after}"
        if before != after
        else f"Schema already at {after}"
    )


@app.command("downgrade", context_settings={"ignore_unknown_options": True})
def downgrade(
    ctx: typer.Context,
    revision: Annotated[
        str, typer.Argument(help="Target revision, e.g. 0001, -1, or base (drops everything).")
    ],
) -> None:
    """Migrate the database back to an earlier revision.

    \b
    Example: claimtrack db downgrade -1
    """
    database = ctx.obj.database(check=False)
    before = database.schema_revision()
    _migrate(database, "downgrade", revision)
    after = database.schema_revision()
    database.dispose()
    typer.echo(f"Schema: {before} → {after or 'base (empty)'}")


@app.command("current")
def current(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Print the database's schema revision and the newest one this claimtrack knows.

    \b
    Example: claimtrack db current
    """
    from ..db import SCHEMA_REVISION

    database = ctx.obj.database(check=False)
    revision = database.schema_revision()
    database.dispose()
    if json_:
        print_json(
            {"revision": revision, "head": SCHEMA_REVISION, "current": revision == SCHEMA_REVISION}
        )
    else:
        state = "(head)" if revision == SCHEMA_REVISION else f"(head is {SCHEMA_REVISION})"
        typer.echo(f"{revision or 'empty'} {state}")


@app.command("check")
def check(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Check the database: schema against the models, storage integrity (SQLite), references,
    derived-from chains (no loops, origins current) and history. Exit 1 on any problem.

    \b
    Example: claimtrack db check
    """
    from ..services.maintenance import check_database

    database = ctx.obj.database()
    try:
        checks = check_database(database)
    finally:
        database.dispose()
    failed = [c for c in checks if not c.ok]
    if json_:
        # "problems" kept its first meaning (schema drift, unprefixed) and gained the others.
        problems = [
            p if c.name == "schema" else f"{c.name}: {p}" for c in failed for p in c.problems
        ]
        print_json(
            {"ok": not failed, "problems": problems, "checks": [c.as_dict() for c in checks]}
        )
    else:
        for item in checks:
            if item.ok:
                typer.echo(f"ok: {item.summary}")
        prefix = {"schema": "drift"}
        for item in failed:
            for problem in item.problems:
                typer.echo(f"{prefix.get(item.name, item.name)}: {problem}", err=True)
        if [c.name for c in failed] == ["schema"]:
            typer.echo(
                "Error: the database schema and the models differ; a migration is missing",
                err=True,
            )
        elif failed:
            typer.echo(
                f"Error: the database failed {len(failed)} of {len(checks)} checks "
                f"({', '.join(c.name for c in failed)}); restore a backup, or repair the rows "
                "named above",
                err=True,
            )
    if failed:
        raise typer.Exit(1)


@app.command("backup")
def backup(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="Where to write the copy (a new file).")
    ],
    json_: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Write a consistent copy of the database to FILE while others keep working: SQLite's
    online backup (the copy opens with --db FILE), or pg_dump for PostgreSQL (restore with
    pg_restore). The copy is readable by you only.

    \b
    Example: claimtrack db backup ~/backups/claims-2026-12-01.db
    """
    from pathlib import Path

    from ..services.maintenance import backup as make_backup

    database = ctx.obj.database()
    try:
        done = make_backup(database, Path(file))
    finally:
        database.dispose()
    if json_:
        print_json(done)
    else:
        typer.echo(
            f"Backed up {done['database']} to {done['backup']} "
            f"({done['bytes']:,} bytes, schema {done['revision']}, {done['method']})"
        )
