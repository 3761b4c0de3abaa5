"""Status: origin counting and every row of the README's status table, first as pure
functions, then through the database (long derived-from chains, shared sources, loops)."""

from __future__ import annotations

import itertools

import pytest

from claimtrack.errors import Conflict
from claimtrack.settings import DEFAULT_SETTINGS, Settings
from claimtrack.status import STATUSES, EvidenceItem, assess, is_credible, status_for

_ids = itertools.count(1)


def item(source, stance="supports", *, origin=None, reliability="F", credibility=6, via=None):
    return EvidenceItem(
        id=next(_ids),
        source=source,
        origin=origin or source,
        origin_reliability=reliability,
        stance=stance,
        credibility=credibility,
        via=via,
    )


def counts(items, settings=DEFAULT_SETTINGS):
    result = assess(items, settings)
    return result.status, result.support_origins, result.contradict_origins


# --- the table ------------------------------------------------------------------------------


def expected_status(s: int, x: int) -> str:
    """The README's status table, row by row."""
    if s <= 1 and x == 0:
        return "unverified"
    if s >= 2 and x == 0:
        return "corroborated"
    if s >= 1 and x >= 1:
        return "contested"
    if s == 0 and x >= 2:
        return "refuted"
    assert s == 0 and x == 1
    return "disputed"


@pytest.mark.parametrize(("s", "x"), list(itertools.product(range(5), range(5))))
def test_every_cell_of_the_status_table(s, x):
    assert status_for(s, x) == expected_status(s, x)
    items = [item(f"sup{i}") for i in range(s)] + [item(f"con{i}", "contradicts") for i in range(x)]
    assert counts(items) == (expected_status(s, x), s, x)


@pytest.mark.parametrize(
    ("s", "x", "status"),
    [
        (0, 0, "unverified"),
        (1, 0, "unverified"),
        (2, 0, "corroborated"),
        (1, 1, "contested"),
        (3, 2, "contested"),
        (0, 1, "disputed"),
        (0, 2, "refuted"),
    ],
)
def test_each_named_row(s, x, status):
    assert status_for(s, x) == status


def test_every_status_is_reachable():
    reached = {status_for(s, x) for s in range(4) for x in range(4)}
    assert reached == set(STATUSES)


def test_thresholds_are_settings():
    strict = Settings(corroborated_min_origins=3, refuted_min_origins=3)
    assert status_for(2, 0, strict) == "unverified"
    assert status_for(3, 0, strict) == "corroborated"
    assert status_for(0, 2, strict) == "disputed"
    assert status_for(0, 3, strict) == "refuted"


# --- origin counting ------------------------------------------------------------------------


def test_no_evidence_is_unverified():
    assert counts([]) == ("unverified", 0, 0)


def test_one_source_repeated_counts_once():
    assert counts([item("ryg"), item("ryg", credibility=1), item("ryg", credibility=2)]) == (
        "unverified",
        1,
        0,
    )


def test_sources_that_share_an_origin_count_once():
    # Three outlets that all pass on one informant are one origin.
    items = [
        item("ryg"),
        item("wire", origin="ryg"),
        item("paper", origin="ryg"),
        item("blog", origin="ryg"),
    ]
    assert counts(items) == ("unverified", 1, 0)
    assert set(assess(items).supporting) == {"ryg"}
    assert len(assess(items).supporting["ryg"]) == 4


def test_two_informants_relayed_by_one_outlet_are_two_origins():
    items = [item("ryg", via="dnk"), item("nhg", via="dnk")]
    result = assess(items)
    assert (result.status, result.support_origins) == ("corroborated", 2)
    # ...but they reached the user through one channel, which reports make visible.
    assert result.support_channels == {"dnk"}


def test_an_origin_on_both_sides_counts_on_both():
    items = [item("ryg"), item("ryg", "contradicts")]
    assert counts(items) == ("contested", 1, 1)


def test_contradictions_that_share_an_origin_dispute_but_do_not_refute():
    items = [item("kcna", "contradicts"), item("rodong", "contradicts", origin="kcna")]
    assert counts(items) == ("disputed", 0, 1)
    items.append(item("ministry", "contradicts"))
    assert counts(items) == ("refuted", 0, 2)


