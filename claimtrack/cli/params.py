"""Command-line values that are already what the command asks for pass through as given.

Typer 0.29 converts every value through a pydantic TypeAdapter it builds on first use, even a
str that is to stay a str. Importing pydantic and building the adapters costs 150-300 ms on
each run, more than some commands' own work. Here a text, flag or number that already has its
annotated type is kept as it is; anything else (a number given as text, a path) still goes
through Typer's own conversion, so its checks and error messages are unchanged.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

try:
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # another Typer release: its own conversion, only slower
    RuntimeParam = None

PLAIN_TYPES = (str, bool, int, float)
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


class PlainValuesGroup(TyperGroup):
    """A command group whose parameters, and its commands', take plain values as given."""

    def parse_args(self, ctx, args):
        _pass_plain_values(self.get_params(ctx))
        return super().parse_args(ctx, args)

    def resolve_command(self, ctx, args):
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and not isinstance(command, TyperGroup):
            _pass_plain_values(command.get_params(ctx))
            # meta is shared by every context of the run: the error handler reads it.
            ctx.meta[RUNNING] = command
        return name, command, rest


if RuntimeParam is not None:

    class _GivenValue(RuntimeParam):
        def _coerce_value(self, value: Any, param, ctx) -> Any:
            wanted = self.annotation
            if isinstance(wanted, type):
                if type(value) is wanted:
                    return value
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


def _plain(annotation: Any) -> bool:
    if annotation in PLAIN_TYPES:
        return True
    return getattr(annotation, "__origin__", None) is list and annotation.__args__[0] in (
        PLAIN_TYPES
    )
