"""A password in the database URL's query string (`?password=...`) is never printed by any
command, success or failure, --debug or not, and reaches pg_dump through its environment,
never its command line (`ps` is checked while pg_dump runs)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import traceback
import uuid
from pathlib import Path

import pytest

from claimtrack.db import mask_url, scrub, url_secrets

SECRET = "TopSecret9%q"
ENCODED = "TopSecret9%25q"
CLAIMTRACK = shutil.which("claimtrack") or str(Path(sys.executable).parent / "claimtrack")


def test_mask_url_hides_query_string_secrets():
    assert mask_url("postgresql+psycopg://u@h:5432/db?password=TopSecret9") == (
        "postgresql+psycopg://u@h:5432/db?password=***"
    )
    assert mask_url("postgresql+psycopg://u:pw@h/db?sslmode=require&sslpassword=k") == (
        "postgresql+psycopg://u:***@h/db?sslmode=require&sslpassword=***"
    )
    assert mask_url("postgresql+psycopg://u@h/db?password=a&password=b") == (
        "postgresql+psycopg://u@h/db?password=***"
    )
    assert url_secrets("postgresql+psycopg://u@h/db?password=p%40ss") == ["p%40ss", "p@ss"]
    assert scrub("failed for p@ss and p%40ss", "postgresql+psycopg://u@h/db?password=p%40ss") == (
        "failed for *** and ***"
    )


@pytest.fixture
def query_password_url(request):
    """A role with a password, and a URL to its own database carrying the password in the
    query string."""
    from sqlalchemy.engine import make_url

    server = request.getfixturevalue("postgres")
    role = "ct_q_" + uuid.uuid4().hex[:8]
    with server.admin() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{SECRET}'")
    url = server.create(from_template=False)
    parsed = make_url(url)
    with server.admin() as conn:
        conn.execute(f'ALTER DATABASE "{parsed.database}" OWNER TO {role}')
    yield (
        f"postgresql+psycopg://{role}@{parsed.host}:{parsed.port or 5432}/{parsed.database}"
        f"?password={ENCODED}"
    )
    server.drop(url)
    with server.admin() as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def _secret_free(text: str) -> bool:
    return all(s not in text for s in (SECRET, ENCODED, "TopSecret9"))


@pytest.fixture
def spying_pg_dump(tmp_path):
    """A pg_dump first on PATH that records its argv, its PGPASSWORD and `ps` while it
    runs, then runs the real one."""
    real = shutil.which("pg_dump")
    if real is None:
        pytest.skip("pg_dump is not installed")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    spy = bin_dir / "pg_dump"
    spy.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$@" > {tmp_path}/argv\n'
        f'printf "%s" "$PGPASSWORD" > {tmp_path}/env\n'
        f"ps -ww -eo args > {tmp_path}/ps\n"
        f'exec {real} "$@"\n'
    )
    spy.chmod(spy.stat().st_mode | stat.S_IXUSR)
    return bin_dir


@pytest.mark.postgres
def test_a_query_string_password_is_never_printed_nor_on_a_command_line(
    query_password_url, spying_pg_dump, tmp_path
):
    url = query_password_url
    env = {
        **os.environ,
        "PATH": f"{spying_pg_dump}{os.pathsep}{os.environ['PATH']}",
        "CLAIMTRACK_ACTOR": "tester",
    }
    env.pop("CLAIMTRACK_DB", None)

    def run(*args: str, db: str = url, via_env: bool = False) -> subprocess.CompletedProcess:
        command = [CLAIMTRACK, *args] if via_env else [CLAIMTRACK, "--db", db, *args]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            env={**env, "CLAIMTRACK_DB": db} if via_env else env,
        )

    succeeding = [
        run("init"),
        run("info"),
        run("info", "--json"),
        run("source", "add", "Daily NK", "--key", "dnk"),
        run("claim", "add", "A claim.", "--key", "halt", "-s", "dnk"),
        run("claim", "list"),
        run("report", "--format", "json"),
        run("export"),
        run("db", "current"),
        run("db", "check"),
        run("db", "backup", str(tmp_path / "backup.dump")),
        run("info", via_env=True),
    ]
    assert [r.returncode for r in succeeding] == [0] * len(succeeding), [
        r.stderr for r in succeeding
    ]
    failing = [run("claim", "show", "nothing-here"), run("--debug", "claim", "show", "nope")]
    missing = url.split("?")[0] + "_gone?" + url.split("?")[1]
    for bad in (url.replace(":5432/", ":1/"), missing):
        failing += [
            run("claim", "list", db=bad),
            run("--debug", "claim", "list", db=bad),
            run("init", db=bad),
            run("claim", "list", db=bad, via_env=True),
        ]
    assert all(r.returncode != 0 for r in failing)
    for done in succeeding + failing:
        assert _secret_free(done.stdout + done.stderr), done.stdout + done.stderr
    assert "password=***" in succeeding[1].stdout

    argv = (tmp_path / "argv").read_text()
    assert _secret_free(argv) and "dbname=" in argv
    assert (tmp_path / "env").read_text() == SECRET
    # claimtrack's own command line holds the --db the user typed; what claimtrack starts
    # must not.
    started = [line for line in (tmp_path / "ps").read_text().splitlines() if "pg_dump" in line]
    assert started and all(_secret_free(line) for line in started), started


def test_error_text_from_the_driver_is_scrubbed_in_process(tmp_path):
    from conftest import Cli

    url = f"postgresql+psycopg://nobody@127.0.0.1:1/x?password={ENCODED}"
    for args in (("claim", "list"), ("--debug", "claim", "list"), ("info",)):
        run = Cli(url)(*args)
        shown = run.stdout + run.stderr
        if run.exception is not None:
            shown += "".join(traceback.format_exception(run.exception))
        assert _secret_free(shown), shown
