"""search index references the rows instead of copying them

Migration 0002's index held a second copy of every indexed text: SQLite's FTS5 table kept its
own content (every quote twice in the file), PostgreSQL's `search_documents` held the text
columns again beside their tsvector. This migration keeps the same documents, tokens and
ranking but stores no text twice:

SQLite: `search_index` becomes an external-content FTS5 table over the view `search_content`
(claims with their tags, active evidence quotes, source names; rowid = id*4+kind as before).
Only the inverted index is stored. FTS5 cannot read old values of a changed row from a view,
so the triggers remove a document BEFORE its row changes (reading the current values) and add
it back AFTER; each checks `search_index_docsize` so a document is never removed twice or
added twice. Tags of a claim are listed in name order, the same order in every statement, so a
removal always matches what was added.

PostgreSQL: evidence and sources get expression GIN indexes on the rows themselves (the same
weighted tsvector the generated column computed; nothing stored beside the index). A claim's
document includes its tags, which live in another table, so claims keep a table
`search_claims (ref_id, document)` with only the tsvector, kept by triggers as before.
`search_documents` becomes a view with the old columns over all three.

The import (services.search_index) suspends the triggers as before and adds the documents of
its rows in one INSERT ... SELECT per table after they are in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

# ruff: noqa: S608 -- the DDL below is assembled from constants in this file, never from input.
from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_GUARD = "WHEN NOT EXISTS (SELECT 1 FROM search_suspended)"
PG_GUARD = "WHEN (current_setting('claimtrack.search_suspended', true) IS DISTINCT FROM 'on')"

# --- SQLite ---------------------------------------------------------------------------------

SQLITE_TAGS = (
    "(SELECT group_concat(name, ' ') FROM (SELECT t.name FROM claim_tags AS ct "
    "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = {claim} ORDER BY t.name))"
)
SQLITE_VIEW = (
    "CREATE VIEW search_content (doc_id, kind, ref_id, body, place, tags, notes) AS "
    "SELECT c.id * 4 + 1, 'claim', c.id, c.text, c.place, "
    + SQLITE_TAGS.format(claim="c.id")
    + ", c.notes FROM claims AS c "
    "UNION ALL SELECT e.id * 4 + 2, 'evidence', e.id, e.quote, NULL, NULL, NULL "
    "FROM evidence AS e WHERE e.removed_at IS NULL AND e.quote IS NOT NULL "
    "UNION ALL SELECT s.id * 4 + 3, 'source', s.id, s.name, NULL, NULL, NULL FROM sources AS s"
)
SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE search_index USING fts5("
    "kind UNINDEXED, ref_id UNINDEXED, body, place, tags, notes, "
    "content = 'search_content', content_rowid = 'doc_id', "
    "tokenize = 'unicode61 remove_diacritics 2')"
)
_INDEXED = "EXISTS (SELECT 1 FROM search_index_docsize WHERE id = {rowid})"
# What each kind of document holds, as (columns, SELECT list, FROM + WHERE of its rows).
_DOCUMENTS = {
    "claim": (
        "kind, ref_id, body, place, tags, notes",
        "c.id * 4 + 1, 'claim', c.id, c.text, c.place, "
        + SQLITE_TAGS.format(claim="c.id")
        + ", c.notes",
        "FROM claims AS c WHERE {rows}",
        "c.id * 4 + 1",
    ),
    "evidence": (
        "kind, ref_id, body",
        "e.id * 4 + 2, 'evidence', e.id, e.quote",
        "FROM evidence AS e WHERE {rows} AND e.removed_at IS NULL AND e.quote IS NOT NULL",
        "e.id * 4 + 2",
    ),
    "source": (
        "kind, ref_id, body",
        "s.id * 4 + 3, 'source', s.id, s.name",
        "FROM sources AS s WHERE {rows}",
        "s.id * 4 + 3",
    ),
}


def sqlite_add(kind: str, rows: str) -> str:
    """INSERT the documents of the rows matching `rows` that are not in the index."""
    columns, values, source, rowid = _DOCUMENTS[kind]
    return (
        f"INSERT INTO search_index (rowid, {columns}) SELECT {values} "
        + source.format(rows=rows)
        + " AND NOT "
        + _INDEXED.format(rowid=rowid)
        + ";"
    )


def sqlite_remove(kind: str, rows: str) -> str:
    """Remove the documents of the rows matching `rows` that are in the index, from their
    current values (which are the indexed ones: every change removes first)."""
    columns, values, source, rowid = _DOCUMENTS[kind]
    if kind == "evidence":  # an indexed item is active; what to remove is what is indexed
        source = "FROM evidence AS e WHERE {rows}"
    return (
        f"INSERT INTO search_index (search_index, rowid, {columns}) SELECT 'delete', {values} "
        + source.format(rows=rows)
        + " AND "
        + _INDEXED.format(rowid=rowid)
        + ";"
    )


def _pair(table: str, columns: str, kind: str, rows_old: str, rows_new: str) -> dict[str, str]:
    return {
        f"search_{table}_bu": f"BEFORE UPDATE OF {columns} ON {table} {SQLITE_GUARD} BEGIN "
        + sqlite_remove(kind, rows_old)
        + " END",
        f"search_{table}_au": f"AFTER UPDATE OF {columns} ON {table} {SQLITE_GUARD} BEGIN "
        + sqlite_add(kind, rows_new)
        + " END",
    }


_CLAIMS_OF_TAG = "c.id IN (SELECT claim_id FROM claim_tags WHERE tag_id = {tag})"
SQLITE_TRIGGERS = {
    "search_claims_ai": f"AFTER INSERT ON claims {SQLITE_GUARD} BEGIN "
    + sqlite_add("claim", "c.id = new.id")
    + " END",
    **_pair("claims", "text, place, notes", "claim", "c.id = old.id", "c.id = new.id"),
    "search_claims_bd": f"BEFORE DELETE ON claims {SQLITE_GUARD} BEGIN "
    + sqlite_remove("claim", "c.id = old.id")
    + " END",
    "search_claim_tags_bi": f"BEFORE INSERT ON claim_tags {SQLITE_GUARD} BEGIN "
    + sqlite_remove("claim", "c.id = new.claim_id")
    + " END",
    "search_claim_tags_ai": f"AFTER INSERT ON claim_tags {SQLITE_GUARD} BEGIN "
    + sqlite_add("claim", "c.id = new.claim_id")
    + " END",
    "search_claim_tags_bd": f"BEFORE DELETE ON claim_tags {SQLITE_GUARD} BEGIN "
    + sqlite_remove("claim", "c.id = old.claim_id")
    + " END",
    "search_claim_tags_ad": f"AFTER DELETE ON claim_tags {SQLITE_GUARD} BEGIN "
    + sqlite_add("claim", "c.id = old.claim_id")
    + " END",
    "search_claim_tags_bu": f"BEFORE UPDATE ON claim_tags {SQLITE_GUARD} BEGIN "
    + sqlite_remove("claim", "c.id IN (old.claim_id, new.claim_id)")
    + " END",
    "search_claim_tags_au": f"AFTER UPDATE ON claim_tags {SQLITE_GUARD} BEGIN "
    + sqlite_add("claim", "c.id IN (old.claim_id, new.claim_id)")
    + " END",
    "search_tags_bu": f"BEFORE UPDATE OF name ON tags {SQLITE_GUARD} BEGIN "
    + sqlite_remove("claim", _CLAIMS_OF_TAG.format(tag="old.id"))
    + " END",
    "search_tags_au": f"AFTER UPDATE OF name ON tags {SQLITE_GUARD} BEGIN "
    + sqlite_add("claim", _CLAIMS_OF_TAG.format(tag="new.id"))
    + " END",
    "search_evidence_ai": f"AFTER INSERT ON evidence {SQLITE_GUARD} BEGIN "
    + sqlite_add("evidence", "e.id = new.id")
    + " END",
    **_pair("evidence", "quote, removed_at", "evidence", "e.id = old.id", "e.id = new.id"),
    "search_evidence_bd": f"BEFORE DELETE ON evidence {SQLITE_GUARD} BEGIN "
    + sqlite_remove("evidence", "e.id = old.id")
    + " END",
    "search_sources_ai": f"AFTER INSERT ON sources {SQLITE_GUARD} BEGIN "
    + sqlite_add("source", "s.id = new.id")
    + " END",
    **_pair("sources", "name", "source", "s.id = old.id", "s.id = new.id"),
    "search_sources_bd": f"BEFORE DELETE ON sources {SQLITE_GUARD} BEGIN "
    + sqlite_remove("source", "s.id = old.id")
    + " END",
}


def _sqlite_drop_triggers() -> None:
    names = op.get_bind().exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'search!_%' ESCAPE '!'"
    )
    for (name,) in names.all():
        op.execute(f'DROP TRIGGER "{name}"')


def _sqlite_upgrade() -> None:
    _sqlite_drop_triggers()
    op.execute("DROP TABLE search_index")
    op.execute(SQLITE_VIEW)
    op.execute(SQLITE_TABLE)
    for kind in _DOCUMENTS:
        op.execute(sqlite_add(kind, "1 = 1"))
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def _previous() -> tuple:
    """Migrations 0002 and 0003, for the downgrade to rebuild what they made."""
    modules = []
    for name in ("0002_search", "0003_search_bulk_suspend"):
        path = Path(__file__).with_name(f"{name}.py")
        spec = importlib.util.spec_from_file_location(f"claimtrack_migration_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        modules.append(module)
    return tuple(modules)


def _sqlite_downgrade() -> None:
    m0002, m0003 = _previous()
    _sqlite_drop_triggers()
    op.execute("DROP TABLE search_index")
    op.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "kind UNINDEXED, ref_id UNINDEXED, body, place, tags, notes, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    for name, body in m0002.SQLITE_TRIGGERS.items():
        head, rest = body.split(" BEGIN ", 1)
        op.execute(f"CREATE TRIGGER {name} {head}{m0003.SQLITE_GUARD} BEGIN {rest}")
    op.execute(
        "INSERT INTO search_index (rowid, kind, ref_id, body, place, tags, notes) "
        "SELECT doc_id, kind, ref_id, body, place, tags, notes FROM search_content"
    )
    op.execute("DROP VIEW search_content")


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_vector(value: str, weight: str) -> str:
    return f"setweight(to_tsvector('simple'::regconfig, coalesce(search_fold({value}), '')), '{weight}')"


PG_EVIDENCE_DOCUMENT = _pg_vector("quote", "A")
PG_SOURCE_DOCUMENT = _pg_vector("name", "A")
PG_ACTIVE_EVIDENCE = "removed_at IS NULL AND quote IS NOT NULL"
PG_TAGS = (
    "(SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM claim_tags AS ct "
    "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = {claim})"
)


def pg_claim_document(text: str, place: str, tags: str, notes: str) -> str:
    return " || ".join(
        (
            _pg_vector(text, "A"),
            _pg_vector(place, "B"),
            _pg_vector(tags, "B"),
            _pg_vector(notes, "C"),
        )
    )


PG_CLAIM_ROWS = (
    "INSERT INTO search_claims (ref_id, document) SELECT c.id, "
    + pg_claim_document("c.text", "c.place", PG_TAGS.format(claim="c.id"), "c.notes")
    + " FROM claims AS c"
)
PG_VIEW = (
    "CREATE VIEW search_documents (kind, ref_id, body, place, tags, notes, document) AS "
    "SELECT CAST('claim' AS varchar(10)), c.id, c.text, c.place, "
    + PG_TAGS.format(claim="c.id")
    + ", c.notes, d.document FROM search_claims AS d JOIN claims AS c ON c.id = d.ref_id "
    "UNION ALL SELECT CAST('evidence' AS varchar(10)), e.id, e.quote, NULL, NULL, NULL, "
    + PG_EVIDENCE_DOCUMENT.replace("quote", "e.quote")
    + f" FROM evidence AS e WHERE e.{PG_ACTIVE_EVIDENCE.replace(' quote', ' e.quote')} "
    "UNION ALL SELECT CAST('source' AS varchar(10)), s.id, s.name, NULL, NULL, NULL, "
    + PG_SOURCE_DOCUMENT.replace("name", "s.name")
    + " FROM sources AS s"
)
_PG_CLAIM_SYNC = f"""
    CREATE FUNCTION search_sync_claims() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM search_claims WHERE ref_id = OLD.id;
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {PG_CLAIM_ROWS} WHERE c.id = NEW.id;
        END IF;
        RETURN NULL;
    END $$
