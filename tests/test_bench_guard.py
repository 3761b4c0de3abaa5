"""The benchmark regression guard: `bench/run.py --quick` on the fast benchmarks, failing when a
ratio to its baseline (measured in the same run) is more than 50% worse than the target of
issue 6, or when a statement count grows with the data. Ratios, never absolute times.
Benchmarks whose command does not exist yet are skipped (reported "not available").
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARDED = "startup,evidence_add,import_sqlite,import_postgres,report,show,explain"
SLACK = 1.5

pytestmark = pytest.mark.e2e


def test_benchmark_ratios_hold(tmp_path: Path) -> None:
    if not (Path(sys.executable).parent / "claimtrack").exists():
        pytest.skip("the claimtrack executable is not installed beside this Python")
    out = tmp_path / "quick.json"
    env = dict(os.environ)
    if "CLAIMTRACK_TEST_POSTGRES_URL" in env and "CLAIMTRACK_BENCH_POSTGRES_URL" not in env:
        env["CLAIMTRACK_BENCH_POSTGRES_URL"] = env["CLAIMTRACK_TEST_POSTGRES_URL"]
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--quick",
            "--reps",
            "5",
            "--only",
            GUARDED,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())["results"]
    problems = []
    for r in results:
        if not r["available"] or not r["guard"]:
            continue
        if r["passed"] is None:
            problems.append(f"{r['name']}: {r['note']}")
        elif r["unit"] == "statements":
            if not r["passed"]:
                problems.append(
                    f"{r['name']}: {r['claimtrack']} statements on the big case vs "
                    f"{r['baseline']} on the small one (must not grow with the data)"
                )
        elif r["ratio"] > r["target_ratio"] * SLACK:
            problems.append(
                f"{r['name']}: ratio {r['ratio']:.2f}× is more than 50% worse than the target "
                f"{r['target_ratio']}× (claimtrack {r['claimtrack']:.3f} s, baseline "
                f"{r['baseline']:.3f} s)"
            )
    assert not problems, "\n".join(problems) + "\n\n" + done.stdout
