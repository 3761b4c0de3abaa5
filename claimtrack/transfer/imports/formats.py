"""What every format reader yields, and the error that refuses a whole file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..problems import BadRow, Problem, Shown, Where
from .limits import Limits
from .lines import Input, LineTooLong, Undecodable, undecodable_advice
from .rows import json_record

# One input record: where it is, what it became (or why it was refused), and its raw text
# for a --skip-errors rejects file.
Parsed = tuple[Where, "list[tuple[str, Any]] | BadRow", Any]
BATCH = 256  # records a reader yields together (Reader.batches)


class FileRefused(Exception):
    """The file cannot be read at all (wrong encoding, broken header, not JSON)."""

    def __init__(self, problem: Problem, advice: str = ""):
        self.problem = problem
        self.advice = advice
        super().__init__(str(problem))


class Reader:
    """Base of the format readers: `records()` yields Parsed items, `batches()` the same
    items a list at a time (as the import takes them), `ignored` names input columns that no
    field takes (sheets only). A record's claims and sources come first in what it gives."""

    ignored: list[str] = []

    def records(self) -> Iterator[Parsed]:  # pragma: no cover - interface
        raise NotImplementedError

    def batches(self) -> Iterator[list[Parsed]]:
        """records(), BATCH at a time: the import's loop then runs once per batch, not per
        record. A file refused part way is refused after the records read before it."""
        batch: list[Parsed] = []
        try:
            for item in self.records():
                batch.append(item)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
        except FileRefused:
            if batch:
                yield batch
            raise
        if batch:
            yield batch


def refused(where: Where, field: str, shown: str, expected: str, raw: Any) -> Parsed:
    """A record refused for one problem, as the readers yield it."""
    return where, BadRow([Problem(where, field, Shown(shown), expected)]), raw


class JsonReader(Reader):
    """Base of the JSON readers (a record a line, or an array of records)."""

    def __init__(self, source: Input, limits: Limits | None = None):
        self.source = source
        self.limits = limits or Limits()

    @staticmethod
    def parsed(obj: Any, where: Where, raw: Any) -> Parsed:
        """One JSON record as the readers yield it: normalised, or why it is refused."""
        try:
            return where, [json_record(obj, where)], raw
        except BadRow as bad:
            return where, bad, raw


class DuplicateField(ValueError):
    """A field given twice in one JSON record (json and ijson keep the last silently)."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(name)


def given_twice(where: Where, exc: DuplicateField) -> Problem:
    return Problem(where, exc.name, Shown("given twice in one record"), "each field once")


def unreadable(name: str, exc: Undecodable | LineTooLong) -> FileRefused:
    """A file whose lines cannot be read: not UTF-8, or a line longer than the limit."""
    where = Where(name, exc.line)
    if isinstance(exc, Undecodable):
        problem = Problem(where, "encoding", Shown(exc.detail), "UTF-8")
        return FileRefused(problem, undecodable_advice(name))
    return FileRefused(
        Problem(
            where,
            "line",
            Shown(f"longer than {exc.limit:,} bytes"),
            f"lines of at most {exc.limit:,} bytes (CLAIMTRACK_IMPORT_MAX_LINE_BYTES)",
        )
    )
