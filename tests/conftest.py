"""Shared fixtures: a fresh, migrated database per test on SQLite and, when
CLAIMTRACK_TEST_POSTGRES_URL is set, on PostgreSQL (each test in its own database, cloned
from a migrated template), and a `cli` runner bound to it.

Under CI (CI=true) a PostgreSQL that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from claimtrack.cli import app
from claimtrack.db import Database, run_migration

PG_ENV = "CLAIMTRACK_TEST_POSTGRES_URL"
SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.exists():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--soak", action="store_true", help="also run the long soak variants")


def pytest_configure(config: pytest.Config) -> None:
    # pytest-alembic's standard checks carry this mark; its plugin (which would register it)
    # is off, and test_migration_contract.py runs them through its runner.
    config.addinivalue_line("markers", "alembic: pytest-alembic's standard migration checks")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--soak"):
        return
    skip = pytest.mark.skip(reason="soak variant: run with --soak")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


# A test that hangs (a lock never released, a pipe never read) would hold CI until its own
# time limit. pytest prints every thread's stack after faulthandler_timeout (pyproject.toml);
# CLAIMTRACK_TEST_TIMEOUT seconds later (default 900; 0: never) the run ends, failed, so a hung
# run says where and does not wait out CI's limit.
TEST_TIMEOUT = float(os.environ.get("CLAIMTRACK_TEST_TIMEOUT", "900"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    watchdog = None
    if TEST_TIMEOUT > 0:
        watchdog = threading.Timer(TEST_TIMEOUT, os._exit, args=(3,))
        watchdog.daemon = True
        watchdog.start()
    try:
        yield
    finally:
        if watchdog is not None:
            watchdog.cancel()


# --- PostgreSQL -----------------------------------------------------------------------------


def _psycopg_dsn(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def _with_database(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


@dataclass
class PostgresServer:
    url: str  # to the admin database named in CLAIMTRACK_TEST_POSTGRES_URL
    template: str

    def admin(self):
        import psycopg

        return psycopg.connect(_psycopg_dsn(self.url), autocommit=True)

    def create(self, *, from_template: bool = True) -> str:
        name = "ct_" + uuid.uuid4().hex[:16]
        with self.admin() as conn:
            if from_template:
                conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            else:
                conn.execute(f'CREATE DATABASE "{name}"')
        return _with_database(self.url, name)

    def drop(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        with self.admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"{PG_ENV} is not set: PostgreSQL tests skipped (CI sets it)")
    try:
        import psycopg

        with psycopg.connect(_psycopg_dsn(url), autocommit=True, connect_timeout=5) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:
        message = f"PostgreSQL at {PG_ENV} cannot be reached: {type(exc).__name__}: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    template = f"ct_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    server = PostgresServer(url=url, template=template)
    with server.admin() as conn:
        conn.execute(f'CREATE DATABASE "{template}"')
    database = Database(_with_database(url, template))
    run_migration(database, "upgrade", "head")
    database.dispose()
    yield server
    with server.admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


# --- SQLite ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    database = Database("sqlite:///" + str(path), create=True)
    run_migration(database, "upgrade", "head")
    with database.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


ENGINES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=ENGINES)
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


def migrated_database(
    engine_name: str, request: pytest.FixtureRequest, path: Path
) -> Iterator[str]:
    """A migrated, empty claimtrack database of `engine_name` (SQLite: the file `path`), for
    a fixture to yield from: the PostgreSQL one is dropped after the test."""
    if engine_name == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        os.chmod(path, 0o600)
        yield str(path)
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create()
    yield url
    server.drop(url)


@pytest.fixture
def db_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty claimtrack database of its own for this test."""
    yield from migrated_database(engine_name, request, tmp_path / "claimtrack.db")


@pytest.fixture
def blank_db_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with no schema at all (for init and migration tests)."""
    if engine_name == "sqlite":
        yield str(tmp_path / "blank.db")
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    url = server.create(from_template=False)
    yield url
    server.drop(url)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    from claimtrack.db import open_database

    db = open_database(db_url)
    yield db
    db.dispose()


# --- the command line -----------------------------------------------------------------------


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    def json(self):
        import json

        return json.loads(self.stdout)


class _Runner(CliRunner):
    """A CliRunner that builds the click command from the Typer app once, as `claimtrack`
    itself does once per process (Typer's own runner rebuilds it on every call: half the
    time of a fast command)."""

    _command = None

    def invoke(self, app_, *args, **kwargs):
        import typer.testing

        if _Runner._command is None:
            _Runner._command = typer.testing._get_command(app_)
        built = _Runner._command
        original = typer.testing._get_command
        typer.testing._get_command = lambda _app: built
        try:
            return super().invoke(app_, *args, **kwargs)
        finally:
            typer.testing._get_command = original


class Cli:
    """Runs `claimtrack --db URL ...` in-process and returns exit code, stdout and stderr."""

    def __init__(self, url: str):
        self.url = url
        self.runner = _Runner()

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None) -> Run:
        result = self.runner.invoke(
            app,
            ["--db", self.url, *args],
            input=input,
            env={"CLAIMTRACK_ACTOR": "tester", **(env or {})},
            catch_exceptions=True,
        )
        exception = result.exception if not isinstance(result.exception, SystemExit) else None
        return Run(result.exit_code, result.stdout, result.stderr, exception)

    def ok(self, *args: str, **kwargs) -> Run:
        run = self(*args, **kwargs)
        assert run.exit_code == 0, f"{args} failed ({run.exit_code}): {run.stderr}{run.exception!r}"
        return run


@pytest.fixture
def cli(db_url: str) -> Cli:
    return Cli(db_url)


def dump(url: str) -> list[tuple]:
    """Every row of every claimtrack table, in a stable order: compare before and after a
    command to prove it wrote nothing."""
    from sqlalchemy import text

    from claimtrack.db import Database, resolve_url
    from claimtrack.models import Base

    database = Database(resolve_url(url))
    rows: list[tuple] = []
    with database.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            order = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
            for row in conn.execute(text(f'SELECT {columns} FROM "{table.name}" ORDER BY {order}')):
                rows.append((table.name, *row))
    database.dispose()
    return rows


@pytest.fixture
def db_dump():
    return dump


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return SHARED
