"""Domain errors. Each message names what was wrong and what to do next; the CLI prints it as
one line on stderr and exits 1 (see cli/__init__.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar

# Other fields a message names, as {field:NAME} ("give {field:derived_from} another source"):
# the Python API shows the field's name, the command line the option that gives it
# (--derived-from), through `spell`, which the CLI sets. A step to take, named within a text
# that is no error (a warning, a row's problem), is {step:NAME}: the command line words it as
# the command to type (`spell(NextStep(NAME))`), the Python API leaves it out.
_NAMED = re.compile(r"\{(field|step):(\w+)\}")


def spell_fields(message: str, spell: Spell | None = None) -> str:
    """The message with each {field:NAME} spelled by `spell` (default: NAME itself) and each
    {step:NAME} by `spell(NextStep(NAME))` (default: left out)."""

    def spelled(match: re.Match) -> str:
        kind, name = match.groups()
        if kind == "step":
            return spell(NextStep(name)) if spell else ""
        return spell(name) if spell else name

    return _NAMED.sub(spelled, message)


class NextStep:
    """What to do about a problem, named as an operation (`restore`) with the values it needs
    (the entity and key): a service says what is wrong, and the command line words the step
    as the command to type (cli/next_steps.py); the Python API's message goes without it."""

    __slots__ = ("name", "values")

    def __init__(self, name: str, **values: object) -> None:
        self.name, self.values = name, values

    def __repr__(self) -> str:
        return f"NextStep({self.name!r}, **{self.values!r})"


# How a reader names a field and a step (see spell_fields); the command line's: cli/params.py.
Spell = Callable[[str | NextStep], str]
# The command line's Spell while it runs a command (cli/params.py sets it), for what it
# prints that is no error and not worded by the CLI itself (output: --limit, --format);
# None for the Python API.
SPELLING: ContextVar[Spell | None] = ContextVar("claimtrack_spelling", default=None)


class ClaimtrackError(Exception):
    """Base of every error a user can act on. `exit_code` is what the CLI exits with.

    A message that tells the user to change a value names it as `{field}`, filled with
    `field` (the service's name for it, `new_key`); the CLI puts the option typed in its
    place (`--new-key`). `next_step`, when set, is what to do next; the CLI adds it to the
    message as the command that does it."""

    exit_code = 1
    field: str | None = None
    spell: Spell | None = None
    next_step: NextStep | None = None

    def __init__(self, *args: object, field: str | None = None, next_step: NextStep | None = None):
        super().__init__(*args)
        if field is not None:
            self.field = field
        if next_step is not None:
            self.next_step = next_step

    def __str__(self) -> str:
        message = spell_fields(super().__str__(), self.spell)
        return message.replace("{field}", self.field) if self.field else message


class NotFound(ClaimtrackError):
    pass


class InvalidValue(ClaimtrackError):
    """A value given by the user is not acceptable. `field` names it as the services know it
    (`key`, `event_date`, `status`) or where it came from (an environment variable, a
    settings file key); the CLI shows the option the user typed instead (cli/__init__.py).

    A bad value for a command-line option (`field` is, or the CLI has made it, the option:
    `--format`, `-o`) or one that `usage` marks as given on the command line is a usage error,
    exit 2 as for any other usage error; a bad field or row, exit 1.
    """

    def __init__(self, field: str, value: object, expected: str, *, usage: bool = False):
        self.field = field
        self.value = value
        self.expected = expected
        self.usage = usage
        super().__init__(field, value, expected)

    def __str__(self) -> str:
        field, expected = (spell_fields(text, self.spell) for text in (self.field, self.expected))
        return f"{field}: {self.value!r} is not valid; expected {expected}"

    @property
    def exit_code(self) -> int:  # type: ignore[override]
        return 2 if self.usage or self.field.startswith("-") else 1


class Conflict(ClaimtrackError):
    """The change would break a rule of the data (duplicate key, derived-from loop, ...)."""


class DatabaseError(ClaimtrackError):
    """The database cannot be reached, opened, or is at the wrong schema revision."""


class LockTimeout(DatabaseError):
    pass


class ReadOnly(DatabaseError):
    """The connected database user may only read (a reader, in `claimtrack db grant`)."""


class OutputError(ClaimtrackError):
    """An output file cannot be written (full disk, no permission); the target is untouched."""
