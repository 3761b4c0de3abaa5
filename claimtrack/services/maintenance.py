"""Database upkeep: `db check` (is everything sound?) and `db backup` (a consistent copy).

These work on the whole database, so they take a Database rather than a Session: the checks
read engine-level facts (PRAGMA integrity_check, the migrated schema) besides rows.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError as SQLDatabaseError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from ..db import Database, mask_url, schema_drift, scrub, secret_parameter
from ..errors import Conflict, DatabaseError, NextStep
from ..history_log import import_ranges_sql, load_ranges, verify_chain
from ..models import Base, Claim, Evidence, HistoryEvent, Source
from ..vocabulary import counted

SHOWN = 20  # problems listed per check; the count says how many there are in all


@dataclass
class Check:
    name: str
    ok: bool
    summary: str
    problems: list[str] = field(default_factory=list)
    # What fixes the last problem (the command line adds it to that problem's text).
    next_step: NextStep | None = None

    def as_dict(self) -> dict[str, Any]:
        found = asdict(self)
        del found["next_step"]
        return found


def check_database(database: Database) -> list[Check]:
    """Every check, in order: schema, storage integrity, references, derived-from chains,
    history. A check that cannot run (a table missing, say) fails with the reason."""
    checks = [_run("schema", _schema, database)]
    checks.append(_run("integrity", _integrity, database))
    checks.append(_run("references", _references, database))
    checks.append(_run("derived-from", _derived_from, database))
    checks.append(_run("history", _history, database))
    checks.append(_run("creation", _creation, database))
    checks.append(_run("search", _search, database))
    checks.append(_run("chain", _chain, database))
    return checks


def _run(name: str, check, database: Database) -> Check:
    """`check(database)` gives (summary, problems), or (summary, problems, what fixes the last
    problem)."""
    try:
        summary, problems, *fix = check(database)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return Check(name, False, "could not be checked", [f"could not be checked: {detail}"])
    if len(problems) > SHOWN:
        problems = problems[:SHOWN] + [f"... and {len(problems) - SHOWN} more"]
    return Check(name, not problems, summary, problems, *fix)


def _schema(database: Database) -> tuple[str, list[str]]:
    return "the schema matches the models", schema_drift(database)


def _integrity(database: Database) -> tuple[str, list[str]]:
    if database.dialect != "sqlite":
        return "storage integrity is the PostgreSQL server's own (no file to check)", []
    with database.engine.connect() as conn:
        results = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
    return "PRAGMA integrity_check: ok", [] if results == ["ok"] else results


def _foreign_keys(history: bool):
    """(table, column, referred table) of every foreign key; history's, or all the others."""
    for table in Base.metadata.sorted_tables:
        if (table.name == HistoryEvent.__tablename__) != history:
            continue
        for fk in table.foreign_keys:
            yield table, fk.parent, fk.column.table


def _dangling(database: Database, *, history: bool) -> list[str]:
    problems = []
    with database.engine.connect() as conn:
        for table, column, referred in _foreign_keys(history):
            target = aliased(referred)
            key = list(table.primary_key.columns)[0]
            query = (
                select(func.count(), func.min(key), func.max(key))
                .select_from(table.outerjoin(target, column == target.c.id))
                .where(column.is_not(None), target.c.id.is_(None))
            )
            count, first, last = conn.execute(query).one()
            if count:
                ids = f"{key.name} {first}" if first == last else f"{key.name} {first} to {last}"
                problems.append(
                    f"{counted(count, table.name + ' row')} ({ids}) with a {column.name} that "
                    f"points at no row of {referred.name}"
                )
    return problems


def _references(database: Database) -> tuple[str, list[str]]:
    problems = _dangling(database, history=False)
    if database.dialect == "sqlite":
        with database.engine.connect() as conn:
            count = len(conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall())
        if count and not problems:
            problems.append(f"PRAGMA foreign_key_check reports {count} rows")
    return "every reference points at an existing row", problems


