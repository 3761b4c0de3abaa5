"""claimtrack import | export"""

from __future__ import annotations

import gc
import io
import os
import shutil
import sys
from typing import Annotated

import typer

from ..output.printing import print_json
from ..output.tables import table_text
from ..vocabulary import counted
from .options import ExportReportedBy, Json, Since, SourceFilter, Status, Tag

# What an import that skipped its duplicate check (too many new claims) says to run instead.
DUPLICATES_ADVICE = "run `claimtrack duplicates --type claim` to list likely duplicate claims"


def import_(
    ctx: typer.Context,
    files: Annotated[
        list[str],
        typer.Argument(metavar="FILE...", help="Files to import; - reads standard input."),
    ],
    format_: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            metavar="csv|jsonl|json",
            help="Input format. Default: from the file name, else from its first bytes.",
        ),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="FIELD=COLUMN",
            help="Read a sheet field from your own column, e.g. --map claim_text=claimHeadline (repeatable; one column may feed several fields).",
        ),
    ] = None,
    stance_map: Annotated[
        str | None,
        typer.Option(
            "--stance-map",
            metavar="WORD=STANCE,...",
            help="Your stance words, e.g. for=supports,against=contradicts,observing=neutral.",
        ),
    ] = None,
    verdict_map: Annotated[
        str | None,
        typer.Option(
            "--verdict-map",
            metavar="WORD=VERDICT,...",
            help="Your verdict words, for a sheet's verdict column (--map verdict=COLUMN), e.g. "
            "true=confirmed,false=debunked,unknown=none (none: no verdict).",
        ),
    ] = None,
    delimiter: Annotated[
        str | None,
        typer.Option(
            "--delimiter",
            "-d",
            metavar="CHAR",
            help="CSV delimiter (, ; tab |). Default: found from the header.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Check everything and print the summary; write nothing."),
    ] = False,
    skip_errors: Annotated[
        str | None,
        typer.Option(
            "--skip-errors",
            metavar="REJECTS.csv",
            help="Import the good rows; write the bad ones, with reasons, to this CSV file "
            "(formula-safe; never over the database or an input file).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace the --skip-errors file if it exists.")
    ] = False,
    on_duplicate: Annotated[
        str,
        typer.Option(
            "--on-duplicate",
            metavar="warn|merge|ignore",
            help="New claims that look like claims already logged, and source names that "
            "look like another source's ('Dаily NK' with a Cyrillic а): list them (warn), "
            "merge each into the existing one (merge), or do not look (ignore).",
        ),
    ] = "warn",
    recheck: Annotated[
        bool,
        typer.Option(
            "--recheck",
            help="Read and compare every row even when these files are the last import, "
            "unchanged, and nothing has been written since (then they are not read again).",
        ),
    ] = False,
    json_: Json = False,
) -> None:
    """Import claims, sources, evidence, links and verdicts from CSV sheets, JSONL or JSON.

    All or nothing: any bad row is reported as FILE:LINE: field: value — expected ..., and
    nothing is written (unless --skip-errors). Importing the same file again changes nothing;
    when it was the last import and nothing has been written since, it is not even read again
    (only hashed): --recheck reads it anyway.
    A whole-database export (`claimtrack export`, jsonl) imported into an empty database is
    restored exactly: every row with its id, and the history after checking its hash chain (a
    changed line is refused naming FILE:LINE); into a database holding data, its records are
    imported as any others and its history is not (said in a warning).

    Example: claimtrack --db postgresql+psycopg://HOST/DB init && claimtrack --db postgresql+psycopg://HOST/DB import move.jsonl
    Example: claimtrack import sheet.csv --map claim_text=Claim --stance-map for=supports,against=contradicts
    Example: claimtrack import checks.csv --map verdict=Truth --verdict-map true=confirmed,false=debunked,unknown=none
    """
    from ..transfer import import_files
    from ..transfer.imports import ImportRefused
    from ..transfer.imports.csv_sheet import parse_map, parse_stance_map, parse_verdict_map
    from .params import speller

    mapping = parse_map(map_ or [])
    stances = parse_stance_map(stance_map)
    verdicts = parse_verdict_map(verdict_map)
    if delimiter is not None:
        delimiter = {"tab": "\t", "\\t": "\t"}.get(delimiter.lower(), delimiter)
        if len(delimiter) != 1:
            raise typer.BadParameter("one character, or 'tab'", param_hint="--delimiter")
    state = ctx.obj
    # An import runs for seconds to minutes, allocating a chunk at a time: with main()'s
    # collector thresholds, raised for commands that end in a second, cyclic garbage piled
    # up (peak 118 MB against 93 MB with the interpreter's own, at a 1M-row sheet of claims
    # given by text; where the cycles come from was not traced).
    from . import PYTHON_GC_THRESHOLDS

    gc.set_threshold(*PYTHON_GC_THRESHOLDS)
    with _stdin_read_first(files), _progress(files) as progress:
        try:
            with state.reading() if dry_run else state.writing() as session:
                result = import_files(
                    session,
                    files=files,
                    format=format_,
                    mapping=mapping,
                    stance_map=stances,
                    verdict_map=verdicts,
                    delimiter=delimiter,
                    dry_run=dry_run,
                    rejects=skip_errors,
                    force=force,
                    progress=progress,
                    on_duplicate=on_duplicate,
                    spell=speller(ctx),
                    recheck=recheck,
                )
        except ImportRefused as exc:
            if progress is not None:
                progress.close()
            for line in exc.problems:
                typer.echo(line, err=True)
            raise
    check = result.duplicate_check
    if check is not None and check["done"] == "skipped":
        check["advice"] = DUPLICATES_ADVICE
    if json_:
        print_json(result.as_dict())
        return
    _print_summary(result)


