"""Keeping the full-text index current during bulk writes.

The index references the rows (migration 0007): SQLite's FTS5 table takes its text from the
view `search_content`; PostgreSQL indexes evidence and sources by expression and keeps only
claims' tsvectors, in `search_claims`. Triggers index every row as it is written. A bulk import
suspends them for its own transaction, calls `forget` before it changes a row that is already
indexed (FTS5 removes a document only given the values it was indexed with), and `reindex`
before it commits: one INSERT ... SELECT per table for every row it added or changed. Readers
and other writers never see the difference: all of it happens inside the import's transaction.
"""

# ruff: noqa: S608 -- the SQL below is assembled from constants in this file, never from input.
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Text
from sqlalchemy.engine import Connection

from ..history_log import joined_ranges
from ..models import Base

SQLITE_CODES = {"claims": 1, "evidence": 2, "sources": 3}
# The columns a table's documents are made of: changing any other needs no re-indexing.
SEARCHED = {
    "claims": frozenset({"text", "place", "notes"}),
    "evidence": frozenset({"quote", "removed_at"}),
    "sources": frozenset({"name"}),
}

# Tags in name order, the same in every statement (and in migration 0007's triggers and view):
# FTS5 removes a document only given exactly what was indexed.
_SQLITE_TAGS = (
    "(SELECT group_concat(name, ' ') FROM (SELECT t.name FROM claim_tags AS ct "
    "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = c.id ORDER BY t.name))"
)
# (columns, values, row alias, which rows have a document) of each table in search_index.
_SQLITE_DOCUMENTS = {
    "claims": (
        "kind, ref_id, body, place, tags, notes",
        "c.id * 4 + 1, 'claim', c.id, c.text, c.place, " + _SQLITE_TAGS + ", c.notes",
        "c",
        "",
    ),
    "evidence": (
        "kind, ref_id, body",
        "e.id * 4 + 2, 'evidence', e.id, e.quote",
        "e",
        " AND e.removed_at IS NULL AND e.quote IS NOT NULL",
    ),
    "sources": ("kind, ref_id, body", "s.id * 4 + 3, 'source', s.id, s.name", "s", ""),
}


def _sqlite_indexed(table: str) -> str:
    alias = _SQLITE_DOCUMENTS[table][2]
    return (
        "EXISTS (SELECT 1 FROM search_index_docsize AS x "
        f"WHERE x.id = {alias}.id * 4 + {SQLITE_CODES[table]})"
    )


def _sqlite_add(table: str) -> str:
    """Index the rows of `table` in the runs of temp.search_touched that are not indexed."""
    columns, values, alias, active = _SQLITE_DOCUMENTS[table]
    # The runs table drives (CROSS JOIN keeps it outer): each run is one range of ids.
    return (
        f"INSERT INTO search_index (rowid, {columns}) SELECT {values} "
        f"FROM temp.search_touched AS t CROSS JOIN {table} AS {alias} "
        f"WHERE t.kind = {SQLITE_CODES[table]} AND {alias}.id BETWEEN t.first AND t.last"
        f"{active} AND NOT {_sqlite_indexed(table)}"
    )


def _sqlite_forget(table: str) -> str:
    """Remove the documents of the rows whose ids are in the JSON array `?`, if indexed."""
    columns, values, alias, _active = _SQLITE_DOCUMENTS[table]
    return (
        f"INSERT INTO search_index (search_index, rowid, {columns}) SELECT 'delete', {values} "
        f"FROM {table} AS {alias} WHERE {alias}.id IN (SELECT value FROM json_each(?)) "
        f"AND {_sqlite_indexed(table)}"
    )


# A claim's document as migration 0007's triggers make it, with the tags of every touched claim
# from one grouped join: a tags subquery per claim (as the triggers have it) took 1.65 s of this
# statement's 4.1 s for 100,000 claims, the join 0.35 s.
_PG_CLAIMS = (
    "INSERT INTO search_claims (ref_id, document) SELECT c.id, "
    + " || ".join(
        f"setweight(to_tsvector('simple', coalesce(search_fold({value}), '')), '{weight}')"
        for value, weight in (("c.text", "A"), ("c.place", "B"), ("g.tags", "B"), ("c.notes", "C"))
    )
    + " FROM claims AS c JOIN search_touched AS t ON t.id = c.id LEFT JOIN ("
    "SELECT ct.claim_id, string_agg(tg.name, ' ' ORDER BY tg.name) AS tags "
    "FROM claim_tags AS ct JOIN search_touched AS s ON s.id = ct.claim_id "
    "JOIN tags AS tg ON tg.id = ct.tag_id GROUP BY ct.claim_id) AS g ON g.claim_id = c.id"
)


