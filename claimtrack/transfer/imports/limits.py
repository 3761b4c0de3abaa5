"""Bounds on what one piece of an input file may hold, checked while streaming, so a hostile
file (200,000 nested `[` in 400 KB, a 2 GB line, a 1 GB string) is refused with FILE:LINE
instead of exhausting memory: each bound is far above real data and holds memory to a few
times the bound.

Each is settable with an environment variable, for the rare file that needs more:

    CLAIMTRACK_IMPORT_MAX_LINE_BYTES   one line of a JSONL or CSV file (default 16 MiB)
    CLAIMTRACK_IMPORT_MAX_RECORD_BYTES one record of a JSON array (default 16 MiB)
    CLAIMTRACK_IMPORT_MAX_DEPTH        nesting of arrays and objects in a record (default 32)
    CLAIMTRACK_IMPORT_MAX_FIELD_CHARS  one field (default 1,000,000 characters)
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields

from ...errors import InvalidValue

ENV_PREFIX = "CLAIMTRACK_IMPORT_"


@dataclass(frozen=True)
class Limits:
    max_line_bytes: int = 16 * 1024 * 1024
    max_record_bytes: int = 16 * 1024 * 1024
    max_depth: int = 32
    max_field_chars: int = 1_000_000

    @classmethod
    def from_env(cls) -> Limits:
        given = {}
        for item in fields(cls):
            name = ENV_PREFIX + item.name.upper()
            text = os.environ.get(name)
            if text is None or not text.strip():
                continue
            try:
                value = int(text.strip().replace("_", ""))
            except ValueError:
                value = 0
            if value < 1:
                raise InvalidValue(name, text, "a whole number of at least 1")
            given[item.name] = value
        return cls(**given)


_STRUCTURE = re.compile(r'[\[\]{}"\\]')


def nesting_depth(text: str) -> int:
    """How deeply arrays and objects nest in a JSON text (brackets inside strings do not
    count). Only called when the text holds more brackets than the limit."""
    depth = deepest = 0
    in_string = escaped = False
    last = -2
    for match in _STRUCTURE.finditer(text):
        char = match.group()
        if in_string:
            if escaped:
                # An escape covers the one character after the backslash; finditer only
                # stops at structural characters, so check it is the very next one.
                escaped = False
                if match.start() == last + 1:
                    continue
            if char == "\\":
                escaped, last = True, match.start()
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def too_deep(text: str, limit: int) -> int | None:
    """The nesting depth of `text` when it exceeds `limit`, else None (cheap when the text
    holds fewer brackets than the limit, as every real record does)."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = nesting_depth(text)
    return depth if depth > limit else None