def _print_summary(result) -> None:
    head = "Dry run, nothing written" if result.dry_run else "Imported"
    files = ", ".join(result.files) or "(no files)"
    typer.echo(f"{head}: {files}: {counted(result.records, 'record')} in {result.seconds:.1f} s")
    rows = [
        [kind, f"{c['created']:,}", f"{c['updated']:,}", f"{c['unchanged']:,}"]
        for kind, c in result.counts.items()
    ]
    text, _ = table_text(["", "created", "updated", "unchanged"], rows, right=[1, 2, 3])
    typer.echo(text)
    if result.unchanged_since is not None:
        event = result.unchanged_since
        typer.echo(
            f"Not read again: these files are the last import (event {event['event']}, "
            f"{event['at'][:19].replace('T', ' ')} UTC), unchanged, and nothing has been "
            "written since (--recheck reads every row)"
        )
    for name, columns in result.ignored_columns.items():
        typer.echo(f"Ignored columns of {name} (no field maps to them): {', '.join(columns)}")
    if result.rejected:
        where = f": see {result.rejects}" if result.rejects else ""
        typer.echo(f"Rejected {counted(result.rejected, 'bad row')}{where}")
    for warning in result.warnings:
        typer.echo(f"Warning: {warning}", err=True)
    if result.warning_count > len(result.warnings):
        typer.echo(
            f"Warning: ... and {result.warning_count - len(result.warnings):,} more", err=True
        )
    _print_duplicate_check(result.duplicate_check)
    _print_duplicates(result.duplicates)


def _print_duplicate_check(check: dict | None) -> None:
    if check is None:
        return
    new = check["new_claims"]
    if check["done"] == "ignored":
        typer.echo("Did not check the new claims for duplicates (--on-duplicate ignore)")
    elif check["done"] == "skipped":
        typer.echo(
            f"Did not check {counted(new, 'new claim')} for duplicates (more than "
            f"{check['max_new_claims']:,}, so the import did not wait): {check['advice']}"
        )
    else:
        capped = check["capped_claims"]
        note = (
            f" ({capped:,} compared with their first {check['max_candidates_per_claim']:,} "
            "candidates only)"
            if capped
            else ""
        )
        typer.echo(f"Checked {counted(new, 'new claim')} for duplicates{note}")


def _print_duplicates(pairs: list[dict], shown: int = 20) -> None:
    sources = [p for p in pairs if p.get("type") == "source" and p["action"] != "merged"]
    joined = [p for p in pairs if p.get("type") == "source" and p["action"] == "merged"]
    pairs = [p for p in pairs if p.get("type") != "source"]
    if joined:
        noun = "name" if len(joined) == 1 else "names"
        typer.echo(f"Took {len(joined):,} source {noun} for the source each looks like:")
        for pair in joined[:shown]:
            key = pair["keys"][0]
            typer.echo(f"  {pair['texts'][1]!r} ~ {pair['texts'][0]!r}: {key}")
        if len(joined) > shown:
            typer.echo(f"  ... and {len(joined) - shown:,} more")
    if sources:
        noun = "source looks" if len(sources) == 1 else "sources look"
        typer.echo(
            f"Warning: {len(sources):,} new {noun} like another source (each counts as a "
            "separate origin until merged):",
            err=True,
        )
        for pair in sources[:shown]:
            first, second = pair["keys"]
            names = " ~ ".join(repr(text) for text in reversed(pair["texts"]))
            typer.echo(f"  {second} ~ {first}: {names}", err=True)
        if len(sources) > shown:
            typer.echo(f"  ... and {len(sources) - shown:,} more", err=True)
        typer.echo("  merge with `claimtrack source merge KEEP OTHER`", err=True)
    merged = [p for p in pairs if p["action"] == "merged"]
    warned = [p for p in pairs if p["action"] != "merged"]
    if merged:
        typer.echo(f"Merged {len(merged):,} new claims into existing claims they duplicate")
    if warned:
        noun = "pair" if len(warned) == 1 else "pairs"
        typer.echo(f"Warning: {len(warned):,} likely duplicate {noun} with new claims:", err=True)
        for pair in warned[:shown]:
            first, second = pair["keys"]
            typer.echo(f"  {second} ~ {first} (similarity {pair['similarity']:.2f})", err=True)
        if len(warned) > shown:
            typer.echo(f"  ... and {len(warned) - shown:,} more", err=True)
        typer.echo(
            "  list them with `claimtrack duplicates`; merge with "
            "`claimtrack claim merge KEEP OTHER`",
            err=True,
        )


