"""A JSON array of typed records, parsed incrementally (ijson), so its size does not matter.

ijson does not report line numbers, so problems are located as `FILE:item N`.
"""

from __future__ import annotations

from collections.abc import Iterator

from .formats import FileRefused, Parsed, Reader
from .lines import BOM, Input, undecodable_advice
from .rows import BadRow, Problem, Shown, Where, json_record


class _Counting:
    """A binary stream that drops a leading BOM and counts bytes for the progress bar."""

    def __init__(self, source: Input):
        self.source = source
        self.first = True

    def read(self, size: int = -1) -> bytes:
        data = self.source.stream.read(size)
        self.source.bytes_read += len(data)
        if self.first and data:
            self.first = False
            if data.startswith(BOM):
                data = data[3:]
        return data


class JsonArrayReader(Reader):
    def __init__(self, source: Input):
        self.source = source

    def records(self) -> Iterator[Parsed]:
        import ijson

        name = self.source.name
        head = self.source.peek(64).lstrip()
        if head and not head.startswith(b"["):
            raise FileRefused(
                Problem(
                    Where(name, 1),
                    "file",
                    Shown("not a JSON array"),
                    '[ {"type": ...}, ... ] (for one record per line, name it .jsonl)',
                )
            )
        number = 0
        try:
            for obj in ijson.items(_Counting(self.source), "item", use_float=True):
                number += 1
                where = Where(name, f"item {number}")
                try:
                    yield where, [json_record(obj, where)], obj
                except BadRow as bad:
                    yield where, bad, obj
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            where = Where(name, f"item {number + 1}")
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            utf8 = "utf" in detail.lower() or isinstance(exc, UnicodeDecodeError)
            raise FileRefused(
                Problem(
                    where,
                    "file",
                    Shown(f"not valid JSON ({detail})"),
                    "UTF-8 JSON" if utf8 else "a JSON array of records",
                ),
                undecodable_advice(name) if utf8 else "",
            ) from None
