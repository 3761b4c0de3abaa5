"""Where the database is, how to connect to it safely, and how its schema is migrated.

SQLite gets foreign keys, WAL, a busy timeout and `BEGIN IMMEDIATE` for writes on every
connection, so two processes writing at once wait for each other instead of failing with
"database is locked". PostgreSQL is reached through psycopg 3 (`postgresql+psycopg://`).

SQLAlchemy and Alembic are imported inside the functions that use them, not at the top: the
command line's start-up, `--help` and shell completion (cli/complete.py, which reads keys with
sqlite3 or psycopg) use this module's path and URL functions, and would otherwise pay for
SQLAlchemy's import (~0.13 s with the ORM) and Alembic's (~0.1 s more) before doing anything.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import util as importlib_util
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import DatabaseError, LockTimeout, NextStep, ReadOnly

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

ENV_DB = "CLAIMTRACK_DB"
ENV_ACTOR = "CLAIMTRACK_ACTOR"
ENV_BUSY_TIMEOUT = "CLAIMTRACK_BUSY_TIMEOUT"
DEFAULT_BUSY_TIMEOUT_SECONDS = 60.0
# PostgreSQL: every claimtrack write transaction first takes this transaction-level advisory
# lock (per database), so writers queue one after another exactly as SQLite's BEGIN IMMEDIATE
# makes them: generated keys never collide and history's "before" is never stale.
PG_WRITE_LOCK = 0x636C61696D  # "claim"

# The newest migration's revision id. A test checks it equals Alembic's head, so the start-up
# check below can compare revisions without importing Alembic (which costs ~300 ms).
SCHEMA_REVISION = "0012"


def default_db_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("claimtrack", appauthor=False) / "claimtrack.db"


def resolve_url(db: str | None = None) -> str:
    """--db, else $CLAIMTRACK_DB, else the default file. A plain path means SQLite."""
    value = db or os.environ.get(ENV_DB) or str(default_db_path())
    if "://" in value:
        return value
    return "sqlite:///" + str(Path(value).expanduser().absolute())


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL, or None for other engines and in-memory databases."""
    if not url.startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    path = path.split("?", 1)[0]
    if path in ("", ":memory:"):
        return None
    return Path(path)


def secret_parameter(name: str) -> bool:
    """A URL query parameter that holds a secret (libpq's password, sslpassword, ...)."""
    name = name.lower()
    return any(word in name for word in ("pass", "pwd", "secret", "token"))


def mask_url(url: str) -> str:
    """The URL as it may be shown: the password, and any query parameter that holds a secret
    (`?password=...`), replaced by ***."""
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
        query = {
            name: "***" if secret_parameter(name) else value for name, value in parsed.query.items()
        }
        shown = parsed.set(query=query).render_as_string(hide_password=True)
        return shown.replace("%2A%2A%2A", "***")
    except Exception:
        import re

        shown = re.sub(r"(://[^/@]*?:)[^/@]*@", r"\1***@", url)
        return re.sub(
            r"([?&][^=&]*(?:pass|pwd|secret|token)[^=&]*=)[^&]*", r"\1***", shown, flags=re.I
        )


