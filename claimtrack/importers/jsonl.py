"""JSON Lines: one typed record per line, `{"type": "claim", ...}`."""

from __future__ import annotations

import json
from collections.abc import Iterator

from .formats import FileRefused, Parsed, Reader
from .lines import Input, Undecodable, undecodable_advice
from .rows import BadRow, Problem, Shown, Where, json_record


class JsonlReader(Reader):
    def __init__(self, source: Input):
        self.source = source

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
                try:
                    obj = json.loads(text)
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
                try:
                    yield where, [json_record(obj, where)], line
                except BadRow as bad:
                    yield where, bad, line
        except Undecodable as exc:
            where = Where(name, exc.line)
            raise FileRefused(
                Problem(where, "encoding", Shown(exc.detail), "UTF-8"), undecodable_advice(name)
            ) from None
