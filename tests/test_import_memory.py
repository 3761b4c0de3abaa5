"""A 200,000-row evidence sheet imports in bounded memory: peak RSS of the importing process,
measured in a subprocess, stays under a fixed cap that does not grow with the file."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

ROWS = 200_000
PEAK_RSS_CAP_MB = 160


def _write_sheet(path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("claim_key,claim_text,source_key,stance,credibility,url\n")
        for n in range(ROWS):
            claim = n % 2000
            handle.write(
                f"c{claim},Claim number {claim},s{n % 500},"
                f"{('supports', 'contradicts', 'neutral')[n % 3]},{n % 6 + 1},"
                f"https://example.org/{n}\n"
            )


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_200k_rows_import_under_a_fixed_peak_rss(db_url, tmp_path):
    sheet = tmp_path / "big.csv"
    _write_sheet(sheet)
    # The import runs as a grandchild, so RUSAGE_CHILDREN of its parent measures it alone.
    probe = textwrap.dedent(f"""
        import resource, subprocess, sys
        run = subprocess.run([sys.executable, "-m", "claimtrack", "--db", {db_url!r}, "import",
                              {str(sheet)!r}, "--json"], capture_output=True, text=True)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(run.returncode, peak)
        print(run.stdout)
        print(run.stderr, file=sys.stderr)
    """)
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300
    )
    first, _, rest = done.stdout.partition("\n")
    code, peak_kb = map(int, first.split())
    assert code == 0, done.stderr
    counts = json.loads(rest)["counts"]
    assert counts["evidence"]["created"] == ROWS
    assert counts["claim"]["created"] == 2000 and counts["source"]["created"] == 500
    assert peak_kb / 1024 < PEAK_RSS_CAP_MB, f"peak RSS {peak_kb / 1024:.0f} MB"
