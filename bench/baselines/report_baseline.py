"""Baseline for `claimtrack report --format json`: one aggregate query over evidence (support
and contradict origins per claim, credible items only, removed items left out) and the claims
serialised with json.dumps.

    python bench/baselines/report_baseline.py DB_FILE > report.json
"""

import json
import sqlite3
import sys

QUERY = """
SELECT c.key, c.text, c.verdict,
       COUNT(DISTINCT CASE WHEN e.stance = 'supports' AND e.credibility <> 5
                            AND o.reliability <> 'E' THEN s.origin_id END),
       COUNT(DISTINCT CASE WHEN e.stance = 'contradicts' AND e.credibility <> 5
                            AND o.reliability <> 'E' THEN s.origin_id END),
       COUNT(e.id)
FROM claims c
LEFT JOIN evidence e ON e.claim_id = c.id AND e.removed_at IS NULL
LEFT JOIN sources s ON s.id = e.source_id
LEFT JOIN sources o ON o.id = s.origin_id
GROUP BY c.id
ORDER BY c.key
"""


def main(db: str) -> None:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    claims = [
        {
            "key": key,
            "text": text,
            "verdict": verdict,
            "support_origins": support,
            "contradict_origins": contradict,
            "evidence": count,
        }
        for key, text, verdict, support, contradict, count in conn.execute(QUERY)
    ]
    sys.stdout.write(json.dumps(claims, indent=2, ensure_ascii=False))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
