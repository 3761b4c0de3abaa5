"""Importing again the files of the last import (transfer/imports/repeat.py): when nothing has
been written since and the files and options are the same, the answer comes without reading a
row, and it is exactly what reading and comparing every row (--recheck) gives. Anything that
could make the two differ sends the import down the full path. Both engines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import dump
from transfer_helpers import BASE, SEED, StageRecorder, scalar, write_jsonl

from claimtrack.transfer.imports import repeat

STANCES = ["--stance-map", "for=supports,against=contradicts"]


def imported(cli, *args: str) -> dict:
    return cli.ok("import", *args, "--json").json()


def comparable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in ("seconds", "unchanged_since")}


def assert_repeat_equals_recheck(cli, *args: str) -> dict:
    """Import, then again (not read), then again with --recheck (read): the two answers
    agree, every record unchanged, and neither writes anything."""
    imported(cli, *args)
    before = dump(cli.url)
    fast = imported(cli, *args)
    assert fast["unchanged_since"] is not None, "the repeat was read again"
    full = imported(cli, *args, "--recheck")
    assert full["unchanged_since"] is None
    assert comparable(fast) == comparable(full)
    assert all(c["created"] == c["updated"] == 0 for c in fast["counts"].values())
    assert dump(cli.url) == before
    return fast


def sheet(path: Path, extra_column: bool = False, stances=("for", "against")) -> Path:
    header = "claim_key,claim_text,source_key,source_name,stance,credibility,quote,tags,verdict"
    lines = [header + (",colour" if extra_column else "")]
    for n in range(40):
        verdict = "confirmed" if n % 10 == 0 else ""
        row = f"c{n % 12},Claim {n % 12},s{n % 5},Source {n % 5},"
        row += f"{stances[n % 3 == 0]},{n % 6 + 1},quote {n % 17},t{n % 4};x,{verdict}"
        lines.append(row + (",blue" if extra_column else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def relays(path: Path) -> Path:
    records = [
        {"type": "source", "key": "hwa", "name": "Hoeryong informant"},
        {"type": "source", "key": "copy", "name": "Copy desk", "derived_from": "hwa"},
        {"type": "claim", "key": "quiet", "text": "The border was quiet."},
    ]
    records += [
        {
            "type": "evidence",
            "claim": "quiet",
            "source": "copy",
            "stance": "supports",
            "quote": f"relayed {n}",
            "via": "hwa",
        }  # fmt: skip
        for n in range(25)
    ]
    return write_jsonl(path, records)


def test_the_seed_again_is_answered_without_reading_it_and_as_a_recheck_would(cli):
    fast = assert_repeat_equals_recheck(cli, str(SEED))
    assert fast["counts"]["evidence"]["unchanged"] == 12


def test_records_of_every_kind_again(cli, tmp_path):
    fast = assert_repeat_equals_recheck(cli, str(write_jsonl(tmp_path / "base.jsonl", BASE)))
    assert fast["counts"]["link"] == {"created": 0, "updated": 0, "unchanged": 1}
    assert fast["counts"]["verdict"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_a_sheet_with_maps_tags_verdicts_and_ignored_columns_again(cli, tmp_path):
    path = sheet(tmp_path / "sheet.csv", extra_column=True)
    fast = assert_repeat_equals_recheck(cli, str(path), *STANCES)
    assert fast["ignored_columns"] == {str(path): ["colour"]}


def test_relay_warnings_are_given_again(cli, tmp_path):
    fast = assert_repeat_equals_recheck(cli, str(relays(tmp_path / "relays.jsonl")))
    assert fast["warning_count"] == 25 and len(fast["warnings"]) == 20


def test_several_files_again_and_a_dry_run_of_them(cli, tmp_path):
    plain = sheet(tmp_path / "sheet.csv", stances=("supports", "contradicts"))
    files = [str(SEED), str(plain), str(relays(tmp_path / "r.jsonl"))]
    assert_repeat_equals_recheck(cli, *files)
    dry = imported(cli, *files, "--dry-run")
    assert dry["dry_run"] and dry["unchanged_since"] is not None


def test_the_emergent_dataset_again(cli, shared_dir):
    from test_emergent import EMERGENT_ARGS

    path = shared_dir / "data" / "emergent" / "edata_all.csv"
    if not path.exists():
        pytest.skip(f"the Emergent dataset is not at {path} (it is shared data, not in the repo)")
    assert_repeat_equals_recheck(cli, str(path), *EMERGENT_ARGS)


def test_the_progress_display_names_the_comparison_and_nothing_else(database, tmp_path):
    from claimtrack.transfer import import_files

    path = str(write_jsonl(tmp_path / "base.jsonl", BASE))
    first, again = StageRecorder(), StageRecorder()
    for recorder in (first, again):
        with database.session(write=True, actor="test") as session:
            import_files(session, files=[path], progress=recorder)
    assert first.stages[0] == "reading rows"
    assert again.stages == ["comparing the files with the last import's"]


def test_a_write_since_the_import_means_the_files_are_read_again(cli, tmp_path):
    path = str(write_jsonl(tmp_path / "base.jsonl", BASE))
    imported(cli, path)
    cli.ok("evidence", "add", "halt", "--source", "dnk", "--contradicts", "--quote", "not so")
    again = imported(cli, path)
    assert again["unchanged_since"] is None
    assert again["counts"]["evidence"] == {"created": 0, "updated": 0, "unchanged": 1}


def test_an_edit_of_what_the_import_wrote_is_put_back_by_the_next_import(cli, tmp_path):
    path = str(write_jsonl(tmp_path / "base.jsonl", BASE))
    imported(cli, path)
    cli.ok("claim", "verdict", "halt", "debunked", "--reason", "changed my mind")
    again = imported(cli, path)
    assert again["unchanged_since"] is None
    assert again["counts"]["verdict"] == {"created": 0, "updated": 1, "unchanged": 0}


def test_a_changed_file_of_the_same_size_is_read(cli, tmp_path):
    path = tmp_path / "base.jsonl"
    write_jsonl(path, BASE)
    imported(cli, str(path))
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("two informants", "two informantz"), encoding="utf-8")
    again = imported(cli, str(path))
    assert again["unchanged_since"] is None
    assert again["counts"]["verdict"]["updated"] == 1


def test_other_options_mean_the_files_are_read(cli, tmp_path):
    path = sheet(tmp_path / "sheet.csv")
    imported(cli, str(path), *STANCES)
    mapped = imported(cli, str(path), *STANCES, "--map", "notes=tags")
    assert mapped["unchanged_since"] is None


def test_the_same_contents_under_another_name_are_answered_in_that_name(cli, tmp_path):
    """Contents decide, not names (a relative or an absolute path, a copy): what the answer
    says of the files names them as given now."""
    path = relays(tmp_path / "relays.jsonl")
    extra = sheet(tmp_path / "sheet.csv", True, ("supports", "contradicts"))
    imported(cli, str(path), str(extra))
    copy, moved = tmp_path / "copy.jsonl", tmp_path / "moved.csv"
    copy.write_bytes(path.read_bytes())
    moved.write_bytes(extra.read_bytes())
    fast = imported(cli, str(copy), str(moved))
    full = imported(cli, str(copy), str(moved), "--recheck")
    assert fast["unchanged_since"] is not None
    assert comparable(fast) == comparable(full)
    assert fast["ignored_columns"] == {str(moved): ["colour"]}
    assert fast["warnings"][0].startswith(f"{copy}:4: ")
    swapped = imported(cli, str(moved), str(copy))  # the order counts
    assert swapped["unchanged_since"] is None


def test_an_import_that_skipped_bad_rows_is_read_again(cli, tmp_path):
    records = [*BASE, {"type": "evidence", "claim": "nope", "source": "dnk", "stance": "supports"}]
    path = str(write_jsonl(tmp_path / "bad.jsonl", records))
    rejects = str(tmp_path / "rejects.csv")
    imported(cli, path, "--skip-errors", rejects)
    again = imported(cli, path, "--skip-errors", rejects, "--force")
    assert again["unchanged_since"] is None and again["rejected"] == 1


def test_a_second_different_verdict_or_relation_in_one_import_is_refused(cli, tmp_path):
    """Else importing the file again would change them back and forth each time."""
    verdicts = [
        *BASE,
        {"type": "verdict", "claim": "halt", "verdict": "debunked", "reason": "second"},
    ]
    run = cli("import", str(write_jsonl(tmp_path / "v.jsonl", verdicts)))
    assert run.exit_code == 1
    assert "v.jsonl:9: verdict: 'debunked'" in run.stderr
    assert "'confirmed' as at" in run.stderr and "(one verdict per claim)" in run.stderr
    imported(cli, str(write_jsonl(tmp_path / "base.jsonl", BASE)))
    links = [
        {"type": "link", "claim": "decrees-down", "other": "halt", "relation": "contradicts"},
        {"type": "link", "claim": "decrees-down", "other": "halt", "relation": "supports"},
    ]
    run = cli("import", str(write_jsonl(tmp_path / "l.jsonl", links)))
    assert run.exit_code == 1
    assert "l.jsonl:2: relation: 'supports'" in run.stderr
    assert "(one relation per link)" in run.stderr


def test_a_record_written_twice_is_found_in_the_imports_events(cli, tmp_path):
    """The guard behind `settled`, for a double write no rule refuses yet."""
    from claimtrack.db import Database, resolve_url

    imported(cli, str(write_jsonl(tmp_path / "base.jsonl", BASE)))
    database = Database(resolve_url(cli.url))
    try:
        with database.engine.connect() as conn:
            assert not repeat.wrote_a_record_twice(conn, 0)
    finally:
        database.dispose()
    since = scalar(cli.url, "SELECT max(id) FROM history")
    cli.ok("claim", "verdict", "halt", "debunked", "--reason", "one")
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "two")
    database = Database(resolve_url(cli.url))
    try:
        with database.engine.connect() as conn:
            assert repeat.wrote_a_record_twice(conn, since)
    finally:
        database.dispose()


def test_the_installed_command_says_the_files_were_not_read_again(tmp_path):
    executable = Path(sys.executable).parent / "claimtrack"
    if not executable.exists():
        pytest.skip(f"no claimtrack executable next to {sys.executable}: pip install the project")
    db = str(tmp_path / "e2e.db")
    env = {k: v for k, v in os.environ.items() if k != "CLAIMTRACK_DB"}

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [str(executable), "--db", db, *args], env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done

    run("init")
    run("import", str(SEED))
    again = run("import", str(SEED))
    assert "Not read again: these files are the last import (event" in again.stdout
    assert "unchanged" in again.stdout
    checked = run("import", str(SEED), "--recheck", "--json")
    assert json.loads(checked.stdout)["unchanged_since"] is None
