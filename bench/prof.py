"""Where a claimtrack command spends its time: cProfile of one run, and its import costs.

    python bench/prof.py -- --db bench/data/quick/read.db claim show c000000 --json
    python bench/prof.py --sort tottime --top 40 -- --db X report --format json
    python bench/prof.py --imports -- --db X evidence add c000001 --source s000002 --supports

--imports runs the command once under `python -X importtime` and prints the heaviest imports
(cumulative, top-level and claimtrack's own); otherwise the cProfile statistics are printed
(the command's own output is discarded).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


def imports(args: list[str], top: int) -> None:
    code = "import sys; from claimtrack.cli import main; sys.argv = ['claimtrack', *sys.argv[1:]]; main()"
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code, *args],
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative_us, name = line[len("import time:") :].split("|")
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append((int(cumulative_us), int(self_us), depth, name.strip()))
    top_level = [r for r in rows if r[2] == 0]
    print(f"total import time {sum(r[0] for r in top_level) / 1000:.0f} ms")
    print("\nheaviest top-level imports (cumulative ms):")
    for cumulative, _, _, name in sorted(top_level, reverse=True)[:top]:
        print(f"  {cumulative / 1000:7.1f}  {name}")
    print("\nclaimtrack modules (cumulative / self ms):")
    for cumulative, own, _, name in sorted(r for r in rows if r[3].startswith("claimtrack"))[::-1][
        :top
    ]:
        print(f"  {cumulative / 1000:7.1f} / {own / 1000:5.1f}  {name}")


def profile(args: list[str], sort: str, top: int) -> None:
    import cProfile
    import io
    import pstats
    from contextlib import redirect_stdout

    from claimtrack.cli import app

    profiler = cProfile.Profile()
    with redirect_stdout(io.StringIO()), tempfile.TemporaryDirectory():
        profiler.enable()
        try:
            app(args, prog_name="claimtrack")
        except SystemExit:
            pass
        finally:
            profiler.disable()
    stats = pstats.Stats(profiler)
    stats.sort_stats(sort).print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sort", default="cumulative", help="pstats sort key (cumulative, tottime)"
    )
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--imports", action="store_true", help="import costs instead of cProfile")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then claimtrack's arguments")
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if options.imports:
        imports(args, options.top)
    else:
        profile(args, options.sort, options.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
