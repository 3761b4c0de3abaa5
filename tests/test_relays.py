"""The via chain: who passed an item on, in order (police → Ryanggang informant → Daily NK),
recorded whole by the CLI, shown by claim show, evidence list and explain, kept by --as-of,
and carried through every import and export format."""

from __future__ import annotations

import pytest


@pytest.fixture
def relayed(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "Police (Ryanggang)", "--key", "police")
    cli.ok("source", "add", "Detainees (Ryanggang)", "--key", "detainees")
    cli.ok("claim", "add", "The crackdown met strong popular backlash.", "--key", "backlash")
    return cli


def test_every_via_is_kept_in_order_and_the_first_is_the_channel(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg",
               "--via", "dnk")  # fmt: skip
    relayed.ok("evidence", "add", "backlash", "-s", "detainees", "--supports", "--via", "ryg")
    shown = relayed.ok("claim", "show", "backlash", "--json").json()
    assert [(e["source"], e["via"], e["via_chain"]) for e in shown["evidence"]] == [
        ("police", "ryg", ["ryg", "dnk"]),
        ("detainees", "ryg", ["ryg"]),
    ]
    listed = relayed.ok("evidence", "list", "backlash", "--json").json()
    assert [e["via_chain"] for e in listed] == [["ryg", "dnk"], ["ryg"]]
    assert "ryg → dnk" in relayed.ok("evidence", "list", "backlash").stdout
    assert "ryg → dnk" in relayed.ok("claim", "show", "backlash").stdout

    explained = relayed.ok("explain", "backlash", "--json").json()
    assert explained["channels"] == ["ryg"]
    assert explained["channel_warning"].startswith("all support comes through one channel: ryg")
    items = [item for origin in explained["origins"] for item in origin["items"]]
    assert [item["via_chain"] for item in items] == [["ryg", "dnk"], ["ryg"]]
    text = relayed.ok("explain", "backlash").stdout
    assert "#1 police (supports, credibility 6, via ryg → dnk)" in text
    report = relayed.ok("report", "--json").json()
    [row] = report["claims"] if isinstance(report, dict) else report
    assert row["channels"] == ["ryg"]


def test_an_item_without_via_has_an_empty_chain(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "ryg", "--supports")
    [item] = relayed.ok("evidence", "list", "backlash", "--json").json()
    assert (item["via"], item["via_chain"]) == (None, [])


@pytest.mark.parametrize(
    ("vias", "message"),
    [
        (["ryg", "ryg"], "--via: 'ryg' is not valid; expected each source once in the chain, not twice"),
        (["police"], "--via: 'police' is not valid; expected each source once in the chain, not the item's own --source"),
        (["ryg", "nobody"], "no source"),
    ],
)  # fmt: skip
def test_a_chain_that_repeats_a_source_or_names_an_unknown_one_is_refused(
    relayed, db_dump, vias, message
):
    before = db_dump(relayed.url)
    args = [arg for via in vias for arg in ("--via", via)]
    run = relayed("evidence", "add", "backlash", "-s", "police", "--supports", *args)
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: ") and message in run.stderr
    assert len(run.stderr.splitlines()) == 1
    assert db_dump(relayed.url) == before


def test_via_and_derived_from_naming_the_same_source_for_one_item_is_a_warning(relayed):
    relayed.ok("source", "add", "Police, as told by the informant", "--key", "told",
               "--derived-from", "ryg")  # fmt: skip
    run = relayed.ok("evidence", "add", "backlash", "-s", "told", "--supports", "--via", "ryg")
    assert run.stdout == "Added evidence 1\n"
    assert run.stderr == (
        "Warning: evidence 1: ryg is both on this item's via chain and what its source told is "
        "derived from: the person who said it is the source, those who passed it on are --via, "
        "--derived-from is for a source that repeats another; keep one\n"
    )
    clean = relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg")
    assert clean.stderr == ""


def test_as_of_keeps_the_chain(relayed):
    relayed.ok("evidence", "add", "backlash", "-s", "police", "--supports", "--via", "ryg",
               "--via", "dnk")  # fmt: skip
    later = relayed.ok("explain", "backlash", "--as-of", "2999-01-01", "--json").json()
    [origin] = later["origins"]
    assert origin["items"][0]["via_chain"] == ["ryg", "dnk"]
