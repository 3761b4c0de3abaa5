"""Import and export: the operations the CLI and scripts call with a Session, and the formats.

    __init__.py    import_files, import_records, export, export_file: what runs in the
                   session's transaction (the duplicate check after an import included)
    exports.py     the export formats: jsonl, json, the CSV sheet, ClaimReview
    sheet.py       the CSV evidence sheet's columns and cells, which export writes and
                   import reads
    restore.py     a whole-database export's restore section: written by export, read back
                   by an import into an empty database
    problems.py    what is wrong where (FILE:LINE, field, value, expected)
    imports/       the import: a reader per format, the one row validator (rows.py; the
                   sheet's rows in sheet_rows.py), the rejects file (rejects.py), and the
                   bulk writer (writer/, one module per entity), in two passes inside the
                   caller's transaction

Transfer sits above the services: it uses their claim filter, assessments and duplicate
check, and keeps their search index current while it writes in bulk.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.orm import Session

from .. import values
from ..errors import InvalidValue, Spell
from ..outfile import Target, bound_database_files
from ..services.claim_filter import ClaimFilter
from ..services.common import actor_of
from .exports import EXPORTERS, ExportOptions

if TYPE_CHECKING:
    from .imports import ImportResult, Progress

# The import side (imports/ and the duplicate check, services.duplicates) is loaded when an
# import runs: `claimtrack export` would spend 80-150 ms importing it (measured in-process on
# this 2-core machine under load); the exporter costs an import 5-9 ms and is loaded here.


def import_files(
    session: Session,
    *,
    files: Sequence[str],
    format: str | None = None,
    mapping: dict[str, str] | None = None,
    stance_map: dict[str, str] | None = None,
    verdict_map: dict[str, str | None] | None = None,
    delimiter: str | None = None,
    dry_run: bool = False,
    rejects: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    on_duplicate: str = "warn",
    spell: Spell | None = None,
    recheck: bool = False,
) -> ImportResult:
    """Import files (`-` is stdin) in the session's transaction; all or nothing unless
    `rejects` names a CSV file for the bad rows (an existing one is replaced only with
    `force`). Raises imports.ImportRefused.

    Created claims that look like existing ones are reported in `result.duplicates`, or
    merged into them with on_duplicate="merge" (see services.duplicates). Sources given by
    name whose names look like another source's ("Dаily NK" with a Cyrillic а) are reported,
    or with on_duplicate="merge" taken for that source (never created).

    A problem that names a setting of the import (`{field:verdict_map}`) names it through
    `spell`, on the terminal and in the rejects file: the command line passes the option
    that gives it (--verdict-map); by default the setting's own name."""
    from ..services.duplicates import (
        IMPORT_CHECK_MAX_NEW,
        IMPORT_ON_DUPLICATE,
        check_imported,
        look_alike_sources,
    )
    from .imports import ImportOptions, run_import

    values.one_of(on_duplicate, IMPORT_ON_DUPLICATE, field="on_duplicate")
    for name in files:
        if name != "-" and not Path(name).is_file():
            raise InvalidValue("FILE", name, "an existing file (or - for standard input)")
    options = ImportOptions(
        format=format,
        mapping=dict(mapping or {}),
        stance_map=dict(stance_map or {}),
        verdict_map=dict(verdict_map or {}),
        delimiter=delimiter,
        dry_run=dry_run,
        rejects=rejects,
        force=force,
        actor=actor_of(session),
        join_look_alike_sources=on_duplicate == "merge",
        spell=spell,
        recheck=recheck,
    )
    with _savepoint(session):
        result = run_import(session.connection(), files, options, progress=progress)
    if result.created_claim_ids:
        started = time.monotonic()
        new = len(result.created_claim_ids)
        checks = on_duplicate == "merge" or (on_duplicate == "warn" and new <= IMPORT_CHECK_MAX_NEW)
        if progress is not None and checks:
            progress.stage(f"duplicate check: {new:,} new claims")
        check = check_imported(session, result.created_claim_ids, on_duplicate=on_duplicate)
        result.duplicates = check.pairs
        result.duplicate_check = check.as_dict()
        # The time reported is the whole import's, duplicate check included (tens of seconds
        # for 100,000 new claims), not only the rows'.
        result.seconds += time.monotonic() - started
    if result.created_source_ids and on_duplicate != "ignore":
        # New sources whose names only look different from another's (a Cyrillic letter, a
        # zero-width space) would count as independent origins: always reported, never merged
        # automatically (merge them with `claimtrack source merge KEEP OTHER`).
        result.duplicates += look_alike_sources(session, result.created_source_ids)
    result.duplicates += [
        {
            "type": "source",
            "keys": [key, key],
            "similarity": 1.0,
            "reason": "look-alike name",
            "texts": [other, name],
            "action": "merged",
        }
        for name, key, other in result.look_alike_names
    ]
    return result


def import_records(
    session: Session,
    records: Iterable[dict[str, Any]],
    *,
    dry_run: bool = False,
    rejects: str | None = None,
) -> ImportResult:
    """Import records given as dicts, exactly as the lines of a JSONL file, through the same
    validation and bulk writer (the fast way for scripts to load many rows)."""
    from .imports import ImportOptions, run_import

    options = ImportOptions(dry_run=dry_run, rejects=rejects, actor=actor_of(session))
    with _savepoint(session):
        return run_import(session.connection(), [], options, records=records)


class _savepoint:
    """An import inside a SAVEPOINT: when it is refused (ImportRefused, or anything else),
    everything it wrote is rolled back — search triggers suspended included — even if a
    script catches the error and goes on with the session's transaction."""

    def __init__(self, session: Session):
        self.session = session

    def __enter__(self) -> None:
        self.nested = self.session.connection().begin_nested()

    def __exit__(self, kind, error, _trace) -> None:
        if kind is None:
            self.nested.commit()
        else:
            self.nested.rollback()


def export(
    session: Session,
    out: TextIO,
    *,
    format: str = "jsonl",
    statuses: Sequence[str] = (),
    tags: Sequence[str] = (),
    source: str | None = None,
    since: str | None = None,
    reported_by: str | None = None,
    review_url: str | None = None,
    author: str | None = None,
    history: bool = True,
) -> int:
    """Write the selected claims (all by default) to `out`; returns the number of records.
    `reported_by` (a date) leaves out evidence reported later (by observed date, else the day
    it was recorded). A JSONL export of the whole database ends with its restore section
    (every row and the history, transfer.restore) unless `history` is False."""
    values.one_of(format, tuple(EXPORTERS), field="format")
    flt = ClaimFilter.parse(statuses=statuses, tags=tags, source=source, since=since)
    options = ExportOptions(
        review_url=review_url,
        author=author,
        reported_by=values.reported_by(reported_by),
        history=history,
    )
    return EXPORTERS[format](session, out, flt, options)


def export_file(session: Session, path: str, *, force: bool = False, **kwargs: Any) -> int:
    """export() into a file, through claimtrack.outfile: never the database, an existing file
    only with `force`, and atomically, so a failed export never leaves half a file."""
    target = Target(path, force=force, protect=bound_database_files(session))
    with target.open() as handle:
        return export(session, handle, **kwargs)
