"""The search index references the rows (migration 0007): no second copy of any text, the same
results and snippets before and after the conversion, and back again on downgrade."""

from __future__ import annotations

from sqlalchemy import text

from claimtrack.db import Database, resolve_url, run_migration

QUERIES = ["crackdown", "raids OR prices", "hyesan*", "ecole", '"rice prices"', "purge -ended"]


def _fill(cli, tmp_path) -> None:
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(
        "claim_key,claim_text,place,source_name,stance,quote,tags\n"
        "halt,The crackdown stopped in Hyesan,Hyesan,Daily NK,supports,raids ended,crackdown;purge\n"
        "halt,The crackdown stopped in Hyesan,Hyesan,Ryanggang informant,supports,,crackdown\n"
        "rice,Rice prices rose at the École market,,Daily NK,contradicts,rice prices fell,\n",
        encoding="utf-8",
    )
    cli.ok("import", str(sheet))
    cli.ok("claim", "edit", "rice", "--notes", "crackdown on traders", "--tag", "market")


def _fill_by_hand(cli) -> None:
    """The same records as `_fill`, entered by hand: an import's event (migration 0012) rightly
    refuses a downgrade below 0012, and this test goes down to 0006 and back."""
    cli.ok("source", "add", "Daily NK", "--key", "daily-nk", "--kind", "outlet")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryanggang-informant")
    cli.ok(
        "claim",
        "add",
        "The crackdown stopped in Hyesan",
        "--key",
        "halt",
        "--place",
        "Hyesan",
        "--tag",
        "crackdown",
        "--tag",
        "purge",
    )
    cli.ok(
        "evidence", "add", "halt", "--source", "daily-nk", "--supports", "--quote", "raids ended"
    )
    cli.ok("evidence", "add", "halt", "--source", "ryanggang-informant", "--supports")
    cli.ok("claim", "add", "Rice prices rose at the École market", "--key", "rice")
    cli.ok(
        "evidence",
        "add",
        "rice",
        "--source",
        "daily-nk",
        "--contradicts",
        "--quote",
        "rice prices fell",
    )
    cli.ok("claim", "edit", "rice", "--notes", "crackdown on traders", "--tag", "market")


def _results(cli) -> list:
    return [cli.ok("search", query, "--json").json() for query in QUERIES]


def _stored_objects(url: str) -> set[str]:
    database = Database(resolve_url(url))
    with database.engine.connect() as conn:
        if database.dialect == "postgresql":
            rows = conn.execute(
                text(
                    "SELECT c.relname || ':' || c.relkind::text FROM pg_class AS c "
                    "WHERE c.relname LIKE 'search%' "
                    "AND c.relnamespace = current_schema()::regnamespace"
                )
            )
        else:
            rows = conn.execute(
                text("SELECT name || ':' || type FROM sqlite_master WHERE name LIKE 'search%'")
            )
        names = {row[0] for row in rows}
    database.dispose()
    return names


def test_the_index_holds_no_copy_of_the_text(cli, db_url, tmp_path):
    _fill(cli, tmp_path)
    stored = _stored_objects(db_url)
    if db_url.startswith("postgresql"):
        assert "search_documents:v" in stored  # a view over the rows, not a table
        assert "search_evidence_document:i" in stored
        assert "search_sources_document:i" in stored
        assert "search_claims:r" in stored
    else:
        assert "search_content:view" in stored
        assert "search_index_content:table" not in stored
    assert any(r["snippet"] for r in _results(cli)[0])


def test_conversion_keeps_results_and_snippets_both_ways(cli, db_url):
    _fill_by_hand(cli)
    before = _results(cli)
    assert all(before), "every query finds something"
    database = Database(resolve_url(db_url))
    run_migration(database, "downgrade", "0006")
    stored = _stored_objects(db_url)
    if db_url.startswith("postgresql"):
        assert "search_documents:r" in stored and "search_claims:r" not in stored
    else:
        assert "search_index_content:table" in stored and "search_content:view" not in stored
    run_migration(database, "upgrade", "head")
    database.dispose()
    assert _results(cli) == before
    # Writes after the round trip keep the index exact.
    cli.ok("claim", "edit", "halt", "--text", "The purge ended in Hyesan", "--remove-tag", "purge")
    cli.ok("claim", "merge", "rice", "halt", "--yes")
    from test_search_sync import assert_in_sync

    assert_in_sync(db_url)
