"""Evidence staged and written set-based (transfer/imports/writer/staged_evidence.py): rows
written by one statement and rows written one by one (removals, via chains of more than one
hop, keys given twice, rows that change a stored item) keep file order, counts and history
exactly as if every row went one by one. Both engines."""

from __future__ import annotations

import json

from transfer_helpers import rows, summary, write_jsonl

SOURCES = [
    {"type": "source", "key": "dnk", "name": "Daily NK", "kind": "outlet"},
    {"type": "source", "key": "ryg", "name": "Ryanggang informant"},
    {"type": "source", "key": "wire", "name": "Wire copy", "derived_from": "ryg"},
    {"type": "claim", "key": "halt", "text": "The crackdown had largely stopped."},
    {"type": "claim", "key": "down", "text": "The decrees were taken down."},
]


def item(key: str, **fields) -> dict:
    return {"type": "evidence", "key": key, "claim": "halt", "source": "dnk"} | {
        "stance": "supports",
        **fields,
    }


def test_ids_follow_file_order_whichever_way_a_row_is_written(cli, tmp_path):
    records = [
        *SOURCES,
        item("e1", quote="first"),
        item("e2", quote="removed", removed_reason="a duplicate"),
        item("e3", quote="two hops", via=["wire", "ryg"]),
        item("e4", claim="down"),
        item("e5", quote="last", via=["ryg"]),
    ]
    counts = summary(cli.ok("import", str(write_jsonl(tmp_path / "in.jsonl", records)), "--json"))
    assert counts["evidence"] == {"created": 5, "updated": 0, "unchanged": 0}
    stored = rows(cli.url, "SELECT key FROM evidence ORDER BY id")
    assert [key for (key,) in stored] == ["e1", "e2", "e3", "e4", "e5"]
    assert rows(cli.url, "SELECT removed_reason FROM evidence WHERE key = 'e2'") == [
        ("a duplicate",)
    ]
    chain = rows(
        cli.url,
        "SELECT s.key FROM evidence_relays AS r JOIN evidence AS e ON e.id = r.evidence_id "
        "JOIN sources AS s ON s.id = r.source_id WHERE e.key = 'e3' ORDER BY r.position",
    )
    assert chain == [("ryg",)]
    again = summary(cli.ok("import", str(write_jsonl(tmp_path / "in.jsonl", records)), "--json"))
    assert again["evidence"] == {"created": 0, "updated": 0, "unchanged": 5}


def test_a_reimport_counts_unchanged_rows_and_records_only_what_changed(cli, tmp_path):
    sheet = tmp_path / "sheet.csv"
    lines = ["claim_key,claim_text,source_key,source_name,stance,credibility,quote,notes"]
    lines += [
        f"c{n},Claim {n},s{n % 3},Source {n % 3},supports,3,quote {n},note" for n in range(30)
    ]
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert summary(cli.ok("import", str(sheet), "--json"))["evidence"]["created"] == 30
    events = rows(cli.url, "SELECT count(*) FROM history")[0][0]

    lines[5] = lines[5].replace(",3,", ",2,")  # c4's item: another credibility
    lines[9] = lines[9].replace(",note", ",another note")  # c8's item: other notes
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    counts = summary(cli.ok("import", str(sheet), "--json"))
    assert counts["evidence"] == {"created": 0, "updated": 2, "unchanged": 28}
    edits = rows(
        cli.url,
        f"SELECT action, after FROM history WHERE id > {events} AND action <> 'import' ORDER BY id",
    )
    afters = [json.loads(after) if isinstance(after, str) else after for _, after in edits]
    assert [action for action, _ in edits] == ["evidence.edit", "evidence.edit"]
    assert afters == [{"credibility": 2}, {"notes": "another note"}]


def test_a_key_given_twice_differently_is_refused_and_the_same_twice_is_one_item(cli, tmp_path):
    same = [*SOURCES, item("e1", quote="q"), item("e2"), item("e1", quote="q")]
    counts = summary(cli.ok("import", str(write_jsonl(tmp_path / "same.jsonl", same)), "--json"))
    assert counts["evidence"] == {"created": 2, "updated": 0, "unchanged": 1}
    assert [key for (key,) in rows(cli.url, "SELECT key FROM evidence ORDER BY id")] == [
        "e1",
        "e2",
    ]
    differ = [item("e9", quote="one"), item("e9", quote="another")]
    run = cli("import", str(write_jsonl(tmp_path / "differ.jsonl", differ)))
    assert run.exit_code == 1
    assert "differ.jsonl:2: key: 'e9'" in run.stderr
    assert rows(cli.url, "SELECT count(*) FROM evidence") == [(2,)]


def test_identical_rows_each_take_one_stored_item_when_some_change(cli, tmp_path):
    """Rows without a key match stored items by claim, source, stance, locator and quote:
    the n-th such row takes the n-th stored item, whether it is unchanged (counted in SQL)
    or changed (written one by one), and a row beyond them is new."""
    sheet = tmp_path / "sheet.csv"
    head = "claim_key,claim_text,source_key,source_name,stance,quote,notes"
    rows_ = [f"c1,Claim,s1,Source,supports,same quote,note {n}" for n in range(3)]
    sheet.write_text("\n".join([head, *rows_]) + "\n", encoding="utf-8")
    cli.ok("import", str(sheet))
    changed = [rows_[0], rows_[1].replace("note 1", "note one"), rows_[2], rows_[2]]
    sheet.write_text("\n".join([head, *changed]) + "\n", encoding="utf-8")
    counts = summary(cli.ok("import", str(sheet), "--json"))
    assert counts["evidence"] == {"created": 1, "updated": 1, "unchanged": 2}
    notes = rows(cli.url, "SELECT notes FROM evidence ORDER BY id")
    assert notes == [("note 0",), ("note one",), ("note 2",), ("note 2",)]


def test_a_dry_run_counts_what_the_import_then_does(cli, tmp_path):
    records = [*SOURCES, item("e1"), item("e2", via=["wire", "ryg"]), item("e3", claim="down")]
    path = write_jsonl(tmp_path / "in.jsonl", records)
    dry = summary(cli.ok("import", str(path), "--dry-run", "--json"))
    assert rows(cli.url, "SELECT count(*) FROM evidence") == [(0,)]
    assert summary(cli.ok("import", str(path), "--json")) == dry


def test_a_via_naming_what_the_source_derives_from_warns_for_rows_written_set_based(cli, tmp_path):
    records = [*SOURCES, *(item(f"e{n}", source="wire", via=["ryg"]) for n in range(25))]
    run = cli.ok("import", str(write_jsonl(tmp_path / "in.jsonl", records)), "--json")
    result = run.json()
    assert result["warning_count"] == 25
    assert len(result["warnings"]) == 20
    assert result["warnings"][0].startswith(f"{tmp_path / 'in.jsonl'}:6: ryg is both on this")
