"""`claim merge` and `source merge`: nothing is lost, status is recomputed, the merge is in
history, old keys keep resolving, origins stay consistent, and the search index follows."""

from __future__ import annotations

from test_search_sync import assert_in_sync


def _history_ids(cli, key: str) -> set[int]:
    return {event["id"] for event in cli.ok("history", key, "--json").json()}


def test_claim_merge_keeps_every_evidence_item_and_history_entry(cli, db_url):
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg")
    cli.ok("source", "add", "Yonhap", "--key", "yonhap")
    cli.ok(
        "claim",
        "add",
        "The crackdown had largely stopped by June 2018.",
        "--key",
        "halt",
        "--tag",
        "crackdown",
        "--on-duplicate",
        "warn",
    )
    cli.ok(
        "claim",
        "add",
        "By June 2018 the crackdown had mostly stopped.",
        "--key",
        "stopped",
        "--tag",
        "purge",
        "--place",
        "Hyesan",
        "--event-date",
        "2018-06",
        "--on-duplicate",
        "warn",
    )
    cli.ok("claim", "add", "Decrees were taken down.", "--key", "decrees")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--quote", "it stopped")
    cli.ok("evidence", "add", "stopped", "--source", "nhg", "--supports", "--quote", "no raids")
    cli.ok("evidence", "add", "stopped", "--source", "yonhap", "--supports", "--quote", "gone")
    cli.ok("evidence", "remove", "3", "--reason", "misread")
    cli.ok("link", "decrees", "stopped", "--supports")
    cli.ok("link", "stopped", "halt", "--supports")
    cli.ok("claim", "verdict", "stopped", "confirmed", "--reason", "state media")
    assert cli.ok("claim", "show", "halt", "--json").json()["status"] == "unverified"
    history = _history_ids(cli, "halt") | _history_ids(cli, "stopped")
    assert len(_history_ids(cli, "stopped")) == 8

    run = cli.ok("claim", "merge", "halt", "stopped", "--reason", "logged twice", "--yes")
    assert run.stdout == (
        "Merged claim stopped into halt: 2 evidence items, 1 link and 8 history events moved; "
        "status corroborated\n"
        "Dropped link stopped supports halt (between the two claims, or already on the kept one)\n"
        "'stopped' now resolves to 'halt'\n"
    )
    shown = cli.ok("claim", "show", "stopped", "--json").json()
    assert shown["key"] == "halt"
    assert shown["status"] == "corroborated"
    assert shown["tags"] == ["crackdown", "purge"]
    assert (shown["place"], shown["event_date"], shown["verdict"]) == (
        "Hyesan",
        "2018-06",
        "confirmed",
    )
    assert [e["id"] for e in shown["evidence"]] == [1, 2]
    assert shown["links"] == [{"direction": "in", "relation": "supports", "claim": "decrees"}]

    events = cli.ok("history", "stopped", "--json").json()
    assert {e["id"] for e in events} >= history
    merge = events[0]
    assert (merge["action"], merge["reason"], merge["subject"]) == (
        "claim.merge",
        "logged twice",
        "halt",
    )
    assert merge["before"]["merged"]["key"] == "stopped"
    assert merge["after"]["merged_from"] == "stopped"
    table = cli.ok("history", "halt", "--limit", "1").stdout
    assert "merged stopped into this (status corroborated)" in table
    assert "'key'" not in table, "the merged record's dictionary is shown raw"
    assert [c["key"] for c in cli.ok("claim", "list", "--json").json()] == ["decrees", "halt"]
    assert {r["key"] for r in cli.ok("search", "mostly", "--json").json()} == set()
    assert {r["key"] for r in cli.ok("search", "raids", "--json").json()} == {"2"}
    assert_in_sync(db_url)

    # The old key keeps working everywhere a claim key is accepted.
    cli.ok("evidence", "add", "stopped", "--source", "yonhap", "--contradicts")
    cli.ok("claim", "edit", "stopped", "--notes", "merged")
    assert cli.ok("claim", "show", "halt", "--json").json()["notes"] == "merged"
    run = cli("claim", "add", "Another", "--key", "stopped")
    assert run.exit_code == 1 and "already exists" in run.stderr


def test_merged_evidence_rows_are_all_kept(cli, database):
    from sqlalchemy import text

    cli.ok("source", "add", "A", "--key", "a")
    cli.ok("claim", "add", "one", "--key", "one")
    cli.ok("claim", "add", "two", "--key", "two")
    cli.ok("evidence", "add", "one", "--source", "a", "--supports")
    cli.ok("evidence", "add", "two", "--source", "a", "--supports", "--quote", "q")
    cli.ok("evidence", "add", "two", "--source", "a", "--contradicts")
    cli.ok("evidence", "remove", "3", "--reason", "r")
    with database.connect() as conn:
        before = conn.execute(
            text("SELECT id, source_id, stance, quote, removed_at FROM evidence")
        ).all()
        history = conn.execute(text("SELECT id, action FROM history ORDER BY id")).all()
    cli.ok("claim", "merge", "one", "two", "--yes")
    with database.connect() as conn:
        after = conn.execute(
            text("SELECT id, source_id, stance, quote, removed_at FROM evidence")
        ).all()
        claims = conn.execute(text("SELECT DISTINCT claim_id FROM evidence")).scalars().all()
        history_after = conn.execute(text("SELECT id, action FROM history ORDER BY id")).all()
        aliases = conn.execute(text("SELECT entity, alias FROM key_aliases")).all()
    assert sorted(after) == sorted(before)
    assert claims == [1]
    assert history_after[: len(history)] == history
    assert history_after[-1][1] == "claim.merge"
    assert aliases == [("claim", "two")]


