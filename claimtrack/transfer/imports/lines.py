"""Reading an input file as numbered text lines: UTF-8 with or without a BOM, stdin for `-`,
bytes counted for the progress bar and hashed for the import's history event, and undecodable
input refused with the line it is on."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

BOM = b"\xef\xbb\xbf"


class LineTooLong(Exception):
    """A line longer than the limit: reading stops, and the file is refused whole (the rest
    of the line is never held in memory)."""

    def __init__(self, line: int, limit: int):
        self.line = line
        self.limit = limit
        super().__init__(f"line {line} is longer than {limit:,} bytes")


class Undecodable(Exception):
    """The input is not UTF-8: reading stops, and the file is refused whole."""

    def __init__(self, line: int, detail: str):
        self.line = line
        self.detail = detail
        super().__init__(detail)


@dataclass
class Input:
    """One file named on the command line (or stdin), opened in binary. Every byte read goes
    through `took`, which counts it and hashes it (sha256, as `sha256sum` gives it)."""

    name: str
    stream: BinaryIO
    size: int | None
    bytes_read: int = 0
    max_line_bytes: int = 16 * 1024 * 1024
    digest: Any = field(default_factory=hashlib.sha256)

    def took(self, data: bytes) -> None:
        self.bytes_read += len(data)
        self.digest.update(data)

    def finish(self) -> dict[str, Any]:
        """After the reader is done: the rest of the file (a JSON array's trailing blanks)
        hashed too, and the file as the import's event names it."""
        while data := self.stream.read(1024 * 1024):
            self.took(data)
        return {"name": self.name, "sha256": self.digest.hexdigest(), "bytes": self.bytes_read}

    @classmethod
    def open(cls, name: str) -> Input:
        if name == "-":
            return cls(name="<stdin>", stream=sys.stdin.buffer, size=None)
        path = Path(name)
        stream = path.open("rb")
        return cls(name=name, stream=stream, size=path.stat().st_size)

    def close(self) -> None:
        if self.name != "<stdin>":
            self.stream.close()

    def peek(self, count: int = 4096) -> bytes:
        """The first bytes (without a BOM), without consuming them where the stream allows."""
        peek = getattr(self.stream, "peek", None)
        head = peek(count)[:count] if peek else b""
        return head[3:] if head.startswith(BOM) else head

    def lines(self) -> Iterator[str]:
        """Decoded lines with their endings kept (csv needs them); the BOM is dropped."""
        number = 0
        limit = self.max_line_bytes
        readline = self.stream.readline
        while raw := readline(limit + 1):
            number += 1
            if len(raw) > limit and not raw.endswith(b"\n"):
                raise LineTooLong(number, limit)
            self.took(raw)
            if number == 1 and raw.startswith(BOM):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                raise Undecodable(
                    number,
                    f"byte 0x{bad} at column {exc.start + 1} is not UTF-8",
                ) from None


def undecodable_advice(name: str) -> str:
    return (
        "claimtrack reads UTF-8 only: re-save the file as UTF-8 (spreadsheets: 'CSV UTF-8'), "
        f"or convert it, e.g. iconv -f latin1 -t utf-8 {name} > converted.csv"
    )
