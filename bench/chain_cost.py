"""What the history hash chain costs an import: the quick sheet imported into a new SQLite
database inside this process, alternating the chain as built with `event_hash` replaced by a
constant (everything else equal), CPU and wall time of each run.

    python bench/chain_cost.py [SHEET] [--rounds N]

SHEET defaults to bench/data/quick/sheet.csv (made by `bench/run.py --quick`).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from claimtrack import api, history_log

REAL = history_log.event_hash


def _constant(*_args) -> str:
    return "0" * 64


def run_once(sheet: str, variant: str) -> tuple[float, float]:
    history_log.event_hash = REAL if variant == "chain" else _constant
    with tempfile.TemporaryDirectory() as folder:
        database = api.open_database(os.path.join(folder, "bench.db"), create=True)
        api.init_database(database)
        cpu, wall = time.process_time(), time.perf_counter()
        with database.session(write=True, actor="bench") as session:
            api.import_files(session, files=[sheet])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        database.dispose()
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent / "data" / "quick" / "sheet.csv"
    parser.add_argument("sheet", nargs="?", default=str(default))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results: dict[str, list] = {"constant": [], "chain": []}
    for _ in range(args.rounds):
        for variant in results:
            results[variant].append(run_once(args.sheet, variant))
    print(json.dumps({**results, "load": os.getloadavg()}))


if __name__ == "__main__":
    main()