def url_secrets(url: str) -> list[str]:
    """Every secret a URL carries (password, secret query values), as given and %-decoded,
    so error text from a driver can be scrubbed of them."""
    from urllib.parse import quote, unquote

    from sqlalchemy.engine import make_url

    found: list[str] = []
    try:
        parsed = make_url(url)
    except Exception:
        return found
    if parsed.password:
        found.append(str(parsed.password))
    for name, value in parsed.query.items():
        if secret_parameter(name):
            found.extend([value] if isinstance(value, str) else list(value))
    variants = {v for secret in found if secret for v in (secret, unquote(secret), quote(secret))}
    return sorted(variants, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """`text` with every secret of `url` replaced by ***."""
    for secret in url_secrets(url):
        text = text.replace(secret, "***")
    return text


def default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def busy_timeout_seconds() -> float:
    text = os.environ.get(ENV_BUSY_TIMEOUT)
    if text is None or not text.strip():
        return DEFAULT_BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    # inf or nan would reach SQLite and PostgreSQL as a broken number; a day is plenty.
    if not 0 <= seconds <= 86_400:
        from .errors import InvalidValue

        raise InvalidValue(ENV_BUSY_TIMEOUT, text, "a number of seconds from 0 to 86400")
    return seconds


def _create_owner_only(path: Path) -> None:
    """Create an empty database file readable by its owner only; SQLite gives its -wal and
    -shm files the same permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def read_only_reason(path: Path) -> str | None:
    """Why an existing SQLite file cannot be written (None when it can): SQLite needs to
    write the file and to create its -wal/-shm (or -journal) files beside it."""
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        return None
    try:
        if os.statvfs(path).f_flag & os.ST_RDONLY:
            return "it is on a read-only medium"
    except OSError:
        pass
    if not os.access(path, os.W_OK):
        return "the file is read-only"
    return f"its directory {path.parent} is read-only"


def _read_only_connect(path: Path, timeout: float, *, immutable: bool):
    """A connection that never writes: `mode=ro`; `immutable=1` too when SQLite could not
    create the -shm file a WAL database needs (a read-only directory or medium), which also
    tells it nobody changes the file meanwhile."""
    import sqlite3
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro" + ("&immutable=1" if immutable else "")

    def connect():
        return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

    return connect


def create_engine(url: str, *, read_only: bool = False) -> Engine:
    from sqlalchemy import create_engine as sa_create_engine
    from sqlalchemy import event

    timeout = busy_timeout_seconds()  # a bad value is refused on every engine, up front
    if url.startswith("sqlite"):
        path = sqlite_path(url)
        extra: dict[str, Any] = {}
        if read_only and path is not None:
            immutable = not os.access(path.parent, os.W_OK)
            extra["creator"] = _read_only_connect(path, timeout, immutable=immutable)
        engine = sa_create_engine(
            url,
            connect_args={"timeout": timeout, "check_same_thread": False},
            **extra,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection, _record) -> None:
            # Let SQLAlchemy, not the driver, decide when transactions begin (see _on_begin).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            if sqlite_path(url) is not None and not read_only:
                # Never on a database that cannot be written: switching a read-only file to
                # WAL fails every read with "attempt to write a readonly database".
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A writer takes the write lock at BEGIN: waiting for it honours the busy timeout,
            # whereas upgrading a read transaction later fails at once with "locked".
            write = conn.get_execution_options().get("claimtrack_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql+psycopg://"):
        raise DatabaseError(
            f"cannot use database URL {mask_url(url)}: claimtrack works with SQLite and "
            "PostgreSQL; give a file path, or postgresql+psycopg://USER@HOST/DB"
        )
    try:
        engine = sa_create_engine(url, pool_pre_ping=False)
    except ModuleNotFoundError as exc:
        raise DatabaseError(
            f"cannot use {mask_url(url)}: the driver is not installed ({exc.name}); "
            "install it with: pip install 'claimtrack[pg]'"
        ) from None
    except Exception as exc:
        raise DatabaseError(
            f"cannot use database URL {mask_url(url)}: {type(exc).__name__}; "
            "use a path for SQLite or postgresql+psycopg://USER@HOST/DB"
        ) from None

    @event.listens_for(engine, "begin")
    def _on_pg_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("claimtrack_write", False):
            # A reader is told so before it waits for the lock or writes half a command.
            may_write, user = conn.exec_driver_sql(
                "SELECT coalesce(has_table_privilege(to_regclass('history'), 'INSERT'), true), "
                "session_user::text"
            ).one()
            if not may_write:
                raise ReadOnly(
                    f"database user {user} has the reader role here: it may run read commands "
                    "only (report, list, show, search, export, history)",
                    next_step=NextStep("grant_writer", user=user),
                )
            # Wait for the other writers (at most the busy timeout), then see all they wrote.
            conn.exec_driver_sql(
                "SELECT set_config('lock_timeout', %(ms)s, true)",
                {"ms": f"{int(busy_timeout_seconds() * 1000)}ms"},
            )
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(key)s)", {"key": PG_WRITE_LOCK})
        else:
            # One snapshot for the whole read, so a command never shows half of a write.
            conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    return engine


def describe_operational_error(exc: BaseException, url: str) -> DatabaseError:
    """Turn a driver error into a message that names the database (password masked)."""
    text = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else ""
    text = scrub(text, url)
    if "database is locked" in text or "database table is locked" in text or "lock timeout" in text:
        return LockTimeout(
            f"the database is busy: another claimtrack kept it locked for more than "
            f"{busy_timeout_seconds():g} s; try again, or raise {ENV_BUSY_TIMEOUT}"
        )
    if "file is not a database" in text:
        return DatabaseError(
            f"cannot use the database at {mask_url(url)}: the file is not a SQLite database; "
            f"point {{field:db}} (or {ENV_DB}) at a claimtrack database, or a new path to "
            "create one"
        )
    step = None
    if "does not exist" in text and "database" in text:
        hint, step = "create it (e.g. `createdb NAME`)", NextStep("init_after")
    elif any(word in text for word in ("refused", "translate host", "timeout", "timed out")):
        hint = "is the server running, and are the host and port in {field:db} right?"
    elif "password" in text or "authentication" in text or "role" in text:
        hint = "check the user and password in {field:db}"
    else:
        hint = f"check {{field:db}} (or {ENV_DB})"
    return DatabaseError(
        f"cannot use the database at {mask_url(url)}: {text}; {hint}", next_step=step
    )


class Database:
    """One database: its URL, an engine, and transactions for reading and writing."""

    def __init__(self, url: str, *, create: bool = False):
        self.url = url
        self.path = sqlite_path(url)
        # Why the database cannot be written, when it cannot (SQLite only): reads still
        # work, writes are refused with this reason.
        self.read_only: str | None = None
        if self.path is not None:
            if self.path.exists():
                self.read_only = read_only_reason(self.path)
            if create and self.read_only is None:
                _create_owner_only(self.path)
            elif not self.path.exists():
                raise DatabaseError(
                    f"no claimtrack database at {self.path}",
                    next_step=NextStep("init_or_point", env=ENV_DB),
                )
        self.engine = create_engine(url, read_only=self.read_only is not None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def connect(self, *, write: bool = False) -> Iterator[Connection]:
        """A Core connection inside one transaction, committed at the end or rolled back."""
        from sqlalchemy.exc import DBAPIError

        if write:
            self.refuse_if_read_only()

        engine = self.engine.execution_options(claimtrack_write=True) if write else self.engine
        try:
            with engine.begin() as conn:
                yield conn
        except DBAPIError as exc:
            if exc.connection_invalidated or "OperationalError" in type(exc).__name__:
                raise describe_operational_error(exc, self.url) from None
            raise

    @contextmanager
    def session(self, *, write: bool = False, actor: str | None = None) -> Iterator[Session]:
        """An ORM session in one transaction: everything it does commits together, or nothing.

        `actor` is who history records for the writes (see services.history).
        """
        from sqlalchemy.exc import OperationalError
        from sqlalchemy.orm import Session

        if write:
            self.refuse_if_read_only()
        engine = self.engine.execution_options(claimtrack_write=True) if write else self.engine
        from sqlalchemy import event

        from .history_log import flush_session_log
        from .values import actor as valid_actor

        session = Session(bind=engine, expire_on_commit=False, autoflush=True)
        session.info["actor"] = valid_actor(actor or default_actor())
        event.listen(session, "before_commit", flush_session_log)
        session.info["dialect"] = self.dialect
        try:
            with session.begin():
                yield session
        except OperationalError as exc:
            raise describe_operational_error(exc, self.url) from None
        finally:
            session.close()

    def refuse_if_read_only(self) -> None:
        if self.read_only is not None:
            raise DatabaseError(
                f"the database {self.path} cannot be written ({self.read_only}): read commands "
                "work; to change it, make it writable or copy it somewhere writable",
                next_step=NextStep("copy_writable"),
            )

    def schema_revision(self) -> str | None:
        """The revision recorded in alembic_version, or None for an empty database."""
        from sqlalchemy import inspect
        from sqlalchemy.exc import DBAPIError

        # Every command asks: one statement when the table is there (the usual case); only
        # when reading it fails is the table looked for, on a fresh connection (PostgreSQL
        # aborts a transaction at its first error).
        try:
            with self.engine.connect() as conn:
                return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except DBAPIError as exc:
            failure = exc
        try:
            with self.engine.connect() as conn:
                if not inspect(conn).has_table("alembic_version"):
                    return None
        except DBAPIError as exc:
            failure = exc
        # Whatever goes wrong this early (no server, a file that is not a database, a refused
        # login) means the database cannot be used.
        raise describe_operational_error(failure, self.url) from None

    def refuse_if_newer(self, revision: str | None) -> None:
        """A revision from a newer claimtrack cannot be upgraded (or used) by this one."""
        if revision is None or revision == SCHEMA_REVISION:
            return
        if (
            revision.isdigit()
            and SCHEMA_REVISION.isdigit()
            and int(revision) < int(SCHEMA_REVISION)
        ):
            return
        from alembic.script import ScriptDirectory

        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(revision)
            return
        except Exception:
            pass
        where = self.path or mask_url(self.url)
        raise DatabaseError(
            f"{where} is at schema revision {revision}, made by a newer claimtrack than this "
            f"one (which knows up to {SCHEMA_REVISION}): upgrade claimtrack itself "
            "(pip install -U claimtrack), not the database"
        )

    def require_current_schema(self) -> None:
        revision = self.schema_revision()
        if revision == SCHEMA_REVISION:
            return
        self.refuse_if_newer(revision)
        where = self.path or mask_url(self.url)
        if revision is None:
            raise DatabaseError(
                f"{where} is not a claimtrack database yet", next_step=NextStep("create")
            )
        raise DatabaseError(
            f"{where} is at schema revision {revision}, this claimtrack needs {SCHEMA_REVISION}",
            next_step=NextStep("back_up_and_upgrade"),
        )


def open_database(db: str | None = None, *, create: bool = False, check: bool = True) -> Database:
    """Open the database named by --db / $CLAIMTRACK_DB / the default, checking its schema."""
    database = Database(resolve_url(db), create=create)
    if check and not create:
        database.require_current_schema()
    return database


# --- migrations -------------------------------------------------------------------------


def migrations_dir() -> Path:
    """The Alembic scripts: installed as claimtrack._migrations, or ./migrations in a checkout."""
    spec = importlib_util.find_spec("claimtrack._migrations")
    if spec is not None and spec.submodule_search_locations:
        return Path(list(spec.submodule_search_locations)[0])
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    # The connection is handed over as an object, never as a URL string in the config, so a
    # '%' in a password cannot break Alembic's ini interpolation.
    config.attributes["connection"] = connection
    return config


def run_migration(database: Database, command_name: str, revision: str = "head") -> None:
    """upgrade/downgrade inside one write transaction, alembic_version included, so an
    interrupted or failing migration leaves the previous revision intact (SQLite's DDL is
    transactional too).

    On SQLite, foreign keys are switched off for the migration and checked before the commit:
    batch migrations copy a table and drop the old one, and with foreign keys on that drop
    would cascade into (or be refused by) the rows that refer to it. A violation found by the
    check rolls everything back. For the same copy-and-rename, ALTER TABLE works in its legacy
    mode (SQLite's own procedure for table changes): the modern mode re-parses every view and
    trigger at the rename and refuses one that names the table dropped a moment before (the
    search view names claims). A rebuilt table's triggers are created again (`_KeepTriggers`).
    """
    from alembic import command

    sqlite = database.dialect == "sqlite"
    database.refuse_if_read_only()
    database.refuse_if_newer(database.schema_revision())
    with database.engine.execution_options(claimtrack_write=True).connect() as conn:
        driver = conn.connection.driver_connection
        if sqlite:
            # Only outside a transaction does this PRAGMA take effect.
            driver.execute("PRAGMA foreign_keys = OFF")
            driver.execute("PRAGMA legacy_alter_table = ON")
        try:
            with conn.begin():
                config = alembic_config(conn)
                if sqlite:
                    config.attributes["on_version_apply"] = _KeepTriggers(conn)
                else:
                    _as_owner(conn)
                getattr(command, command_name)(config, revision)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise DatabaseError(
                            f"the migration would leave {len(broken)} rows pointing at missing "
                            f"rows (first: table {broken[0][0]}, row {broken[0][1]}); nothing "
                            "was changed"
                        )
        finally:
            if sqlite:
                driver.execute("PRAGMA legacy_alter_table = OFF")
                driver.execute("PRAGMA foreign_keys = ON")


class _KeepTriggers:
    """SQLite drops a table's triggers with the table, so a batch migration (copy the table,
    drop the old one, rename the copy) would lose them without a word, and the search index
    would stop following edits. Called after each migration step (Alembic's on_version_apply):
    a trigger that is gone, on a table the step rebuilt (its root page moved), and that the
    step did not drop by name (DROP TRIGGER), is created again as it was."""

    _DROP = re.compile(r'\s*DROP\s+TRIGGER\s+(?:IF\s+EXISTS\s+)?["`\[]?(\w+)', re.IGNORECASE)

    def __init__(self, conn: Connection):
        self.conn = conn
        self.dropped: set[str] = set()
        from sqlalchemy import event

        self.triggers, self.pages = self._read()
        event.listen(conn, "before_cursor_execute", self._watch)

    def _watch(self, _conn, _cursor, statement: str, *_args: Any) -> None:
        dropped = self._DROP.match(statement)
        if dropped:
            self.dropped.add(dropped.group(1))

    def _read(self) -> tuple[dict[str, tuple[str, str]], dict[str, int]]:
        rows = self.conn.exec_driver_sql(
            "SELECT type, name, tbl_name, sql, rootpage FROM sqlite_master "
            "WHERE type IN ('trigger', 'table')"
        ).fetchall()
        triggers = {name: (table, sql) for kind, name, table, sql, _ in rows if kind == "trigger"}
        pages = {name: page for kind, name, _, _, page in rows if kind == "table"}
        return triggers, pages

    def __call__(self, **_step: Any) -> None:
        triggers, pages = self._read()
        for name, (table, sql) in self.triggers.items():
            rebuilt = table in pages and pages[table] != self.pages.get(table)
            if name not in triggers and name not in self.dropped and rebuilt:
                self.conn.exec_driver_sql(sql)
        self.dropped.clear()
        self.triggers, self.pages = self._read()


def _as_owner(conn: Connection) -> None:
    """An admin (a member of the role owning the tables: `claimtrack db grant`) migrates as
    that role, so what the migration creates has the same owner, and the owner's default
    privileges give readers and analysts their rights on it."""
    # set_config('role', ..., true) is SET LOCAL ROLE with the name bound as a parameter.
    conn.exec_driver_sql(
        "SELECT set_config('role', tableowner, true) FROM pg_tables "
        "WHERE schemaname = current_schema() AND tablename = 'alembic_version' "
        "AND tableowner <> current_user AND pg_has_role(current_user, tableowner, 'MEMBER')"
    )


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def schema_drift(database: Database) -> list[str]:
    """Differences between the models and the migrated database ([] when in step)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from .models import schema_metadata

    with database.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diffs = compare_metadata(context, schema_metadata())
    return [_describe_diff(diff) for diff in diffs if not _ignored_diff(diff)]


def _ignored_diff(diff: Any) -> bool:
    # Tables created by later migrations for engine-specific features (full-text search) are
    # not in the models.
    if isinstance(diff, tuple) and diff and diff[0] == "remove_table":
        return diff[1].name.startswith(("search", "alembic"))
    if isinstance(diff, tuple) and diff and diff[0] == "remove_index":
        return diff[1].name.startswith("search")
    return False


def _describe_diff(diff: Any) -> str:
    if isinstance(diff, list):
        return "; ".join(_describe_diff(d) for d in diff)
    kind, *rest = diff
    names = []
    for item in rest:
        name = getattr(item, "name", None)
        if name is not None:
            names.append(str(name))
        elif isinstance(item, str):
            names.append(item)
    return f"{kind} {' '.join(names)}".strip()