def _derived_from(database: Database) -> tuple[str, list[str]]:
    """No loops, and each source's stored origin is the end of its derived-from chain."""
    with database.engine.connect() as conn:
        rows = conn.execute(
            select(Source.id, Source.key, Source.derived_from_id, Source.origin_id).order_by(
                Source.id
            )
        )
        sources = {row.id: row for row in rows}
    problems: list[str] = []
    origin_of: dict[int, int | None] = {}
    for start in sources:
        path: list[int] = []
        seen: set[int] = set()
        current: int | None = start
        while current is not None and current not in origin_of and current not in seen:
            seen.add(current)
            path.append(current)
            parent = sources[current].derived_from_id if current in sources else None
            current = parent if parent in sources else None
        if current is not None and current in seen:
            loop = path[path.index(current) :] + [current]
            names = " → ".join(sources[i].key for i in loop)
            problems.append(f"loop: {names}")
            end: int | None = None
        else:
            end = origin_of.get(current, current) if current is not None else path[-1]
        for node in path:
            origin_of[node] = end
    for source_id, row in sorted(sources.items()):
        end = origin_of.get(source_id)
        if end is not None and row.origin_id != end:
            stored = sources[row.origin_id].key if row.origin_id in sources else row.origin_id
            problems.append(
                f"source {row.key!r}: origin is {stored!r} but its derived-from chain ends at "
                f"{sources[end].key!r}"
            )
    return "no derived-from loops; every origin is the end of its chain", problems


def _history(database: Database) -> tuple[str, list[str]]:
    return (
        "every history event points at an existing claim, source or evidence item",
        _dangling(database, history=True),
    )


_CREATED = (("source", Source), ("claim", Claim), ("evidence", Evidence))
_NOUNS = {"source": "sources", "claim": "claims", "evidence": "evidence items"}


def _rows(entity: str, ids: list[int]) -> str:
    """ "1 claim (id 4) has", "3 claims (ids 4 to 9) have"."""
    if len(ids) == 1:
        noun = "evidence item" if entity == "evidence" else entity
        return f"1 {noun} (id {ids[0]}) has"
    return f"{len(ids)} {_NOUNS[entity]} (ids {ids[0]} to {ids[-1]}) have"


def _creation(database: Database) -> tuple[str, list[str]]:
    """Each source, claim and evidence item is created by exactly one event: its own
    (`claim.add`, ...) or the import that lists its id and made it at its own time
    (history_log.import_ranges_sql). A claim or source also holds the creation events of those
    merged into it (a merge re-files them), one per `claim.merge` / `source.merge`. Counted in
    SQL, a few statements per table whatever its size; rows are listed one by one only to
    name them when something is wrong."""
    problems: list[str] = []
    with database.engine.connect() as conn:
        for entity, model in _CREATED:
            problems += _uncovered(conn, entity, model)
    return (
        "every claim, source and evidence item has one creation event (its own, or its import's)",
        problems,
    )


def _uncovered(conn, entity: str, model) -> list[str]:
    """The rows of `model`'s table with no creation event, or more than one. Table and column
    names come from code (_CREATED), never from the database."""
    table, column = model.__tablename__, f"{entity}_id"
    sqlite = conn.dialect.name == "sqlite"
    # SQLite keeps the order of a CROSS JOIN: each range is one scan of an id range.
    covered = (
        f"({import_ranges_sql(conn.dialect.name, 'created', entity)}) AS s "
        f"{'CROSS JOIN' if sqlite else 'JOIN'} {table} AS t "
        "ON t.id BETWEEN s.first_id AND s.last_id AND t.created_at = s.at"
    )
    params = {"add": f"{entity}.add", "merge": f"{entity}.merge"}

    def rows(sql: str) -> list:
        return conn.execute(text(sql), params).all()

    problems = []
    ranges = load_ranges(conn, ("created", entity))["created", entity]
    # Two imports never share a moment, so a row is held by one at most, unless forged.
    moments: dict = {}
    for found in ranges:
        moments.setdefault(found.at, []).append(found)
    for same in moments.values():
        for one, two in zip(same, same[1:], strict=False):  # in order of first id
            if two.first <= one.last:
                problems.append(
                    f"{_NOUNS[entity]} {two.first} to {min(one.last, two.last)} are listed as "
                    f"created by two imports (events {one.event} and {two.event}): an event "
                    "was forged"
                )
    held = rows(
        f"SELECT s.event_id, s.first_id, s.last_id, count(t.id) FROM {covered} "  # noqa: S608
        "GROUP BY s.event_id, s.first_id, s.last_id"
    )
    imported_own = dict(
        rows(
            f"SELECT t.id, count(*) FROM {covered} JOIN history AS h "  # noqa: S608
            f"ON h.{column} = t.id WHERE h.action = :add GROUP BY t.id"
        )
    )
    total = rows(f"SELECT count(*) FROM {table}")[0][0]  # noqa: S608
    own_rows = rows(
        f"SELECT count(DISTINCT h.{column}) FROM history AS h JOIN {table} AS t "  # noqa: S608
        f"ON t.id = h.{column} WHERE h.action = :add"
    )[0][0]
    several = dict(
        rows(
            f"SELECT h.{column}, count(*) FROM history AS h JOIN {table} AS t "  # noqa: S608
            f"ON t.id = h.{column} WHERE h.action = :add GROUP BY h.{column} HAVING count(*) > 1"
        )
    )
    merges: dict[int, int] = {}
    if entity != "evidence" and (several or imported_own):
        merges = dict(
            rows(
                f"SELECT {column}, count(*) FROM history WHERE action = :merge "  # noqa: S608
                f"GROUP BY {column}"
            )
        )
    twice = sorted(
        row_id
        for row_id, created in {**several, **{i: n + 1 for i, n in imported_own.items()}}.items()
        if created > 1 + merges.get(row_id, 0)
    )
    if total - own_rows - sum(count for *_, count in held) + len(imported_own):
        missing = _without_creation(conn, entity, model, ranges)
        problems.append(
            f"{_rows(entity, missing)} no creation event: written outside claimtrack, or its "
            "events were deleted"
        )
    if twice:
        problems.append(f"{_rows(entity, twice)} more than one creation event: an event was forged")
    if entity == "evidence":  # never deleted (removal keeps the row); merges move them
        for event, first, last, count in held:
            if count != last - first + 1:
                problems.append(
                    f"{last - first + 1 - count} of the evidence items {first} to {last} that "
                    f"import event {event} created are missing: deleted outside claimtrack"
                )
    return problems


