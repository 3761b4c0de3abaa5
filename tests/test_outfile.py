"""Every file claimtrack writes for a user (report -o, export -o, the --skip-errors rejects
file, db backup) goes through claimtrack.outfile: never over the database or its -wal/-shm,
never through a symbolic link, an existing file only with --force, atomically (a temporary
file beside it, renamed into place), 0600, and no temporary file left on failure or signal."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from transfer_helpers import BASE, write_jsonl

from claimtrack.errors import Conflict, InvalidValue, OutputError
from claimtrack.outfile import TEMP_SUFFIX, Target, database_files

CLAIMTRACK = shutil.which("claimtrack") or str(Path(sys.executable).parent / "claimtrack")

SQLITE = pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)


def _temporaries(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(TEMP_SUFFIX))


@pytest.fixture
def seeded(cli, tmp_path):
    cli.ok("import", str(write_jsonl(tmp_path / "base.jsonl", BASE)))
    return cli


@SQLITE
@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize(
    "command",
    [
        ["report", "-o", "{}", "--force"],
        ["export", "-o", "{}", "--force"],
        ["import", "{input}", "--skip-errors", "{}", "--force"],
    ],
    ids=["report", "export", "rejects"],
)
def test_no_output_ever_lands_on_the_database_or_its_files(
    seeded, db_url, db_dump, tmp_path, command, suffix
):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "claim", "key": "x"}\n{"type": "claim", "key": "ok", "text": "T"}\n')
    database = Path(db_url)
    target = database.with_name(database.name + suffix)
    target.touch()
    before = db_dump(db_url)
    args = [a.format(target, input=bad) for a in command]
    run = seeded(*args)
    assert run.exit_code == 1, run.stdout
    which = "the database" if not suffix else f"the database's {suffix} file"
    assert run.stderr == (
        f"Error: {target} is {which}: claimtrack never writes over it; choose another file name\n"
    )
    assert db_dump(db_url) == before
    assert seeded.ok("claim", "list", "--json").json()


@SQLITE
def test_a_symbolic_link_or_hard_link_to_the_database_is_refused(seeded, db_url, tmp_path):
    link = tmp_path / "link.db"
    link.symlink_to(db_url)
    hard = tmp_path / "hard.db"
    os.link(db_url, hard)
    for name in (link, hard):
        run = seeded("report", "-o", str(name), "--force")
        assert run.exit_code == 1
        assert "is the database: claimtrack never writes over it" in run.stderr
        backup = seeded("db", "backup", str(name))
        assert backup.exit_code == 1
    assert seeded.ok("db", "check").exit_code == 0


@SQLITE
def test_report_o_needs_force_like_export_and_writes_0600(seeded, tmp_path):
    out = tmp_path / "r.md"
    out.write_text("keep me")
    run = seeded("report", "--format", "markdown", "-o", str(out))
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr == (
        f"Error: {out} already exists: choose another -o FILE, or add --force to replace it\n"
    )
    assert out.read_text() == "keep me"
    seeded.ok("report", "--format", "markdown", "-o", str(out), "--force")
    assert out.read_text().startswith("#")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert _temporaries(tmp_path) == []


@SQLITE
def test_a_symbolic_link_is_never_followed_onto_another_file(seeded, tmp_path):
    victim = tmp_path / "notes.txt"
    victim.write_text("my notes")
    link = tmp_path / "out.txt"
    link.symlink_to(victim)
    for args in (["report", "-o", str(link), "--force"], ["export", "-o", str(link), "--force"]):
        run = seeded(*args)
        assert run.exit_code == 1
        assert run.stderr == (
            f"Error: {link} is a symbolic link: claimtrack never writes through one (it could "
            f"point at another file); give the real path, {victim}, if that is the file you "
            "mean\n"
        )
    assert victim.read_text() == "my notes" and link.is_symlink()


@SQLITE
def test_rejects_file_refuses_an_input_file_and_an_existing_file(seeded, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type": "claim", "key": "x"}\n')
    run = seeded("import", str(bad), "--skip-errors", str(bad))
    assert run.exit_code == 1
    assert run.stderr == (
        f"Error: {bad} is a file being imported: write the rejects to another file\n"
    )
    rejects = tmp_path / "rejects.csv"
    rejects.write_text("old")
    run = seeded("import", str(bad), "--skip-errors", str(rejects))
    assert run.exit_code == 1
    assert "choose another --skip-errors FILE, or add --force to replace it" in run.stderr
    assert rejects.read_text() == "old"
    seeded.ok("import", str(bad), "--skip-errors", str(rejects), "--force")
    assert rejects.read_text().startswith("file,line,field")
    assert _temporaries(tmp_path) == []


@SQLITE
def test_rejects_csv_is_formula_safe(seeded, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("claim_key,claim_text,source_key,stance\n=cmd|' /C calc'!A0,T,s,maybe\n")
    rejects = tmp_path / "rejects.csv"
    seeded.ok("import", str(bad), "--skip-errors", str(rejects))
    import csv

    rows = list(csv.reader(rejects.open(encoding="utf-8")))
    assert len(rows) >= 2
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    assert rows[-1][5].startswith("'=cmd")


@SQLITE
def test_a_fifo_is_written_in_place_never_replaced(seeded, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    seeded.ok("export", "-o", str(fifo), "--force")
    reader.join(10)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    records = received[0].split(b'{"type": "restore"')[0]  # then the restore section
    assert records.count(b"\n") == 8


@SQLITE
def test_dev_stdout_is_the_stream_and_dev_full_says_the_disk_is_full(seeded, db_url, tmp_path):
    env = {**os.environ, "CLAIMTRACK_DB": db_url}
    done = subprocess.run(
        [CLAIMTRACK, "report", "--format", "csv", "-o", "/dev/stdout"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("key,status")
    run = seeded("export", "-o", "/dev/full")
    assert run.exit_code == 1
    assert run.stderr == (
        "Error: cannot write /dev/full: the disk is full; nothing was written and any existing "
        "file was left as it was\n"
    )
    run = seeded("export", "-o", str(tmp_path))
    assert run.exit_code == 2 and "a file name, not a directory" in run.stderr


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "report.txt"
    out.write_text("old report")
    target = Target(out, force=True)
    with pytest.raises(OutputError, match="the disk is full; nothing was written"):
        with target.open() as handle:
            handle.write("half a new rep")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert out.read_text() == "old report"
    assert _temporaries(tmp_path) == []


def test_sigterm_mid_write_removes_the_temporary_file(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from claimtrack.outfile import Target\n"
        f"with Target({str(tmp_path / 'out.txt')!r}).open() as h:\n"
        "    h.write('partial')\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    signal.pthread_kill(signal.pthread_self(), 0)\n"
        "print('not reached')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert "not reached" not in done.stdout
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_left_by_a_killed_process_is_removed_by_the_next_write(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()  # fmt: skip
    stale = tmp_path / f".out.jsonl.{dead}.abcd{TEMP_SUFFIX}"
    stale.write_text("half")
    live = tmp_path / f".out.jsonl.{os.getppid()}.abcd{TEMP_SUFFIX}"
    live.write_text("someone else's")
    with Target(tmp_path / "out.jsonl").open() as handle:
        handle.write("whole")
    assert (tmp_path / "out.jsonl").read_text() == "whole"
    assert _temporaries(tmp_path) == [live.name]


def test_non_regular_targets_are_refused(tmp_path):
    with pytest.raises(InvalidValue, match="not a directory"):
        Target(tmp_path)
    with pytest.raises(InvalidValue, match="an existing directory"):
        Target(tmp_path / "missing" / "x.txt")
    with pytest.raises(InvalidValue, match="a regular file"):
        Target("/dev/null", allow_direct=False)
    with pytest.raises(Conflict, match="already exists"):
        (tmp_path / "x").write_text("")
        Target(tmp_path / "x")


def test_database_files_names_the_wal_shm_and_journal(tmp_path):
    names = [p.name for p in database_files(f"sqlite:///{tmp_path}/c.db")]
    assert names == ["c.db", "c.db-wal", "c.db-shm", "c.db-journal"]
    assert database_files("postgresql+psycopg://u@h/db") == []


@SQLITE
def test_concurrent_backups_to_one_name_one_wins_none_fails_oddly(seeded, db_url, tmp_path):
    target = tmp_path / "same.db"
    env = {**os.environ, "CLAIMTRACK_DB": db_url}
    runs = [
        subprocess.Popen(
            [CLAIMTRACK, "db", "backup", str(target)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(3)
    ]
    results = [(p.wait(60), p.stderr.read()) for p in runs]
    assert sorted(code for code, _ in results) == [0, 1, 1], results
    for code, err in results:
        if code:
            assert "already exists" in err or "appeared while claimtrack was writing" in err, err
    assert _temporaries(tmp_path) == []
    from conftest import Cli

    assert Cli(str(target)).ok("db", "check").exit_code == 0
