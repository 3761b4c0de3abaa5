"""JSON Lines: one typed record per line, `{"type": "claim", ...}`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..problems import BadRow, Problem, Shown, Where
from ..restore import RECORD_TYPES as RESTORE_TYPES
from .formats import DuplicateField, JsonReader, Parsed, given_twice, refused, unreadable
from .limits import Limits, too_deep
from .lines import LineTooLong, Undecodable


class JsonlReader(JsonReader):
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
                except DuplicateField as exc:
                    yield where, BadRow([given_twice(where, exc)]), line
                    continue
                except ValueError as exc:
                    detail = getattr(exc, "msg", str(exc))
                    column = getattr(exc, "colno", None)
                    at = f" at column {column}" if column else ""
                    shown = f"not JSON ({detail}{at})"
                    yield refused(where, "record", shown, "one JSON object per line", line)
                    continue
                if isinstance(obj, dict) and obj.get("type") in RESTORE_TYPES:
                    # A whole-database export's restore section: transfer.restore reads it.
                    yield where, [("restore", obj)], line
                    continue
                yield self.parsed(obj, where, line)
        except (Undecodable, LineTooLong) as exc:
            raise unreadable(name, exc) from None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object as a dict, refusing a field given twice (json keeps the last one
    silently: `{"credibility": 1, "credibility": 5}` would import as 5)."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise DuplicateField(name)
            seen.add(name)
    return obj


def _too_deep(where: Where, depth: int, limits: Limits) -> Problem:
    return Problem(
        where,
        "record",
        Shown(f"arrays and objects nested {depth:,} deep"),
        f"at most {limits.max_depth} levels (CLAIMTRACK_IMPORT_MAX_DEPTH)",
    )
