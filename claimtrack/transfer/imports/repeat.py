"""Importing again what was imported last: the common re-import (a scheduled job, a second
run by mistake) answered without reading a row.

When the newest event in the history is the import of these very files (the same contents,
by size and sha256, in the same order, under any name), read the same way (the same options, claimtrack version and schema), and
that import was *settled*, importing them again would find every record unchanged: nothing
has been written since (every change is an event, and history is append-only), and a settled
import left each record as its files give it. The answer is then that import's counts, all
unchanged, after hashing the files instead of parsing them.

An import is settled when it refused no row, took no source for a look-alike name, and wrote
no record twice (two changes of one claim's verdict, say: the second import of such a file
would change it back and forth again). What it must say again on a re-import (its ignored
columns and relay warnings) is kept in its event beside that. Anything else, or `--recheck`,
reads and compares every row as usual.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ...history_log import IMPORT
from ...models import HistoryEvent
from .lines import Input
from .rows import RECORD_TYPES

if TYPE_CHECKING:
    from . import ImportOptions

# Creating a record, or filing a new alias or link under a claim, happens once per record
# whatever the file holds; only a change can be made twice.
_ONCE = ("%.add", "%.alias")


@dataclass
class Settled:
    """What an import that could be answered again without reading keeps in its event."""

    options: str  # read_the_same_way's digest
    ignored_columns: dict[str, list[str]]
    warnings: list[str]
    warning_count: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Previous:
    """The import these files repeat: its event, time, counts and what it said."""

    event: int
    at: datetime
    records: int
    counts: dict[str, dict[str, int]]
    settled: Settled
    names: list[str]  # the files as that import named them

    def said_of(self, names: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
        """Its ignored columns and relay warnings, naming the files as `names` does."""
        renamed = dict(zip(self.names, names, strict=True))
        ignored = {
            renamed.get(name, name): kept for name, kept in self.settled.ignored_columns.items()
        }
        warnings = []
        for warning in self.settled.warnings:
            # A warning starts with where it was found: FILE:LINE.
            for old, new in renamed.items():
                if warning.startswith(old + ":"):
                    warning = new + warning[len(old) :]
                    break
            warnings.append(warning)
        return ignored, warnings

    def unchanged_counts(self) -> dict[str, dict[str, int]]:
        """Every record the files describe, now unchanged (in the writer's order of kinds:
        the event's JSON has them sorted by name)."""
        order = {kind: at for at, kind in enumerate(RECORD_TYPES)}
        return {
            kind: {"created": 0, "updated": 0, "unchanged": sum(self.counts[kind].values())}
            for kind in sorted(self.counts, key=lambda kind: order.get(kind, len(order)))
        }


def read_the_same_way(conn: Connection, options: ImportOptions) -> str:
    """A digest of everything besides the files that decides what an import does with them:
    its options, claimtrack's version and the schema."""
    schema = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    reading = {
        "format": options.format,
        "mapping": options.mapping,
        "stance_map": options.stance_map,
        "verdict_map": options.verdict_map,
        "delimiter": options.delimiter,
        "join_look_alike_sources": options.join_look_alike_sources,
        "limits": asdict(options.limits),
        "version": version("claimtrack"),
        "schema": schema,
    }
    text = json.dumps(reading, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def newest_event(conn: Connection) -> int:
    """The id of the newest history event (0 in an empty history): an import's own events
    are the ones after it, as writers are serialised."""
    return conn.exec_driver_sql("SELECT max(id) FROM history").scalar() or 0


def wrote_a_record_twice(conn: Connection, since: int) -> bool:
    """Whether the events after `since` change one record twice (by the same action)."""
    table = HistoryEvent.__table__
    c = table.c
    twice = (
        select(c.action)
        .where(c.id > since, c.entity != IMPORT, *(c.action.not_like(once) for once in _ONCE))
        .group_by(c.action, c.claim_id, c.source_id, c.evidence_id)
        .having(func.count() > 1)
        .limit(1)
    )
    return conn.execute(twice).first() is not None


def find(
    conn: Connection,
    names: Sequence[str],
    options: ImportOptions,
    hashing: Callable[[], None] | None = None,
) -> Previous | None:
    """The previous import these files repeat, if importing them again can be answered
    without reading them (see the module's docstring); else None. `hashing` is called before
    the files are read through to compare their hashes (only when all else agrees)."""
    if not names or "-" in names:
        return None
    table = HistoryEvent.__table__
    head = conn.execute(
        select(table.c.id, table.c.at, table.c.entity, table.c.after)
        .order_by(table.c.id.desc())
        .limit(1)
    ).first()
    if head is None or head.entity != IMPORT or not head.after:
        return None
    after = json.loads(head.after)
    kept = after.get("settled")
    files = after.get("files") or []
    if not kept or len(files) != len(names):
        return None
    if kept["options"] != read_the_same_way(conn, options):
        return None
    for name, file in zip(names, files, strict=True):
        if file.get("bytes") != Path(name).stat().st_size:
            return None
    # The sizes agree: only now is each file read through, to compare its hash.
    if hashing is not None:
        hashing()
    for name, file in zip(names, files, strict=True):
        source = Input.open(name)
        try:
            if file.get("sha256") != source.finish()["sha256"]:
                return None
        finally:
            source.close()
    return Previous(
        event=head.id,
        at=head.at,
        records=after.get("records", 0),
        counts=after.get("counts") or {},
        settled=Settled(**kept),
        names=[file.get("name") for file in files],
    )
