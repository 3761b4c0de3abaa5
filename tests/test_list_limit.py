"""`claim list`, `source list` and `evidence list` with --limit do the work of what they
show, not of the whole database: the rows fetched from the database (counted in process, under SQLAlchemy's cursor
results) stay a few per row shown however many claims there are, where a full list fetches
every claim and every evidence item. With a status filter (known only once a claim is
assessed) the claims are walked in key order, a page at a time, until the limit is met."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.engine import CursorResult, Engine
from test_query_count import T0, fill

from claimtrack.models import Evidence, Source
from claimtrack.services import assessments, claims
from claimtrack.services.claims import PAGE_MIN

CLAIMS = 1000  # 3 evidence items each (test_query_count.fill)


@pytest.fixture
def fetched(monkeypatch):
    """Counter of the rows fetched and the statements run, in this process, since reset."""
    seen: Counter = Counter()

    def counting(name):
        original = getattr(CursorResult, name)

        def fetch(self, *args, **kwargs):
            rows = original(self, *args, **kwargs)
            seen["rows"] += len(rows) if isinstance(rows, list) else rows is not None
            return rows

        monkeypatch.setattr(CursorResult, name, fetch)

    for name in ("_fetchone_impl", "_fetchall_impl", "_fetchmany_impl"):
        counting(name)
    original_iter = CursorResult._fetchiter_impl

    def fetch_each(self):
        for row in original_iter(self):
            seen["rows"] += 1
            yield row

    monkeypatch.setattr(CursorResult, "_fetchiter_impl", fetch_each)
    # claim_standings reads the items as the driver's own rows, past CursorResult.
    original_batches = assessments.driver_batches

    def driver_batches(result, size=assessments.PARTITION):
        for batch in original_batches(result, size):
            seen["rows"] += len(batch)
            yield batch

    monkeypatch.setattr(assessments, "driver_batches", driver_batches)

    def statement(*_):
        seen["statements"] += 1

    event.listen(Engine, "before_cursor_execute", statement)
    yield seen
    event.remove(Engine, "before_cursor_execute", statement)


def _run(cli, fetched, *args):
    fetched.clear()
    run = cli.ok(*args)
    return fetched["rows"], run


@pytest.fixture
def filled(database):
    fill(database, CLAIMS)


def test_claim_list_with_a_limit_fetches_the_rows_it_shows(cli, filled, fetched):
    every_row, everything = _run(cli, fetched, "claim", "list", "--json")
    assert every_row > 3 * CLAIMS  # every claim and every item
    rows, run = _run(cli, fetched, "claim", "list", "--limit", "5", "--json")
    assert run.json() == everything.json()[:5]
    assert run.stderr == f"(5 of {CLAIMS} shown; raise --limit or leave it out to see them all)\n"
    # 5 claims, their tags and 15 items, a count, the schema's version, the score's model.
    assert rows <= 40, rows
    rows, run = _run(cli, fetched, "claim", "list", "--limit", "5", "--tag", "even", "--json")
    assert run.json() == [c for c in everything.json() if "even" in c["tags"]][:5]
    assert rows <= 40, rows


def test_claim_list_with_a_status_and_a_limit_walks_only_until_it_is_met(cli, filled, fetched):
    everything = cli.ok("claim", "list", "--json").json()
    statuses = Counter(claim["status"] for claim in everything)
    common, rare = statuses.most_common()[0][0], statuses.most_common()[-1][0]
    assert statuses[common] > 20  # met within the first page
    rows, run = _run(cli, fetched, "claim", "list", "--status", common, "--limit", "5", "--json")
    assert run.json() == [claim for claim in everything if claim["status"] == common][:5]
    assert "more exist" in run.stderr
    # The first page's ids and items (4 rows a claim), then the 5 claims kept and their tags.
    assert rows <= 4 * PAGE_MIN + 20, rows
    # Walked to the end: every claim is assessed once, and the total is known.
    wanted = [claim for claim in everything if claim["status"] == rare]
    limit = str(len(wanted) + 1)
    run = cli.ok("claim", "list", "--status", rare, "--limit", limit, "--json")
    assert run.json() == wanted and run.stderr == ""
    run = cli.ok("claim", "list", "--status", rare, "--limit", "1", "--format", "csv")
    assert run.stdout.splitlines()[1].startswith(wanted[0]["key"] + ",")


def test_a_rare_status_is_found_in_one_pass_once_walking_is_too_long(
    cli, filled, fetched, monkeypatch
):
    everything = cli.ok("claim", "list", "--json").json()
    rare = Counter(claim["status"] for claim in everything).most_common()[-1][0]
    wanted = [claim for claim in everything if claim["status"] == rare]
    assert 50 < len(wanted) < CLAIMS / 4  # not met in the first page of 4 times the limit
    monkeypatch.setattr(claims, "WALK_MAX", 300)
    limit = len(wanted) - 1
    rows, run = _run(
        cli, fetched, "claim", "list", "--status", rare, "--limit", str(limit), "--json"
    )
    assert run.json() == wanted[:limit]
    # Every status is known after the pass: the total is counted.
    assert (
        run.stderr
        == f"({limit} of {len(wanted)} shown; raise --limit or leave it out to see them all)\n"
    )
    # The first page walked (an id and 3 items a claim), then each claim and its tags, each
    # item's grades, each source once.
    assert rows <= 4 * 4 * limit + 2 * CLAIMS + 3 * CLAIMS + 50, rows


def test_source_list_with_a_limit_counts_the_evidence_of_the_sources_shown(cli, database, fetched):
    fill(database, 200)
    with database.session(write=True, actor="test") as session:
        session.execute(
            insert(Source),
            [
                {"id": n, "key": f"t{n}", "name": f"Other {n}", "reliability": "C",
                 "created_at": T0, "updated_at": T0}
                for n in range(6, 506)
            ],
        )  # fmt: skip
        session.execute(update(Source).where(Source.id > 5).values(origin_id=Source.id))
    every_row, everything = _run(cli, fetched, "source", "list", "--json")
    assert every_row >= 505
    rows, run = _run(cli, fetched, "source", "list", "--limit", "3", "--json")
    assert run.json() == everything.json()[:3]
    assert [s["evidence_count"] for s in run.json()] == [
        s["evidence_count"] for s in everything.json()[:3]
    ]
    assert run.stderr == "(3 of 505 shown; raise --limit or leave it out to see them all)\n"
    assert rows <= 15, rows  # 3 sources, their counts, the total; PostgreSQL's first connect


@pytest.mark.parametrize("model", ["grade defaults", "calibrated"])
def test_a_full_list_and_a_limited_one_agree(cli, database, model):
    """A full list reads every claim's standing in one pass over the items' grades; a limited
    one assesses the claims it shows: the same claims, statuses and scores."""
    fill(database, 300)
    if model == "calibrated":
        cli.ok("calibrate")
        assert cli.ok("claim", "list", "--json").json()[0]["model"] != "grade defaults"
    for args in ([], ["--tag", "odd"], ["--status", "contested", "--status", "refuted"]):
        everything = cli.ok("claim", "list", *args, "--json").json()
        assert everything
        limited = cli.ok("claim", "list", *args, "--limit", "300", "--json").json()
        assert limited == everything


def test_evidence_list_with_a_limit_fetches_the_items_it_shows(cli, database, fetched):
    fill(database, 10)
    with database.session(write=True, actor="test") as session:
        session.execute(
            insert(Evidence),
            [
                {"id": 1000 + n, "claim_id": 1, "source_id": 1 + n % 5, "stance": "supports",
                 "credibility": 3, "created_at": T0, "updated_at": T0}
                for n in range(500)
            ],
        )  # fmt: skip
    every_row, everything = _run(cli, fetched, "evidence", "list", "c00001", "--json")
    assert every_row > 500
    rows, run = _run(cli, fetched, "evidence", "list", "c00001", "--limit", "2", "--json")
    assert run.json() == everything.json()[:2]
    total = len(everything.json())
    assert run.stderr == f"(2 of {total} shown; raise --limit or leave it out to see them all)\n"
    assert rows <= 15, rows
