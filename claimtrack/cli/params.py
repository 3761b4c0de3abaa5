"""How every command's parameters read and parse: readable names in help, completion of
their values, and plain values passed through as given.

Help names each value in capitals (`--tag TAG`, `TEXT`, `FILE...`) where Typer 0.29 would
show its internal types (`<list[str]>`, `{FILE...}...`); what a value completes to follows
from that name (see complete.py).

Command-line values that are already what the command asks for pass through as given.

Typer 0.29 converts every value through a pydantic TypeAdapter it builds on first use, even a
str that is to stay a str. Importing pydantic and building the adapters costs 150-300 ms on
each run, more than some commands' own work. Here a text, flag or number that already has its
annotated type is kept as it is, and a number written plainly (`--limit 20`: digits, a sign,
a decimal point) is read as one; anything else (`--limit twenty`, a path) still goes through
Typer's own conversion, so its checks and error messages are unchanged.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Union

from typer.core import TyperArgument, TyperGroup

from ..errors import SPELLING, NextStep, spell_fields
from .next_steps import said

try:
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # another Typer release: its own conversion, only slower
    RuntimeParam = None

PLAIN_TYPES = (str, bool, int, float)
# Numbers as a user writes them, which int() and float() read exactly as Typer would.
PLAIN_NUMBER = {int: re.compile(r"[+-]?[0-9]+"), float: re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")}
RUNNING = "claimtrack.command"  # ctx.meta key of the command being run


def option_for(commands: Any, field: str) -> str:
    """The option of the running command (or of the root: `--db`, `--actor`) that gives
    the service field `field` (`event_date` -> `--event-date`), or the field itself when
    none does (it came from a file, the environment, or the Python API)."""
    spelled = "--" + field.replace("_", "-")
    for command in commands:
        for param in getattr(command, "params", ()):
            opts = [o for o in getattr(param, "opts", ()) if o.startswith("-")]
            if opts and (param.name == field or spelled in opts):
                return max(opts, key=len)
    return field


def flag_for(commands: Any, field: str) -> str:
    """option_for; for a field the running command has no option for, the option that gives
    it on the command that has one (`derived_from` -> `--derived-from`, of `source add`)."""
    option = option_for(commands, field)
    return option if option.startswith("-") else "--" + field.replace("_", "-")


def speller(ctx: Any) -> Callable[[str | NextStep], str]:
    """How the running command names a service field (as the option that gives it) and a
    step to take (as the command that takes it)."""
    commands = (ctx.meta.get(RUNNING), ctx.command)
    return lambda name: said(name) if isinstance(name, NextStep) else flag_for(commands, name)


@contextmanager
def spelling(ctx: Any) -> Iterator[None]:
    """While a command runs, what the layers below print names fields and steps as this
    command line does (errors.SPELLING): the running command is known once it is resolved."""
    token = SPELLING.set(lambda name: speller(ctx)(name))
    try:
        yield
    finally:
        SPELLING.reset(token)


def spelled(ctx: Any, message: str) -> str:
    """A service's message with each {field:NAME} as the option that gives NAME."""
    return spell_fields(message, speller(ctx))


class PlainValuesGroup(TyperGroup):
    """A command group whose parameters, and its commands', take plain values as given."""

    def parse_args(self, ctx, args):
        _prepare(self.get_params(ctx), ctx.parent.command.name if ctx.parent else None)
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, TyperGroup):
            _prepare(command.get_params(ctx), self.name)
            # meta is shared by every context of the run: the error handler reads it.
            ctx.meta[RUNNING] = command
        return name, command, rest


def _prepare(params, group: str | None) -> None:
    _readable(params, group)
    _pass_plain_values(params)


class _ReadableArgument(TyperArgument):
    """An argument shown by its name alone: `TEXT`, `[CLAIM]`, `FILE...`."""

    def display_type_rich(self, ctx) -> str:
        return ""

    def _usage_display_name(self) -> str:
        name = self.metavar or self.name.upper()
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name if self.required or name.startswith("[") else f"[{name}]"


def _readable(params, group: str | None) -> None:
    from .complete import EXPECTED, completer, words

    for param in params:
        if getattr(param, "_readable", False):
            continue
        param._readable = True
        if param.metavar is None and not getattr(param, "is_flag", False):
            descriptor = getattr(param, "type_descriptor", None)
            numeric = descriptor is not None and descriptor.annotation in (int, int | None)
            param.metavar = "N" if numeric else (param.name or "value").upper()
        if isinstance(param, TyperArgument):
            param.__class__ = _ReadableArgument
        complete = completer(param.metavar, group)
        if complete is not None and getattr(param, "_custom_shell_complete", None) is None:
            param._custom_shell_complete = complete
        fixed = words(param.metavar)
        if fixed and param.callback is None:
            param.callback = _one_of(fixed, EXPECTED.get(param.metavar))


def _one_of(allowed: tuple[str, ...], expected: str | None):
    """A value outside its list is a usage error (exit 2), found before the command runs;
    case and surrounding spaces do not matter, and '' (which clears a field) is left to the
    command."""
    lowered = {word.lower() for word in allowed}
    expected = expected or "one of " + ", ".join(allowed)

    def check(ctx, param, value):
        from ..errors import InvalidValue

        given = value if isinstance(value, list | tuple) else [value]
        for item in given:
            if item is not None and item.strip() and item.strip().lower() not in lowered:
                field = (
                    max(param.opts, key=len) if param.param_type_name == "option" else param.name
                )
                raise InvalidValue(field, item, expected, usage=True)
        return value

    return check


if RuntimeParam is not None:

    class _GivenValue(RuntimeParam):
        def _coerce_value(self, value: Any, param, ctx) -> Any:
            wanted = _optional_of(self.annotation)
            if isinstance(wanted, type):
                if type(value) is wanted:
                    return value
                number = PLAIN_NUMBER.get(wanted)
                bounded = getattr(self.parameter_info, "min", None) is not None or (
                    getattr(self.parameter_info, "max", None) is not None
                )  # Typer checks (or clamps) to the bounds
                if number and not bounded and type(value) is str and number.fullmatch(value):
                    return wanted(value)
            elif isinstance(value, tuple | list) and all(
                type(item) is wanted.__args__[0] for item in value
            ):
                return list(value)
            return build_runtime_param(param.type_descriptor)._coerce_value(value, param, ctx)


def _pass_plain_values(params) -> None:
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if (
            descriptor is None
            or getattr(param, "_runtime_param", True) is not None
            or descriptor.parameter_info.parser is not None
            or not _plain(descriptor.annotation)
        ):
            continue
        param._runtime_param = _GivenValue(
            parameter_info=descriptor.parameter_info, annotation=descriptor.annotation
        )


def _optional_of(annotation: Any) -> Any:
    """`int` for `int | None` (an option that may be left out); else the annotation."""
    if isinstance(annotation, types.UnionType) or getattr(annotation, "__origin__", None) is Union:
        given = [arg for arg in annotation.__args__ if arg is not type(None)]
        if len(given) == 1:
            return given[0]
    return annotation


def _plain(annotation: Any) -> bool:
    annotation = _optional_of(annotation)
    if annotation in PLAIN_TYPES:
        return True
    return getattr(annotation, "__origin__", None) is list and annotation.__args__[0] in (
        PLAIN_TYPES
    )
