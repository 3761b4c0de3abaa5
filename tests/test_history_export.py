"""A whole database moved between engines through `export` (JSONL) and `import`: the restore
section carries every row with its id and the history with its hash chain, so the target
answers `history KEY --json`, old keys, `report --as-of` and `db check --head` exactly as the
source; a changed line is refused naming FILE:LINE and leaves the target as it was.

Real SQLite and PostgreSQL (CLAIMTRACK_TEST_POSTGRES_URL): SQLite -> PostgreSQL and back."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from conftest import Cli, migrated_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def other_url(engine_name, request, tmp_path):
    """An empty, migrated database of the other engine."""
    yield from migrated_database(
        "sqlite" if engine_name == "postgres" else "postgres", request, tmp_path / "target.db"
    )


def build(cli: Cli) -> str:
    """A database with adds, edits, a claim merge, removals and a verdict, made with the CLI;
    returns a moment between its first and its later changes (for --as-of)."""
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "Wire copy", "--key", "wire", "--derived-from", "ryg")
    cli.ok("claim", "add", "The crackdown had stopped by June 2018.", "--key", "halt", "--tag", "c")
    cli.ok("claim", "add", "The crackdown stopped in June.", "--key", "stop")
    cli.ok("claim", "add", "The decrees were taken down.", "--key", "decrees")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--credibility", "2",
           "--via", "dnk", "--quote", "the crackdowns have stopped")  # fmt: skip
    cli.ok("evidence", "add", "stop", "--source", "wire", "--supports", "--quote", "stopped")
    cli.ok("evidence", "add", "decrees", "--source", "dnk", "--supports")
    time.sleep(0.01)
    moment = datetime.now(UTC).isoformat()
    time.sleep(0.01)
    cli.ok("claim", "edit", "halt", "--place", "Hyesan", "--reason", "from the article")
    cli.ok("source", "edit", "dnk", "--reliability", "C")
    cli.ok("claim", "merge", "halt", "stop", "--yes")
    cli.ok("evidence", "remove", "1", "--reason", "misread")
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", "two informants")
    cli.ok("calibrate")  # a score model, which reports from now on use
    cli.ok("claim", "remove", "decrees", "--cascade", "--reason", "retracted", "--yes")
    return moment


def report(cli: Cli, *args: str) -> dict:
    """report --json without `generated_at`, the one field that legitimately differs (when
    each report was made)."""
    found = cli.ok("report", *args, "--json").json()
    found.pop("generated_at")
    return found


def same_everywhere(one: Cli, two: Cli, moment: str) -> None:
    for key in ("halt", "decrees", "dnk", "ryg", "wire"):
        assert two.ok("history", key, "--json").json() == one.ok("history", key, "--json").json()
    # The merged-away key resolves to the claim kept, on both.
    assert two.ok("claim", "show", "stop", "--json").json() == (
        one.ok("claim", "show", "stop", "--json").json()
    )
    assert two.ok("claim", "show", "stop", "--json").json()["key"] == "halt"
    for when in (moment, datetime.now(UTC).date().isoformat()):
        assert report(two, "--as-of", when) == report(one, "--as-of", when)
    assert report(two) == report(one)
    assert report(two, "--as-of", moment) != report(two)  # the moment is worth comparing
    # The same chain: the same head, every event checked on the target.
    assert two.ok("db", "check").stdout.count("ok:") >= 5
    assert two.ok("db", "check", "--head").stdout == one.ok("db", "check", "--head").stdout
    # Search finds the same rows (its ranking is each engine's own).
    found = [sorted((r["type"], r["key"]) for r in side.ok("search", "crackdown", "--json").json())
             for side in (one, two)]  # fmt: skip
    assert found[0] == found[1] and found[0]


def test_a_database_moves_to_the_other_engine_and_back_keeping_its_history(
    cli, other_url, tmp_path, request, db_dump
):
    moment = build(cli)
    exported = tmp_path / "move.jsonl"
    cli.ok("export", "-o", str(exported))
    text = exported.read_text(encoding="utf-8")
    assert '"type": "restore"' in text and '"table": "history"' in text
    assert '"table": "score_models"' in text
    target = Cli(other_url)

    # A changed line is refused naming it, in one line, and the target is left as it was.
    lines = text.splitlines()
    number = next(i for i, line in enumerate(lines, 1) if '"reason": "misread"' in line)
    lines[number - 1] = lines[number - 1].replace('"reason": "misread"', '"reason": "a typo"')
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = db_dump(other_url)
    run = target("import", str(tampered))
    assert run.exit_code == 1
    assert run.stderr.startswith(f"Error: {tampered}:{number}: history event ")
    assert "does not match the hash chain" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    # Cut short (its last events gone): refused whole too.
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[: number - 1]) + "\n", encoding="utf-8")
    run = target("import", str(cut))
    assert run.exit_code == 1 and "other rows than its header says" in run.stderr
    assert db_dump(other_url) == before

    # Into the empty target: restored exactly.
    run = target.ok("import", str(exported), "--json").json()
    assert run["counts"]["history"]["created"] > 10
    same_everywhere(cli, target, moment)
    # The history carries who was connected: the OS user on SQLite, session_user on PostgreSQL.
    events = target.ok("history", "halt", "--json").json()
    assert {e["actor"] for e in events} == {"tester"}
    assert all(e["db_user"] for e in events)
    assert any(e["action"] == "claim.merge" for e in events)
    # The target's own export is the source's, byte for byte (so back again it holds too).
    again = tmp_path / "back.jsonl"
    target.ok("export", "-o", str(again))
    assert again.read_text(encoding="utf-8") == text
    # New writes on the target chain onto the restored head, with ids after the restored ones.
    target.ok("claim", "add", "A new claim.", "--key", "new")
    assert target.ok("db", "check").exit_code == 0
    restored = max(json.loads(line)["row"]["id"] for line in lines if '"table": "history"' in line)
    assert target.ok("history", "new", "--json").json()[0]["id"] == restored + 1

    # Into a database holding data (here the source itself): the records are imported as by
    # any import (all unchanged), the history is checked but not restored, and it says so.
    run = cli.ok("import", str(exported))
    assert "Warning: the whole-database copy" in run.stderr
    assert "not restored: this database already holds data" in run.stderr
    assert "created" in run.stdout and cli.ok("db", "check").exit_code == 0
    # --no-history writes the records alone; a filtered export never carries the section.
    plain = cli.ok("export", "--no-history").stdout
    assert '"type": "row"' not in plain and '"type": "restore"' not in plain
    assert '"type": "row"' not in cli.ok("export", "--tag", "c").stdout
