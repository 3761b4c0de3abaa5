"""The CSV evidence sheet: one row per evidence item, with the user's own headers and words
mapped by --map FIELD=COLUMN and --stance-map, and `,` `;` or tab found from the header."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ... import values
from ...errors import InvalidValue
from ..problems import Problem, Shown, Where
from ..sheet import SHEET_FIELDS
from .formats import BATCH, FileRefused, Parsed, Reader, refused, unreadable
from .limits import Limits
from .lines import Input, LineTooLong, Undecodable
from .sheet_rows import SheetRows

if TYPE_CHECKING:
    from .staging import Taken

DELIMITERS = (",", ";", "\t", "|")


def _normal(header: str) -> str:
    return "_".join(header.strip().lower().replace("-", " ").split())


def sniff_delimiter(header_line: str) -> str:
    """The candidate that splits the header into the most columns (`,` on a tie)."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def column_label(header: list[str], index: int) -> str:
    name = header[index].strip()
    return name if name else f"(unnamed column {index + 1})"


class SheetReader(Reader):
    def __init__(
        self,
        source: Input,
        *,
        mapping: Mapping[str, str] | None = None,
        stance_map: Mapping[str, str] | None = None,
        verdict_map: Mapping[str, str | None] | None = None,
        delimiter: str | None = None,
        limits: Limits | None = None,
        taken: Taken | None = None,
    ):
        # Cells may be large (a quote of a few hundred kilobytes): the validator refuses
        # those over the field limit with a message; the csv module's own limit (a cell
        # spanning many lines) bounds what one row can hold in memory.
        limits = limits or Limits()
        csv.field_size_limit(max(limits.max_line_bytes, limits.max_field_chars))
        self.source = source
        self.mapping = dict(mapping or {})
        self.stance_map = {k.lower(): v for k, v in (stance_map or {}).items()}
        self.verdict_map = {k.lower(): v for k, v in (verdict_map or {}).items()}
        self.delimiter = delimiter
        self.taken = taken  # what the import has taken whole (SheetRows)
        self.ignored: list[str] = []

    def _columns(self, header: list[str]) -> dict[str, int]:
        """Sheet field -> column index, from the header and --map."""
        where = Where(self.source.name, 1)
        by_name = {_normal(name): i for i, name in enumerate(header)}
        exact = {name.strip(): i for i, name in enumerate(header)}
        index: dict[str, int] = {}
        for name, i in by_name.items():
            if name in SHEET_FIELDS:
                index[name] = i
        for field_name, column in self.mapping.items():
            if column.strip() in exact:
                index[field_name] = exact[column.strip()]
            elif _normal(column) in by_name:
                index[field_name] = by_name[_normal(column)]
            else:
                raise FileRefused(
                    Problem(
                        where,
                        "{field:map} " + field_name,
                        column,
                        "a column of the header: "
                        + ", ".join(column_label(header, i) for i in range(len(header))),
                    )
                )
        missing = []
        if "claim_key" not in index and "claim_text" not in index:
            missing.append("claim_key or claim_text")
        if "source_key" not in index and "source_name" not in index:
            missing.append("source_key or source_name")
        if "stance" not in index:
            missing.append("stance")
        if missing:
            raise FileRefused(
                Problem(
                    where,
                    "header",
                    Shown(", ".join(column_label(header, i) for i in range(len(header)))),
                    "columns for "
                    + "; ".join(missing)
                    + " (map your own headers with {field:map} FIELD=COLUMN)",
                )
            )
        used = set(index.values())
        self.ignored = [column_label(header, i) for i in range(len(header)) if i not in used]
        return index

    def records(self) -> Iterator[Parsed]:
        for batch in self.batches():
            yield from batch

    def batches(self) -> Iterator[list[Parsed]]:
        """The sheet's rows, checked BATCH at a time (SheetRows.batch), each batch with the
        rows refused on the way (too many cells, broken quoting) in file order."""
        name = self.source.name
        lines = self.source.lines()
        done: list[Parsed] = []  # the batch to yield: rows checked, rows refused
        try:
            first = next(lines, None)
            if first is None:
                return
            delimiter = self.delimiter or sniff_delimiter(first)
            header = next(csv.reader([first], delimiter=delimiter))
            index = self._columns(header)
            columns = {f: column_label(header, i) for f, i in index.items()}
            width = len(header)
            sheet_rows = SheetRows(
                index=index,
                width=width,
                columns=columns,
                stance_map=self.stance_map,
                verdict_map=self.verdict_map,
                taken=self.taken,
            )
            wheres: list[Where] = []  # the rows read, not yet checked
            raws: list[list[str]] = []
            padded: list[list[str]] = []

            def check() -> None:
                nonlocal wheres, raws, padded
                done.extend(zip(wheres, sheet_rows.batch(wheres, padded), raws, strict=True))
                wheres, raws, padded = [], [], []

            reader = csv.reader(lines, delimiter=delimiter)
            line = 1  # the last line read
            while True:
                # One loop per stretch of well-formed CSV (a csv.Error ends it), not a
                # try per row.
                try:
                    for cells in reader:
                        start, line = line + 1, reader.line_num + 1
                        if not cells or not (cells[0] or any(cells)):
                            continue
                        given = len(cells)
                        if given != width:
                            if given > width:
                                expected = (
                                    f"at most {width} cells like the header (quote cells that "
                                    f"contain {delimiter!r})"
                                )
                                check()
                                where = Where(name, start)
                                done.append(
                                    refused(where, "row", f"{given} cells", expected, cells)
                                )
                                if len(done) >= BATCH:
                                    yield done
                                    done = []
                                continue
                            padded.append(cells + [""] * (width - given))
                        else:
                            padded.append(cells)
                        wheres.append(Where(name, start))
                        raws.append(cells)
                        if len(raws) >= BATCH:
                            check()
                            yield done
                            done = []
                except csv.Error as exc:
                    start, line = line + 1, reader.line_num + 1
                    check()
                    done.append(
                        refused(Where(name, start), "row", str(exc), "a well-formed CSV row", "")
                    )
                    if len(done) >= BATCH:
                        yield done
                        done = []
                    continue
                break
            check()
            if done:
                yield done
        except (Undecodable, LineTooLong) as exc:
            # The rows checked before the line that cannot be read are taken (those read
            # but not yet checked are not): the file is then refused.
            if done:
                yield done
            raise unreadable(name, exc) from None


