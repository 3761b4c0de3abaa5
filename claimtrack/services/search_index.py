"""Keeping the full-text index current during bulk writes.

Triggers (migrations 0002/0003) index every row as it is written. A bulk import suspends them
for its own transaction and calls `reindex` before it commits: a handful of set-based
statements instead of one trigger run per row. Readers and other writers never see the
difference, because suspension and re-indexing happen inside the importer's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.engine import Connection

SQLITE_CODES = {"claims": 1, "evidence": 2, "sources": 3}

_SQLITE_TAGS = (
    "(SELECT group_concat(t.name, ' ') FROM claim_tags AS ct JOIN tags AS t ON t.id = ct.tag_id"
    " WHERE ct.claim_id = c.id)"
)
_PG_TAGS = (
    "(SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM claim_tags AS ct "
    "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = c.id)"
)

_SQLITE_INSERT = {
    "claims": "INSERT INTO search_index (rowid, kind, ref_id, body, place, tags, notes) "
    "SELECT c.id * 4 + 1, 'claim', c.id, c.text, c.place, " + _SQLITE_TAGS + ", c.notes "
    "FROM claims AS c JOIN temp.search_touched AS t ON t.kind = 1 AND t.id = c.id",
    "evidence": "INSERT INTO search_index (rowid, kind, ref_id, body) "
    "SELECT e.id * 4 + 2, 'evidence', e.id, e.quote FROM evidence AS e "
    "JOIN temp.search_touched AS t ON t.kind = 2 AND t.id = e.id "
    "WHERE e.removed_at IS NULL AND e.quote IS NOT NULL",
    "sources": "INSERT INTO search_index (rowid, kind, ref_id, body) "
    "SELECT s.id * 4 + 3, 'source', s.id, s.name FROM sources AS s "
    "JOIN temp.search_touched AS t ON t.kind = 3 AND t.id = s.id",
}
_PG_KIND = {"claims": "claim", "evidence": "evidence", "sources": "source"}
_PG_INSERT = {
    "claims": "INSERT INTO search_documents (kind, ref_id, body, place, tags, notes) "
    "SELECT 'claim', c.id, c.text, c.place, " + _PG_TAGS + ", c.notes "
    "FROM claims AS c JOIN search_touched AS t ON t.kind = 'claim' AND t.id = c.id",
    "evidence": "INSERT INTO search_documents (kind, ref_id, body) "
    "SELECT 'evidence', e.id, e.quote FROM evidence AS e "
    "JOIN search_touched AS t ON t.kind = 'evidence' AND t.id = e.id "
    "WHERE e.removed_at IS NULL AND e.quote IS NOT NULL",
    "sources": "INSERT INTO search_documents (kind, ref_id, body) "
    "SELECT 'source', s.id, s.name FROM sources AS s "
    "JOIN search_touched AS t ON t.kind = 'source' AND t.id = s.id",
}


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


def reindex(conn: Connection, touched: dict[str, Iterable[int]]) -> None:
    """Rebuild the index entries of the given rows ({"claims": ids, "evidence": ids,
    "sources": ids}) from their current content, in one set-based pass per kind."""
    touched = {table: sorted(set(ids)) for table, ids in touched.items() if ids}
    if not touched:
        return
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(
            "CREATE TEMP TABLE IF NOT EXISTS search_touched "
            "(kind INTEGER NOT NULL, id INTEGER NOT NULL, PRIMARY KEY (kind, id)) WITHOUT ROWID"
        )
        conn.exec_driver_sql("DELETE FROM temp.search_touched")
        for table, ids in touched.items():
            code = SQLITE_CODES[table]
            conn.exec_driver_sql(
                "INSERT INTO temp.search_touched (kind, id) VALUES (?, ?)",
                [(code, i) for i in ids],
            )
            conn.exec_driver_sql(
                "DELETE FROM search_index WHERE rowid IN "
                "(SELECT id * 4 + kind FROM temp.search_touched WHERE kind = ?)",
                (code,),
            )
            conn.exec_driver_sql(_SQLITE_INSERT[table])
        conn.exec_driver_sql("DROP TABLE temp.search_touched")
        return
    conn.exec_driver_sql(
        "CREATE TEMP TABLE IF NOT EXISTS search_touched "
        "(kind varchar(10) NOT NULL, id integer NOT NULL, PRIMARY KEY (kind, id)) "
        "ON COMMIT DROP"
    )
    raw = conn.connection.dbapi_connection
    for table, ids in touched.items():
        kind = _PG_KIND[table]
        with (
            raw.cursor() as cursor,
            cursor.copy("COPY search_touched (kind, id) FROM STDIN") as copy,
        ):
            for i in ids:
                copy.write_row((kind, i))
        conn.exec_driver_sql(
            "DELETE FROM search_documents AS d USING search_touched AS t "
            "WHERE d.kind = t.kind AND d.ref_id = t.id AND t.kind = %(kind)s",
            {"kind": kind},
        )
        conn.exec_driver_sql(_PG_INSERT[table])
    conn.exec_driver_sql("DROP TABLE search_touched")
