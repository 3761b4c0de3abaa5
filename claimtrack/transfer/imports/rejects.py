"""The bad rows of an import: the first few worded for the terminal, every one in the rejects
file of `import --skip-errors` (FILE, LINE, field, value, expected, the record as read)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from contextlib import ExitStack
from io import StringIO
from typing import Any

from ...errors import Spell, spell_fields
from ...outfile import Target
from ...output.csv import csv_cell
from ..problems import Problem, Where

SHOWN_PROBLEMS = 20


class Problems:
    """Bad rows: the first few worded for the terminal, all of them in the rejects file."""

    def __init__(
        self,
        rejects: str | None,
        *,
        force: bool = False,
        protect: Iterable[Any] = (),
        inputs: Iterable[str] = (),
        spell: Spell | None = None,
    ):
        self.spell = spell
        self.shown: list[str] = []
        self.shown_rows = 0
        self.bad_rows = 0
        self.fatal = False
        self.rejects_path = rejects
        self._file = None
        self._writer = None
        self._last: Where | None = None
        self._stack = None
        if rejects:
            # Checked before any row is read: never the database or an input file, an
            # existing file only with --force; written atomically when the import is done.
            target = Target(
                rejects, force=force, protect=protect, inputs=inputs, option="skip_errors"
            )
            self._stack = ExitStack()
            self._file = self._stack.enter_context(target.open())
            self._writer = csv.writer(self._file)
            self._writer.writerow(["file", "line", "field", "value", "expected", "record"])

    def add(self, where: Where, problems: list[Problem], raw: Any) -> None:
        if where != self._last:
            self.bad_rows += 1
            self._last = where
            if len(self.shown) < SHOWN_PROBLEMS:
                self.shown_rows += 1
        for problem in problems:
            if self.shown_rows == self.bad_rows:
                self.shown.append(problem.worded(self.spell))
            if self._writer is not None:
                value = problem.value if isinstance(problem.value, str) else repr(problem.value)
                # Formula-safe like every CSV claimtrack writes: a rejected row is hostile
                # input by definition, and the file is opened in a spreadsheet to fix it.
                self._writer.writerow(
                    [
                        csv_cell(where.file),
                        where.line,
                        csv_cell(spell_fields(problem.field, self.spell)),
                        csv_cell(_storable(value[:1000])),
                        csv_cell(spell_fields(problem.expected, self.spell)),
                        csv_cell(_storable(raw_text(raw))),
                    ]
                )

    def close(self, keep: bool) -> None:
        """Move the rejects file into place (keep) or remove it; safe to call twice."""
        stack, self._stack = self._stack, None
        if stack is None:
            return
        if keep:
            stack.close()
            return
        try:
            stack.__exit__(_Discarded, _Discarded(), None)
        except _Discarded:
            pass


class _Discarded(Exception):
    """Unwinds the rejects file's writer without moving it into place."""


def _storable(text: str) -> str:
    """Text the rejects file can hold: a lone surrogate (JSON "\\ud800") as \\ud800."""
    if text.isascii():
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def raw_text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw.rstrip("\r\n")
    if isinstance(raw, list):
        out = StringIO()
        csv.writer(out).writerow(raw)
        return out.getvalue().rstrip("\r\n")
    return json.dumps(raw, ensure_ascii=False, default=str)
