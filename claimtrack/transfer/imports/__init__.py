"""Bulk import: every format reader feeds the one validator (rows.py) and the one writer
(writer/), in two passes over the input, all inside the caller's transaction.

Pass 1 reads each file once: sources and claims are gathered (merged by key, in any order,
their definitions checked for agreement), evidence rows are staged in a temporary table of the
import's connection (writer/staged_evidence.py), and links, verdicts and aliases are spooled
to a temporary file. Then sources are written (their derived-from chains can be resolved only
once all are known) and claims; the staged evidence is resolved, compared and inserted by
statements over the whole table; the spool is read back in batches for the rest. Memory does
not grow with the evidence rows, and past staging.SPILL claims and sources it does not grow
with them either: they are held in a scratch file (staging.py) and checked a batch of rows at
a time.
"""

from __future__ import annotations

import marshal
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from ...errors import ClaimtrackError, InvalidValue, Spell, spell_fields
from ...outfile import bound_database_files
from ...services import search_index
from ...vocabulary import counted
from ..problems import BadRow, Problem, Where
from ..restore import Restore
from . import repeat
from . import rows as _rows
from .csv_sheet import SheetReader
from .formats import FileRefused, Parsed, Reader
from .json_array import JsonArrayReader
from .jsonl import JsonlReader
from .limits import Limits
from .lines import Input
from .rejects import Problems, raw_text
from .repeat import Previous
from .rows import ROW_TYPES, json_record
from .sqlite_bulk import drop_indexes, restore_indexes
from .staging import CLAIMS, NAMED_SOURCES, SOURCES, TEXT_CLAIMS, StagedEntities, Taken
from .writer import Writer
from .writer.core import IdSet

FORMATS = ("csv", "jsonl", "json")
BATCH = 5_000
PROGRESS_ROWS = 2_000  # rows read between two calls of the progress display


class Progress(Protocol):
    """What shows an import's progress (the CLI's bar on a terminal)."""

    def __call__(self, done_bytes: int, records: int) -> None: ...

    def stage(self, label: str) -> None:
        """The phase the import is in, named for the user: "reading rows", "merging claims
        and sources", "writing rows: STEP" (its steps, then "N of M" rows), "indexes",
        "search index", then (services) "duplicate check: N new claims"; or, when the files
        may be those of the last import, first "comparing the files with the last import's"
        (repeat.py), and nothing after it when they are."""


@dataclass
class ImportOptions:
    format: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    stance_map: dict[str, str] = field(default_factory=dict)
    verdict_map: dict[str, str | None] = field(default_factory=dict)
    delimiter: str | None = None
    dry_run: bool = False
    rejects: str | None = None  # --skip-errors REJECTS.csv
    force: bool = False  # replace an existing rejects file
    actor: str = "unknown"
    limits: Limits = field(default_factory=Limits.from_env)
    # A source given by name whose name looks like another source's is that source
    # (--on-duplicate merge; see Writer).
    join_look_alike_sources: bool = False
    # How the caller names a setting a problem mentions ({field:map}): the CLI's option.
    spell: Spell | None = None
    # Read and compare every row even when these files repeat the last import (repeat.py).
    recheck: bool = False


