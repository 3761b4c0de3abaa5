"""The real `claimtrack` executable in a subprocess, as a user runs it; and a non-editable
install into a fresh virtual environment, run from another directory."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CLAIMTRACK = BIN / "claimtrack"


def run(
    *args: str,
    db: str | None = None,
    cwd: Path | None = None,
    env: dict | None = None,
    executable: Path = CLAIMTRACK,
    check: bool = True,
) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("CLAIMTRACK_DB", "CLAIMTRACK_DEBUG")
    }
    environment.update({"CLAIMTRACK_ACTOR": "e2e", **(env or {})})
    command = [str(executable), *(["--db", db] if db else []), *args]
    done = subprocess.run(
        command, cwd=cwd, env=environment, capture_output=True, text=True, timeout=120
    )
    if check:
        assert done.returncode == 0, f"{command}: {done.returncode}\n{done.stderr}"
    return done


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    if not CLAIMTRACK.exists():
        pytest.skip(f"no claimtrack executable next to {sys.executable}: pip install the project")


def test_the_walkthrough_with_the_installed_command(db_url, tmp_path):
    assert run("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet",
               "--reliability", "C", db=db_url).stdout == "Added source dnk\n"  # fmt: skip
    for key, name in (("ryg", "Ryanggang informant"), ("nhg", "North Hamgyong informant")):
        run("source", "add", name, "--key", key, "--kind", "informant", db=db_url)
    key = run("claim", "add", "The crackdown had largely stopped by June 2018.", "--quiet",
              db=db_url).stdout.strip()  # fmt: skip
    assert key == "the-crackdown-had-largely-stopped-by"
    run("evidence", "add", key, "--source", "ryg", "--supports", "--via", "dnk", db=db_url)
    assert json.loads(run("claim", "show", key, "--json", db=db_url).stdout)["status"] == (
        "unverified"
    )
    run("evidence", "add", key, "--source", "nhg", "--supports", "--via", "dnk", db=db_url)
    shown = json.loads(run("claim", "show", key, "--json", db=db_url).stdout)
    assert (shown["status"], shown["support_origins"]) == ("corroborated", 2)
    history = json.loads(run("history", key, "--json", db=db_url).stdout)
    assert [e["actor"] for e in history] == ["e2e"] * 3


def test_errors_are_one_line_without_a_traceback(db_url):
    done = run("claim", "show", "nope", db=db_url, check=False)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "Error: no claim with key 'nope': list them with `claimtrack claim list`\n"
    )
    done = run("--debug", "claim", "show", "nope", db=db_url, check=False)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert "claimtrack.errors.NotFound" in done.stderr
    done = run("evidence", "add", "nope", db=db_url, check=False)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_init_and_the_environment_variable_from_another_directory(tmp_path):
    path = tmp_path / "research.db"
    done = run("init", cwd=tmp_path, env={"CLAIMTRACK_DB": "research.db"})
    assert done.stdout == f"Created claimtrack database at {path} (schema {current_head()})\n"
    info = json.loads(run("info", "--json", cwd=tmp_path, env={"CLAIMTRACK_DB": str(path)}).stdout)
    assert (info["path"], info["revision"]) == (str(path), current_head())


def test_the_default_database_lives_in_the_user_data_directory(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
    done = run("init", env=env)
    expected = tmp_path / "data" / "claimtrack" / "claimtrack.db"
    if sys.platform.startswith("linux"):
        assert done.stdout.startswith(f"Created claimtrack database at {expected} ")
        assert expected.exists()
    info = json.loads(run("info", "--json", env=env).stdout)
    assert info["path"] == info["default_database"]


def test_python_dash_m_and_version():
    from claimtrack import __version__

    done = subprocess.run(
        [sys.executable, "-m", "claimtrack", "--version"], capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, f"claimtrack {__version__}\n")
    assert run("--version").stdout == f"claimtrack {__version__}\n"


def current_head() -> str:
    from claimtrack.db import SCHEMA_REVISION

    return SCHEMA_REVISION


PACKAGE_FILES = ("pyproject.toml", "README.md", "claimtrack", "migrations", "seeds", "LICENSE")


@pytest.mark.install
def test_a_non_editable_install_runs_init_from_another_directory(tmp_path):
    """`pip install .` (not editable) carries the migrations inside the package."""
    try:
        import setuptools  # noqa: F401
    except ImportError:
        pytest.skip("building without isolation needs setuptools (in the test extra)")
    project = tmp_path / "project"
    project.mkdir()
    for name in PACKAGE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, project / name)
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", "--system-site-packages", str(venv)],
        check=True, timeout=60,
    )  # fmt: skip
    python = venv / "bin" / "python"
    # The new environment sees this one's packages (pip, setuptools, the dependencies) after
    # its own, so nothing is downloaded; a path line in a .pth adds the directory without
    # running its .pth files, so an editable install of claimtrack here stays invisible.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "_claimtrack_test_parent.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", str(project)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run(
        [str(python), "-c", "import claimtrack, claimtrack._migrations as m; "
         "print(claimtrack.__file__); print(m.__file__)"],
        cwd=elsewhere, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert all(path.startswith(purelib) for path in where), where

    executable = venv / "bin" / "claimtrack"
    done = run("--db", "fresh.db", "init", cwd=elsewhere, executable=executable)
    assert done.stdout == (
        f"Created claimtrack database at {elsewhere / 'fresh.db'} (schema {current_head()})\n"
    )
    run("--db", "fresh.db", "source", "add", "Daily NK", cwd=elsewhere, executable=executable)
    checked = run("--db", "fresh.db", "db", "check", cwd=elsewhere, executable=executable)
    assert checked.stdout.startswith("ok: the schema matches the models\n")


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """`claimtrack report | head`: when the pipe closes, no error message and no traceback."""
    db = str(tmp_path / "pipe.db")
    run("init", db=db)
    run("claim", "add", "The border crossing closed in June", "--key", "closed", db=db)
    environment = {k: v for k, v in os.environ.items() if k != "CLAIMTRACK_DB"}
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before the first write
    done = subprocess.run(
        [str(CLAIMTRACK), "--db", db, "report", "--format", "json"],
        stdout=writer, stderr=subprocess.PIPE, text=True, env=environment, timeout=120,
    )  # fmt: skip
    os.close(writer)
    assert done.stderr == ""
    assert done.returncode == 1