def parse_map(items: list[str]) -> dict[str, str]:
    """--map FIELD=COLUMN options -> {field: column}."""
    mapping = {}
    for item in items:
        field_name, sep, column = item.partition("=")
        field_name = field_name.strip()
        if not sep or not column.strip():
            raise InvalidValue("map", item, "FIELD=COLUMN, e.g. claim_text=claimHeadline")
        if field_name not in SHEET_FIELDS:
            raise InvalidValue("map", item, "a sheet field: " + ", ".join(SHEET_FIELDS))
        mapping[field_name] = column
    return mapping


def parse_verdict_map(text: str | None) -> dict[str, str | None]:
    """--verdict-map true=confirmed,false=debunked,unknown=none -> {'true': 'confirmed', ...};
    a word mapped to none gives no verdict."""
    expected = "WORD=VERDICT pairs, e.g. true=confirmed,false=debunked"
    return _word_map(text, "verdict_map", expected, values.verdict, empty=False)


def parse_stance_map(text: str | None) -> dict[str, str]:
    """--stance-map for=supports,against=contradicts -> {'for': 'supports', ...}."""
    expected = "WORD=STANCE pairs, e.g. for=supports"
    return _word_map(text, "stance_map", expected, values.stance, empty=True)


def _word_map(
    text: str | None, field: str, expected: str, parse: Callable[..., Any], *, empty: bool
) -> dict[str, Any]:
    """WORD=VALUE,... -> {word: parse(VALUE)}; with `empty`, an empty VALUE is left to
    `parse` to refuse (its message lists the values it takes)."""
    result = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        word, sep, value = item.partition("=")
        if not sep or not word.strip() or not (empty or value.strip()):
            raise InvalidValue(field, item, expected)
        result[word.strip().lower()] = parse(value, field=field)
    return result
