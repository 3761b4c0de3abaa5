"""claimtrack db upgrade | downgrade | current | check"""

from __future__ import annotations

from typing import Annotated

import typer

from .output import print_json

app = typer.Typer(
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
    """Check that the database matches this claimtrack's models; exit 1 if it does not.

    \b
    Example: claimtrack db check
    """
    from ..db import schema_drift

    database = ctx.obj.database()
    problems = schema_drift(database)
    database.dispose()
    if json_:
        print_json({"ok": not problems, "problems": problems})
    elif problems:
        for problem in problems:
            typer.echo(f"drift: {problem}", err=True)
    else:
        typer.echo("ok: the schema matches the models")
    if problems:
        if not json_:
            typer.echo(
                "Error: the database schema and the models differ; a migration is missing",
                err=True,
            )
        raise typer.Exit(1)
