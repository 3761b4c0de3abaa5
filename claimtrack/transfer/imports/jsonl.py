"""JSON Lines: one typed record per line, `{"type": "claim", ...}`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..problems import BadRow, Problem, Shown, Where
from ..restore import RECORD_TYPES as RESTORE_TYPES
from .formats import FileRefused, Parsed, Reader
from .limits import Limits, too_deep
from .lines import Input, LineTooLong, Undecodable, undecodable_advice
from .rows import json_record


class JsonlReader(Reader):
    def __init__(self, source: Input, limits: Limits | None = None):
        self.source = source
        self.limits = limits or Limits()

    def records(self) -> Iterator[Parsed]:
        name = self.source.name
        number = 0
        try:
            for line in self.source.lines():
                number += 1
                text = line.strip()
                if not text:
                    continue
                where = Where(name, number)
                depth = too_deep(text, self.limits.max_depth)
                if depth is not None:
                    yield where, BadRow([_too_deep(where, depth, self.limits)]), line[:1000]
                    continue
                try:
                    obj = json.loads(text, object_pairs_hook=_unique_keys)
                except _DuplicateKey as exc:
                    problem = Problem(
                        where, exc.name, Shown("given twice in one record"), "each field once"
                    )
                    yield where, BadRow([problem]), line
                    continue
                except ValueError as exc:
                    detail = getattr(exc, "msg", str(exc))
                    column = getattr(exc, "colno", None)
                    at = f" at column {column}" if column else ""
                    yield (
                        where,
                        BadRow(
                            [
                                Problem(
                                    where,
                                    "record",
                                    Shown(f"not JSON ({detail}{at})"),
                                    "one JSON object per line",
                                )
                            ]
                        ),
                        line,
                    )
                    continue
                if isinstance(obj, dict) and obj.get("type") in RESTORE_TYPES:
                    # A whole-database export's restore section: transfer.restore reads it.
                    yield where, [("restore", obj)], line
                    continue
                try:
                    yield where, [json_record(obj, where)], line
                except BadRow as bad:
                    yield where, bad, line
        except Undecodable as exc:
            where = Where(name, exc.line)
            raise FileRefused(
                Problem(where, "encoding", Shown(exc.detail), "UTF-8"), undecodable_advice(name)
            ) from None
        except LineTooLong as exc:
            raise FileRefused(line_too_long(name, exc)) from None


class _DuplicateKey(ValueError):
    def __init__(self, name: str):
        self.name = name
        super().__init__(name)


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object as a dict, refusing a field given twice (json keeps the last one
    silently: `{"credibility": 1, "credibility": 5}` would import as 5)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateKey(name)
            seen.add(name)
    return obj


def _too_deep(where: Where, depth: int, limits: Limits) -> Problem:
    return Problem(
        where,
        "record",
        Shown(f"arrays and objects nested {depth:,} deep"),
        f"at most {limits.max_depth} levels (CLAIMTRACK_IMPORT_MAX_DEPTH)",
    )


def line_too_long(name: str, exc: LineTooLong) -> Problem:
    return Problem(
        Where(name, exc.line),
        "line",
        Shown(f"longer than {exc.limit:,} bytes"),
        f"lines of at most {exc.limit:,} bytes (CLAIMTRACK_IMPORT_MAX_LINE_BYTES)",
    )