class TouchedIds:
    """Ids of rows whose index entries must be rebuilt, held as runs of consecutive ids: an
    import's new rows come in such runs, so a million of them take a few runs instead of a
    set of a million ints (about 60 MB)."""

    def __init__(self) -> None:
        self._runs: list[list[int]] = []  # [first, last], merged and sorted by `runs()`
        self._merged = 0  # how many of _runs were merged at the last `runs()`

    def update(self, ids: Iterable[int]) -> None:
        runs = self._runs
        if isinstance(ids, range) and ids.step == 1:
            if ids:
                runs.append([ids.start, ids.stop - 1])
            return
        last = runs[-1] if runs else [0, -2]
        for i in ids:
            if i == last[1] + 1:
                last[1] = i
            elif not last[0] <= i <= last[1]:
                last = [i, i]
                runs.append(last)
        if len(runs) > 2 * self._merged + 1000:
            self.runs()

    def runs(self) -> list[list[int]]:
        """The runs, sorted, overlapping and adjacent ones merged."""
        merged = self._runs = joined_ranges(self._runs)
        self._merged = len(merged)
        return merged

    def __iter__(self) -> Iterator[int]:
        for first, last in self.runs():
            yield from range(first, last + 1)

    def __bool__(self) -> bool:
        return bool(self._runs)


def suspend(conn: Connection) -> None:
    """Stop the search triggers for the rest of this transaction (until `resume`)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("INSERT OR IGNORE INTO search_suspended (id) VALUES (1)")
    else:
        conn.exec_driver_sql("SELECT set_config('claimtrack.search_suspended', 'on', true)")


def resume(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DELETE FROM search_suspended")
    else:
        conn.exec_driver_sql("SELECT set_config('claimtrack.search_suspended', 'off', true)")


def changes_documents(table: str, columns: Iterable[str]) -> bool:
    """Whether writing these columns of `table` changes what its rows' documents hold."""
    return table in SEARCHED and not SEARCHED[table].isdisjoint(columns)


def forget(conn: Connection, table: str, ids: Sequence[int]) -> None:
    """Before changing the rows `ids` of `table` (claims, evidence, sources) while the triggers
    are suspended: remove their documents, if indexed, so that `reindex` can add them again
    from the new values. On PostgreSQL only claims' documents are stored, and `reindex`
    replaces them itself."""
    if ids and conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_sqlite_forget(table), (json.dumps(list(ids)),))


def reindex(conn: Connection, touched: dict[str, TouchedIds]) -> None:
    """Index the given rows ({"claims": ids, "evidence": ids, "sources": ids}) from their
    current content, in one set-based statement per table: rows added while the triggers were
    suspended, and rows changed after `forget`. On PostgreSQL, then ANALYZE the tables the
    write grew (`_pg_analyze`)."""
    touched = {table: ids for table, ids in touched.items() if ids}
    if not touched:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS search_touched "
            "(kind INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL)"
        )
        conn.exec_driver_sql("DELETE FROM temp.search_touched")
        for table, ids in touched.items():
            code = SQLITE_CODES[table]
            runs = [(code, first, last) for first, last in ids.runs()]
            conn.exec_driver_sql(
                "INSERT INTO temp.search_touched (kind, first, last) VALUES (?, ?, ?)", runs
            )
            conn.exec_driver_sql(_sqlite_add(table))
        conn.exec_driver_sql("DROP TABLE temp.search_touched")
        return
    # PostgreSQL indexes evidence and sources by expression, as they are written.
    claims = touched.get("claims")
    if claims:
        _pg_reindex_claims(conn, claims)
    _pg_analyze(conn, touched)


def _pg_reindex_claims(conn: Connection, claims: TouchedIds) -> None:
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS search_touched (id integer PRIMARY KEY) ON COMMIT DROP"
    )
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy("COPY search_touched (id) FROM STDIN") as copy:
        for i in claims:
            copy.write_row((i,))
    conn.exec_driver_sql("ANALYZE search_touched")
    conn.exec_driver_sql(
        "DELETE FROM search_claims AS d USING search_touched AS t WHERE d.ref_id = t.id"
    )
    conn.exec_driver_sql(_PG_CLAIMS)
    conn.exec_driver_sql("DROP TABLE search_touched")


# The tables whose row counts follow each touched table's.
_GROWS_WITH = {
    "claims": ("claims", "claim_tags", "search_claims"),
    "evidence": ("evidence",),
    "sources": ("sources",),
}


def _pg_analyze(conn: Connection, touched: dict[str, TouchedIds]) -> None:
    """Refresh the planner's statistics of the tables a bulk write grew by more than
    autovacuum's threshold (50 rows and a tenth), inside its transaction: the first reads after
    an import plan for the new sizes instead of waiting for autovacuum, which may be off (at
    1,000,000 rows `search police` took 3.7 s before and 2.5 s after). Listing the columns makes
    ANALYZE skip the expression indexes' statistics (the tsvector of every sampled quote: 0.8 s
    of ANALYZE evidence's 1.2 s), and free text no plan filters on is left out (its statistics
    sort long strings by collation: a quarter of the rest)."""
    grown = {
        table
        for touched_table, ids in touched.items()
        if sum(last - first + 1 for first, last in ids.runs())
        > 50 + 0.1 * _pg_estimated_rows(conn, touched_table)
        for table in _GROWS_WITH[touched_table]
    }
    for table in sorted(grown):
        model = Base.metadata.tables.get(table)
        cols = ""
        if model is not None:
            planned = [c.name for c in model.columns if not isinstance(c.type, Text) or c.index]
            cols = f" ({', '.join(planned)})"
        conn.exec_driver_sql(f"ANALYZE {table}{cols}")


def _pg_estimated_rows(conn: Connection, table: str) -> float:
    # reltuples is -1 until the table is first analyzed.
    return max(
        conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE oid = to_regclass(%(table)s)", {"table": table}
        ).scalar_one(),
        0,
    )
