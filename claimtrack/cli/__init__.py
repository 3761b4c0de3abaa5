"""The `claimtrack` command: global options, error handling, and the command groups.

Only Typer is imported at start-up; each command imports the services it needs when it runs,
so `claimtrack --help` stays fast.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from collections.abc import Mapping
from functools import cache
from typing import Annotated

import typer
import typer.main

from .. import __version__
from ..errors import ClaimtrackError
from .next_steps import worded
from .params import RUNNING, PlainValuesGroup, option_for, speller, spelling
from .state import State

# Every command of the root, in the order `claimtrack --help` lists them, with the module that
# declares it: a group module's `app`, or a module whose `register(app)` adds the command.
COMMANDS = {
    "init": "misc",
    "link": "link",
    "history": "misc",
    "info": "misc",
    "report": "report",
    "explain": "report",
    "calibrate": "calibrate",
    "import": "transfer",
    "export": "transfer",
    "search": "search",
    "duplicates": "duplicates",
    "source": "source",
    "claim": "claim",
    "evidence": "evidence",
    "db": "database",
}


class ClaimtrackGroup(PlainValuesGroup):
    """Turns every error a user can act on into one line on stderr and exit code 1.

    Its commands are built when first asked for: a run imports and builds the one it runs
    (Typer reads every parameter of every command it builds: 100 ms for all 60 of them).
    """

    def __init__(self, **attrs) -> None:
        super().__init__(**attrs)
        self.commands = _Commands()

    def list_commands(self, ctx: typer.Context) -> list[str]:
        return list(COMMANDS)

    def invoke(self, ctx: typer.Context):
        from ..settings import settings_scope

        try:
            with settings_scope(), spelling(ctx):
                return super().invoke(ctx)
        except ClaimtrackError as exc:
            if _debug(ctx):
                raise
            commands = (ctx.meta.get(RUNNING), ctx.command)
            if exc.field:
                exc.field = option_for(commands, exc.field)
            exc.spell = speller(ctx)
            typer.echo(f"Error: {_one_line(_scrubbed(worded(exc), ctx))}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            # The reader went away (`claimtrack report | head`): stop quietly, as Unix tools
            # do. Point stdout at /dev/null so the interpreter's final flush cannot fail too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except Exception as exc:
            if _debug(ctx) or type(exc).__module__.startswith(("typer", "click")):
                raise
            message = _scrubbed(_describe_unexpected(exc, ctx), ctx)
            typer.echo(f"Error: {_one_line(message)}", err=True)
            raise typer.Exit(1) from None


def _scrubbed(message: str, ctx: typer.Context) -> str:
    """The message without any secret of the database URL (a password in its query string
    quoted back by a driver, say)."""
    state = ctx.obj if isinstance(ctx.obj, State) else None
    try:
        url = state.url if state else None
    except Exception:
        return message
    if not url or url.startswith("sqlite"):
        return message
    from ..db import scrub

    return scrub(message, url)


def _one_line(message: str) -> str:
    """An error is one line, whatever stored text it quotes: control characters (a newline
    in a pasted reason, a terminal escape) are shown escaped, never acted on."""
    if message.isprintable():
        return message
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


class _Commands(Mapping):
    def __getitem__(self, name: str):
        return _module_commands(COMMANDS[name])[name]

    def __iter__(self):
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


@cache
def _module_commands(module_name: str) -> dict:
    module = importlib.import_module(f"{__name__}.{module_name}")
    if hasattr(module, "register"):
        holder = typer.Typer(rich_markup_mode=None, add_completion=False)
        module.register(holder)
        built = typer.main.get_command(holder)
        return dict(built.commands) if hasattr(built, "commands") else {built.name: built}
    group = typer.main.get_command(module.app)
    names = [name for name, where in COMMANDS.items() if where == module_name]
    group.name = names[0]
    return {group.name: group}


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
        if isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == "42501":
            detail = str(exc.orig).strip().splitlines()[0]
            return (
                f"the database refused: {detail}; your database user's role does not allow "
                "this (migrations and grants need an admin: `claimtrack db grant USER --role "
                "admin`); nothing was written"
            )
        if isinstance(exc, DBAPIError):
            return str(describe_operational_error(exc, url))
    if isinstance(exc, OSError) and exc.errno in (28, 122):  # ENOSPC, EDQUOT
        return "cannot write the output: the disk is full (or over quota); free some space"
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror}: {exc.filename}"
    return (
        f"unexpected {type(exc).__name__}: {exc}; nothing was written. "
        "Run again with --debug for the traceback and report it"
    )


def _version(value: bool) -> None:
    if value:
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
    no_color: Annotated[
        bool,
        typer.Option("--no-color", help="No colour in the output (also: the NO_COLOR variable)."),
    ] = False,
    no_pager: Annotated[
        bool,
        typer.Option(
            "--no-pager",
            help="Print long output straight to the terminal instead of through $PAGER.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    ctx.obj = State(db=db, actor=actor, debug=debug, no_color=no_color, no_pager=no_pager)


# The interpreter's own collector thresholds, for a command that runs long (import).
PYTHON_GC_THRESHOLDS = gc.get_threshold()


def main() -> None:
    # One command per process, most of whose objects (the modules, SQLAlchemy's metadata) live
    # until it exits: the cyclic collector's passes over them find nothing. None while the
    # command starts (State.database turns it on, past the imports), fewer during its work,
    # and none over every object at exit (frozen ones are left to the OS). CPU of `claim show`
    # on a 1-item claim 0.41 -> 0.25 s, on 5,000 items 0.44 -> 0.34 s (bench/README.md).
    gc.disable()
    gc.set_threshold(10_000, 10, 10)
    try:
        sys.exit(app())
    finally:
        gc.freeze()
