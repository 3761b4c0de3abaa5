"""JSON and JSON lines: the indented JSON every --json prints (the standard library's text,
made fast), a report as one object with a row per line, and jsonl."""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Collection
from functools import cache
from itertools import repeat
from typing import Any

from ..terminal import json_safe
from .tables import Listing


def indented_json(data: Any, level: int = 0) -> str:
    """Exactly `json.dumps(data, ensure_ascii=False, indent=2, default=str)`, but fast.

    With an indent, Python's json falls back to its pure-Python encoder (0.2-0.3 s for a claim
    with 5,000 evidence items). Here the C encoder writes each list or dict in one call, with
    the newline and indentation as its item separator, its non-empty lists and dicts standing
    in as `0`; those are written the same way one level deeper and put in place of their `0`.
    The JSON text of a scalar or a key never holds a raw newline, so splitting at the separator
    finds the items. (An empty list or dict is `[]` or `{}` with or without an indent.) The
    pieces are joined once at the end: copying a claim's 3 MB of text at every level, into
    memory the process had not touched yet, cost more than the encoding.
    """
    if not isinstance(data, dict | list | tuple) or not data:
        return json.dumps(data, ensure_ascii=False, default=str)
    pieces: list[str] = []
    _write(data, level, pieces)
    return "".join(pieces)


def _write(data: dict | list | tuple, level: int, out: list[str]) -> None:
    """Append the pieces of a non-empty list or dict's indented text at `level` to `out`."""
    nested = _nested_at(data.values() if isinstance(data, dict) else data)
    if nested:
        if isinstance(data, dict):
            data = {k: 0 if n in nested else v for n, (k, v) in enumerate(data.items())}
        else:
            data = [0 if n in nested else v for n, v in enumerate(data)]
    flat = _flat_encoder(level)(data)
    inner = "\n" + "  " * (level + 1)
    out += (flat[0], inner)
    if nested:
        _write_items(flat[1:-1], "," + inner, nested, level + 1, out)
    else:
        out.append(flat[1:-1])
    out += ("\n" + "  " * level, flat[-1])


def _write_items(
    body: str, separator: str, nested: dict[int, Any], level: int, out: list[str]
) -> None:
    """The items of a flat body, each nested value written in place of its `0` (which ends
    the item: after `"key": ` in a dict)."""
    for n, part in enumerate(body.split(separator)):
        if n:
            out.append(separator)
        if n in nested:
            out.append(part[:-1])
            _write(nested[n], level, out)
        else:
            out.append(part)


def _nested_at(values: Collection[Any]) -> dict[int, Any]:
    """The non-empty lists, tuples and dicts among `values`, by position."""
    found = list(map(isinstance, values, repeat((dict, list, tuple))))
    if True not in found:
        return {}
    values = list(values)
    return {n: values[n] for n, container in enumerate(found) if container and values[n]}


@cache
def _flat_encoder(level: int) -> Callable[[Any], str]:
    return _encoder(",\n" + "  " * (level + 1), str)


@cache
def _encoder(item_separator: str, default: Callable[[Any], Any]) -> Callable[[Any], str]:
    """json.dumps(data, ensure_ascii=False, separators=(item_separator, ": "),
    default=default) as one function."""
    make = json.encoder.c_make_encoder
    if make is None:  # no C accelerator (another interpreter)
        encoder = json.JSONEncoder(
            ensure_ascii=False, default=default, separators=(item_separator, ": ")
        )
        return encoder.encode
    # JSONEncoder.encode builds a new C encoder on every call: a claim's 5,000 items made that
    # half the time. This is the one it builds, made once (no circular check: ours are trees).
    encode = make(
        None,
        default,
        json.encoder.encode_basestring,
        None,
        ": ",
        item_separator,
        False,
        False,
        True,
    )
    return lambda data: "".join(encode(data, 0))


# One encoder for every row (json.dumps's defaults but ensure_ascii): 5 ms of a 5,000-claim
# report went to building a new C encoder per row.
_json_row = _encoder(", ", json.JSONEncoder().default)


def json_text(report: dict[str, Any], width: int | None = None) -> str:
    """One object; each claim (or source) on a line of its own. Indenting everything would
    need the pure-Python encoder, several times slower on large reports."""
    rows_key = "claims" if report["kind"] == "claims" else "sources"
    head = {k: v for k, v in report.items() if k != rows_key}
    rows = ",\n".join(map(_json_row, report[rows_key]))
    opening = json.dumps(head, ensure_ascii=False)[:-1]
    body = f"\n{rows}\n" if rows else ""
    return json_safe(f'{opening}, "{rows_key}": [{body}]}}\n')


def jsonl_text(report: dict[str, Any], width: int | None = None) -> str:
    """One claim (or source) per line, nothing else: the summary is in the json format."""
    rows = report["claims"] if report["kind"] == "claims" else report["sources"]
    return "".join(json_safe(_json_row(row)) + "\n" for row in rows)


def listing_json(listing: Listing, width: int | None = None) -> str:
    return json_safe(indented_json(listing.rows)) + "\n"


def listing_jsonl(listing: Listing, width: int | None = None) -> str:
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    return "".join(json_safe(encode(row)) + "\n" for row in listing.rows)
