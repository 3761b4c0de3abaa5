"""The benchmark regression guard: `bench/run.py --quick` on the fast benchmarks, failing when a
ratio to its baseline (measured in the same run) is more than 50% worse than the target of
issue 6, or when a statement count grows with the data. Ratios, never absolute times.

Benchmarks whose command does not exist yet are skipped. Targets known to be out of reach
(bench/README.md says by how much and why) are expected failures until they are met: remove
them from KNOWN_MISSES then. The import benchmarks are left out while a quick-size import
takes tens of seconds (the guard must stay under ~2 minutes); add "import_sqlite" to
BENCHMARKS once it takes a few.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = "startup,evidence_add,report,show,explain"
RESULTS = [
    "startup",
    "evidence_add",
    "report_json",
    "report_statements",
    "claim_show_statements",
    "explain_statements",
]
KNOWN_MISSES = {
    "report_json": "report --format json meets its target at full size (1.66x) but is ~5x "
    "its baseline at quick size, where start-up (~0.7 s CPU) is most of it: bench/README.md",
}
SLACK = 1.5

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    if not (Path(sys.executable).parent / "claimtrack").exists():
        pytest.skip("the claimtrack executable is not installed beside this Python")
    out = tmp_path_factory.mktemp("bench") / "quick.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--reps", "3",
         "--only", BENCHMARKS, "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {r["name"]: r for r in json.loads(out.read_text())["results"]}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(name, marks=pytest.mark.xfail(reason=KNOWN_MISSES[name], strict=False))
        if name in KNOWN_MISSES
        else name
        for name in RESULTS
    ],
)
def test_ratio_within_half_again_of_target(bench_results: dict[str, dict], name: str) -> None:
    result = bench_results.get(name)
    if result is None or not result["available"]:
        pytest.skip(f"{name}: not available ({result['note'] if result else 'not run'})")
    assert result["passed"] is not None, f"{name} failed to run: {result['note']}"
    if result["unit"] == "statements":
        assert result["claimtrack"] == result["baseline"], (
            f"{name}: {result['claimtrack']} SQL statements on the big case vs "
            f"{result['baseline']} on the small one: the count must not grow with the data"
        )
        return
    assert result["ratio"] <= result["target_ratio"] * SLACK, (
        f"{name}: {result['ratio']:.2f}x its baseline, more than 50% worse than the target "
        f"{result['target_ratio']}x (claimtrack {result['claimtrack']:.3f} s, baseline "
        f"{result['baseline']:.3f} s, medians of {len(result['samples']['claimtrack'])} runs)"
    )
