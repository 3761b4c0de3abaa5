"""The `claimtrack` command: global options, error handling, and the command groups.

Only Typer is imported at start-up; each command imports the services it needs when it runs,
so `claimtrack --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from ..errors import ClaimtrackError
from .params import PlainValuesGroup
from .state import State


class ClaimtrackGroup(PlainValuesGroup):
    """Turns every error a user can act on into one line on stderr and exit code 1."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except ClaimtrackError as exc:
            if _debug(ctx):
                raise
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            if _debug(ctx) or type(exc).__module__.startswith(("typer", "click")):
                raise
            typer.echo(f"Error: {_describe_unexpected(exc, ctx)}", err=True)
            raise typer.Exit(1) from None


def _debug(ctx: typer.Context) -> bool:
    state = ctx.obj if isinstance(ctx.obj, State) else None
    return bool(state and state.debug) or os.environ.get("CLAIMTRACK_DEBUG") == "1"


def _describe_unexpected(exc: Exception, ctx: typer.Context) -> str:
    state = ctx.obj if isinstance(ctx.obj, State) else None
    if type(exc).__module__.startswith("sqlalchemy"):
        from sqlalchemy.exc import DBAPIError, IntegrityError

        from ..db import describe_operational_error, resolve_url

        url = state.url if state else resolve_url()
        if isinstance(exc, IntegrityError):
            detail = str(exc.orig).strip().splitlines()[0]
            return f"the change breaks a rule of the database ({detail}); nothing was written"
        if isinstance(exc, DBAPIError):
            return str(describe_operational_error(exc, url))
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return (
        f"unexpected {type(exc).__name__}: {exc}; nothing was written. "
        "Run again with --debug for the traceback and report it"
    )


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"claimtrack {__version__}")
        raise typer.Exit()


app = typer.Typer(
    cls=ClaimtrackGroup,
    name="claimtrack",
    help=(
        "Track claims, the sources they came from and through whom, and the evidence for and "
        "against them; see where every claim stands and why.\n\n"
        "\b\nExample: claimtrack init && claimtrack source add 'Daily NK' --kind outlet "
        "--reliability C"
    ),
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            metavar="PATH_OR_URL",
            help="Database: a SQLite file path or a postgresql+psycopg:// URL. "
            "Default: $CLAIMTRACK_DB, else a file in your user data directory "
            "(see `claimtrack info`).",
        ),
    ] = None,
    actor: Annotated[
        str | None,
        typer.Option(
            "--actor",
            help="Who history records for changes. Default: $CLAIMTRACK_ACTOR, else your OS user.",
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the full traceback when something fails.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = State(db=db, actor=actor, debug=debug)


def _register() -> None:
    from . import (
        claim,
        database,
        duplicates,
        evidence,
        merge,
        misc,
        report,
        search,
        source,
        transfer,
    )

    app.add_typer(source.app, name="source", cls=PlainValuesGroup)
    app.add_typer(claim.app, name="claim", cls=PlainValuesGroup)
    app.add_typer(evidence.app, name="evidence", cls=PlainValuesGroup)
    app.add_typer(database.app, name="db", cls=PlainValuesGroup)
    misc.register(app)
    report.register(app)
    transfer.register(app)
    search.register(app)
    duplicates.register(app)
    merge.register(claim.app, source.app)


_register()


def main() -> None:
    sys.exit(app())
