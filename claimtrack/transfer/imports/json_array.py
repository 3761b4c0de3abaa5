"""A JSON array of typed records, parsed incrementally (ijson), so its size does not matter.

ijson does not report line numbers, so problems are located as `FILE:item N`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..problems import Problem, Shown, Where
from .formats import DuplicateField, FileRefused, JsonReader, Parsed, given_twice
from .limits import Limits
from .lines import BOM, Input, undecodable_advice


class _RecordTooLarge(Exception):
    pass


class _Counting:
    """A binary stream that drops a leading BOM, counts bytes for the progress bar, and stops
    the parser when one record grows past the limit (a 1 GB string would otherwise be
    buffered whole before the parser says anything)."""

    def __init__(self, source: Input, limit: int):
        self.source = source
        self.first = True
        self.limit = limit
        self.record_start: int | None = None

    def read(self, size: int = -1) -> bytes:
        data = self.source.stream.read(size)
        self.source.took(data)
        if self.first and data:
            self.first = False
            if data.startswith(BOM):
                data = data[3:]
        start = self.record_start
        if start is not None and self.source.bytes_read - start > self.limit + len(data):
            raise _RecordTooLarge
        return data


class JsonArrayReader(JsonReader):
    def records(self) -> Iterator[Parsed]:
        import ijson  # 25-35 ms to import (-X importtime): only when a JSON array is read

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
        stream = _Counting(self.source, self.limits.max_record_bytes)
        try:
            for obj in _items(ijson.basic_parse(stream, use_float=True), stream, self.limits):
                number += 1
                yield self.parsed(obj, Where(name, f"item {number}"), obj)
        except _TooDeep as exc:
            shown = Shown(f"arrays and objects nested more than {exc.args[0]} deep")
            expected = f"at most {exc.args[0]} levels (CLAIMTRACK_IMPORT_MAX_DEPTH)"
            raise FileRefused(Problem(_next(name, number), "record", shown, expected)) from None
        except DuplicateField as exc:
            raise FileRefused(given_twice(_next(name, number), exc)) from None
        except _RecordTooLarge:
            limit = self.limits.max_record_bytes
            shown = Shown(f"larger than {limit:,} bytes")
            expected = f"records of at most {limit:,} bytes (CLAIMTRACK_IMPORT_MAX_RECORD_BYTES)"
            raise FileRefused(Problem(_next(name, number), "record", shown, expected)) from None
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            where = _next(name, number)
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


def _next(name: str, number: int) -> Where:
    """Where the item after the last one read is: the one the parser stopped in."""
    return Where(name, f"item {number + 1}")


class _TooDeep(Exception):
    pass


def _items(events, stream: _Counting, limits: Limits):
    """The array's items, built from the parser's events as ijson.items builds them, but
    refusing nesting deeper than the limit before it is built and a field given twice."""
    limit = limits.max_depth + 1  # the array itself is one level
    depth = 0
    stack: list = []  # containers being built, innermost last
    keys: list = []  # for each open object, the key its next value goes to
    for event, value in events:
        if event == "start_map" or event == "start_array":
            depth += 1
            if depth > limit:
                raise _TooDeep(limits.max_depth)
            if depth == 2:
                stream.record_start = stream.source.bytes_read
            if depth >= 2:
                stack.append({} if event == "start_map" else [])
                keys.append(None)
            continue
        if event == "map_key":
            if value in stack[-1]:
                raise DuplicateField(value)
            keys[-1] = value
            continue
        if event == "end_map" or event == "end_array":
            depth -= 1
            if depth < 1:
                continue
            done = stack.pop()
            keys.pop()
            if not stack:
                stream.record_start = None
                yield done
                continue
            value = done
        elif depth == 1:
            yield value  # a scalar item: json_record says what is wrong with it
            continue
        container = stack[-1]
        if isinstance(container, dict):
            container[keys[-1]] = value
        else:
            container.append(value)
