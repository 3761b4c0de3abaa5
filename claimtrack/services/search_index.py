"""Keeping the full-text index current during bulk writes.

Triggers (migrations 0002/0003) index every row as it is written. A bulk import suspends them
for its own transaction and calls `reindex` before it commits: a handful of set-based
statements instead of one trigger run per row. Readers and other writers never see the
difference, because suspension and re-indexing happen inside the importer's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

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

# The runs table drives (CROSS JOIN keeps it outer): each run is one rowid range of the table.
_SQLITE_INSERT = {
    "claims": "INSERT INTO search_index (rowid, kind, ref_id, body, place, tags, notes) "
    "SELECT c.id * 4 + 1, 'claim', c.id, c.text, c.place, " + _SQLITE_TAGS + ", c.notes "
    "FROM temp.search_touched AS t CROSS JOIN claims AS c "
    "WHERE t.kind = 1 AND c.id BETWEEN t.first AND t.last",
    "evidence": "INSERT INTO search_index (rowid, kind, ref_id, body) "
    "SELECT e.id * 4 + 2, 'evidence', e.id, e.quote FROM temp.search_touched AS t "
    "CROSS JOIN evidence AS e WHERE t.kind = 2 AND e.id BETWEEN t.first AND t.last "
    "AND e.removed_at IS NULL AND e.quote IS NOT NULL",
    "sources": "INSERT INTO search_index (rowid, kind, ref_id, body) "
    "SELECT s.id * 4 + 3, 'source', s.id, s.name FROM temp.search_touched AS t "
    "CROSS JOIN sources AS s WHERE t.kind = 3 AND s.id BETWEEN t.first AND t.last",
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


class TouchedIds:
    """Ids of rows whose index entries must be rebuilt, held as runs of consecutive ids: an
    import's new rows come in such runs, so a million of them take a few runs instead of a
    set of a million ints (about 60 MB)."""

    def __init__(self) -> None:
        self._runs: list[list[int]] = []  # [first, last], merged and sorted by `runs()`
        self._merged = 0  # how many of _runs were merged at the last `runs()`

    def update(self, ids: Iterable[int]) -> None:
        runs = self._runs
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
        merged: list[list[int]] = []
        for first, last in sorted(self._runs):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self._runs = merged
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


def reindex(conn: Connection, touched: dict[str, TouchedIds]) -> None:
    """Rebuild the index entries of the given rows ({"claims": ids, "evidence": ids,
    "sources": ids}) from their current content, in one set-based pass per kind."""
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
            # rowid = id * 4 + kind: a run of ids is a range of rowids (every fourth one).
            conn.exec_driver_sql(
                "DELETE FROM search_index WHERE rowid BETWEEN ? AND ? AND rowid % 4 = ?",
                [(first * 4 + code, last * 4 + code, code) for code, first, last in runs],
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