# --- credibility ----------------------------------------------------------------------------


@pytest.mark.parametrize("reliability", list("ABCDF"))
@pytest.mark.parametrize("credibility", [1, 2, 3, 4, 6])
def test_credible_unless_origin_e_or_item_5(reliability, credibility):
    assert is_credible(item("s", reliability=reliability, credibility=credibility))


@pytest.mark.parametrize("credibility", [1, 2, 3, 4, 5, 6])
def test_an_origin_graded_e_is_never_credible(credibility):
    assert not is_credible(item("s", reliability="E", credibility=credibility))


@pytest.mark.parametrize("reliability", list("ABCDEF"))
def test_an_item_graded_5_is_never_credible(reliability):
    assert not is_credible(item("s", reliability=reliability, credibility=5))


def test_not_credible_items_count_for_nothing_on_either_side():
    items = [
        item("ryg"),
        item("liar", reliability="E"),
        item("improbable", credibility=5),
        item("liar2", "contradicts", reliability="E"),
        item("improbable2", "contradicts", credibility=5),
    ]
    result = assess(items)
    assert (result.status, result.support_origins, result.contradict_origins) == (
        "unverified",
        1,
        0,
    )
    assert len(result.not_credible) == 4


def test_a_copy_is_judged_by_its_origin():
    # The copy's own grade is not what counts: `origin_reliability` is the origin's.
    copy_of_unreliable = item("wire", origin="liar", reliability="E")
    assert not is_credible(copy_of_unreliable)
    assert counts([copy_of_unreliable, item("ryg")]) == ("unverified", 1, 0)


def test_one_credible_item_keeps_an_origin_counted():
    items = [item("ryg", credibility=5), item("ryg", credibility=3), item("nhg")]
    assert counts(items) == ("corroborated", 2, 0)


def test_neutral_items_are_ignored():
    items = [item(f"n{i}", "neutral", credibility=1, reliability="A") for i in range(5)]
    result = assess(items)
    assert (result.status, result.support_origins, result.contradict_origins) == (
        "unverified",
        0,
        0,
    )
    assert len(result.neutral) == 5
    assert counts([*items, item("ryg"), item("nhg")]) == ("corroborated", 2, 0)


# --- through the database -------------------------------------------------------------------


def test_a_500_deep_chain_has_one_origin_and_moves_as_one(database):
    from claimtrack.services.assessments import assess_claims
    from claimtrack.services.claims import add_claim
    from claimtrack.services.evidence import add_evidence
    from claimtrack.services.sources import add_source, edit_source, show_source

    depth = 500
    with database.session(write=True, actor="tester") as session:
        add_source(session, name="Root informant", key="s0", reliability="B")
        for n in range(1, depth):
            add_source(session, name=f"Copy {n}", key=f"s{n}", derived_from=f"s{n - 1}")
        add_source(session, name="Independent", key="other")
        claim = add_claim(session, text="Something happened.", key="c")
        for key in ("s0", f"s{depth // 2}", f"s{depth - 1}"):
            add_evidence(session, claim="c", source=key, stance="supports")
        claim_id = claim.id

    with database.session() as session:
        deepest = show_source(session, f"s{depth - 1}")
        assert deepest["origin"] == "s0"
        assert deepest["chain"] == [f"s{n}" for n in range(depth - 1, -1, -1)]
        result = assess_claims(session, [claim_id])[claim_id]
        assert (result.status, result.support_origins) == ("unverified", 1)

    # Re-rooting the top of the chain moves every copy's origin with it.
    with database.session(write=True, actor="tester") as session:
        edit_source(session, "s0", derived_from="other")
    with database.session() as session:
        assert show_source(session, f"s{depth - 1}")["origin"] == "other"
        assert len(show_source(session, f"s{depth - 1}")["chain"]) == depth + 1
        add = assess_claims(session, [claim_id])[claim_id]
        assert set(add.supporting) == {"other"}

    # Cutting the chain in the middle makes two independent origins.
    with database.session(write=True, actor="tester") as session:
        edit_source(session, f"s{depth // 2}", derived_from=None)
    with database.session() as session:
        assert show_source(session, f"s{depth - 1}")["origin"] == f"s{depth // 2}"
        assert show_source(session, f"s{depth // 2 - 1}")["origin"] == "other"
        result = assess_claims(session, [claim_id])[claim_id]
        assert (result.status, result.support_origins) == ("corroborated", 2)

    # Closing the chain into a loop is refused, from anywhere in it.
    with pytest.raises(Conflict, match="which would make a loop"):
        with database.session(write=True, actor="tester") as session:
            edit_source(session, "other", derived_from=f"s{depth // 2 - 1}")