class _stdin_read_first:
    """`import -`: standard input is read to a temporary file before the write transaction
    starts, so a slow producer (`sleep 15 | claimtrack import -`) never holds the write lock
    and blocks every other writer meanwhile."""

    def __init__(self, files: list[str]):
        self.active = "-" in files
        self.saved = None

    def __enter__(self):
        if self.active:
            import tempfile  # 3 ms of start-up, for `import -` only

            spool = tempfile.TemporaryFile()
            shutil.copyfileobj(sys.stdin.buffer, spool, 1024 * 1024)
            spool.seek(0)
            self.saved = sys.stdin
            sys.stdin = io.TextIOWrapper(io.BufferedReader(spool), encoding="utf-8")
        return self

    def __exit__(self, *exc) -> None:
        if self.saved is not None:
            sys.stdin.close()
            sys.stdin = self.saved


class _Bar:
    """A rich progress bar on stderr (rows, rate, ETA); only built when stderr is a terminal."""

    def __init__(self, total: int | None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("reading rows", total=total, rows=0)
        self.progress.start()

    def __call__(self, done: int, rows: int) -> None:
        self.progress.update(self.task, completed=done, rows=rows)

    def stage(self, label: str) -> None:
        self.progress.update(self.task, description=label)

    def close(self) -> None:
        self.progress.stop()


class _progress:
    def __init__(self, files: list[str]):
        self.bar = None
        if sys.stderr.isatty() and sys.stdout.isatty():
            sizes = [os.path.getsize(f) for f in files if f != "-" and os.path.isfile(f)]
            total = sum(sizes) if len(sizes) == len(files) else None
            self.bar = _Bar(total)

    def __enter__(self):
        return self.bar

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.close()


def export(
    ctx: typer.Context,
    format_: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="jsonl|json|csv|claimreview",
            help="jsonl (lossless, re-importable), json (an array of the same records), csv (the evidence sheet), claimreview (schema.org JSON-LD for claims with a verdict).",
        ),
    ] = "jsonl",
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Write to FILE (atomically). Default: standard output.",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace FILE if it exists.")] = False,
    status: Status = None,
    tag: Tag = None,
    source: SourceFilter = None,
    since: Since = None,
    reported_by: ExportReportedBy = None,
    review_url: Annotated[
        str | None,
        typer.Option(
            "--review-url",
            metavar="URL",
            help="claimreview: the address your fact checks are published under; each claim's key is appended.",
        ),
    ] = None,
    author: Annotated[
        str | None,
        typer.Option(
            "--author",
            metavar="NAME",
            help="claimreview: the organisation publishing the fact checks.",
        ),
    ] = None,
    no_history: Annotated[
        bool,
        typer.Option(
            "--no-history",
            help="jsonl of the whole database: leave out the rows and history that an import "
            "into an empty database restores exactly (the records alone).",
        ),
    ] = False,
) -> None:
    """Export claims, sources, evidence, links and verdicts. A jsonl export of the whole
    database (no filter) also carries every row with its id and the full history with its hash
    chain: imported into an empty database (another engine too) it restores history, old keys
    and --as-of exactly, and `db check --head` prints the same head on both.

    Example: claimtrack export --format jsonl -o backup.jsonl
    Example: claimtrack export -o move.jsonl && claimtrack --db postgresql+psycopg://HOST/DB import move.jsonl
    Example: claimtrack export --format csv --reported-by 2018-07-31 -o july.csv
    """
    from ..transfer import export as export_stream
    from ..transfer import export_file

    options = dict(
        format=format_,
        statuses=status or (),
        tags=tag or (),
        source=source,
        since=since,
        reported_by=reported_by,
        review_url=review_url,
        author=author,
        history=not no_history,
    )
    with ctx.obj.reading() as session:
        if output is None or output == "-":
            try:
                export_stream(session, sys.stdout, **options)
                sys.stdout.flush()
            except BrokenPipeError:  # `claimtrack export | head`: the reader has had enough
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        count = export_file(session, output, force=force, **options)
    typer.echo(f"Exported {count:,} records to {output}", err=True)


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
