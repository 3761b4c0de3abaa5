"""Hostile input is refused with FILE:LINE in bounded memory: nesting depth, line and record
size, duplicate fields, lone surrogates; the same length limits on both engines; bad
environment values and out-of-range moments are one clear line, never "unexpected"."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from claimtrack.transfer.imports.limits import Limits, nesting_depth, too_deep


def test_nesting_depth_ignores_brackets_in_strings():
    assert nesting_depth('[[{"a": [1]}]]') == 4
    assert nesting_depth('{"a": "[[[[", "b": "\\\\", "c": "\\"[[["}') == 1
    assert too_deep('{"quote": "' + "[sic] " * 100 + '"}', 32) is None
    assert too_deep("[" * 40 + "]" * 40, 32) == 40


def test_limits_are_settable_and_checked(monkeypatch):
    monkeypatch.setenv("CLAIMTRACK_IMPORT_MAX_DEPTH", "8")
    monkeypatch.setenv("CLAIMTRACK_IMPORT_MAX_LINE_BYTES", "1_000")
    assert Limits.from_env() == Limits(max_depth=8, max_line_bytes=1000)
    monkeypatch.setenv("CLAIMTRACK_IMPORT_MAX_DEPTH", "-1")
    with pytest.raises(Exception, match="a whole number of at least 1"):
        Limits.from_env()


def _deep_record(depth: int) -> str:
    return '{"type": "claim", "key": "d", "text": "T", "notes": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("suffix", [".jsonl", ".json"])
def test_deep_nesting_is_refused_with_its_place(cli, db_dump, db_url, tmp_path, suffix):
    path = tmp_path / f"deep{suffix}"
    good = '{"type": "claim", "key": "ok", "text": "Fine"}'
    bad = _deep_record(200_000)
    path.write_text(f"{good}\n{bad}\n" if suffix == ".jsonl" else f"[{good},\n{bad}]")
    before = db_dump(db_url)
    run = cli("import", str(path))
    assert run.exit_code == 1
    where = f"{path}:2" if suffix == ".jsonl" else f"{path}:item 2"
    assert f"{where}: record: " in run.stderr and "nested" in run.stderr
    assert "CLAIMTRACK_IMPORT_MAX_DEPTH" in run.stderr and "unexpected" not in run.stderr
    assert db_dump(db_url) == before


def test_a_200000_deep_json_array_stays_in_bounded_memory(db_url, tmp_path, engine_name):
    if engine_name != "sqlite":
        pytest.skip("memory is the reader's, the same on both engines")
    path = tmp_path / "deep.json"
    path.write_text("[" + _deep_record(200_000) + "]")
    script = (
        "import resource, sys\n"
        "from claimtrack.cli import app\n"
        "try:\n"
        f"    app(['--db', {db_url!r}, 'import', {str(path)!r}])\n"
        "except SystemExit as e:\n"
        "    code = e.code\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, code)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    peak_kb, code = done.stdout.split()
    assert code == "1" and "nested" in done.stderr
    assert int(peak_kb) < 300_000, f"peak {peak_kb} KB"  # 1 GB at 20,000 deep before


def test_an_overlong_line_and_record_are_refused_without_reading_them_whole(
    cli, tmp_path, monkeypatch
):
    monkeypatch.setenv("CLAIMTRACK_IMPORT_MAX_LINE_BYTES", "10000")
    monkeypatch.setenv("CLAIMTRACK_IMPORT_MAX_RECORD_BYTES", "10000")
    text = "x" * 300_000  # more than the JSON parser reads at once (64 KiB)
    for name, body, where in (
        ("long.jsonl", '{"type": "claim", "key": "a", "text": "ok"}\n'
         f'{{"type": "claim", "key": "b", "text": "{text}"}}\n', ":2: line: "),
        ("long.csv", f"claim_key,claim_text,source_key,stance\nc,{text},s,supports\n", ":2: line: "),
        ("long.json", f'[{{"type": "claim", "key": "b", "text": "{text}"}}]', ":item 1: record: "),
    ):  # fmt: skip
        path = tmp_path / name
        path.write_text(body)
        run = cli("import", str(path), env={k: v for k, v in __import__("os").environ.items()
                                            if k.startswith("CLAIMTRACK_IMPORT")})  # fmt: skip
        assert run.exit_code == 1, run.stdout
        assert f"{path}{where}" in run.stderr and "10,000 bytes" in run.stderr, run.stderr


def test_a_field_given_twice_in_one_record_is_refused(cli, tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text('{"type": "claim", "key": "a", "text": "One", "text": "Two"}\n')
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert f"{path}:1: text: given twice in one record — expected each field once" in run.stderr
    array = tmp_path / "dup.json"
    array.write_text('[{"type": "claim", "key": "a", "key": "b", "text": "One"}]')
    run = cli("import", str(array))
    assert run.exit_code == 1 and f"{array}:item 1: key: given twice" in run.stderr


def test_a_lone_surrogate_is_a_bad_row_even_in_the_rejects_file(cli, tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text('{"type": "claim", "key": "a", "text": "bad \\ud800 x"}\n')
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert f"{path}:1: text: <text with a lone surrogate> — expected valid UTF-8 text" in run.stderr
    rejects = tmp_path / "r.csv"
    cli.ok("import", str(path), "--skip-errors", str(rejects))
    assert "\\ud800" in rejects.read_text(encoding="utf-8")


def test_the_same_length_limits_on_both_engines(cli, tmp_path, db_dump, db_url):
    before = db_dump(db_url)
    run = cli("source", "add", "Outlet", "--kind", "k" * 51)
    assert (run.exit_code, run.stderr) == (
        2,  # a bad option value: a usage error
        f"Error: --kind: {'k' * 51!r} is not valid; expected a kind of at most 50 characters\n",
    )
    run = cli("--actor", "a" * 201, "source", "add", "Outlet")
    assert run.exit_code == 2
    assert "expected a name of 1 to 200 characters (--actor or CLAIMTRACK_ACTOR)" in run.stderr
    path = tmp_path / "k.jsonl"
    path.write_text(json.dumps({"type": "source", "key": "s", "name": "S", "kind": "k" * 51}))
    run = cli("import", str(path))
    assert run.exit_code == 1 and f"{path}:1: kind: " in run.stderr
    assert db_dump(db_url) == before
    cli.ok("source", "add", "Outlet", "--kind", "k" * 50)
    cli.ok("--actor", "a" * 200, "source", "add", "Other")


@pytest.mark.parametrize("value", ["inf", "nan", "-5", "soon"])
def test_a_bad_busy_timeout_is_one_clear_line(cli, value):
    run = cli("claim", "list", env={"CLAIMTRACK_BUSY_TIMEOUT": value})
    assert (run.exit_code, run.stderr) == (
        1,
        f"Error: CLAIMTRACK_BUSY_TIMEOUT: {value!r} is not valid; expected a number of seconds "
        "from 0 to 86400\n",
    )


def test_a_moment_before_year_one_in_utc_is_refused(cli):
    run = cli("report", "--as-of", "0001-01-01T00:00+01:00")
    assert run.exit_code == 2
    assert "expected a moment between the years 1 and 9999 (UTC)" in run.stderr


def test_non_utf8_bytes_in_an_argument_or_the_actor_are_refused(cli):
    run = cli("claim", "add", "bad \udcff text")
    assert run.exit_code == 1 and "expected valid UTF-8 text" in run.stderr
    run = cli("claim", "add", "fine", env={"CLAIMTRACK_ACTOR": "x\udcfe"})
    # Named as the option that could have given it, and so exit 2 like a bad --actor.
    assert run.exit_code == 2 and "--actor: " in run.stderr
