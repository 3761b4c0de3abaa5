"""full-text search: one index over claims, evidence quotes, source names and tags

The index is kept current by database triggers, not by application code, so every way of
writing (the services, the bulk importer's Core inserts, a hand-written UPDATE) updates it in
the same transaction. The upgrade fills it from the rows already there; the downgrade removes
every object it created. All of them are named search* (db check ignores those tables).

SQLite: one FTS5 table, `search_index`, tokenizer unicode61 with diacritics removed (case is
folded by the tokenizer). Its rowid encodes the document: claim id*4+1, evidence id*4+2,
source id*4+3.

PostgreSQL: a table `search_documents` (kind, ref_id, the text columns, and a generated,
weighted tsvector) with a GIN index. Diacritics and case are folded by `search_fold()`, a plain
SQL function (translate + lower) rather than the unaccent extension, which needs a contrib
package and CREATE privilege that a shared server may not grant. Queries fold with the same
function, so index and query always agree.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

# ruff: noqa: S608 -- the DDL below is assembled from constants in this file, never from input.
from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# --- SQLite ---------------------------------------------------------------------------------

_SQLITE_TAGS = (
    "(SELECT group_concat(t.name, ' ') FROM claim_tags AS ct JOIN tags AS t ON t.id = ct.tag_id"
    " WHERE ct.claim_id = {claim})"
)

_SQLITE_CLAIM_ROW = (
    "INSERT INTO search_index (rowid, kind, ref_id, body, place, tags, notes) "
    "VALUES (new.id * 4 + 1, 'claim', new.id, new.text, new.place, "
    + _SQLITE_TAGS.format(claim="new.id")
    + ", new.notes);"
)
_SQLITE_EVIDENCE_ROW = (
    "INSERT INTO search_index (rowid, kind, ref_id, body) "
    "SELECT new.id * 4 + 2, 'evidence', new.id, new.quote "
    "WHERE new.removed_at IS NULL AND new.quote IS NOT NULL;"
)
_SQLITE_SOURCE_ROW = (
    "INSERT INTO search_index (rowid, kind, ref_id, body) "
    "VALUES (new.id * 4 + 3, 'source', new.id, new.name);"
)
_SQLITE_RETAG = (
    "UPDATE search_index SET tags = "
    + _SQLITE_TAGS.format(claim="{row}.claim_id")
    + " WHERE rowid = {row}.claim_id * 4 + 1;"
)

SQLITE_TRIGGERS = {
    "search_claims_ai": "AFTER INSERT ON claims BEGIN " + _SQLITE_CLAIM_ROW + " END",
    "search_claims_au": (
        "AFTER UPDATE OF text, place, notes ON claims BEGIN "
        "DELETE FROM search_index WHERE rowid = old.id * 4 + 1; " + _SQLITE_CLAIM_ROW + " END"
    ),
    "search_claims_ad": (
        "AFTER DELETE ON claims BEGIN DELETE FROM search_index WHERE rowid = old.id * 4 + 1; END"
    ),
    "search_claim_tags_ai": (
        "AFTER INSERT ON claim_tags BEGIN " + _SQLITE_RETAG.format(row="new") + " END"
    ),
    "search_claim_tags_ad": (
        "AFTER DELETE ON claim_tags BEGIN " + _SQLITE_RETAG.format(row="old") + " END"
    ),
    "search_claim_tags_au": (
        "AFTER UPDATE ON claim_tags BEGIN "
        + _SQLITE_RETAG.format(row="old")
        + " "
        + _SQLITE_RETAG.format(row="new")
        + " END"
    ),
    "search_tags_au": (
        "AFTER UPDATE OF name ON tags BEGIN "
        "UPDATE search_index SET tags = "
        + _SQLITE_TAGS.format(claim="search_index.ref_id")
        + " WHERE rowid IN (SELECT claim_id * 4 + 1 FROM claim_tags WHERE tag_id = new.id); END"
    ),
    "search_evidence_ai": "AFTER INSERT ON evidence BEGIN " + _SQLITE_EVIDENCE_ROW + " END",
    "search_evidence_au": (
        "AFTER UPDATE OF quote, removed_at ON evidence BEGIN "
        "DELETE FROM search_index WHERE rowid = old.id * 4 + 2; " + _SQLITE_EVIDENCE_ROW + " END"
    ),
    "search_evidence_ad": (
        "AFTER DELETE ON evidence BEGIN DELETE FROM search_index WHERE rowid = old.id * 4 + 2; END"
    ),
    "search_sources_ai": "AFTER INSERT ON sources BEGIN " + _SQLITE_SOURCE_ROW + " END",
    "search_sources_au": (
        "AFTER UPDATE OF name ON sources BEGIN "
        "DELETE FROM search_index WHERE rowid = old.id * 4 + 3; " + _SQLITE_SOURCE_ROW + " END"
    ),
    "search_sources_ad": (
        "AFTER DELETE ON sources BEGIN DELETE FROM search_index WHERE rowid = old.id * 4 + 3; END"
    ),
}


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE search_index USING fts5("
        "kind UNINDEXED, ref_id UNINDEXED, body, place, tags, notes, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    for name, body in SQLITE_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    op.execute(
        "INSERT INTO search_index (rowid, kind, ref_id, body, place, tags, notes) "
        "SELECT c.id * 4 + 1, 'claim', c.id, c.text, c.place, "
        + _SQLITE_TAGS.format(claim="c.id")
        + ", c.notes FROM claims AS c"
    )
    op.execute(
        "INSERT INTO search_index (rowid, kind, ref_id, body) "
        "SELECT id * 4 + 2, 'evidence', id, quote FROM evidence "
        "WHERE removed_at IS NULL AND quote IS NOT NULL"
    )
    op.execute(
        "INSERT INTO search_index (rowid, kind, ref_id, body) "
        "SELECT id * 4 + 3, 'source', id, name FROM sources"
    )


def _sqlite_downgrade() -> None:
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS search_index")


# --- PostgreSQL -----------------------------------------------------------------------------

# Letters outside Unicode decomposition that readers still expect to fold (as unaccent does).
_EXTRA_FOLDS = {
    "ø": "o",
    "Ø": "O",
    "đ": "d",
    "Đ": "D",
    "ł": "l",
    "Ł": "L",
    "ħ": "h",
    "Ħ": "H",
    "ı": "i",
    "ŧ": "t",
    "Ŧ": "T",
}


def _fold_table() -> tuple[str, str]:
    """(from, to) for translate(): each Latin letter with diacritics → its base letter.

    Computed once, here, and frozen into the function the migration creates."""
    source, target = [], []
    ranges = [(0x00C0, 0x024F), (0x1E00, 0x1EFF)]
    for start, end in ranges:
        for code in range(start, end + 1):
            char = chr(code)
            base = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            if len(base) == 1 and base != char and base.isascii():
                source.append(char)
                target.append(base)
    for char, base in _EXTRA_FOLDS.items():
        if char not in source:
            source.append(char)
            target.append(base)
    return "".join(source), "".join(target)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _pg_upgrade() -> None:
    folded_from, folded_to = _fold_table()
    op.execute(
        "CREATE FUNCTION search_fold(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURNS NULL ON NULL INPUT AS $$ "
        f"SELECT lower(translate(value, {_quote(folded_from)}, {_quote(folded_to)})) $$"
    )
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
    tags = (
        "(SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM claim_tags AS ct "
        "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = {claim})"
    )
    op.execute(
        f"""
        CREATE FUNCTION search_sync_claim() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM search_documents WHERE kind = 'claim' AND ref_id = OLD.id;
                RETURN NULL;
            END IF;
            INSERT INTO search_documents (kind, ref_id, body, place, tags, notes)
            VALUES ('claim', NEW.id, NEW.text, NEW.place, {tags.format(claim="NEW.id")},
                    NEW.notes)
            ON CONFLICT (kind, ref_id) DO UPDATE
            SET body = EXCLUDED.body, place = EXCLUDED.place, tags = EXCLUDED.tags,
                notes = EXCLUDED.notes;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION search_sync_claim_tags() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                UPDATE search_documents SET tags = {tags.format(claim="OLD.claim_id")}
                WHERE kind = 'claim' AND ref_id = OLD.claim_id;
            END IF;
            IF TG_OP <> 'DELETE' THEN
                UPDATE search_documents SET tags = {tags.format(claim="NEW.claim_id")}
                WHERE kind = 'claim' AND ref_id = NEW.claim_id;
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        f"""
        CREATE FUNCTION search_sync_tag() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE search_documents AS d SET tags = {tags.format(claim="d.ref_id")}
            WHERE d.kind = 'claim'
              AND d.ref_id IN (SELECT claim_id FROM claim_tags WHERE tag_id = NEW.id);
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION search_sync_evidence() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'INSERT' THEN
                DELETE FROM search_documents WHERE kind = 'evidence' AND ref_id = OLD.id;
            END IF;
            IF TG_OP <> 'DELETE' AND NEW.removed_at IS NULL AND NEW.quote IS NOT NULL THEN
                INSERT INTO search_documents (kind, ref_id, body)
                VALUES ('evidence', NEW.id, NEW.quote);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        """
        CREATE FUNCTION search_sync_source() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'DELETE' THEN
                DELETE FROM search_documents WHERE kind = 'source' AND ref_id = OLD.id;
                RETURN NULL;
            END IF;
            INSERT INTO search_documents (kind, ref_id, body) VALUES ('source', NEW.id, NEW.name)
            ON CONFLICT (kind, ref_id) DO UPDATE SET body = EXCLUDED.body;
            RETURN NULL;
        END $$
        """
    )
    for statement in PG_TRIGGERS.values():
        op.execute(statement)
    op.execute(
        "INSERT INTO search_documents (kind, ref_id, body, place, tags, notes) "
        "SELECT 'claim', c.id, c.text, c.place, "
        + tags.format(claim="c.id")
        + ", c.notes FROM claims AS c"
    )
    op.execute(
        "INSERT INTO search_documents (kind, ref_id, body) "
        "SELECT 'evidence', id, quote FROM evidence WHERE removed_at IS NULL AND quote IS NOT NULL"
    )
    op.execute(
        "INSERT INTO search_documents (kind, ref_id, body) SELECT 'source', id, name FROM sources"
    )


PG_TRIGGERS = {
    ("search_claims_sync", "claims"): (
        "CREATE TRIGGER search_claims_sync AFTER INSERT OR DELETE OR UPDATE OF text, place, notes "
        "ON claims FOR EACH ROW EXECUTE FUNCTION search_sync_claim()"
    ),
    ("search_claim_tags_sync", "claim_tags"): (
        "CREATE TRIGGER search_claim_tags_sync AFTER INSERT OR DELETE OR UPDATE ON claim_tags "
        "FOR EACH ROW EXECUTE FUNCTION search_sync_claim_tags()"
    ),
    ("search_tags_sync", "tags"): (
        "CREATE TRIGGER search_tags_sync AFTER UPDATE OF name ON tags "
        "FOR EACH ROW EXECUTE FUNCTION search_sync_tag()"
    ),
    ("search_evidence_sync", "evidence"): (
        "CREATE TRIGGER search_evidence_sync AFTER INSERT OR DELETE OR UPDATE OF quote, "
        "removed_at ON evidence FOR EACH ROW EXECUTE FUNCTION search_sync_evidence()"
    ),
    ("search_sources_sync", "sources"): (
        "CREATE TRIGGER search_sources_sync AFTER INSERT OR DELETE OR UPDATE OF name "
        "ON sources FOR EACH ROW EXECUTE FUNCTION search_sync_source()"
    ),
}
PG_FUNCTIONS = (
    "search_sync_claim",
    "search_sync_claim_tags",
    "search_sync_tag",
    "search_sync_evidence",
    "search_sync_source",
)


def _pg_downgrade() -> None:
    for name, table in PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    for name in PG_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP TABLE IF EXISTS search_documents")
    op.execute("DROP FUNCTION IF EXISTS search_fold(text)")


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
