"""bench/scale.py, which measures what README's Performance section promises at 10k, 100k and 1M
rows, run at the tiny size (1,000 rows) so that it takes seconds: one table row per engine, the
import, its re-import and the baseline measured, the ratios from those figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEADER = (
    "| rows | engine | import | rows/s | re-import (÷ import) "
    "| re-import --recheck (÷ import) | peak RSS: import / re-import "
    "| baseline | baseline: time, peak RSS | import ÷ baseline |"
)

pytestmark = pytest.mark.e2e


def scale(tmp_path: Path, engine: str, **env: str) -> tuple[list[str], dict]:
    """The table's lines and the results JSON of `bench/scale.py --sizes tiny` on ENGINE."""
    if not (Path(sys.executable).parent / "claimtrack").exists():
        pytest.skip("the claimtrack executable is not installed beside this Python")
    out = tmp_path / "scale.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), "--sizes", "tiny",
         "--engines", engine, "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    table = [line for line in done.stdout.splitlines() if line.startswith("|")]
    return table, json.loads(out.read_text())


def assert_measured(table: list[str], report: dict, engine: str, baseline: str) -> None:
    assert table[0] == HEADER
    assert len(table) == 3, table
    assert table[2].startswith(f"| 1,000 | {engine} | ") and baseline in table[2], table[2]
    [row] = report["rows"]
    assert (row["size"], row["rows"], row["available"], row["note"]) == ("tiny", 1000, True, "")
    assert 0 < row["baseline_s"] and 0 < row["import_s"] and 0 < row["reimport_s"]
    assert row["rows_per_s"] == pytest.approx(1000 / row["import_s"])
    assert row["ratio"] == pytest.approx(row["import_s"] / row["baseline_s"])
    assert row["reimport_ratio"] == pytest.approx(row["reimport_s"] / row["import_s"])
    assert row["recheck_ratio"] == pytest.approx(row["recheck_s"] / row["import_s"])
    assert row["import_rss_mb"] > 0 and row["reimport_rss_mb"] > 0 and row["baseline_rss_mb"] > 0
    assert [len(row["samples"][k]) for k in ("import", "reimport", "recheck", "baseline")] == [
        1,
        1,
        1,
        1,
    ]
    assert f"{row['ratio']:.1f}×" in table[2]


def test_sqlite_import_and_reimport_are_measured_beside_executemany(tmp_path: Path) -> None:
    table, report = scale(tmp_path, "sqlite")
    assert_measured(table, report, "SQLite", "csv.reader + executemany")


@pytest.mark.postgres
def test_postgres_import_and_reimport_are_measured_beside_psql_copy(
    tmp_path: Path, postgres
) -> None:
    table, report = scale(tmp_path, "postgres", CLAIMTRACK_BENCH_POSTGRES_URL=postgres.url)
    assert_measured(table, report, "PostgreSQL", "`psql \\copy`")


def test_postgres_without_a_server_is_not_available(tmp_path: Path) -> None:
    nowhere = "postgresql+psycopg://postgres@127.0.0.1:1/postgres"
    table, report = scale(tmp_path, "postgres", CLAIMTRACK_BENCH_POSTGRES_URL=nowhere)
    assert table[2].startswith("| 1,000 | PostgreSQL | not available (no PostgreSQL at "), table
    assert [row["available"] for row in report["rows"]] == [False]