def _without_creation(conn, entity: str, model, ranges) -> list[int]:
    """The ids of the rows no event created (only when the counts say there are some)."""
    own = select(HistoryEvent.id).where(
        HistoryEvent.__table__.c[f"{entity}_id"] == model.id,
        HistoryEvent.action == f"{entity}.add",
    )
    made: dict = {}
    for found in ranges:
        made.setdefault(found.at, []).append(found)
    missing = []
    for row_id, created_at in conn.execute(
        select(model.id, model.created_at).where(~own.exists()).order_by(model.id)
    ):
        if not any(r.first <= row_id <= r.last for r in made.get(created_at, ())):
            missing.append(row_id)
    return missing


def _search(database: Database) -> tuple[str, list[str]] | tuple[str, list[str], NextStep]:
    """The search triggers are live: an import suspends them for its own transaction only
    (on SQLite with a row in search_suspended, which must never be committed)."""
    if database.dialect != "sqlite":
        return "search triggers are live (suspension is transaction-local on PostgreSQL)", []
    with database.engine.connect() as conn:
        suspended = conn.execute(text("SELECT COUNT(*) FROM search_suspended")).scalar()
        # FTS5 compares its index with the rows it references (the view search_content):
        # a row changed with the triggers dropped or suspended makes them differ.
        try:
            conn.exec_driver_sql(
                "INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)"
            )
            matches = True
        except SQLDatabaseError as exc:
            # The check is an INSERT to FTS5: a database that cannot be written (opened
            # read-only, see db.read_only_reason) cannot run it, which says nothing of the index.
            matches = "readonly" in str(exc).replace("-", "").replace(" ", "").lower()
        conn.rollback()
    problems = (
        [
            "search indexing is suspended (a row in search_suspended, left by an import whose "
            "error a script caught inside its write session): rows written since are missing "
            "from search"
        ]
        if suspended
        else []
    )
    if not matches:
        problems.append(
            "the full-text index does not match the rows (they were written with its triggers "
            "dropped or suspended)"
        )
        return "search indexing is live", problems, NextStep("rebuild_search")
    return "search indexing is live", problems


APPEND_ONLY_TRIGGERS = {
    "sqlite": ("history_no_update", "history_no_delete"),
    "postgresql": ("history_append_only", "history_no_truncate"),
}


def _chain(database: Database) -> tuple[str, list[str]]:
    """Every event matches its hash (see claimtrack.history_log), and the triggers that keep
    history append-only are in place."""
    with database.engine.connect() as conn:
        if database.dialect == "sqlite":
            present = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'"
            ).scalars()
        else:
            present = conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('history') "
                "AND NOT tgisinternal AND tgenabled <> 'D'"
            ).scalars()
        present = set(present)
        problems = [
            f"the trigger {name} is missing or disabled: history can be changed with SQL; "
            "find out who removed it, and compare the chain's head with a copy kept elsewhere"
            for name in APPEND_ONLY_TRIGGERS[database.dialect]
            if name not in present
        ]
        _count, broken, _last = verify_chain(conn)
    return (
        "every history event matches the hash chain; triggers keep history append-only",
        problems + broken,
    )


