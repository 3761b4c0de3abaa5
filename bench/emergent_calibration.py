"""The score on real data no one here wrote: Emergent (Ferreira & Vlachos, "Emergent: a novel
data-set for stance classification", NAACL-HLT 2016; as enriched by Nguyen et al., AAAI 2018,
fc-aaai18, MIT licence), imported with --map alone, verdicts brought in as JSONL records.

    .venv/bin/python bench/emergent_calibration.py [PATH/TO/edata_all.csv] [--json]

Runs the `claimtrack` command installed beside that Python (else the one on PATH), as a user
would, and prints the held-out AUC and Brier
score (docs/scoring.md, "Measured"):

- 5-fold: the verdicts of 4/5 of the 175 labelled claims imported, `claimtrack calibrate`, the
  held-out fifth scored by `report --json`; pooled over the five folds;
- no verdicts: `calibrate` on agreement alone, every labelled claim scored;
- 10 verdicts (five draws): the other 165 labelled claims scored;
- the grade defaults (no calibrate) and a naive count (S + 1) / (S + X + 2), on all 175.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claimtrack.calibration import auc, brier  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "emergent" / "edata_all.csv"
MAPS = [
    "--map", "claim_key=claimId", "--map", "claim_text=claimHeadline",
    "--map", "source_key=source", "--map", "source_name=source",
    "--map", "quote=articleHeadline", "--map", "stance=articleHeadlineStance",
    "--map", "key=articleId",
    "--stance-map", "for=supports,against=contradicts,observing=neutral",
]  # fmt: skip
FOLDS = 5
SEED = 0


# The claimtrack installed beside this Python (.venv/bin/python bench/... runs .venv's), else
# the one on PATH.
BESIDE = Path(sys.executable).with_name("claimtrack")
CLAIMTRACK = str(BESIDE) if BESIDE.exists() else "claimtrack"


def claimtrack(db: Path, *args: str) -> str:
    env = {**os.environ, "CLAIMTRACK_DB": str(db), "CLAIMTRACK_ACTOR": "emergent-eval"}
    run = subprocess.run([CLAIMTRACK, *args], env=env, capture_output=True, text=True)
    if run.returncode:
        sys.exit(f"claimtrack {' '.join(args)} failed:\n{run.stderr}")
    return run.stdout


def truths(sheet: Path) -> dict[str, int]:
    with sheet.open(encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        labels = {r["claimId"]: r["claimTruth"] for r in rows}
    return {key: int(t == "true") for key, t in labels.items() if t in ("true", "false")}


def with_verdicts(base: Path, work: Path, name: str, keys: list[str], truth: dict[str, int]):
    db = work / f"{name}.db"
    shutil.copy(base, db)
    if keys:
        records = work / f"{name}.jsonl"
        records.write_text(
            "".join(
                json.dumps(
                    {
                        "type": "verdict",
                        "claim": key,
                        "verdict": "confirmed" if truth[key] else "debunked",
                        "reason": "Emergent claimTruth",
                    }
                )
                + "\n"
                for key in keys
            ),
            encoding="utf-8",
        )
        claimtrack(db, "import", str(records))
    return db


def scores(db: Path) -> dict[str, float]:
    report = json.loads(claimtrack(db, "report", "--json"))
    return {row["key"]: row["score"] for row in report["claims"]}


def measure(pairs) -> dict[str, float]:
    return {"claims": len(pairs), "auc": round(auc(pairs), 4), "brier": round(brier(pairs), 4)}


def main(argv: list[str]) -> dict:
    sheet = Path(next((a for a in argv if not a.startswith("--")), DEFAULT))
    if not sheet.exists():
        sys.exit(
            f"{sheet} not found: give the path of Emergent's edata_all.csv (repository "
            "thanhan/fc-aaai18, MIT licence)"
        )
    truth = truths(sheet)
    labelled = sorted(truth)
    random.Random(SEED).shuffle(labelled)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = work / "base.db"
        claimtrack(base, "init")
        claimtrack(base, "import", str(sheet), *MAPS)
        report = json.loads(claimtrack(base, "report", "--json"))
        defaults = {row["key"]: row for row in report["claims"]}
        results["grade defaults"] = measure([(defaults[k]["score"], truth[k]) for k in labelled])
        naive = [
            (
                (defaults[k]["support_origins"] + 1)
                / (defaults[k]["support_origins"] + defaults[k]["contradict_origins"] + 2),
                truth[k],
            )
            for k in labelled
        ]
        results["naive count"] = measure(naive)

        none = with_verdicts(base, work, "none", [], truth)
        claimtrack(none, "calibrate")
        zero = scores(none)
        results["no verdicts (agreement)"] = measure([(zero[k], truth[k]) for k in labelled])

        held_out = []
        for fold in range(FOLDS):
            test = set(labelled[fold::FOLDS])
            train = [k for k in labelled if k not in test]
            db = with_verdicts(base, work, f"fold{fold}", train, truth)
            claimtrack(db, "calibrate")
            got = scores(db)
            held_out += [(got[k], truth[k]) for k in sorted(test)]
        results["verdicts of 4/5, held-out 1/5 (5-fold)"] = measure(held_out)

        ten_rows = []
        for draw in range(5):
            ten = random.Random(100 + draw).sample(labelled, 10)
            db = with_verdicts(base, work, f"ten{draw}", ten, truth)
            claimtrack(db, "calibrate")
            got = scores(db)
            rest = [k for k in labelled if k not in ten]
            ten_rows.append(
                (measure([(got[k], truth[k]) for k in rest]),
                 measure([(zero[k], truth[k]) for k in rest]))
            )  # fmt: skip
        results["10 verdicts (mean of 5 draws)"] = {
            "claims": ten_rows[0][0]["claims"],
            "auc": round(sum(r[0]["auc"] for r in ten_rows) / 5, 4),
            "brier": round(sum(r[0]["brier"] for r in ten_rows) / 5, 4),
        }
        results["no verdicts, same claims as the 10"] = {
            "claims": ten_rows[0][1]["claims"],
            "auc": round(sum(r[1]["auc"] for r in ten_rows) / 5, 4),
            "brier": round(sum(r[1]["brier"] for r in ten_rows) / 5, 4),
        }
    return results


if __name__ == "__main__":
    measured = main(sys.argv[1:])
    if "--json" in sys.argv:
        print(json.dumps(measured, indent=2))
    else:
        print(f"{'setting':44s} {'claims':>6s} {'AUC':>7s} {'Brier':>7s}")
        for name, row in measured.items():
            print(f"{name:44s} {row['claims']:6d} {row['auc']:7.3f} {row['brier']:7.3f}")
