"""The smaller failures of the adversarial round, each with the test that now holds it:
`import -` reads standard input before it takes the write lock, a database from a newer
claimtrack says to upgrade claimtrack (not the database), and backing up a damaged database
is one clear line with nothing written."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from claimtrack.db import Database, resolve_url

CLAIMTRACK = shutil.which("claimtrack") or str(Path(sys.executable).parent / "claimtrack")


def test_import_stdin_does_not_hold_the_write_lock_while_waiting_for_input(cli, db_url):
    env = {**os.environ, "CLAIMTRACK_DB": db_url, "CLAIMTRACK_BUSY_TIMEOUT": "3"}
    importer = subprocess.Popen(
        [CLAIMTRACK, "import", "-", "--format", "jsonl"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        time.sleep(1.5)  # started, and waiting for its input
        started = time.monotonic()
        other = subprocess.run(
            [CLAIMTRACK, "claim", "add", "Written meanwhile", "--key", "meanwhile"],
            capture_output=True,
            text=True,
            env=env,
        )
        assert other.returncode == 0, other.stderr
        assert time.monotonic() - started < 3
        out, err = importer.communicate(b'{"type": "claim", "key": "piped", "text": "Piped"}\n', 30)
    finally:
        importer.kill()
    assert importer.returncode == 0, err
    keys = {c["key"] for c in cli.ok("claim", "list", "--json").json()}
    assert {"meanwhile", "piped"} <= keys


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_a_database_from_a_newer_claimtrack_says_to_upgrade_claimtrack(cli, db_url, db_dump):
    database = Database(resolve_url(db_url))
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    database.dispose()
    before = db_dump(db_url)
    for args in (["init"], ["claim", "list"], ["db", "upgrade"]):
        run = cli(*args)
        assert (run.exit_code, run.stdout) == (1, ""), args
        assert run.stderr == (
            f"Error: {db_url} is at schema revision 0099, made by a newer claimtrack than this "
            f"one (which knows up to {cli.ok('db', 'current', '--json').json()['head']}): "
            "upgrade claimtrack itself (pip install -U claimtrack), not the database\n"
        )
    assert db_dump(db_url) == before


@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_backing_up_a_damaged_database_is_one_clear_line(cli, db_url, tmp_path):
    for n in range(30):
        cli.ok("claim", "add", f"Claim number {n} " + "x" * 500)
    damaged = tmp_path / "damaged.db"
    database = Database(resolve_url(db_url))
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    shutil.copyfile(db_url, damaged)
    with damaged.open("r+b") as handle:
        handle.seek(4096 * 3)
        handle.write(b"\xff" * 8192)
    from conftest import Cli

    target = tmp_path / "copy.db"
    run = Cli(str(damaged))("db", "backup", str(target))
    assert run.exit_code == 1
    assert run.stderr.startswith(f"Error: cannot back up {damaged}: SQLite says ")
    assert "nothing was written" in run.stderr and "unexpected" not in run.stderr
    assert not target.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".claimtrack-tmp")]


@pytest.mark.parametrize("args", [["export"], ["report"], ["claim", "list", "--json"]])
def test_a_full_disk_on_standard_output_is_one_clear_line(cli, db_url, args):
    cli.ok("claim", "add", "A claim to write out.")
    env = {**os.environ, "CLAIMTRACK_DB": db_url}
    with open("/dev/full", "w") as full:
        done = subprocess.run([CLAIMTRACK, *args], stdout=full, stderr=subprocess.PIPE, env=env)
    assert done.returncode == 1
    assert done.stderr.decode() == (
        "Error: cannot write the output: the disk is full (or over quota); free some space\n"
    )
