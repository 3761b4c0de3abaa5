"""The search index follows every write, through database triggers: commands, Core bulk
inserts, merges, removals, and a database upgraded from before the search migration."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, text

from claimtrack.db import Database, resolve_url, run_migration
from claimtrack.models import Claim, ClaimTag, Evidence, Source, Tag


def _index(url: str) -> set[tuple]:
    """(kind, ref_id, body, place, tags, notes) of every indexed document."""
    database = Database(resolve_url(url))
    table = "search_documents" if database.dialect == "postgresql" else "search_index"
    with database.engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT kind, ref_id, body, place, tags, notes FROM {table}")
        ).all()
    database.dispose()
    return {tuple(row) for row in rows}


def _expected(url: str) -> set[tuple]:
    """What the index must hold, computed from the tables themselves."""
    database = Database(resolve_url(url))
    with database.engine.connect() as conn:
        tags: dict[int, list[str]] = {}
        for claim_id, name in conn.execute(
            text("SELECT ct.claim_id, t.name FROM claim_tags ct JOIN tags t ON t.id = ct.tag_id")
        ):
            tags.setdefault(claim_id, []).append(name)
        rows = {
            ("claim", i, body, place, " ".join(sorted(tags[i])) if i in tags else None, notes)
            for i, body, place, notes in conn.execute(
                text("SELECT id, text, place, notes FROM claims")
            )
        }
        rows |= {
            ("evidence", i, quote, None, None, None)
            for i, quote in conn.execute(
                text(
                    "SELECT id, quote FROM evidence WHERE removed_at IS NULL AND quote IS NOT NULL"
                )
            )
        }
        rows |= {
            ("source", i, name, None, None, None)
            for i, name in conn.execute(text("SELECT id, name FROM sources"))
        }
    database.dispose()
    return rows


def _normalise(rows: set[tuple]) -> set[tuple]:
    # SQLite's group_concat does not promise an order: compare tags as sets.
    return {
        (kind, int(ref), body, place, frozenset(tags.split()) if tags else None, notes)
        for kind, ref, body, place, tags, notes in rows
    }


def _index_matches_rows(url: str) -> bool:
    """Whether the stored index is exactly what the rows make. SQLite: FTS5's integrity check
    against its content (the index holds no text, so reading it shows the rows themselves);
    PostgreSQL: each stored claim tsvector against one computed afresh (evidence and sources
    are indexed by expression, which the server keeps)."""
    database = Database(resolve_url(url))
    try:
        with database.engine.connect() as conn:
            if database.dialect == "postgresql":
                stale = conn.execute(
                    text(
                        "SELECT count(*) FROM claims AS c FULL JOIN search_claims AS d "
                        "ON d.ref_id = c.id WHERE c.id IS NULL OR d.ref_id IS NULL "
                        "OR d.document::text <> ("
                        "setweight(to_tsvector('simple', coalesce(search_fold(c.text), '')), 'A')"
                        " || setweight(to_tsvector('simple', coalesce(search_fold(c.place), ''))"
                        ", 'B') || setweight(to_tsvector('simple', coalesce(search_fold(("
                        "SELECT string_agg(t.name, ' ' ORDER BY t.name) FROM claim_tags AS ct "
                        "JOIN tags AS t ON t.id = ct.tag_id WHERE ct.claim_id = c.id)), '')), "
                        "'B') || setweight(to_tsvector('simple', coalesce(search_fold(c.notes)"
                        ", '')), 'C'))::text"
                    )
                ).scalar()
                return stale == 0
            try:
                conn.exec_driver_sql(
                    "INSERT INTO search_index (search_index, rank) VALUES ('integrity-check', 1)"
                )
            except Exception:
                return False
            return True
    finally:
        database.dispose()


def assert_in_sync(url: str) -> None:
    assert _normalise(_index(url)) == _normalise(_expected(url))
    assert _index_matches_rows(url)


def _keys(cli, query: str, *args: str) -> set[str]:
    return {f"{r['type']}:{r['key']}" for r in cli.ok("search", query, "--json", *args).json()}


def test_commands_keep_the_index_in_sync(cli, db_url):
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("claim", "add", "The crackdown stopped.", "--key", "halt", "--tag", "crackdown")
    cli.ok("evidence", "add", "halt", "--source", "dnk", "--supports", "--quote", "it stopped")
    assert_in_sync(db_url)
    assert _keys(cli, "crackdown") == {"claim:halt"}

    cli.ok(
        "claim",
        "edit",
        "halt",
        "--text",
        "The purge ended.",
        "--notes",
        "via zebra",
        "--place",
        "Hyesan",
        "--tag",
        "purge",
        "--remove-tag",
        "crackdown",
    )
    assert_in_sync(db_url)
    assert _keys(cli, "crackdown") == set()
    assert _keys(cli, "purge") == {"claim:halt"}
    assert _keys(cli, "zebra") == _keys(cli, "hyesan") == {"claim:halt"}

    cli.ok("source", "edit", "dnk", "--name", "Daily North Korea")
    assert _keys(cli, "north") == {"source:dnk"}
    assert _keys(cli, "nk") == set()

    cli.ok("evidence", "remove", "1", "--reason", "wrong claim")
    assert _keys(cli, "stopped") == set()
    assert_in_sync(db_url)


def test_direct_and_bulk_writes_keep_the_index_in_sync(database, db_url):
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    with database.connect(write=True) as conn:
        conn.execute(
            insert(Source.__table__),
            [
                {
                    "id": 1,
                    "key": "s1",
                    "name": "Wire one",
                    "kind": "outlet",
                    "reliability": "F",
                    "origin_id": None,
                    **stamps,
                }
            ],
        )
        conn.execute(
            insert(Claim.__table__),
            [
                {"id": i, "key": f"c{i}", "text": f"bulk claim number{i}", **stamps}
                for i in range(1, 201)
            ],
        )
        conn.execute(insert(Tag.__table__), [{"id": 1, "name": "bulk"}])
        conn.execute(insert(ClaimTag.__table__), [{"claim_id": i, "tag_id": 1} for i in (1, 2)])
        conn.execute(
            insert(Evidence.__table__),
            [
                {
                    "claim_id": i,
                    "source_id": 1,
                    "stance": "supports",
                    "credibility": 6,
                    "quote": f"quote{i}",
                    **stamps,
                }
                for i in range(1, 11)
            ],
        )
    assert_in_sync(db_url)
    with database.connect(write=True) as conn:
        conn.execute(text("UPDATE tags SET name = 'renamed' WHERE id = 1"))
        conn.execute(text("UPDATE evidence SET quote = NULL WHERE id = 1"))
        conn.execute(text("UPDATE evidence SET removed_at = :now WHERE id = 2"), {"now": now})
        conn.execute(text("DELETE FROM claim_tags WHERE claim_id = 2"))
        conn.execute(text("UPDATE claim_tags SET claim_id = 3 WHERE claim_id = 1"))
        conn.execute(text("DELETE FROM evidence WHERE id = 3"))
        conn.execute(text("DELETE FROM claims WHERE id = 200"))
        conn.execute(text("DELETE FROM history"))
    assert_in_sync(db_url)
    with database.session() as session:
        from claimtrack.services.search import search

        assert [r["key"] for r in search(session, "renamed")] == ["c3"]
        assert [r["key"] for r in search(session, "number150")] == ["c150"]
        assert search(session, "number200") == []


def test_failed_write_leaves_the_index_unchanged(cli, db_url):
    cli.ok("claim", "add", "The crackdown stopped.", "--key", "halt")
    before = _index(db_url)
    run = cli("claim", "add", "Another crackdown claim", "--key", "halt")
    assert run.exit_code == 1
    run = cli("claim", "add", "A third crackdown claim", "--source", "missing")
    assert run.exit_code == 1
    assert _index(db_url) == before


def test_upgrade_from_0001_indexes_existing_rows_and_downgrade_removes_everything(
    blank_db_url,
):
    database = Database(resolve_url(blank_db_url), create=True)
    run_migration(database, "upgrade", "0001")
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    with database.connect(write=True) as conn:
        conn.execute(
            insert(Source.__table__),
            [
                {
                    "id": 1,
                    "key": "dnk",
                    "name": "Daily NK",
                    "kind": "outlet",
                    "reliability": "C",
                    "origin_id": None,
                    **stamps,
                }
            ],
        )
        conn.execute(
            insert(Claim.__table__),
            [
                {
                    "id": 1,
                    "key": "halt",
                    "text": "The crackdown stopped in 량강도.",
                    "notes": "École",
                    **stamps,
                },
                {"id": 2, "key": "other", "text": "Something else", "notes": None, **stamps},
            ],
        )
        conn.execute(insert(Tag.__table__), [{"id": 1, "name": "purge"}])
        conn.execute(insert(ClaimTag.__table__), [{"claim_id": 2, "tag_id": 1}])
        conn.execute(
            insert(Evidence.__table__),
            [
                {
                    "claim_id": 1,
                    "source_id": 1,
                    "stance": "supports",
                    "credibility": 2,
                    "quote": "they have stopped",
                    "removed_at": None,
                    **stamps,
                },
                {
                    "claim_id": 1,
                    "source_id": 1,
                    "stance": "supports",
                    "credibility": 2,
                    "quote": "removed zebra",
                    "removed_at": now,
                    **stamps,
                },
            ],
        )
    run_migration(database, "upgrade", "head")
    assert_in_sync(blank_db_url)
    with database.session() as session:
        from claimtrack.services.search import search

        assert [(r["type"], r["key"]) for r in search(session, "ecole 량강도")] == [
            ("claim", "halt")
        ]
        assert [r["key"] for r in search(session, "purge")] == ["other"]
        assert [r["key"] for r in search(session, "stopped", kinds=["evidence"])] == ["1"]
        assert search(session, "zebra") == []
        assert [r["key"] for r in search(session, "daily")] == ["dnk"]

    run_migration(database, "downgrade", "0001")
    with database.engine.connect() as conn:
        if database.dialect == "postgresql":
            left = conn.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relname LIKE 'search%' "
                    "UNION ALL SELECT proname FROM pg_proc WHERE proname LIKE 'search%' "
                    "UNION ALL SELECT tgname FROM pg_trigger WHERE tgname LIKE 'search%'"
                )
            ).all()
        else:
            left = conn.execute(
                text("SELECT name FROM sqlite_master WHERE name LIKE 'search%'")
            ).all()
        conn.execute(text("INSERT INTO tags (id, name) VALUES (5, 'after-downgrade')"))
        conn.commit()
    assert left == []
    run_migration(database, "upgrade", "head")
    assert_in_sync(blank_db_url)
    database.dispose()


def test_import_keeps_the_index_in_sync(cli, db_url, tmp_path):
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,source_name,stance,quote,tags\n"
        "halt,The crackdown stopped in Hyesan,Daily NK,supports,raids ended,crackdown;purge\n"
        "halt,The crackdown stopped in Hyesan,Ryanggang informant,supports,,crackdown\n"
        "rice,Rice prices rose,Daily NK,contradicts,prices fell,\n",
        encoding="utf-8",
    )
    cli.ok("import", str(sheet))
    assert_in_sync(db_url)
    assert _keys(cli, "purge") == {"claim:halt"}
    assert _keys(cli, "informant") == {"source:ryanggang-informant"}
    assert _keys(cli, "raids OR fell", "--type", "evidence") == {"evidence:1", "evidence:3"}
    cli.ok("claim", "merge", "halt", "rice", "--yes")
    assert_in_sync(db_url)


def test_reimport_with_changes_reindexes_only_through_the_import_transaction(cli, db_url, tmp_path):
    """The importer suspends the triggers and re-indexes what it touched before committing."""
    first = tmp_path / "first.jsonl"
    first.write_text(
        '{"type": "source", "key": "dnk", "name": "Daily NK"}\n'
        '{"type": "claim", "key": "halt", "text": "The crackdown stopped", "tags": ["purge"]}\n'
        '{"type": "evidence", "key": "e1", "claim": "halt", "source": "dnk", "stance": "supports", "quote": "raids ended"}\n',
        encoding="utf-8",
    )
    cli.ok("import", str(first))
    assert_in_sync(db_url)
    changed = tmp_path / "changed.jsonl"
    changed.write_text(
        '{"type": "source", "key": "dnk", "name": "Daily NK English edition"}\n'
        '{"type": "claim", "key": "halt", "text": "The purge was halted", "tags": ["amnesty"]}\n'
        '{"type": "evidence", "key": "e1", "claim": "halt", "source": "dnk", "stance": "supports", "quote": "arrests ceased"}\n',
        encoding="utf-8",
    )
    cli.ok("import", str(changed))
    assert_in_sync(db_url)
    assert _keys(cli, "amnesty") == {"claim:halt"}
    assert _keys(cli, "ceased") == {"evidence:e1"} or _keys(cli, "ceased") == {"evidence:1"}
    assert _keys(cli, "raids") == set()
    # Later ordinary writes are indexed by the triggers again.
    cli.ok("source", "add", "Asia Press", "--key", "asiapress")
    assert _keys(cli, "asia") == {"source:asiapress"}
    assert_in_sync(db_url)
    if not db_url.startswith("postgresql"):
        database = Database(resolve_url(db_url))
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM search_suspended")).scalar() == 0
        database.dispose()


def _big_sheet(path, claims: int) -> None:
    lines = ["claim_key,claim_text,source_name,stance,quote,tags"]
    for number in range(claims):
        lines.append(
            f"k{number},Claim {number} about rice,Source {number % 7},supports,"
            f"police raid {number},crackdown;t{number % 3}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_readers_never_wait_for_an_import_on_postgresql(cli, db_url, tmp_path, monkeypatch):
    """Just before an import commits (every row written, indexed and its tables analyzed),
    another session reads and searches what was committed before it, without waiting: the
    import holds no lock a reader queues behind (DROP INDEX or ALTER TABLE would)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's locks")
    import psycopg

    from claimtrack.services import search_index

    cli.ok("claim", "add", "Police raided the market", "--key", "before")
    sheet = tmp_path / "sheet.csv"
    _big_sheet(sheet, 300)
    seen: dict[str, object] = {}
    resume = search_index.resume

    def read_then_resume(conn) -> None:
        importer = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        dsn = db_url.replace("postgresql+psycopg://", "postgresql://", 1)
        with psycopg.connect(dsn, autocommit=True) as reader:
            reader.execute("SET lock_timeout = '2s'")
            seen["claims"] = reader.execute("SELECT count(*) FROM claims").fetchone()[0]
            seen["found"] = reader.execute(
                "SELECT kind, ref_id FROM search_documents "
                "WHERE document @@ to_tsquery('simple', 'police')"
            ).fetchall()
            seen["exclusive"] = reader.execute(
                "SELECT c.relname FROM pg_locks AS l JOIN pg_class AS c ON c.oid = l.relation "
                "WHERE l.pid = %s AND l.mode = 'AccessExclusiveLock' "
                "AND c.relpersistence <> 't'",
                (importer,),
            ).fetchall()
        resume(conn)

    monkeypatch.setattr(search_index, "resume", read_then_resume)
    cli.ok("import", str(sheet))
    assert seen == {"claims": 1, "found": [("claim", 1)], "exclusive": []}
    assert len(_keys(cli, "police", "--type", "evidence", "--limit", "1000")) == 300