def history_head(database: Database, *, kept: str | None = None) -> dict[str, Any]:
    """The chain's newest event, after checking the whole chain (and that `kept`, a head
    printed earlier, is still in it): what to keep elsewhere."""
    with database.engine.connect() as conn:
        count, broken, last = verify_chain(conn, kept=kept)
    return {
        "ok": not broken,
        "events": count,
        "problems": broken,
        "event": last.id if last is not None else None,
        "at": last.at.isoformat() if last is not None else None,
        "hash": last.hash if last is not None else None,
    }


# --- backup -----------------------------------------------------------------------------------


def backup(database: Database, target: Path) -> dict[str, Any]:
    """Write a consistent copy of the database to `target` (which must not exist yet),
    readable by its owner only, through claimtrack.outfile (never over the database, never
    through a symbolic link, moved into place only when complete). SQLite: the online backup
    API, while others keep working; PostgreSQL: pg_dump's custom format, when pg_dump is
    installed."""
    # Imported here: the checks, which load this module too, write no file.
    from ..outfile import Target, database_files

    target = Path(target).expanduser().absolute()
    if os.path.lexists(target) and not target.is_symlink():
        raise Conflict(f"{target} already exists: a backup never overwrites; give a new file name")
    if not target.parent.is_dir():
        raise DatabaseError(f"cannot write {target}: the directory {target.parent} does not exist")
    checked = Target(
        target, protect=database_files(database.path), option="FILE", allow_direct=False
    )
    with checked.temporary() as partial:
        if database.dialect == "sqlite":
            _backup_sqlite(database, partial)
            how = "SQLite online backup"
        else:
            _backup_postgres(database, partial)
            how = "pg_dump --format=custom"
    return {
        "database": str(database.path) if database.path else mask_url(database.url),
        "backup": str(target),
        "bytes": target.stat().st_size,
        "revision": database.schema_revision(),
        "method": how,
    }


def _backup_sqlite(database: Database, partial: Path) -> None:
    raw = database.engine.raw_connection()
    try:
        destination = sqlite3.connect(partial)
        try:
            # One step: the copy is one read transaction, a snapshot of committed data.
            raw.driver_connection.backup(destination)
            # The copy stands alone in one file, with no -wal beside it.
            destination.execute("PRAGMA journal_mode = DELETE")
            result = destination.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(
                f"cannot back up {database.path}: SQLite says {exc}; nothing was written",
                next_step=NextStep("check"),
            ) from None
        finally:
            destination.close()
    finally:
        raw.close()
    if result != "ok":
        raise DatabaseError(f"the backup copy failed its integrity check ({result}); nothing kept")


def _backup_postgres(database: Database, partial: Path) -> None:
    url = make_url(database.url)
    where = mask_url(database.url).replace("postgresql+psycopg", "postgresql")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DatabaseError(
            "PostgreSQL databases are backed up with pg_dump, which is not on PATH: install "
            f"the PostgreSQL client tools and run: pg_dump --format=custom --file FILE '{where}'"
        )
    # psycopg is the PostgreSQL extra's: a SQLite-only install has none to import.
    from psycopg.conninfo import make_conninfo

    # The password (in the URL's user part or its query string) goes to pg_dump through its
    # environment, never its command line, where `ps` shows it to every user of the machine.
    password = url.password
    params = {}
    for name, value in url.query.items():
        if name.lower() == "password":
            password = value if isinstance(value, str) else value[-1]
        elif isinstance(value, str) and not secret_parameter(name):
            params[name] = value
    conninfo = make_conninfo(
        "", dbname=url.database, host=url.host, port=url.port, user=url.username, **params
    )
    env = dict(os.environ)
    if password:
        env["PGPASSWORD"] = str(password)
    done = subprocess.run(
        [pg_dump, "--format=custom", "--file", str(partial), "--dbname", conninfo],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        detail = scrub((done.stderr.strip().splitlines() or ["no message"])[-1], database.url)
        raise DatabaseError(f"pg_dump could not back up {where}: {detail}")
