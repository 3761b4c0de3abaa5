"""Verdicts in bulk: a sheet's verdict column (through --map and --verdict-map) brings a team's
existing fact-checks, and the exported sheet carries them back."""

from __future__ import annotations

import csv
import io
import json

import pytest

SHEET = (
    "Claim,Outlet,Stance,Truth,Why\n"
    "The crackdown had stopped by June 2018.,Daily NK,for,true,later reporting\n"
    "The crackdown had stopped by June 2018.,Yonhap,for,true,later reporting\n"
    "Police traded in the markets.,Daily NK,for,false,\n"
    "Kim Jong Un ordered an end to it.,KCNA,against,unknown,\n"
)
ARGS = [
    "--map", "claim_text=Claim", "--map", "source_name=Outlet", "--map", "stance=Stance",
    "--map", "verdict=Truth", "--map", "verdict_reason=Why",
    "--stance-map", "for=supports,against=contradicts",
    "--verdict-map", "true=confirmed,false=debunked,unknown=none",
]  # fmt: skip


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "checks.csv"
    path.write_text(SHEET, encoding="utf-8")
    return path


def verdicts(cli):
    claims = cli.ok("claim", "list", "--json").json()
    return {c["text"]: c["verdict"] for c in claims}


def test_a_mapped_verdict_column_sets_each_claims_verdict(cli, sheet):
    run = cli.ok("import", str(sheet), *ARGS, "--json").json()
    assert run["counts"]["verdict"]["created"] == 2
    assert verdicts(cli) == {
        "The crackdown had stopped by June 2018.": "confirmed",
        "Police traded in the markets.": "debunked",
        "Kim Jong Un ordered an end to it.": None,
    }
    halt = next(c for c in cli.ok("claim", "list", "--json").json() if c["verdict"] == "confirmed")
    shown = cli.ok("claim", "show", halt["key"], "--json").json()
    assert shown["verdict_reason"] == "later reporting"
    police = next(c for c in cli.ok("claim", "list", "--json").json() if c["verdict"] == "debunked")
    reason = cli.ok("claim", "show", police["key"], "--json").json()["verdict_reason"]
    assert reason == "from the verdict column of an imported sheet"
    again = cli.ok("import", str(sheet), *ARGS, "--json").json()["counts"]["verdict"]
    assert (again["created"], again["updated"]) == (0, 0)


def test_the_exported_sheet_carries_verdicts_back(cli, sheet, tmp_path):
    from conftest import Cli

    cli.ok("import", str(sheet), *ARGS)
    out = cli.ok("export", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["claim_text"][:10], r["verdict"]) for r in rows] == [
        ("Kim Jong U", ""),
        ("Police tra", "debunked"),
        ("The crackd", "confirmed"),
        ("The crackd", "confirmed"),
    ]
    path = tmp_path / "out.csv"
    path.write_text(out, encoding="utf-8")
    fresh = Cli(str(tmp_path / "fresh.db"))
    fresh.ok("init")
    fresh.ok("import", str(path))
    assert verdicts(fresh) == verdicts(cli)
    jsonl = [json.loads(line) for line in cli.ok("export").stdout.splitlines()]
    assert sorted(r["verdict"] for r in jsonl if r["type"] == "verdict") == [
        "confirmed",
        "debunked",
    ]


def test_an_unmapped_verdict_word_is_refused_naming_the_map(cli, sheet, db_dump):
    before = db_dump(cli.url)
    run = cli("import", str(sheet), *ARGS[:-2], "--verdict-map", "true=confirmed")
    assert run.exit_code == 1
    assert "checks.csv:4: Truth: 'false' — expected confirmed, debunked or none" in run.stderr
    assert "--verdict-map" in run.stderr
    assert db_dump(cli.url) == before


def test_the_verdict_map_is_named_as_the_caller_knows_it(cli, sheet, tmp_path):
    """The command line names the option, on the terminal and in the rejects file; the
    Python API the setting (verdict_map)."""
    from claimtrack.db import Database, resolve_url
    from claimtrack.transfer import import_files
    from claimtrack.transfer.imports import ImportRefused

    rejects = tmp_path / "rejects.csv"
    args = [*ARGS[:-2], "--verdict-map", "true=confirmed"]
    cli.ok("import", str(sheet), *args, "--skip-errors", str(rejects))
    rows = list(csv.DictReader(rejects.open(encoding="utf-8")))
    assert [row["line"] for row in rows] == ["4", "5"]
    assert rows[0]["expected"] == (
        "confirmed, debunked or none (map your own words with --verdict-map "
        "true=confirmed,false=debunked,unknown=none; --verdict-map maps true)"
    )
    database = Database(resolve_url(cli.url))
    mapping = dict(arg.split("=", 1) for arg in ARGS[1:10:2])
    with database.session(write=True) as session, pytest.raises(ImportRefused) as refused:
        import_files(
            session,
            files=[str(sheet)],
            mapping=mapping,
            stance_map={"for": "supports", "against": "contradicts"},
            verdict_map={"true": "confirmed"},
        )
    database.dispose()
    assert refused.value.problems[0].endswith(
        "(map your own words with verdict_map true=confirmed,false=debunked,unknown=none; "
        "verdict_map maps true)"
    )


def test_two_rows_of_one_claim_with_different_verdicts_are_refused(cli, tmp_path, db_dump):
    path = tmp_path / "clash.csv"
    path.write_text(
        "claim_key,claim_text,source_key,stance,verdict\n"
        "halt,The crackdown stopped.,dnk,supports,confirmed\n"
        "halt,The crackdown stopped.,yonhap,supports,debunked\n",
        encoding="utf-8",
    )
    before = db_dump(cli.url)
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert "clash.csv:3: verdict: 'debunked' — expected 'confirmed' as at " in run.stderr
    assert db_dump(cli.url) == before


def test_a_bad_verdict_map_is_a_usage_error(cli, sheet):
    run = cli("import", str(sheet), "--verdict-map", "true=maybe")
    assert run.exit_code == 2
    assert run.stderr.startswith("Error: --verdict-map: 'maybe' is not valid")


def test_verdict_map_is_for_sheets_only(cli, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"type": "source", "key": "a", "name": "A"}\n', encoding="utf-8")
    run = cli("import", str(path), "--verdict-map", "true=confirmed")
    assert run.exit_code == 2
    assert "--verdict-map" in run.stderr


def test_emergent_brings_its_labels_as_verdicts(cli, shared_dir):
    from test_emergent import EMERGENT_ARGS

    path = shared_dir / "data" / "emergent" / "edata_all.csv"
    if not path.exists():
        pytest.skip("the Emergent dataset is shared data, not in the repo")
    args = [*EMERGENT_ARGS, "--map", "verdict=claimTruth"]
    args += ["--verdict-map", "true=confirmed,false=debunked,unknown=none"]
    run = cli.ok("import", str(path), *args, "--json").json()
    assert run["counts"]["verdict"]["created"] == 175
    claims = cli.ok("claim", "list", "--json").json()
    assert (
        sum(c["verdict"] == "confirmed" for c in claims)
        + sum(c["verdict"] == "debunked" for c in claims)
        == 175
    )