def test_an_import_that_grows_a_table_leaves_its_statistics_current(cli, db_url, tmp_path):
    """The planner knows the new sizes when the import commits (autovacuum may be off or late);
    the tsvector statistics of the expression indexes are left to autovacuum."""
    if not db_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's planner statistics")
    sheet = tmp_path / "sheet.csv"
    _big_sheet(sheet, 300)
    cli.ok("import", str(sheet))
    database = Database(resolve_url(db_url))
    with database.engine.connect() as conn:
        sizes = dict(
            conn.exec_driver_sql(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN "
                "('claims', 'evidence', 'sources', 'claim_tags', 'search_claims')"
            ).all()
        )
        analyzed = {
            (table, column)
            for table, column in conn.exec_driver_sql(
                "SELECT tablename, attname FROM pg_stats WHERE tablename IN "
                "('evidence', 'search_evidence_document')"
            ).all()
        }
    database.dispose()
    # Seven sources: fewer than autovacuum's 50 rows, so not worth an ANALYZE of their own.
    assert sizes == {
        "claims": 300,
        "evidence": 300,
        "sources": -1,
        "claim_tags": 600,
        "search_claims": 300,
    }
    assert ("evidence", "claim_id") in analyzed
    assert not any(table == "search_evidence_document" for table, _ in analyzed)
