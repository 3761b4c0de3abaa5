"""The benchmark regression guard: `bench/run.py --quick` on the benchmarks that take seconds,
failing when a ratio to its baseline (measured in the same run) is more than 50% worse than
the target of issue 6, or when a statement count grows with the data. Ratios, never absolute
times.

A time ratio over its bar is measured once more (its benchmark alone, in a new run) before the
test fails: a machine busy with something else can make one run 50% slower than usual (a
clean run once failed at 2.28x against a 2.25x bar), while a real regression is slow twice.

Benchmarks whose command does not exist yet are skipped. A target known to be out of reach
(bench/README.md says by how much and why) is guarded at the worst ratio measured for it
instead, with the same 50% slack, so that a regression still fails the run: lower the ceiling
in KNOWN_MISSES as the figure improves, and remove the entry once the target holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = "startup,evidence_add,import_sqlite,report,show,explain"
RESULTS = [
    "startup",
    "evidence_add",
    "import_sqlite",
    "reimport_sqlite",
    "reimport_recheck_sqlite",
    "import_rss",
    "report_json",
    "report_statements",
    "claim_show_statements",
    "explain_statements",
]
# name -> (the ceiling: about the ratio measured at quick size on a quiet machine, with room
# for a loaded one; why the target is missed): bench/README.md has the figures.
KNOWN_MISSES = {
    "import_sqlite": (
        16.0,
        "the quick import is 10x csv.reader + executemany on a quiet machine (2026-12-01) and "
        "up to 24x on a loaded one (target 4x, issue 13): reading and checking every row in "
        "Python, claims and sources, the indexes and the full-text index",
    ),
    "reimport_recheck_sqlite": (
        0.7,
        "an unchanged re-import that reads every row (--recheck, or any write since the last "
        "import) is 0.66x the first import at quick size, 0.82x at 1M (target 0.3x, issue 13): "
        "the comparison is set-based; reading and checking the file again is most of it",
    ),
    "report_json": (
        4.5,
        "report --format json is 1.9-2.1x its baseline at full size but 3.65-4.41x at quick "
        "size (2026-12-01, load 1.8-2.7; 3.67x quiet), where importing Python, Typer, "
        "SQLAlchemy, its ORM, the models and the report's modules alone is 2.0x the baseline "
        "(316 ms CPU against 155 ms)",
    ),
}
SLACK = 1.5
# claim show and explain have an absolute target (< 0.5 s, held since issue 13's read path:
# 0.38 s and 0.42 s), which a loaded machine alone can miss. What is guarded is the claim's own
# cost: the 5,000-item claim against a 1-item claim, same command, same run (measured
# 1.2-1.6x). A cost per item that grows with the claim fails: explain's fragility,
# re-assessing the claim once per origin, once took 16 s on it (21.8x).
HOT_VS_ONE = {"claim_show": 2.0, "explain": 2.0}
# Each result comes from one benchmark of bench/run.py (--only takes benchmark names).
BENCHMARK_OF = {
    "startup": "startup",
    "evidence_add": "evidence_add",
    "import_sqlite": "import_sqlite",
    "reimport_sqlite": "import_sqlite",
    "reimport_recheck_sqlite": "import_sqlite",
    "import_rss": "import_sqlite",
    "report_json": "report",
    "report_statements": "report",
    "claim_show_statements": "show",
    "explain_statements": "explain",
    "claim_show": "show",
    "explain": "explain",
}

pytestmark = pytest.mark.e2e


def run_quick(out: Path, benchmarks: str) -> dict[str, dict]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--reps", "3",
         "--only", benchmarks, "--out", str(out)],
        capture_output=True, text=True, cwd=ROOT, env=dict(os.environ), timeout=900,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return {r["name"]: r for r in json.loads(out.read_text())["results"]}


@pytest.fixture(scope="module")
def bench_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    if not (Path(sys.executable).parent / "claimtrack").exists():
        pytest.skip("the claimtrack executable is not installed beside this Python")
    return run_quick(tmp_path_factory.mktemp("bench") / "quick.json", BENCHMARKS)


@pytest.mark.parametrize("name", RESULTS)
def test_ratio_within_half_again_of_target(
    bench_results: dict[str, dict], name: str, tmp_path: Path
) -> None:
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
    if result["unit"] == "MB":  # memory does not drift with the load: the target itself
        assert result["passed"], (
            f"{name}: {result['claimtrack']:.0f} MB peak RSS, over the target ({result['target']})"
        )
        return
    bar, why = result["target_ratio"], "the target"
    if name in KNOWN_MISSES:
        bar, why = KNOWN_MISSES[name][0], f"the known miss ({KNOWN_MISSES[name][1]})"
    ratios = [result["ratio"]]
    if ratios[0] > bar * SLACK:
        again = run_quick(tmp_path / "again.json", BENCHMARK_OF[name])[name]
        ratios.append(again["ratio"])
    assert min(ratios) <= bar * SLACK, (
        f"{name}: {' then '.join(f'{r:.2f}x' for r in ratios)} its baseline in two runs, "
        f"more than 50% worse than {why} {bar}x both times (claimtrack "
        f"{result['claimtrack']:.3f} s, baseline {result['baseline']:.3f} s in the first, "
        f"medians of {len(result['samples']['claimtrack'])} runs)"
    )


@pytest.mark.parametrize("name", HOT_VS_ONE)
def test_the_big_claim_costs_little_more_than_a_small_one(
    bench_results: dict[str, dict], name: str, tmp_path: Path
) -> None:
    result = bench_results.get(name)
    if result is None or not result["available"]:
        pytest.skip(f"{name}: not available ({result['note'] if result else 'not run'})")
    bar = HOT_VS_ONE[name]
    ratios = [result["ratio"]]
    if ratios[0] > bar * SLACK:
        ratios.append(run_quick(tmp_path / "again.json", BENCHMARK_OF[name])[name]["ratio"])
    assert min(ratios) <= bar * SLACK, (
        f"{name}: the 5,000-item claim took {' then '.join(f'{r:.2f}x' for r in ratios)} the "
        f"1-item claim in two runs, over {bar * SLACK:.1f}x both times (first run: "
        f"{result['claimtrack']:.3f} s vs {result['baseline']:.3f} s): a cost per item grows"
    )


def test_every_guarded_result_names_the_benchmark_that_measures_it() -> None:
    assert set(BENCHMARK_OF) == set(RESULTS) | set(HOT_VS_ONE)
    assert set(BENCHMARK_OF.values()) <= set(BENCHMARKS.split(","))
