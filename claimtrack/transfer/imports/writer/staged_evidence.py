"""Evidence staged in a temporary table and written set-based: issue 13's "stage the rows,
resolve, compare and insert in SQL".

Pass 1 appends each evidence row to `import_evidence`, a TEMP table of the import's own
connection (SQLite: in the connection's temporary database, on disk; PostgreSQL: filled by
binary COPY, dropped at commit), in file order. Once claims and sources are written, every
row is resolved and classified by a handful of statements over the whole table, whatever its
size:

    resolved    claim, source and via ids, through the keys and names the files use (each
                distinct key or name resolved once in Python, the rows by a join)
    new         an item no stored row matches: inserted by one INSERT ... SELECT, ids in file
                order, no history row (the import's one event lists them)
    unchanged   matched to a stored row (by key, else by claim, source, stance, locator and
                quote, each stored row taken once, in file and id order) that already holds
                what the row gives: counted, nothing written
    one by one  everything else, in file order, through EvidenceWriter.write_evidence as
                before: rows that do not resolve (the rejects say why), matched rows that
                change something (history needs before and after), via chains of more than
                one hop, removals, and keys given more than once in the files

A million new rows cost the first import a few statements instead of 200 batches of Python
resolution, matching and executemany; re-importing them unchanged costs the comparison in SQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy.engine import Connection

from ...problems import Where
from ..rows import EvidenceRow
from .core import CHUNK
from .evidence import EvidenceWriter

# The staged row: where it came from (the line as text: a JSON array's rows are "item N"),
# then the EvidenceRow's fields (relays as JSON).
STAGE_COLUMNS = (
    "seq",
    "file_index",
    "line",
    "raw",
    *(name for name in EvidenceRow._fields if name != "relays"),
    "relays",
)
_TYPES = {
    "seq": "BIGINT",
    "file_index": "INTEGER",
    "credibility": "INTEGER",
    "given": "INTEGER",
}
STAGE_TABLES = (
    "import_evidence",
    "import_resolved",
    "import_refs",
    "import_new_claims",
    "import_pairs",
    "import_parts",
    "import_stored",
)
# How each row is written (import_resolved.state).
PENDING, ONE_BY_ONE, NEW, UNCHANGED = 0, 1, 2, 3
BATCH = 5_000


class StagedEvidenceWriter(EvidenceWriter):
    def __init__(self, conn: Connection, **options: Any):
        super().__init__(conn, **options)
        self._staged = 0
        self._file_names: list[str] = []

    # --- pass 1 -------------------------------------------------------------------------

    def _create_stage(self) -> None:
        self._drop_stage()
        cols = ", ".join(f"{name} {_TYPES.get(name, 'TEXT')}" for name in STAGE_COLUMNS)
        if self.pg is not None:
            # Dropped at commit or rollback: nothing is left in a shared database's session.
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE import_evidence ({cols}) ON COMMIT DROP"
            )
        else:
            # The temporary database gets the main one's page cache (2 MB; otherwise
            # `PRAGMA temp.cache_size` reads 0, the library's own default) and frees pages
            # without zeroing them (Debian's SQLite is built with SECURE_DELETE; nothing
            # there outlives the connection): dropping the 1M stage took 1.8 s, now 0.4 s.
            self.conn.exec_driver_sql("PRAGMA temp.cache_size = -2000")
            self.conn.exec_driver_sql("PRAGMA temp.secure_delete = OFF")
            cols = cols.replace("seq BIGINT", "seq INTEGER PRIMARY KEY")
            self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE import_evidence ({cols})")

    def _drop_stage(self) -> None:
        for table in STAGE_TABLES:
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")

    def stage_evidence(self, rows: list[tuple]) -> None:
        """Append rows to the stage: (file index, line, raw text or None, *EvidenceRow)."""
        if not rows:
            return
        if not self._staged:
            self._create_stage()
        first = self._staged
        staged = [
            (first + n, row[0], str(row[1]), *row[2:-1], json.dumps(row[-1]) if row[-1] else None)
            for n, row in enumerate(rows)
        ]
        self._staged += len(rows)
        if self.pg is not None:
            self.pg.copy_rows("import_evidence", STAGE_COLUMNS, staged)
            return
        names, marks = ", ".join(STAGE_COLUMNS), ", ".join("?" * len(STAGE_COLUMNS))
        self.conn.exec_driver_sql(
            f"INSERT INTO import_evidence ({names}) VALUES ({marks})",
            staged,
        )

    def forget_staged_evidence(self) -> None:
        """Empty the stage (a whole-database restore writes its own rows instead)."""
        if self._staged:
            self.conn.exec_driver_sql("DELETE FROM import_evidence")
            self._staged = 0

    # --- pass 2 -------------------------------------------------------------------------

    def write_staged_evidence(
        self, file_names: list[str], stage: Callable[[str], None] | None = None
    ) -> None:
        """Write every staged row (see the module's docstring); `stage(label)` names each
        step for the progress bar, then says "N of M" rows done."""
        if not self._staged:
            return
        total = self._staged
        self._file_names = file_names
        say = stage or (lambda label: None)
        sql = self.conn.exec_driver_sql
        if self.pg is not None:
            sql("ALTER TABLE import_evidence ADD PRIMARY KEY (seq)")
            sql("ANALYZE import_evidence")
        say(f"resolving the claims and sources of {total:,} evidence items")
        self._resolve()
        say("comparing evidence with the items stored")
        self._classify()
        say("inserting the new evidence items")
        done = self._write_new()
        done += self._count_unchanged()
        say(f"{done:,} of {total:,}")
        self._warn_relays()
        for batch in self._one_by_one():
            self.write_evidence(batch)
            done += len(batch)
            say(f"{done:,} of {total:,}")
        self._drop_stage()
        self._staged = 0

    def _is(self) -> str:
        return "IS NOT DISTINCT FROM" if self.pg is not None else "IS"

    def _resolve(self) -> None:
        """import_resolved: each row's claim, source and via ids (0: not found; via NULL:
        none given, or a name that is no source), as EvidenceWriter.write_evidence resolves
        them, each distinct key, text or name resolved once, a chunk at a time."""
        sql = self.conn.exec_driver_sql
        # import_refs (space, name, id, found): space 0 a claim key, 1 a claim text, 2 a
        # source key, 3 a source name; found 0 where a name is no source's.
        # SQLite: WITHOUT ROWID, so that each of the 3 probes per row below is one B-tree
        # descent, not the key's index and then the table (at 1M rows 15.3 s → 9.5 s, and
        # 7.7 s with the 2 MB temp cache).
        cols = "(space INTEGER, name TEXT, id BIGINT, found INTEGER, PRIMARY KEY (space, name))"
        if self.pg is None:
            cols += " WITHOUT ROWID"
        sql("CREATE TEMPORARY TABLE import_refs " + cols)
        spaces = {
            0: "SELECT DISTINCT claim_key FROM import_evidence WHERE claim_key IS NOT NULL",
            1: "SELECT DISTINCT claim_text FROM import_evidence "
            "WHERE claim_key IS NULL AND claim_text IS NOT NULL",
            2: "SELECT source_key FROM import_evidence WHERE source_key IS NOT NULL UNION "
            "SELECT via_key FROM import_evidence WHERE via_key IS NOT NULL",
            3: "SELECT source_name FROM import_evidence "
            "WHERE source_key IS NULL AND source_name IS NOT NULL UNION "
            "SELECT via_name FROM import_evidence WHERE via_key IS NULL AND via_name IS NOT NULL",
        }
        for space, query in spaces.items():
            for part in self._parts(query):
                self._add_refs(space, [name for (name,) in part])
        if self.pg is not None:
            sql("ANALYZE import_refs")
        cols = (
            "(seq BIGINT PRIMARY KEY, claim_id BIGINT, source_id BIGINT, via_id BIGINT, "
            "state INTEGER, match_id BIGINT, loose INTEGER)"
        )
        if self.pg is None:  # seq the rowid itself, not a second B-tree beside the table
            cols = cols.replace("seq BIGINT", "seq INTEGER")
        sql("CREATE TEMPORARY TABLE import_resolved " + cols)
        sql(
            "INSERT INTO import_resolved (seq, claim_id, source_id, via_id, state) "
            "SELECT s.seq, COALESCE(c.id, 0), "
            "CASE WHEN o.found = 1 THEN o.id ELSE 0 END, "
            "CASE WHEN v.found = 1 THEN v.id END, "
            f"CASE WHEN s.relays IS NOT NULL OR s.removed_reason IS NOT NULL THEN {ONE_BY_ONE} "
            f"ELSE {PENDING} END "
            "FROM import_evidence s "
            "LEFT JOIN import_refs c ON c.space = CASE WHEN s.claim_key IS NULL THEN 1 ELSE 0 END "
            "AND c.name = COALESCE(s.claim_key, s.claim_text) "
            "LEFT JOIN import_refs o ON o.space = CASE WHEN s.source_key IS NULL THEN 3 ELSE 2 END "
            "AND o.name = COALESCE(s.source_key, s.source_name) "
            "LEFT JOIN import_refs v ON v.space = CASE WHEN s.via_key IS NULL THEN 3 ELSE 2 END "
            "AND v.name = COALESCE(s.via_key, s.via_name)"
        )
        if self.pg is not None:
            sql("ANALYZE import_resolved")

    def _parts(self, query: str) -> Iterator[list[tuple]]:
        """The rows of a query CHUNK at a time, never all at once (on PostgreSQL through a
        server-side cursor, which psycopg's ordinary cursors are not)."""
        if self.pg is None:
            yield from self.conn.exec_driver_sql(query).partitions(CHUNK)
            return
        with self.conn.connection.dbapi_connection.cursor(name="import_parts") as cursor:
            cursor.execute(query)
            while part := cursor.fetchmany(CHUNK):
                yield part

    def _add_refs(self, space: int, names: list[str]) -> None:
        """Resolve these distinct names of one space as write_evidence would."""
        self.bound_keys()
        claim_ids, source_ids = self.claim_ids, self.source_ids
        if space == 0:
            self.load_claim_ids(names)
            refs = [(0, key, claim_ids.get(key, 0), 1) for key in names]
        elif space == 1:
            self.claim_by_text.load(names)
            keys = [self.claim_by_text.get(text) for text in names]
            self.load_claim_ids(key for key in keys if key)
            refs = [
                (1, text, claim_ids.get(key, 0) if key else 0, 1)
                for text, key in zip(names, keys, strict=True)
            ]
        elif space == 2:
            self.load_source_ids(names)
            refs = [(2, key, source_ids.get(key, 0), 1) for key in names]
        else:
            self.load_source_ids(names)  # a name may be a key (a `via` cell)
            self.source_by_name.load(names)
            keys = [self._source_of(None, name) for name in names]
            self.load_source_ids(key for key in keys if key)
            refs = [
                (3, name, source_ids.get(key, 0) if key else 0, int(bool(key)))
                for name, key in zip(names, keys, strict=True)
            ]
        if self.pg is not None:
            self.pg.copy_rows("import_refs", ("space", "name", "id", "found"), refs)
        else:
            self.conn.exec_driver_sql("INSERT INTO import_refs VALUES (?, ?, ?, ?)", refs)

    def _classify(self) -> None:
        """Set each row's state: one by one where it does not resolve or a key is given
        twice; else matched to a stored row (by key, else loosely) and compared; else new."""
        sql, is_ = self.conn.exec_driver_sql, self._is()
        sql(
            f"UPDATE import_resolved SET state = {ONE_BY_ONE} "
            f"WHERE state = {PENDING} AND (claim_id = 0 OR source_id = 0 OR via_id = 0)"
        )
        sql(
            f"UPDATE import_resolved SET state = {ONE_BY_ONE} WHERE state = {PENDING} AND seq IN "
            "(SELECT seq FROM import_evidence WHERE key IN (SELECT key FROM import_evidence "
            "WHERE key IS NOT NULL GROUP BY key HAVING count(*) > 1))"
        )
        if not self.evidence_max:
            sql(f"UPDATE import_resolved SET state = {NEW} WHERE state = {PENDING}")
            return
        sql(
            "UPDATE import_resolved AS x SET match_id = e.id "
            "FROM import_evidence AS s JOIN evidence AS e ON e.key = s.key "
            "WHERE s.seq = x.seq"
        )
        self._match_loosely()
        # A matched row is unchanged when the stored row holds every value it gives (what
        # EvidenceMatching._compare_evidence compares, optional fields only where given).
        sql(
            f"UPDATE import_resolved AS x SET state = CASE WHEN "
            "e.claim_id = x.claim_id AND e.source_id = x.source_id AND e.stance = s.stance "
            f"AND e.quote {is_} s.quote AND e.locator {is_} s.url "
            "AND ((s.given & 1) = 0 OR e.credibility = COALESCE(s.credibility, 6)) "
            f"AND ((s.given & 2) = 0 OR (e.via_id {is_} x.via_id AND NOT EXISTS "
            "(SELECT 1 FROM evidence_relays AS r WHERE r.evidence_id = e.id))) "
            f"AND ((s.given & 4) = 0 OR e.observed {is_} s.observed) "
            f"AND ((s.given & 8) = 0 OR e.notes {is_} s.notes) "
            f"THEN {UNCHANGED} ELSE {ONE_BY_ONE} END "
            "FROM import_evidence AS s, evidence AS e "
            f"WHERE s.seq = x.seq AND e.id = x.match_id AND x.state = {PENDING}"
        )
        sql(f"UPDATE import_resolved SET state = {NEW} WHERE state = {PENDING}")

    def _match_loosely(self) -> None:
        """Rows without a key, of claims that existed before this import, to stored rows
        with the same claim, stance, source, locator and quote: the n-th such row in file
        order takes the n-th such stored row in id order, as the one-by-one matching does
        (EvidenceMatching._existing_evidence). Rows to be written one by one take their
        place in that order too: they match again there, and take the stored rows that the
        others leave free."""
        sql, is_ = self.conn.exec_driver_sql, self._is()
        created = self.created_claims.ranges()
        sql("CREATE TEMPORARY TABLE import_new_claims (lo BIGINT, hi BIGINT)")
        if created:
            marks = f"({self.mark}, {self.mark})"
            sql(f"INSERT INTO import_new_claims VALUES {marks}", [tuple(r) for r in created])
        # Every stored row each candidate row could match (through the claim, stance and
        # source index), then, within each group of identical stored rows (named by its
        # first id), the n-th candidate row takes the n-th stored row: numbered over ids,
        # not sorted on quotes (the window over whole rows took 12 s of a 1M re-import).
        # `+e.id` keeps SQLite's planner on ix_evidence_claim_status: through the source
        # index, a row of a source with 100,000 items read all of them.
        sql("DROP TABLE IF EXISTS import_pairs")
        sql(
            "CREATE TEMPORARY TABLE import_pairs AS SELECT x.seq, e.id "
            "FROM import_resolved AS x JOIN import_evidence AS s ON s.seq = x.seq "
            "JOIN evidence AS e ON e.claim_id = x.claim_id AND e.stance = s.stance "
            f"AND e.source_id = x.source_id AND e.locator {is_} s.url AND e.quote {is_} s.quote "
            f"WHERE +e.id <= {int(self.evidence_max)} AND x.match_id IS NULL AND s.key IS NULL "
            "AND x.claim_id > 0 AND x.source_id <> 0 AND (x.via_id IS NULL OR x.via_id <> 0) "
            "AND NOT EXISTS (SELECT 1 FROM import_new_claims AS c "
            "WHERE x.claim_id BETWEEN c.lo AND c.hi)"
        )
        # Each step a table with its key: SQLite ran a WITH query's grouping again per row.
        sql("CREATE TEMPORARY TABLE import_parts (seq BIGINT PRIMARY KEY, part BIGINT)")
        sql("INSERT INTO import_parts SELECT seq, min(id) FROM import_pairs GROUP BY seq")
        sql(
            "CREATE TEMPORARY TABLE import_stored "
            "(part BIGINT, n BIGINT, id BIGINT, PRIMARY KEY (part, n))"
        )
        sql(
            "INSERT INTO import_stored SELECT part, "
            "row_number() OVER (PARTITION BY part ORDER BY id), id FROM "
            "(SELECT DISTINCT q.part, p.id FROM import_pairs AS p "
            "JOIN import_parts AS q ON q.seq = p.seq) AS ids"
        )
        sql(
            "UPDATE import_resolved AS x SET match_id = t.id, loose = 1 FROM "
            "(SELECT seq, part, row_number() OVER (PARTITION BY part ORDER BY seq) AS n "
            "FROM import_parts) AS i JOIN import_stored AS t ON t.part = i.part AND t.n = i.n "
            "WHERE i.seq = x.seq"
        )
        for table in ("import_pairs", "import_parts", "import_stored"):
            sql(f"DROP TABLE {table}")

    def _write_new(self) -> int:
        """Insert the new rows in one statement; returns how many. Ids follow file order:
        rows written one by one that may turn out new (not matched, resolved) have theirs
        set aside among them (EvidenceWriter.reserved_ids; one refused later leaves a gap)."""
        sql = self.conn.exec_driver_sql
        may_be_new = (
            f"state = {NEW} OR (state = {ONE_BY_ONE} AND match_id IS NULL AND claim_id <> 0 "
            "AND source_id <> 0 AND (via_id IS NULL OR via_id <> 0))"
        )
        count = sql(f"SELECT count(*) FROM import_resolved WHERE state = {NEW}").scalar()
        candidates, low, high = sql(
            f"SELECT count(*), min(seq), max(seq) FROM import_resolved WHERE {may_be_new}"
        ).one()
        if not candidates:
            return 0
        ids = self.new_ids("evidence", candidates)
        self.count("evidence", "created", count)
        numbered = (
            "(SELECT x.*, row_number() OVER (ORDER BY x.seq) - 1 AS n "
            f"FROM import_resolved AS x WHERE {may_be_new}) AS x"
        )
        set_aside = {}
        if candidates != count:
            for n, file_index, line in sql(
                f"SELECT x.n, s.file_index, s.line FROM {numbered} JOIN import_evidence AS s "
                f"ON s.seq = x.seq WHERE x.state = {ONE_BY_ONE}"
            ):
                set_aside[n] = ids[n]
                self.reserved_ids[_where(self._file_names[file_index], line)] = ids[n]
        if not self.write or not count:
            return count
        first = ids[0]
        if ids[-1] - first + 1 == candidates and high - low + 1 == candidates:
            # Every row from the first to the last candidate is one (the first import of a
            # file: all of them): the id follows from seq, without numbering the rows.
            new_id = f"{int(first) - int(low)} + x.seq"
            numbered = "import_resolved AS x"
        elif ids[-1] - first + 1 == candidates:
            new_id = f"{int(first)} + x.n"
        else:  # another session drew from the sequence meanwhile: ids listed, not counted
            sql("CREATE TEMPORARY TABLE import_ids (n BIGINT PRIMARY KEY, id BIGINT)")
            sql(f"INSERT INTO import_ids VALUES ({self.mark}, {self.mark})", list(enumerate(ids)))
            numbered += " JOIN import_ids AS i ON i.n = x.n"
            new_id = "i.id"
        sql(
            "INSERT INTO evidence (id, key, claim_id, source_id, stance, credibility, quote, "
            "locator, via_id, observed, notes, created_at, updated_at) "
            f"SELECT {new_id}, s.key, x.claim_id, x.source_id, s.stance, "
            "COALESCE(s.credibility, 6), s.quote, s.url, x.via_id, s.observed, s.notes, "
            f"{self.mark}, {self.mark} FROM {numbered} JOIN import_evidence AS s "
            f"ON s.seq = x.seq WHERE x.state = {NEW} ORDER BY x.seq",
            (self.now_db, self.now_db),
        )
        sql("DROP TABLE IF EXISTS import_ids")
        if set_aside:
            ids = [item_id for n, item_id in enumerate(ids) if n not in set_aside]
        self.touched["evidence"].update(ids)
        self.created_evidence.extend(ids)
        for column in ("claim", "source"):
            self.evidence_of[column].update(
                row_id
                for (row_id,) in sql(
                    f"SELECT DISTINCT {column}_id FROM import_resolved "
                    f"WHERE state = {NEW} ORDER BY {column}_id"
                )
            )
        return count

    def _count_unchanged(self) -> int:
        sql = self.conn.exec_driver_sql
        count = sql(f"SELECT count(*) FROM import_resolved WHERE state = {UNCHANGED}").scalar()
        self.count("evidence", "unchanged", count)
        if (
            count
            and sql(
                f"SELECT 1 FROM import_resolved WHERE state = {ONE_BY_ONE} AND loose = 1 LIMIT 1"
            ).first()
        ):
            # The rows matched one by one must not take a stored row these rows took.
            matched = self.matched
            for (row_id,) in sql(
                f"SELECT match_id FROM import_resolved WHERE state = {UNCHANGED} AND loose = 1"
            ):
                matched[row_id >> 3] |= 1 << (row_id & 7)
        return count

    def _warn_relays(self) -> None:
        """The warning write_evidence gives an item whose via names a source its source is
        derived from (_check_relays), for the rows written or counted here: the walk once
        per distinct (source, via) pair, the rows then counted and the first few named."""
        sql = self.conn.exec_driver_sql
        done = f"x.state IN ({NEW}, {UNCHANGED}) AND x.via_id IS NOT NULL"
        # Each row's source and everything up its derived-from chain (UNION stops at a
        # loop, which imports refuse anyway), joined to the rows whose via is one of them.
        flagged = (
            "WITH RECURSIVE up (source_id, node) AS (SELECT id, derived_from_id FROM sources "
            "WHERE derived_from_id IS NOT NULL AND id IN "
            f"(SELECT source_id FROM import_resolved AS x WHERE {done}) "
            "UNION SELECT up.source_id, s.derived_from_id FROM up JOIN sources AS s "
            "ON s.id = up.node WHERE s.derived_from_id IS NOT NULL) "
            "SELECT {} FROM import_resolved AS x JOIN up "
            f"ON up.source_id = x.source_id AND up.node = x.via_id WHERE {done}"
        )
        count = sql(flagged.format("count(*)")).scalar()
        if not count:
            return
        self.relay_warning_count += count
        room = 20 - len(self.relay_warnings)
        if room <= 0:
            return
        seqs = [seq for (seq,) in sql(flagged.format("x.seq") + f" ORDER BY x.seq LIMIT {room}")]
        marks = ", ".join([self.mark] * len(seqs))
        for file_index, line, key, name, via_key, via_name in sql(
            "SELECT file_index, line, source_key, source_name, via_key, via_name "
            f"FROM import_evidence WHERE seq IN ({marks}) ORDER BY seq",
            tuple(seqs),
        ):
            where = _where(self._file_names[file_index], line)
            self.relay_warnings.append(
                self.relay_warning(
                    where, self._source_of(via_key, via_name), self._source_of(key, name)
                )
            )

    def _one_by_one(self) -> Iterator[list[tuple[Where, Any, Any]]]:
        """The rows to write one by one, in file order, BATCH at a time (pages by seq, not
        one open cursor: the writer uses the connection between pages)."""
        file_names = self._file_names
        cols = ", ".join(f"s.{name}" for name in STAGE_COLUMNS)
        after = -1
        make = EvidenceRow._make
        while True:
            rows = self.conn.exec_driver_sql(
                f"SELECT {cols} FROM import_evidence AS s JOIN import_resolved AS x "
                f"ON x.seq = s.seq WHERE x.state = {int(ONE_BY_ONE)} AND s.seq > {self.mark} "
                f"ORDER BY s.seq LIMIT {int(BATCH)}",
                (after,),
            ).all()
            if not rows:
                return
            after = rows[-1][0]
            yield [
                (
                    _where(file_names[row[1]], row[2]),
                    make((*row[4:-1], tuple(json.loads(row[-1])) if row[-1] else ())),
                    row[3],
                )
                for row in rows
            ]


def _where(file_name: str, line: str) -> Where:
    return Where(file_name, int(line) if line.isdigit() else line)
