"""What every format reader yields, and the error that refuses a whole file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..problems import BadRow, Problem, Where

# One input record: where it is, what it became (or why it was refused), and its raw text
# for a --skip-errors rejects file.
Parsed = tuple[Where, "list[tuple[str, Any]] | BadRow", Any]


class FileRefused(Exception):
    """The file cannot be read at all (wrong encoding, broken header, not JSON)."""

    def __init__(self, problem: Problem, advice: str = ""):
        self.problem = problem
        self.advice = advice
        super().__init__(str(problem))


class Reader:
    """Base of the format readers: `records()` yields Parsed items, `ignored` names input
    columns that no field takes (sheets only)."""

    ignored: list[str] = []

    def records(self) -> Iterator[Parsed]:  # pragma: no cover - interface
        raise NotImplementedError
