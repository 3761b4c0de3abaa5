"""`search` does the work of the results it shows, not of every match: a kind (claims, evidence,
sources) with more matches than the window is ranked among its first matches (lowest ids)
only, and a kind with fewer is ranked whole, exactly as before. The work is counted inside the
database engine, in process: SQLite's virtual-machine steps (every row the index hands over
costs some), PostgreSQL's rows read from the tables in this transaction
(pg_stat_xact_user_tables). Ranking every match makes both grow with the matches."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text
from test_query_count import T0

from claimtrack.models import Claim, Evidence, Source
from claimtrack.services import search as search_service

WINDOW = 20


@pytest.fixture
def small_window(monkeypatch):
    monkeypatch.setattr(search_service, "WINDOW_MIN", WINDOW)
    monkeypatch.setattr(search_service, "WINDOW_PER_RESULT", 1)


def _add(database, first: int, count: int, strong: dict[int, int] | None = None) -> None:
    """Claims first..first+count-1 about the crackdown (`strong`: {id: how many times they say
    "crackdown purge"}), each with one evidence item quoting it."""
    strong = strong or {}
    ids = range(first, first + count)
    with database.session(write=True, actor="test") as session:
        if first == 1:
            session.execute(
                insert(Source),
                [{"id": 1, "key": "s1", "name": "Daily NK", "reliability": "C", "origin_id": None,
                  "created_at": T0, "updated_at": T0}],
            )  # fmt: skip
        session.execute(
            insert(Claim),
            [
                {"id": n, "key": f"c{n:05d}", "created_at": T0, "updated_at": T0,
                 "text": " ".join(["Crackdown purge"] * strong[n]) if n in strong
                 else f"Report {n} on the crackdown in Hyesan."}
                for n in ids
            ],
        )  # fmt: skip
        session.execute(
            insert(Evidence),
            [
                {"id": n, "claim_id": n, "source_id": 1, "stance": "supports", "credibility": 3,
                 "quote": f"the crackdown went on, item {n}", "created_at": T0, "updated_at": T0}
                for n in ids
            ],
        )  # fmt: skip


def _search(database, query: str, **filters) -> tuple[list[tuple[str, str]], int]:
    """The results (type, key) and the work the engine did for them."""
    with database.session() as session:
        if database.dialect == "postgresql":
            # The plans of a large database: a table of a few hundred rows is read whole.
            session.execute(text("SET LOCAL enable_seqscan = off"))
            read = text(
                "SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0) "
                "FROM pg_stat_xact_user_tables"
            )
            before = session.scalar(read)
            results = search_service.search(session, query, **filters)
            work = int(session.scalar(read) - before)
        else:
            steps = [0]

            def step() -> int:
                steps[0] += 1
                return 0

            raw = session.connection().connection.dbapi_connection
            raw.set_progress_handler(step, 10)
            try:
                results = search_service.search(session, query, **filters)
            finally:
                raw.set_progress_handler(None, 10)
            work = steps[0]
    return [(r["type"], r["key"]) for r in results], work


def test_a_common_word_is_ranked_in_a_window_whatever_the_number_of_matches(database, small_window):
    # (A claim filter, --tag, --source or --since, still reads every claim it keeps.)
    filters = [{}, {"kinds": ["claim"]}, {"kinds": ["evidence", "source"]}]
    _add(database, 1, 100)
    few = [_search(database, "crackdown", limit=3, **f) for f in filters]
    assert [len(found) for found, _ in few] == [3, 3, 3]
    _add(database, 101, 700)
    many = [_search(database, "crackdown", limit=3, **f) for f in filters]
    for (found, work), (found_again, more_work) in zip(few, many, strict=True):
        assert found_again == found
        # Ranking every match did 8 times the work for 8 times the matches.
        assert more_work < 1.5 * work, (work, more_work)


def test_the_window_holds_the_first_matches_of_each_kind(database, small_window):
    _add(database, 1, 300, strong={7: 3, 250: 4})
    found, _ = _search(database, "crackdown", limit=5, kinds=["claim"])
    # Claim 250 says it four times but is not among the first 20 claims that match.
    assert found[0] == ("claim", "c00007")
    assert all(int(key[1:]) <= WINDOW for _, key in found)
    found, _ = _search(database, "crackdown", limit=250, kinds=["claim"])
    assert found[0] == ("claim", "c00250")  # a larger limit widens the window


def test_a_kind_with_fewer_matches_than_the_window_is_ranked_whole(database, small_window):
    _add(database, 1, 300, strong={7: 3, 250: 4})
    found, _ = _search(database, "purge", limit=5)
    assert found == [("claim", "c00250"), ("claim", "c00007")]
    # Claims and evidence windowed, sources ranked whole.
    with database.session(write=True, actor="test") as session:
        session.execute(
            insert(Source),
            [{"id": n, "key": f"s{n}", "name": "Crackdown watch" + " crackdown" * 5 * (n == 9),
              "kind": "outlet", "reliability": "C", "created_at": T0, "updated_at": T0}
             for n in range(2, 10)],
        )  # fmt: skip
    found, _ = _search(database, "crackdown", limit=3)
    assert found[0] == ("source", "s9")


def test_without_a_window_the_order_is_unchanged(database, monkeypatch):
    _add(database, 1, 60, strong={7: 3, 50: 4})
    monkeypatch.setattr(search_service, "WINDOW_MIN", 10**9)
    everything, _ = _search(database, "crackdown", limit=200)
    monkeypatch.setattr(search_service, "WINDOW_MIN", 200)
    assert _search(database, "crackdown", limit=200)[0] == everything
    assert everything[:2] == [("claim", "c00050"), ("claim", "c00007")]
