"""A database that cannot be written — a read-only file (a backup kept read-only), a
read-only directory or medium — serves every read command; writes are refused with one clear
line, and the file is never switched to WAL or otherwise touched.

Run as root, file permissions do not apply; the commands then run under setpriv without the
capabilities that bypass them (CAP_DAC_OVERRIDE and friends)."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CLAIMTRACK = shutil.which("claimtrack") or str(Path(sys.executable).parent / "claimtrack")
SQLITE = pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)


def _unprivileged() -> list[str]:
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file permissions cannot be tested")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


def _run(db: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLAIMTRACK_ACTOR": "tester"}
    env.pop("CLAIMTRACK_DB", None)
    return subprocess.run(
        [*_unprivileged(), CLAIMTRACK, "--db", str(db), *args],
        capture_output=True,
        text=True,
        env=env,
    )


READS = [
    ["claim", "list", "--json"],
    ["claim", "show", "halt", "--json"],
    ["source", "list"],
    ["evidence", "list", "halt"],
    ["history", "halt"],
    ["report", "--format", "markdown"],
    ["explain", "halt"],
    ["search", "crackdown"],
    ["export"],
    ["info"],
    ["db", "check"],
]
WRITES = [
    ["claim", "add", "Another claim"],
    ["source", "add", "Another source"],
    ["import", "{sheet}"],
]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def filled(cli, db_url, tmp_path):
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("claim", "add", "The crackdown stopped.", "--key", "halt", "-s", "dnk")
    return Path(db_url)


@SQLITE
@pytest.mark.parametrize("how", ["read-only backup file", "read-only directory"])
def test_a_database_that_cannot_be_written_is_read_and_never_written(filled, tmp_path, how):
    sheet = tmp_path / "sheet.jsonl"
    sheet.write_text('{"type": "claim", "key": "new", "text": "New"}\n')
    place = tmp_path / "ro"
    place.mkdir()
    if how == "read-only backup file":
        db = place / "backup.db"
        assert _run(filled, "db", "backup", str(db)).returncode == 0
        db.chmod(0o400)
        reason = "the file is read-only"
    else:
        db = place / "claims.db"
        shutil.copyfile(filled, db)
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        reason = f"its directory {place} is read-only"
    expected_json = _run(filled, *READS[0]).stdout
    files = sorted(p.name for p in place.iterdir())
    place.chmod(0o555)
    try:
        before = _digest(db)
        for args in READS:
            done = _run(db, *args)
            assert done.returncode == 0, (args, done.stderr)
            assert "Error" not in done.stderr
        assert _run(db, *READS[0]).stdout == expected_json
        for args in WRITES:
            done = _run(db, *[a.format(sheet=sheet) for a in args])
            assert (done.returncode, done.stdout) == (1, ""), args
            assert done.stderr == (
                f"Error: the database {db} cannot be written ({reason}): read commands work; "
                "to change it, make it writable or copy it somewhere writable (`claimtrack db "
                "backup COPY`, then --db COPY)\n"
            )
        assert _digest(db) == before
        assert sorted(p.name for p in place.iterdir()) == files
    finally:
        place.chmod(stat.S_IRWXU)
    if how == "read-only backup file":
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
