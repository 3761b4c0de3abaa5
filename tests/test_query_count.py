"""The report reads with a fixed number of SQL statements: as many for 1,000 claims as for 10.
Counted with a before_cursor_execute listener on the engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, insert, update

from claimtrack.models import Claim, ClaimTag, Evidence, HistoryEvent, Source, Tag
from claimtrack.services.claim_filter import ClaimFilter
from claimtrack.services.report import ReportQuery, claims_report, track_records

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def fill(database, claims: int) -> None:
    """`claims` claims, each with 3 evidence items from 5 sources (two derived), tags and
    history, inserted in bulk."""
    with database.session(write=True, actor="test") as session:
        session.execute(
            insert(Source),
            [
                {"id": n, "key": f"s{n}", "name": f"Source {n}", "reliability": "CFBDE"[n - 1],
                 "created_at": T0, "updated_at": T0}
                for n in range(1, 6)
            ],
        )  # fmt: skip
        session.execute(update(Source).values(origin_id=Source.id))
        session.execute(update(Source).where(Source.id == 4).values(derived_from_id=1, origin_id=1))
        session.execute(insert(Tag), [{"id": 1, "name": "even"}, {"id": 2, "name": "odd"}])
        session.execute(
            insert(Claim),
            [
                {"id": n, "key": f"c{n:05d}", "text": f"Claim {n}.", "created_at": T0,
                 "updated_at": T0, "verdict": "confirmed" if n % 7 == 0 else None}
                for n in range(1, claims + 1)
            ],
        )  # fmt: skip
        session.execute(
            insert(ClaimTag), [{"claim_id": n, "tag_id": 1 + n % 2} for n in range(1, claims + 1)]
        )
        items, events = [], []
        for n in range(1, claims + 1):
            for k, (source, stance) in enumerate(
                [(1 + n % 5, "supports"), (1 + (n + 1) % 5, "supports"), (4, "contradicts")]
            ):
                item_id = 3 * n + k
                at = T0 + timedelta(minutes=k)
                items.append(
                    {"id": item_id, "claim_id": n, "source_id": source, "stance": stance,
                     "credibility": 1 + (n + k) % 6, "via_id": 3 if k == 0 else None,
                     "created_at": at, "updated_at": at,
                     "removed_at": T0 + timedelta(days=1) if (n + k) % 11 == 0 else None}
                )  # fmt: skip
                events.append(
                    {"at": at, "actor": "test", "action": "evidence.add", "entity": "evidence",
                     "claim_id": n, "evidence_id": item_id, "after": "{}"}
                )  # fmt: skip
            events.append(
                {"at": T0 + timedelta(days=2), "actor": "test", "action": "claim.edit",
                 "entity": "claim", "claim_id": n, "before": '{"text": "Old claim."}',
                 "after": f'{{"text": "Claim {n}."}}'}
            )  # fmt: skip
        session.execute(insert(Evidence), items)
        session.execute(insert(HistoryEvent), events)
        session.execute(
            insert(HistoryEvent),
            [{"at": T0 + timedelta(days=3), "actor": "test", "action": "source.edit",
              "entity": "source", "source_id": 2, "before": '{"reliability": "A"}',
              "after": '{"reliability": "F"}'}],
        )  # fmt: skip


def count_statements(database, run) -> tuple[int, object]:
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        with database.session() as session:
            result = run(session)
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    return len(statements), result


QUERIES = {
    "plain": lambda s: claims_report(s, ReportQuery(detail=False)),
    "detail": lambda s: claims_report(
        s, ReportQuery(claims=ClaimFilter(tags=["even"]), detail=True)
    ),
    "filters": lambda s: claims_report(
        s,
        ReportQuery(
            claims=ClaimFilter(statuses=["contested"], source="s2", since=T0), sort="score"
        ),
    ),
    "as-of": lambda s: claims_report(s, ReportQuery(as_of=T0 + timedelta(hours=12))),
    "sources": lambda s: track_records(s),
    "source": lambda s: track_records(s, source="s1"),
}


def test_report_statements_do_not_grow_with_claims(engine_name, request):
    from claimtrack.db import open_database

    counts: dict[str, list[int]] = {name: [] for name in QUERIES}
    sizes: dict[str, list[int]] = {name: [] for name in QUERIES}
    for claims in (10, 1000):
        url = request.getfixturevalue("db_url") if claims == 10 else None
        if url is None:
            url = _another_database(engine_name, request)
        database = open_database(url)
        try:
            fill(database, claims)
            for name, query in QUERIES.items():
                count, result = count_statements(database, query)
                counts[name].append(count)
                sizes[name].append(
                    len(result["claims"]) if isinstance(result, dict) else len(result)
                )
        finally:
            database.dispose()
    for name, (small, large) in counts.items():
        assert small == large, f"{name}: {small} statements for 10 claims, {large} for 1000"
        # 14: --as-of rebuilds claims, sources, evidence, relay chains and links from history,
        # reads the score's model current then (services/score_model.current_model) and the
        # claims imports created or gave evidence to (one statement: the events' id ranges).
        assert small <= 14, f"{name}: {small} statements"
    assert sizes["plain"] == sizes["as-of"] == [10, 1000]


def test_as_of_undoes_the_bulk_history(engine_name, db_url):
    from claimtrack.db import open_database

    database = open_database(db_url)
    try:
        fill(database, 30)
        with database.session() as session:
            then = claims_report(session, ReportQuery(as_of=T0 + timedelta(hours=12)))
            now = claims_report(session, ReportQuery())
    finally:
        database.dispose()
    assert {row["text"] for row in then["claims"]} == {"Old claim."}
    assert now["claims"][0]["text"] == "Claim 1."
    # items removed on day 1 are back as of 12 hours before: every claim has its 3 items
    assert {row["evidence_count"] for row in then["claims"]} == {3}
    assert {row["evidence_count"] for row in now["claims"]} == {2, 3}


def _another_database(engine_name, request) -> str:
    import shutil

    if engine_name == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = request.getfixturevalue("tmp_path") / "big.db"
        shutil.copyfile(template, path)
        return str(path)
    server = request.getfixturevalue("postgres")
    url = server.create()
    request.addfinalizer(lambda: server.drop(url))
    return url


def test_the_aggregate_query_agrees_with_reading_every_item(engine_name, db_url):
    from claimtrack.db import open_database
    from claimtrack.services.assessments import assess_claims, claim_standings

    database = open_database(db_url)
    try:
        fill(database, 120)
        with database.session() as session:
            items = assess_claims(session, None)
            grouped = claim_standings(session)
    finally:
        database.dispose()
    assert grouped.keys() == items.keys()
    for claim_id, (standing, channels, count) in grouped.items():
        expected = items[claim_id]
        assert standing == expected.standing
        assert set(channels) == expected.support_channels
        assert count == expected.evidence_count
