"""The real Emergent dataset (Ferreira & Vlachos 2016, via Nguyen et al. 2018, fc-aaai18, MIT)
imported with --map and --stance-map alone, as README's example does."""

from __future__ import annotations

import collections
import json

import pytest

EMERGENT_ARGS = [
    "--map",
    "claim_key=claimId",
    "--map",
    "claim_text=claimHeadline",
    "--map",
    "source_key=source",
    "--map",
    "source_name=source",
    "--map",
    "quote=articleHeadline",
    "--map",
    "stance=articleHeadlineStance",
    "--map",
    "key=articleId",
    "--stance-map",
    "for=supports,against=contradicts,observing=neutral",
]


@pytest.fixture
def emergent(shared_dir):
    path = shared_dir / "data" / "emergent" / "edata_all.csv"
    if not path.exists():
        pytest.skip(f"the Emergent dataset is not at {path} (it is shared data, not in the repo)")
    return path


def test_emergent_imports_with_maps_alone(cli, emergent, db_dump):
    run = cli.ok("import", str(emergent), *EMERGENT_ARGS, "--json")
    data = json.loads(run.stdout)
    assert {k: v["created"] for k, v in data["counts"].items()} == {
        "source": 724,
        "claim": 300,
        "evidence": 2595,
        "link": 0,
        "verdict": 0,
    }
    assert data["ignored_columns"] == {
        str(emergent): [
            "(unnamed column 1)",
            "claimTruth",
            "claimCount",
            "articleCount",
            "sourceCount",
        ]
    }
    claims = cli.ok("claim", "list", "--json").json()
    assert len(claims) == 300
    assert collections.Counter(c["status"] for c in claims) == {
        "corroborated": 130,
        "contested": 86,
        "unverified": 69,
        "refuted": 12,
        "disputed": 3,
    }
    before = db_dump(cli.url)
    again = json.loads(cli.ok("import", str(emergent), *EMERGENT_ARGS, "--json").stdout)
    assert again["counts"]["evidence"] == {"created": 0, "updated": 0, "unchanged": 2595}
    assert db_dump(cli.url) == before
