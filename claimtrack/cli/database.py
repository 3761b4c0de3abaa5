"""claimtrack db upgrade | downgrade | current | check | backup | grant | revoke"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import InvalidValue
from ..output.printing import print_json
from .next_steps import said
from .params import PlainValuesGroup

app = typer.Typer(
    cls=PlainValuesGroup,
    rich_markup_mode=None,
    add_completion=False,
    help="The database: migrations, checks, backups and team roles.\n\n\b\nExample: claimtrack db current",
    no_args_is_help=True,
)


def _migrate(database, command_name: str, revision: str) -> None:
    from alembic.util import CommandError

    from ..db import run_migration

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
    head: Annotated[
        bool,
        typer.Option(
            "--head",
            help="Check only the history chain and print its head (newest event and hash), "
            "to keep somewhere the database's users cannot write.",
        ),
    ] = False,
    kept: Annotated[
        str | None,
        typer.Option(
            "--kept",
            metavar="HASH",
            help="With --head: a head printed earlier (its sha256), which must still be in "
            "the chain: a history rewritten since is caught even with every hash recomputed.",
        ),
    ] = None,
) -> None:
    """Check the database: schema against the models, storage integrity (SQLite), references,
    derived-from chains (no loops, origins current), history, each claim's, source's and
    evidence item's creation (one event: its own or its import's), and the history's hash chain
    (each event against its content and the event before it; the first broken one named).
    Exit 1 on any problem.

    \b
    Example: claimtrack db check
    Example: claimtrack db check --head >> ~/claims-heads.txt
    Example: claimtrack db check --head --kept 9f3c...e1
    """
    from ..services.maintenance import check_database, history_head

    if kept is not None and not head:
        raise typer.BadParameter("--kept needs --head", param_hint="--kept")
    database = ctx.obj.database()
    if head:
        try:
            found = history_head(database, kept=kept)
        finally:
            database.dispose()
        if json_:
            print_json(found)
        elif found["event"] is None:
            typer.echo("head: no history events yet")
        else:
            typer.echo(f"head: event {found['event']} at {found['at']} sha256 {found['hash']}")
        fail_on_broken_chain(
            found["problems"],
            json_=json_,
            error=f"{len(found['problems'])} history events do not match the chain; this head "
            "is not trustworthy: restore a backup, or compare with a head kept earlier",
        )
        return
    try:
        checks = check_database(database)
    finally:
        database.dispose()
    for item in checks:
        if item.next_step is not None and item.problems:
            item.problems[-1] += said(item.next_step)
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


@app.command("grant")
def grant(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(metavar="DBUSER", help="An existing PostgreSQL role.")],
    role: Annotated[
        str,
        typer.Option(
            "--role",
            help="reader (read commands only), analyst (also add, edit, import, merge, "
            "calibrate) or admin (also migrate, back up and grant).",
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the SQL it would run, and run nothing.")
    ] = False,
) -> None:
    """Give a PostgreSQL user exactly one role's rights on this database (replacing any role
    given before), in one transaction; prints the SQL it ran.

    \b
    Example: claimtrack db grant ct_kim --role analyst --dry-run
    """
    from ..services.roles import grant_role

    database = ctx.obj.database()
    try:
        statements = grant_role(database, user=user, role=role, dry_run=dry_run)
    finally:
        database.dispose()
    _print_sql(statements, dry_run, f"{user} is now {'an' if role != 'reader' else 'a'} {role}")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(metavar="DBUSER", help="A PostgreSQL role.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the SQL it would run, and run nothing.")
    ] = False,
) -> None:
    """Take back every right `db grant` gave a PostgreSQL user on this database.

    \b
    Example: claimtrack db revoke ct_kim
    """
    from ..services.roles import revoke_roles

    database = ctx.obj.database()
    try:
        statements = revoke_roles(database, user=user, dry_run=dry_run)
    finally:
        database.dispose()
    _print_sql(statements, dry_run, f"{user} has no claimtrack role here any more")


def fail_on_broken_chain(problems: list[str], *, json_: bool, error: str) -> None:
    """Events that break the history's hash chain: each on stderr, then `error`, and exit 1
    (with --json the problems are in the JSON printed; only the exit code says so)."""
    if not problems:
        return
    if not json_:
        for problem in problems:
            typer.echo(f"chain: {problem}", err=True)
        typer.echo(f"Error: {error}", err=True)
    raise typer.Exit(1)


def _print_sql(statements: list[str], dry_run: bool, done: str) -> None:
    for statement in statements:
        typer.echo(statement + ";")
    typer.echo("-- dry run: nothing was changed" if dry_run else f"-- {done}")