@dataclass
class ImportResult:
    files: list[str]
    counts: dict[str, dict[str, int]]
    records: int
    rejected: int
    ignored_columns: dict[str, list[str]]
    seconds: float
    dry_run: bool
    rejects: str | None = None
    # Ids of the claims this import created (none on a dry run), for the duplicate check: in
    # order, held as runs of ids (a list of 750,000 ids took ~27 MB at the end of a 5M import).
    created_claim_ids: Collection[int] = field(default_factory=IdSet)
    created_source_ids: Collection[int] = field(default_factory=IdSet)
    # (name in the files, key and name of the source it was taken for): look-alike names
    # joined to a source with --on-duplicate merge.
    look_alike_names: list[tuple[str, str, str]] = field(default_factory=list)
    # Likely duplicates of the created claims (services.duplicates.imported_duplicates).
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # What the duplicate check did (services.duplicates.DuplicateCheck.as_dict); None when the
    # import created no claim.
    duplicate_check: dict[str, Any] | None = None
    # Allowed but worth fixing: items naming one source as via and as derived-from (the first
    # 20, and how many in all).
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    # The import these files repeat, when no row was read again (repeat.py): its event's id
    # and time.
    unchanged_since: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "dry_run": self.dry_run,
            "records": self.records,
            "counts": self.counts,
            "rejected": self.rejected,
            "rejects_file": self.rejects,
            "ignored_columns": self.ignored_columns,
            "seconds": round(self.seconds, 3),
            "duplicates": self.duplicates,
            "duplicate_check": self.duplicate_check,
            "warnings": self.warnings,
            "warning_count": self.warning_count,
            "unchanged_since": self.unchanged_since,
        }


class ImportRefused(ClaimtrackError):
    """Bad rows in an all-or-nothing import: nothing was written."""

    def __init__(self, problems: list[str], bad_rows: int, advice: str):
        self.problems = problems
        self.bad_rows = bad_rows
        super().__init__(f"{counted(bad_rows, 'bad row')}; nothing was imported. {advice}")


def detect_format(name: str, source: Input, given: str | None) -> str:
    if given:
        if given not in FORMATS:
            raise InvalidValue("format", given, "csv, jsonl or json")
        return given
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix in ("csv", "tsv", "txt"):
        return "csv"
    if suffix in ("jsonl", "ndjson"):
        return "jsonl"
    if suffix == "json":
        head = source.peek(64).lstrip()
        return "json" if head.startswith(b"[") or not head else "jsonl"
    head = source.peek(64).lstrip()
    if head.startswith(b"["):
        return "json"
    if head.startswith(b"{"):
        return "jsonl"
    return "csv"


def make_reader(
    fmt: str, source: Input, options: ImportOptions, *, taken: Taken | None = None
) -> Reader:
    if fmt == "csv":
        return SheetReader(
            source,
            mapping=options.mapping,
            stance_map=options.stance_map,
            verdict_map=options.verdict_map,
            delimiter=options.delimiter,
            limits=options.limits,
            taken=taken,
        )
    if options.mapping or options.stance_map or options.verdict_map or options.delimiter:
        raise InvalidValue(
            "{field:map}/{field:stance_map}/{field:verdict_map}/{field:delimiter}",
            source.name,
            "a CSV file (these options apply to CSV sheets only)",
            usage=True,
        )
    if fmt == "jsonl":
        return JsonlReader(source, options.limits)
    return JsonArrayReader(source, options.limits)


RELATIONS = ("evidence", "link", "verdict", "alias")  # evidence: staged by the writer
ENTITIES = ("source", "claim")


def _spool(spool, pending: list) -> None:
    data = marshal.dumps(pending)
    spool.write(len(data).to_bytes(8, "little"))
    spool.write(data)


def run_import(
    conn: Connection,
    names: Iterable[str],
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    records: Iterable[dict] | None = None,
) -> ImportResult:
    """Import files (or, from the Python API, `records`: dicts as in a JSONL file) in the
    caller's transaction. Raises ImportRefused (nothing written) when a row is bad and no
    rejects file was given; the caller rolls back."""
    names = list(names)
    problems = Problems(
        options.rejects,
        force=options.force,
        protect=bound_database_files(conn),
        inputs=[name for name in names if name != "-"],
        spell=options.spell,
    )
    try:
        return _run_import(conn, names, options, problems, progress, records)
    except BaseException:
        problems.close(keep=False)
        raise