"""
_PG_CLAIM_TAGS_SYNC = f"""
    CREATE FUNCTION search_sync_claim_tag_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM search_claims WHERE ref_id IN (OLD.claim_id, NEW.claim_id);
        {PG_CLAIM_ROWS} WHERE c.id IN (OLD.claim_id, NEW.claim_id);
        RETURN NULL;
    END $$
"""
_PG_TAG_SYNC = f"""
    CREATE FUNCTION search_sync_tag_names() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM search_claims
        WHERE ref_id IN (SELECT claim_id FROM claim_tags WHERE tag_id = NEW.id);
        {PG_CLAIM_ROWS} WHERE c.id IN (SELECT claim_id FROM claim_tags WHERE tag_id = NEW.id);
        RETURN NULL;
    END $$
"""
PG_NEW_TRIGGERS = {
    ("search_claims_sync", "claims"): (
        "CREATE TRIGGER search_claims_sync AFTER INSERT OR DELETE OR UPDATE OF text, place, notes "
        f"ON claims FOR EACH ROW {PG_GUARD} EXECUTE FUNCTION search_sync_claims()"
    ),
    ("search_claim_tags_sync", "claim_tags"): (
        "CREATE TRIGGER search_claim_tags_sync AFTER INSERT OR DELETE OR UPDATE ON claim_tags "
        f"FOR EACH ROW {PG_GUARD} EXECUTE FUNCTION search_sync_claim_tag_rows()"
    ),
    ("search_tags_sync", "tags"): (
        "CREATE TRIGGER search_tags_sync AFTER UPDATE OF name ON tags "
        f"FOR EACH ROW {PG_GUARD} EXECUTE FUNCTION search_sync_tag_names()"
    ),
}
PG_NEW_FUNCTIONS = ("search_sync_claims", "search_sync_claim_tag_rows", "search_sync_tag_names")
PG_INDEXES = (
    "CREATE INDEX search_evidence_document ON evidence USING gin "
    f"(({PG_EVIDENCE_DOCUMENT})) WHERE {PG_ACTIVE_EVIDENCE}",
    f"CREATE INDEX search_sources_document ON sources USING gin (({PG_SOURCE_DOCUMENT}))",
)


def _pg_upgrade() -> None:
    m0002, _m0003 = _previous()
    for name, table in m0002.PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in m0002.PG_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP TABLE search_documents")
    op.execute(
        "CREATE TABLE search_claims (ref_id integer NOT NULL, document tsvector NOT NULL, "
        "CONSTRAINT search_claims_pkey PRIMARY KEY (ref_id))"
    )
    op.execute(PG_CLAIM_ROWS)
    op.execute("CREATE INDEX search_claims_document ON search_claims USING gin (document)")
    for statement in PG_INDEXES:
        op.execute(statement)
    for statement in (_PG_CLAIM_SYNC, _PG_CLAIM_TAGS_SYNC, _PG_TAG_SYNC):
        op.execute(statement)
    for statement in PG_NEW_TRIGGERS.values():
        op.execute(statement)
    op.execute(PG_VIEW)


def _pg_downgrade() -> None:
    m0002, m0003 = _previous()
    for name, table in PG_NEW_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in PG_NEW_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP VIEW search_documents")
    op.execute("DROP TABLE search_claims")
    op.execute("DROP INDEX search_evidence_document")
    op.execute("DROP INDEX search_sources_document")
    op.execute(
        """
        CREATE TABLE search_documents (
            kind varchar(10) NOT NULL,
            ref_id integer NOT NULL,
            body text,
            place text,
            tags text,
            notes text,
            document tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('simple', coalesce(search_fold(body), '')), 'A')
                || setweight(to_tsvector('simple', coalesce(search_fold(place), '')), 'B')
                || setweight(to_tsvector('simple', coalesce(search_fold(tags), '')), 'B')
                || setweight(to_tsvector('simple', coalesce(search_fold(notes), '')), 'C')
            ) STORED,
            CONSTRAINT search_documents_pkey PRIMARY KEY (kind, ref_id)
        )
        """
    )
    op.execute("CREATE INDEX search_documents_document ON search_documents USING gin (document)")
    _pg_recreate_0002_functions(m0002)
    for statement in m0002.PG_TRIGGERS.values():
        op.execute(statement.replace(" FOR EACH ROW ", " FOR EACH ROW" + m0003.PG_GUARD + " ", 1))
    tags = PG_TAGS.format(claim="c.id")
    op.execute(
        "INSERT INTO search_documents (kind, ref_id, body, place, tags, notes) "
        f"SELECT 'claim', c.id, c.text, c.place, {tags}, c.notes FROM claims AS c"
    )
    op.execute(
        "INSERT INTO search_documents (kind, ref_id, body) SELECT 'evidence', id, quote "
        f"FROM evidence WHERE {PG_ACTIVE_EVIDENCE}"
    )
    op.execute(
        "INSERT INTO search_documents (kind, ref_id, body) SELECT 'source', id, name FROM sources"
    )


def _pg_recreate_0002_functions(m0002) -> None:
    """Run 0002's CREATE FUNCTION statements for its trigger functions (not search_fold, which
    stays), by replaying its upgrade with every other statement skipped."""
    statements: list[str] = []

    class Recorder:
        @staticmethod
        def execute(statement: str) -> None:
            statements.append(statement)

        @staticmethod
        def get_bind():
            return op.get_bind()

    real_op = m0002.op
    m0002.op = Recorder
    try:
        m0002._pg_upgrade()
    finally:
        m0002.op = real_op
    for statement in statements:
        head = statement.strip()
        if head.startswith("CREATE FUNCTION search_sync_"):
            op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _pg_downgrade()
    else:
        _sqlite_downgrade()