def test_merge_chains_and_errors(cli, db_dump, db_url):
    for key in ("a", "b", "c"):
        cli.ok("claim", "add", f"claim {key}", "--key", key, "--on-duplicate", "warn")
    cli.ok("claim", "merge", "b", "c", "--yes")
    cli.ok("claim", "merge", "a", "b", "--yes")
    assert cli.ok("claim", "show", "c", "--json").json()["key"] == "a"
    assert cli.ok("claim", "show", "b", "--json").json()["key"] == "a"
    before = db_dump(db_url)
    run = cli("claim", "merge", "a", "c", "--yes")
    assert (run.exit_code, run.stderr) == (
        1,
        "Error: OTHER: 'c' is not valid; expected a different claim than KEEP\n",
    )
    run = cli("claim", "merge", "a", "nope", "--yes")
    assert run.exit_code == 1 and run.stderr.startswith("Error: no claim with key 'nope'")
    run = cli("source", "merge", "x", "y", "--yes")
    assert run.exit_code == 1 and run.stderr.startswith("Error: no source with key 'x'")
    assert db_dump(db_url) == before


def test_source_merge_moves_evidence_children_and_origins(cli, db_url):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--reliability", "C")
    cli.ok(
        "source",
        "add",
        "DailyNK",
        "--key",
        "dnk2",
        "--url",
        "https://dailynk.com",
        "--kind",
        "outlet",
    )
    cli.ok("source", "add", "Wire", "--key", "wire", "--derived-from", "dnk2")
    cli.ok("source", "add", "Copy of wire", "--key", "copy", "--derived-from", "wire")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("claim", "add", "The crackdown stopped.", "--key", "halt")
    cli.ok("evidence", "add", "halt", "--source", "dnk", "--supports")
    cli.ok("evidence", "add", "halt", "--source", "dnk2", "--supports")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk2")
    cli.ok("evidence", "add", "halt", "--source", "copy", "--supports")
    assert cli.ok("claim", "show", "halt", "--json").json()["support_origins"] == 3
    history = _history_ids(cli, "dnk") | _history_ids(cli, "dnk2")

    run = cli.ok("source", "merge", "dnk", "dnk2", "--yes")
    assert run.stdout == (
        "Merged source dnk2 into dnk: 2 evidence items, 1 derived source and 2 history events "
        "moved\n'dnk2' now resolves to 'dnk'\n"
    )
    evidence = cli.ok("claim", "show", "halt", "--json").json()["evidence"]
    assert [(e["source"], e["origin"], e["via"]) for e in evidence] == [
        ("dnk", "dnk", None),
        ("dnk", "dnk", None),
        ("ryg", "ryg", "dnk"),
        ("copy", "dnk", None),
    ]
    assert cli.ok("claim", "show", "halt", "--json").json()["support_origins"] == 2
    for key, origin in (("wire", "dnk"), ("copy", "dnk"), ("dnk", "dnk")):
        assert cli.ok("source", "show", key, "--json").json()["origin"] == origin
    kept = cli.ok("source", "show", "dnk2", "--json").json()
    assert (kept["key"], kept["url"], kept["kind"], kept["reliability"]) == (
        "dnk",
        "https://dailynk.com",
        "outlet",
        "C",
    )
    assert _history_ids(cli, "dnk") >= history
    assert cli.ok("history", "dnk", "--json").json()[0]["action"] == "source.merge"
    assert {r["key"] for r in cli.ok("search", "dailynk", "--json").json()} == set()
    assert_in_sync(db_url)


def test_source_merge_into_a_source_derived_from_it(cli):
    cli.ok("source", "add", "Root", "--key", "root")
    cli.ok("source", "add", "Outlet", "--key", "outlet", "--derived-from", "root")
    cli.ok("source", "add", "Outlet again", "--key", "outlet2", "--derived-from", "outlet")
    cli.ok("source", "add", "Copy", "--key", "copy", "--derived-from", "outlet2")
    # outlet2 passes on outlet: merged, it passes on outlet's source instead.
    cli.ok("source", "merge", "outlet2", "outlet", "--yes")
    shown = cli.ok("source", "show", "outlet2", "--json").json()
    assert (shown["derived_from"], shown["origin"]) == ("root", "root")
    assert cli.ok("source", "show", "copy", "--json").json()["chain"] == ["copy", "outlet2", "root"]
    # copy derives from root through outlet2: merging root into copy would make a loop.
    run = cli("source", "merge", "copy", "root", "--yes")
    assert run.exit_code == 1
    assert run.stderr.startswith("Error: cannot merge 'root' into 'copy': 'copy' derives from it")
    # The other way round is fine: copy's children (none) and evidence join root.
    cli.ok("source", "merge", "root", "copy", "--yes")
    assert cli.ok("source", "show", "copy", "--json").json()["key"] == "root"
