"""What is wrong where: a bad value in a row of an input file, named by FILE:LINE and field,
as the import shows it on the terminal and writes it to the rejects file. A setting of the
import named in a problem is written {field:NAME}, which the caller spells (the command line:
the option that gives NAME)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import values
from ..errors import Spell, spell_fields


@dataclass(frozen=True, slots=True)
class Where:
    file: str
    line: int | str  # a line number, or "item N" in a JSON array

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def show(value: object) -> str:
    """A value as an error message shows it: quoted, shortened, its size when huge."""
    if isinstance(value, str):
        if "\x00" in value:
            return "<text with a NUL byte>"
        if not value.isascii() and values._SURROGATE.search(value):
            return "<text with a lone surrogate>"
        if len(value) > 60:
            return repr(value[:50] + "…") + f" ({len(value):,} characters)"
    return repr(value)


@dataclass(frozen=True, slots=True)
class Problem:
    where: Where
    field: str
    value: object
    expected: str

    def __str__(self) -> str:
        return self.worded()

    def worded(self, spell: Spell | None = None) -> str:
        """The problem as one line, each {field:NAME} in its field and expected text named
        by `spell` (the command line: the option that gives NAME)."""
        shown = self.value if isinstance(self.value, Shown) else show(self.value)
        field, expected = (spell_fields(text, spell) for text in (self.field, self.expected))
        return f"{self.where}: {field}: {shown} — expected {expected}"


class Shown(str):
    """A value already worded for the message (e.g. '<missing>')."""


MISSING = Shown("<missing>")


class BadRow(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))
