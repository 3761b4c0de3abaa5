"""Import time and memory by size, on both engines: what a user can expect at 10,000, 100,000
and 1,000,000 rows.

    python bench/scale.py                        # 10k, 100k and 1M rows, SQLite and PostgreSQL
    python bench/scale.py --sizes 10k,100k --reps 3
    python bench/scale.py --sizes 5M --engines sqlite
    python bench/scale.py --sizes 100k,1M --keyless   # claims by text only, sources by name only

For each size, bench/generate.py's CSV evidence sheet (10 evidence rows per claim, 2 claims per
source) is imported into a new SQLite database and into a new PostgreSQL database, then imported
again (all unchanged); beside it runs the baseline bench/run.py measures for that engine:
csv.reader + executemany into one bare table (SQLite), `psql \\copy` into one bare table
(PostgreSQL). Measured the way bench/run.py measures (its code): each command a fresh process,
the wall time around it, the peak RSS of that process; with --reps N, the imports and the
baseline alternate and the medians are shown. For PostgreSQL the peak RSS is the client's only.

With --keyless the sheet loses its claim_key and source_key columns (a copy in the work
folder): every claim is given by its text and every source by its name, as in many sheets
found in the wild (the Emergent data set has no keys); the import then makes every key.

Prints a Markdown table; the raw samples go to bench/results/scale.json, or --out FILE.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402

# Label -> bench/generate.py size. 5M is run only when asked: 1.9 GB of sheet, 5.5 minutes for
# its SQLite import alone (bench/README.md).
SIZES = {"tiny": "tiny", "10k": "10k", "100k": "100k", "1M": "full", "5M": "5M"}
DEFAULT_SIZES = "10k,100k,1M"
ENGINES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}
BASELINES = {"sqlite": "csv.reader + executemany", "postgres": "`psql \\copy`"}


@dataclass
class Row:
    size: str
    rows: int
    engine: str
    baseline: str
    available: bool = True
    note: str = ""
    import_s: float | None = None
    rows_per_s: float | None = None
    reimport_s: float | None = None
    reimport_ratio: float | None = None
    recheck_s: float | None = None  # the re-import with --recheck: every row read again
    recheck_ratio: float | None = None
    baseline_s: float | None = None
    ratio: float | None = None
    import_rss_mb: float | None = None
    reimport_rss_mb: float | None = None
    baseline_rss_mb: float | None = None
    samples: dict = field(default_factory=dict)


def summarise(
    row: Row,
    imports: list[run.Run],
    reimports: list[run.Run],
    rechecks: list[run.Run],
    base: list[run.Run],
) -> None:
    row.import_s, row.import_rss_mb = run.median(imports)
    row.reimport_s, row.reimport_rss_mb = run.median(reimports)
    row.recheck_s, recheck_rss_mb = run.median(rechecks)
    row.reimport_rss_mb = max(row.reimport_rss_mb, recheck_rss_mb)
    row.baseline_s, row.baseline_rss_mb = run.median(base)
    row.rows_per_s = row.rows / row.import_s
    row.reimport_ratio = row.reimport_s / row.import_s
    row.recheck_ratio = row.recheck_s / row.import_s
    row.ratio = row.import_s / row.baseline_s
    row.samples = {
        name: [{"seconds": round(r.seconds, 4), "rss_mb": round(r.rss_mb, 1)} for r in runs]
        for name, runs in (
            ("import", imports),
            ("reimport", reimports),
            ("recheck", rechecks),
            ("baseline", base),
        )
    }


def measure_sqlite(ctx: run.Context, row: Row, reps: int) -> None:
    reimports: list[run.Run] = []
    rechecks: list[run.Run] = []

    def claimtrack() -> run.Run:
        db = ctx.fresh_sqlite("import.db", init=True)
        first, again, recheck = run.import_and_again(ctx, db)
        reimports.append(again)
        rechecks.append(recheck)
        return first

    runs = run.alternate({"ct": claimtrack, "base": lambda: run.csv_executemany(ctx)}, reps)
    summarise(row, runs["ct"], reimports, rechecks, runs["base"])
    row.note = run.verify_import(ctx.work / "import.db", ctx.meta)


def measure_postgres(ctx: run.Context, row: Row, reps: int) -> None:
    pg = run.postgres()
    if pg is None:
        row.available, row.note = False, run.PG_UNAVAILABLE
        return
    reimports: list[run.Run] = []
    rechecks: list[run.Run] = []

    def claimtrack() -> run.Run:
        with pg.fresh(ctx, init=True) as url:
            first, again, recheck = run.import_and_again(ctx, url)
        reimports.append(again)
        rechecks.append(recheck)
        return first

    runs = run.alternate({"ct": claimtrack, "base": lambda: run.psql_copy(ctx, pg)}, reps)
    summarise(row, runs["ct"], reimports, rechecks, runs["base"])


MEASURE = {"sqlite": measure_sqlite, "postgres": measure_postgres}


def _seconds(value: float) -> str:
    return f"{value:.3f} s" if value < 10 else f"{value:.1f} s"


def table(rows: list[Row]) -> str:
    lines = [
        "| rows | engine | import | rows/s | re-import (÷ import) "
        "| re-import --recheck (÷ import) | peak RSS: import / re-import "
        "| baseline | baseline: time, peak RSS | import ÷ baseline |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        head = f"| {r.rows:,} | {ENGINES[r.engine]} |"
        if r.import_s is None:
            why = "not available" if not r.available else "error"
            lines.append(f"{head} {why} ({r.note}) | – | – | – | – | {r.baseline} | – | – |")
            continue
        lines.append(
            f"{head} {_seconds(r.import_s)} | {r.rows_per_s:,.0f} | "
            f"{_seconds(r.reimport_s)} ({r.reimport_ratio:.2f}×) | "
            f"{_seconds(r.recheck_s)} ({r.recheck_ratio:.2f}×) | "
            f"{r.import_rss_mb:.0f} / {r.reimport_rss_mb:.0f} MB | {r.baseline} | "
            f"{_seconds(r.baseline_s)}, {r.baseline_rss_mb:.0f} MB | {r.ratio:.1f}× |"
        )
    return "\n".join(lines)


def keyless(sheet: Path, out: Path) -> Path:
    """A copy of the sheet without its claim_key and source_key columns, its `via` cells
    naming sources by name instead of by key."""
    with sheet.open(newline="", encoding="utf-8") as src:
        rows = csv.reader(src)
        header = next(rows)
        key, name = header.index("source_key"), header.index("source_name")
        names = {row[key]: row[name] for row in rows}
    with sheet.open(newline="", encoding="utf-8") as src, out.open("w", newline="") as dst:
        rows, writer = csv.reader(src), csv.writer(dst)
        next(rows)
        kept = [i for i, name in enumerate(header) if name not in ("claim_key", "source_key")]
        via = header.index("via")
        writer.writerow([header[i] for i in kept])
        for row in rows:
            if row[via]:
                row[via] = ";".join(names[hop] for hop in row[via].split(";"))
            writer.writerow([row[i] for i in kept])
    return out


def write(out: Path, report: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    tmp.replace(out)


def _choices(text: str, allowed: dict, what: str, parser: argparse.ArgumentParser) -> list[str]:
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in allowed]
    if unknown or not chosen:
        parser.error(f"unknown {what} {', '.join(unknown)}: choose from {', '.join(allowed)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"comma-separated, from {', '.join(SIZES)} (default {DEFAULT_SIZES}; tiny is "
        "1,000 rows)",
    )
    parser.add_argument(
        "--engines", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    parser.add_argument("--reps", type=int, default=1, help="runs of each import (median shown)")
    parser.add_argument(
        "--keyless",
        action="store_true",
        help="import the sheet without its claim_key and source_key columns",
    )
    parser.add_argument(
        "--out", type=Path, default=BENCH / "results" / "scale.json", help="results JSON"
    )
    args = parser.parse_args(argv)
    sizes = _choices(args.sizes, SIZES, "size", parser)
    engines = _choices(args.engines, ENGINES, "engine", parser)
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    run.as_installed()
    started = time.time()
    report = {
        "sizes": sizes,
        "engines": engines,
        "reps": args.reps,
        "keyless": args.keyless,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "machine": run.machine(),
        "rows": [],
    }
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="claimtrack-scale-") as work:
        for label in sizes:
            print(f"{label}: data ...", file=sys.stderr, flush=True)
            ctx = run.Context(SIZES[label], Path(work), rebuild=False)
            if args.keyless:
                ctx.sheet = keyless(ctx.sheet, Path(work) / f"keyless-{label}.csv")
            for engine in engines:
                row = Row(label, ctx.meta["evidence"], engine, BASELINES[engine])
                print(f"{label} {engine} ...", file=sys.stderr, flush=True)
                t0 = time.perf_counter()
                try:
                    MEASURE[engine](ctx, row, args.reps)
                except run.BenchError as exc:
                    row.note = f"error: {exc}"
                elapsed = time.perf_counter() - t0
                print(f"{label} {engine} done in {elapsed:.1f} s", file=sys.stderr, flush=True)
                rows.append(row)
                report["rows"] = [asdict(r) for r in rows]
                report["seconds"] = round(time.time() - started, 1)
                report["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
                write(args.out, report)  # partial, if interrupted
    print(table(rows))
    notes = [r for r in rows if r.note and r.import_s is not None]
    for r in notes:
        print(f"\nproblem ({r.size}, {ENGINES[r.engine]}): {r.note}")
    print(
        f"\n{'keyless sheet (claims by text, sources by name); ' if args.keyless else ''}"
        f"{'median of ' + str(args.reps) + ' runs' if args.reps > 1 else 'one run'} each; "
        f"peak RSS of the claimtrack process (PostgreSQL: the client only); load average "
        f"before {report['load_average_before']}, after {report['load_average_after']}; "
        f"{report['seconds']} s; commit {report['machine'].get('git', '?')}; results in "
        f"{args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
