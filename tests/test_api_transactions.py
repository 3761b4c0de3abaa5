"""The Python API's transaction semantics: an import refused inside a script's own write
session leaves nothing behind, even when the script catches the error and commits the rest;
`db check` reports search indexing left suspended."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from claimtrack.db import Database, resolve_url
from claimtrack.models import Claim, HistoryEvent
from claimtrack.services.claims import add_claim
from claimtrack.transfer import import_files, import_records
from claimtrack.transfer.imports import ImportRefused


def _counts(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Claim)),
            session.scalar(select(func.count()).select_from(HistoryEvent)),
        )


@pytest.mark.parametrize("how", ["records", "file"])
def test_a_caught_refused_import_leaves_nothing_and_the_session_goes_on(db_url, tmp_path, how):
    database = Database(resolve_url(db_url))
    bad = [
        {"type": "claim", "key": "good", "text": "A good claim"},
        # Found bad only in the second pass, after the claims were written and search
        # indexing suspended.
        {"type": "evidence", "claim": "no-such-claim", "source": "s", "stance": "supports"},
        {"type": "source", "key": "s", "name": "S"},
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(__import__("json").dumps(r) for r in bad) + "\n")
    with database.session(write=True, actor="script") as session:
        add_claim(session, text="Before the import", key="before")
        with pytest.raises(ImportRefused):
            if how == "records":
                import_records(session, bad)
            else:
                import_files(session, files=[str(path)])
        add_claim(session, text="After the import", key="after")
    with database.session() as session:
        keys = sorted(session.scalars(select(Claim.key)))
    assert keys == ["after", "before"]
    if database.dialect == "sqlite":
        with database.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM search_suspended")).scalar() == 0
    from claimtrack.services.search import search

    with database.session() as session:
        assert [r["key"] for r in search(session, "After")] == ["after"]
    database.dispose()


def test_db_check_reports_suspended_search(cli, db_url, engine_name):
    if engine_name != "sqlite":
        pytest.skip("on PostgreSQL suspension cannot outlive its transaction")
    database = Database(resolve_url(db_url))
    with database.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO search_suspended (id) VALUES (1)")
    database.dispose()
    run = cli("db", "check")
    assert run.exit_code == 1
    assert "search indexing is suspended" in run.stdout + run.stderr