def _run_import(
    conn: Connection,
    names: list[str],
    options: ImportOptions,
    problems: Problems,
    progress: Progress | None,
    records: Iterable[dict] | None,
) -> ImportResult:
    started = time.monotonic()
    if not options.recheck and records is None:

        def hashing() -> None:
            if progress is not None:
                progress.stage("comparing the files with the last import's")

        previous = repeat.find(conn, names, options, hashing)
        if previous is not None:
            problems.close(keep=False)
            return _repeated(previous, names, options, started)
    since = repeat.newest_event(conn)
    # The field limit is read by the one validator wherever a field is checked.
    _rows.MAX_TEXT = options.limits.max_field_chars
    skipping = options.rejects is not None

    def reject(where: Where, found: list[Problem], raw: Any) -> None:
        problems.add(where, found, raw)
        if not skipping:
            writer.write = False

    writer = Writer(
        conn,
        actor=options.actor,
        reason="import " + ", ".join(names or ["(api)"]),
        write=not options.dry_run,
        reject=reject,
        join_look_alike_sources=options.join_look_alike_sources,
    )
    entities = StagedEntities()
    restore = Restore()  # a whole-database export's rows and history (transfer.restore)
    ignored: dict[str, list[str]] = {}
    count = 0  # records taken
    read = 0  # records read (the progress shown)
    spool = tempfile.TemporaryFile()
    pending: list[tuple] = []  # links, verdicts and aliases, spooled a batch at a time
    evidence: list[tuple] = []  # evidence rows, staged a batch at a time (Writer)
    spooled = dict.fromkeys(RELATIONS, 0)
    file_names: list[str] = []
    files_read: list[dict[str, Any]] = []  # name, sha256 and size, for the import's event
    done_bytes = 0
    keep_raw = skipping

    def parsed_batches() -> Iterator[tuple[int, list[Parsed] | FileRefused]]:
        """(file index, parsed rows in file order) a batch at a time (Reader.batches), or
        (_, FileRefused) in its place among them."""
        nonlocal done_bytes
        if records is not None:
            file_names.append("<records>")
            files_read.append({"name": "<records>", "sha256": None, "bytes": None})
            # One at a time: the caller's dicts are taken as they are given.
            for number, obj in enumerate(records, 1):
                where = Where("<records>", number)
                try:
                    yield 0, [(where, [json_record(obj, where)], obj)]
                except BadRow as bad:
                    yield 0, [(where, bad, obj)]
        shown = 0  # the progress shown, every PROGRESS_ROWS rows
        for name in names:
            source = Input.open(name)
            source.max_line_bytes = options.limits.max_line_bytes
            try:
                fmt = detect_format(name, source, options.format)
                reader = make_reader(fmt, source, options, taken=entities.taken)
                file_names.append(source.name)
                file_index = len(file_names) - 1
                for batch in reader.batches():
                    if progress is not None and read >= shown:
                        progress(done_bytes + source.bytes_read, read)
                        shown = read + PROGRESS_ROWS
                    yield file_index, batch
                if reader.ignored:
                    ignored[source.name] = reader.ignored
                files_read.append(source.finish())
                done_bytes += source.bytes_read
            except FileRefused as exc:
                yield len(file_names) - 1, exc  # taken in its place among the rows
            finally:
                source.close()

    def stage(label: str) -> None:
        if progress is not None:
            progress.stage(label)

    def take(file_index: int, batch: list[Parsed]) -> None:
        """Check and merge a batch of parsed rows of one file in file order: sources and
        claims into the staged entities, the rest to the spool."""
        nonlocal count, pending, evidence
        staged, taken = entities.staged, entities.taken
        count += len(batch)
        marks: list = []
        if staged:
            mark = entities.mark
            marks = [
                [(kind, rec, mark(kind, rec)) for kind, rec in result if kind in ENTITIES]
                if isinstance(result, list) and result[0][0] in ENTITIES
                else ()
                for _, result, _ in batch
            ]
            # A mark is (digests, slot, digest): the record is held as it is when they agree.
            entities.begin(
                entry for row in marks for entry in row if entry[2][0][entry[2][1]] != entry[2][2]
            )
        staged_before = len(evidence)
        for n, (where, result, raw) in enumerate(batch):
            if isinstance(result, BadRow):
                reject(where, result.problems, raw)
                continue
            first = result[0][0]
            if first == "restore":
                found = restore.take(where, result[0][1])
                if found:
                    reject(where, found, raw)
                continue
            # A record's claims and sources come first (Reader); most rows of a large sheet
            # name none: the reader left out those already taken (staging.Taken).
            if first in ENTITIES:
                named = marks[n] if staged else [(k, rec) for k, rec in result if k in ENTITIES]
                if staged:
                    changing = [
                        (k, rec) for k, rec, (table, at, digest) in named if table[at] != digest
                    ]
                else:
                    changing = named
                found = [p for kind, rec in changing for p in entities.conflicts(kind, rec)]
                if found:
                    reject(where, found, raw)
                    continue
                for kind, rec in changing:
                    entities.add(kind, rec)
                for entry in named:
                    if entry[1].digest:
                        taken.add(entry[1].digest)
            for kind, rec in result:
                if kind == "evidence":
                    # One tuple added to another: no list built on the way, as (..., *rec) does.
                    evidence.append(
                        (file_index, where.line, raw_text(raw) if keep_raw else None) + rec
                    )
                elif kind not in ENTITIES:
                    spooled[kind] += 1
                    pending.append(
                        (
                            kind,
                            file_index,
                            where.line,
                            tuple(rec),  # marshal writes plain tuples only
                            raw_text(raw) if keep_raw else None,
                        )
                    )
                    if len(pending) >= BATCH:
                        _spool(spool, pending)
                        pending = []
        spooled["evidence"] += len(evidence) - staged_before
        if len(evidence) >= BATCH:
            writer.stage_evidence(evidence)
            evidence = []
        entities.end()

    try:
        stage("reading rows")
        for file_index, batch in parsed_batches():
            if isinstance(batch, FileRefused):
                problems.fatal = True
                problems.add(batch.problem.where, [batch.problem], None)
                if batch.advice:
                    problems.shown.append(batch.advice)
                writer.write = False
                continue
            take(file_index, batch)
            read += len(batch)
        if pending:
            _spool(spool, pending)
            pending = []
        writer.stage_evidence(evidence)
        evidence = []
        if restore.present and problems.bad_rows:
            problems.fatal = True  # a whole-database copy is restored whole or not at all
            writer.write = False
        elif restore.present:
            restore.decide(conn, inputs=len(file_names), dry_run=options.dry_run)
            if restore.restoring:  # the rows are restored as they were; the records not
                entities.close()
                entities = StagedEntities()
                spooled = dict.fromkeys(RELATIONS, 0)
                spool.seek(0)
                spool.truncate()
                writer.forget_staged_evidence()

        stage("merging claims and sources")
        indexing_suspended = writer.write
        rebuilt: list[str] = []
        if indexing_suspended:
            search_index.suspend(conn)
            # At most one history event per changed record, two per link (one on each
            # claim); what the import creates is one event (Writer.finish).
            entity_count = len(entities)
            history_rows = sum(spooled.values()) + spooled["link"] + entity_count
            if restore.restoring:
                history_rows = restore.counts["history"]
            rebuilt = drop_indexes(
                conn,
                evidence_rows=spooled["evidence"] + restore.restoring * restore.counts["evidence"],
                history_rows=history_rows if restore.restoring else 0,
            )
            if not restore.restoring:
                # History's indexes are dropped only once history is about to be written,
                # and at the last flush only for what it holds: a re-import that changes
                # nothing writes no history and leaves every index alone.
                def drop_history_indexes(buffered: int, last: bool) -> None:
                    rebuilt.extend(
                        drop_indexes(
                            conn, evidence_rows=0, history_rows=buffered if last else history_rows
                        )
                    )

                writer.before_history = drop_history_indexes
        entities.pass_over()
        writer.write_sources(entities, SOURCES, NAMED_SOURCES)
        writer.write_claims(entities, CLAIMS, TEXT_CLAIMS)
        entities.close()

        spool.seek(0)
        written, relations = 0, sum(spooled.values())
        writer.write_staged_evidence(file_names, lambda step: stage(f"writing rows: {step}"))
        written = spooled["evidence"]
        if written < relations:
            stage(f"writing rows: {written:,} of {relations:,}")
        while True:
            size = spool.read(8)
            if not size:
                break
            chunk = marshal.loads(spool.read(int.from_bytes(size, "little")))
            grouped: dict[str, list] = {kind: [] for kind in RELATIONS}
            for kind, file_index, line, rec, raw in chunk:
                row = tuple.__new__(ROW_TYPES[kind], rec)  # as _make does, without its call
                grouped[kind].append((Where(file_names[file_index], line), row, raw))
            if grouped["link"]:
                writer.write_links(grouped["link"])
            if grouped["verdict"]:
                writer.write_verdicts(grouped["verdict"])
            if grouped["alias"]:
                writer.write_aliases(grouped["alias"])
            written += len(chunk)
            stage(f"writing rows: {written:,} of {relations:,}")
        if restore.restoring and writer.write:
            stage("restoring the database's rows and history")
            restore.write(conn, writer.touched)
        settled = None
        if (
            writer.write
            and records is None
            and not restore.present
            and not problems.bad_rows
            and not writer.look_alike_names
        ):
            writer.flush_history()  # the import's own events, to look for a record written twice
            if not repeat.wrote_a_record_twice(conn, since):
                settled = repeat.Settled(
                    options=repeat.read_the_same_way(conn, options),
                    ignored_columns=ignored,
                    warnings=writer.relay_warnings,
                    warning_count=writer.relay_warning_count,
                )
        writer.finish(files=files_read, records=count, rejected=problems.bad_rows, settled=settled)
        writer.forget_keys()
        if rebuilt:
            stage("indexes")
            restore_indexes(conn, rebuilt)
        if indexing_suspended and writer.write:
            stage("search index")
            search_index.reindex(conn, writer.touched)
            search_index.resume(conn)
        if progress is not None:
            progress(done_bytes, count)
    finally:
        spool.close()
        entities.close()
        restore.close()
        refused = problems.bad_rows > 0 and (not skipping or problems.fatal)
        problems.close(keep=not refused and problems.bad_rows > 0 and not options.dry_run)

    if refused:
        if problems.fatal:
            advice = "Fix the file and run the import again."
        else:
            advice = (
                "Fix them and run the import again, or import the good rows with "
                "{field:skip_errors} REJECTS.csv (the bad ones are written there with their "
                "reasons)."
            )
        shown = list(problems.shown)
        if problems.bad_rows > problems.shown_rows:
            shown.append(f"... and {problems.bad_rows - problems.shown_rows} more bad rows")
        raise ImportRefused(shown, problems.bad_rows, advice)
    return ImportResult(
        files=file_names,
        counts=restore.summary() if restore.restoring else writer.counts,
        records=count,
        rejected=problems.bad_rows,
        ignored_columns=ignored,
        seconds=time.monotonic() - started,
        dry_run=options.dry_run,
        rejects=options.rejects if problems.bad_rows and not options.dry_run else None,
        created_claim_ids=writer.created_claims if writer.write else IdSet(),
        created_source_ids=writer.created_sources if writer.write else IdSet(),
        look_alike_names=writer.look_alike_names,
        warnings=(
            [spell_fields(restore.note, options.spell), *writer.relay_warnings]
            if restore.note
            else writer.relay_warnings
        ),
        warning_count=writer.relay_warning_count,
    )


def _repeated(
    previous: Previous, names: list[str], options: ImportOptions, started: float
) -> ImportResult:
    """The result of importing again the files of the last import, none of it read again."""
    ignored, warnings = previous.said_of(names)
    return ImportResult(
        files=list(names),
        counts=previous.unchanged_counts(),
        records=previous.records,
        rejected=0,
        ignored_columns=ignored,
        seconds=time.monotonic() - started,
        dry_run=options.dry_run,
        warnings=warnings,
        warning_count=previous.settled.warning_count,
        unchanged_since={"event": previous.event, "at": previous.at.isoformat()},
    )