def test_an_e_graded_origin_discredits_its_copies_in_the_database(cli):
    cli.ok("source", "add", "Rumour mill", "--key", "rumour", "--reliability", "E")
    cli.ok(
        "source",
        "add",
        "Respectable paper",
        "--key",
        "paper",
        "--reliability",
        "A",
        "--derived-from",
        "rumour",
    )
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg")
    cli.ok("claim", "add", "Something happened.", "--key", "c")
    cli.ok("evidence", "add", "c", "--source", "paper", "--supports", "--credibility", "1")
    cli.ok("evidence", "add", "c", "--source", "ryg", "--supports")
    shown = cli.ok("claim", "show", "c", "--json").json()
    assert (shown["status"], shown["support_origins"]) == ("unverified", 1)
    # Regrading the origin changes the status of every claim its copies speak to.
    cli.ok("source", "edit", "rumour", "--reliability", "D")
    shown = cli.ok("claim", "show", "c", "--json").json()
    assert (shown["status"], shown["support_origins"]) == ("corroborated", 2)
    # An item graded 5 does not count; one graded 4 does.
    cli.ok("evidence", "add", "c", "--source", "nhg", "--contradicts", "--credibility", "5")
    assert cli.ok("claim", "show", "c", "--json").json()["status"] == "corroborated"
    cli.ok("evidence", "add", "c", "--source", "nhg", "--contradicts", "--credibility", "4")
    assert cli.ok("claim", "show", "c", "--json").json()["status"] == "contested"


def test_refuted_and_disputed_through_the_cli(cli):
    cli.ok("source", "add", "KCNA", "--key", "kcna")
    cli.ok("source", "add", "Rodong Sinmun", "--key", "rodong", "--derived-from", "kcna")
    cli.ok("source", "add", "Ministry", "--key", "ministry")
    cli.ok("claim", "add", "Something happened.", "--key", "c")
    cli.ok("evidence", "add", "c", "--source", "kcna", "--contradicts")
    cli.ok("evidence", "add", "c", "--source", "rodong", "--contradicts")
    shown = cli.ok("claim", "show", "c", "--json").json()
    assert (shown["status"], shown["contradict_origins"]) == ("disputed", 1)
    cli.ok("evidence", "add", "c", "--source", "ministry", "--contradicts")
    shown = cli.ok("claim", "show", "c", "--json").json()
    assert (shown["status"], shown["contradict_origins"]) == ("refuted", 2)
    assert [r["key"] for r in cli.ok("claim", "list", "--status", "refuted", "--json").json()] == [
        "c"
    ]


def test_a_loop_is_refused_by_the_cli_and_nothing_is_written(cli, db_dump):
    cli.ok("source", "add", "A", "--key", "a")
    cli.ok("source", "add", "B", "--key", "b", "--derived-from", "a")
    cli.ok("source", "add", "C", "--key", "c", "--derived-from", "b")
    before = db_dump(cli.url)
    run = cli("source", "edit", "a", "--derived-from", "c", "--reason", "test")
    assert (run.exit_code, run.stdout) == (1, "")
    assert run.stderr == (
        "Error: source 'a' cannot be derived from 'c': 'c' already derives from 'a' "
        "(c → b → a), which would make a loop\n"
    )
    assert db_dump(cli.url) == before
