"""claimtrack import of JSONL and JSON records: creation, idempotence, in-place updates,
dry runs, references in any order, and bad records named by FILE:LINE with nothing written."""

from __future__ import annotations

import json

from transfer_helpers import BASE, rows, scalar, summary, write_jsonl


def test_records_are_created_with_history_and_origins(cli, tmp_path):
    path = write_jsonl(tmp_path / "base.jsonl", BASE)
    run = cli.ok("import", str(path), "--json")
    assert summary(run) == {
        "source": {"created": 3, "updated": 0, "unchanged": 0},
        "claim": {"created": 2, "updated": 0, "unchanged": 0},
        "evidence": {"created": 1, "updated": 0, "unchanged": 0},
        "link": {"created": 1, "updated": 0, "unchanged": 0},
        "verdict": {"created": 1, "updated": 0, "unchanged": 0},
    }
    wire = cli.ok("source", "show", "wire", "--json").json()
    assert (wire["derived_from"], wire["origin"]) == ("ryg", "ryg")
    halt = cli.ok("claim", "show", "halt", "--json").json()
    assert halt["verdict"] == "confirmed" and halt["tags"] == ["crackdown"]
    assert [(e["source"], e["via"], e["credibility"]) for e in halt["evidence"]] == [
        ("ryg", "dnk", 2)
    ]
    actions = rows(cli.url, "SELECT action, count(*) FROM history GROUP BY action ORDER BY action")
    # What it created is one event; what it changed (a verdict, a link on each claim), per record.
    assert actions == [("claim.verdict", 1), ("import", 1), ("link.add", 2)]
    after = json.loads(scalar(cli.url, "SELECT after FROM history WHERE action = 'import'"))
    assert after["counts"] == summary(run)
    assert after["created"] == {"source": [[1, 3]], "claim": [[1, 2]], "evidence": [[1, 1]]}
    assert after["evidence_of"] == {"claim": [[1, 1]], "source": [[2, 2]]}


def test_reimport_changes_nothing_and_records_nothing(cli, tmp_path, db_dump):
    path = write_jsonl(tmp_path / "base.jsonl", BASE)
    cli.ok("import", str(path))
    before = db_dump(cli.url)
    run = cli.ok("import", str(path), "--json")
    assert all(c["created"] == c["updated"] == 0 for c in summary(run).values())
    assert summary(run)["evidence"]["unchanged"] == 1
    assert db_dump(cli.url) == before


def test_changed_fields_update_in_place(cli, tmp_path):
    cli.ok("import", str(write_jsonl(tmp_path / "a.jsonl", BASE)))
    ids = rows(cli.url, "SELECT id, created_at FROM claims WHERE key = 'halt'")
    changed = [dict(r) for r in BASE]
    changed[0]["reliability"] = "B"
    changed[3]["text"] = "The crackdown had stopped by June 2018."
    changed[5]["credibility"] = 3
    run = cli.ok("import", str(write_jsonl(tmp_path / "b.jsonl", changed)), "--json")
    counts = summary(run)
    assert counts["source"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert counts["claim"] == {"created": 0, "updated": 1, "unchanged": 1}
    assert counts["evidence"] == {"created": 0, "updated": 1, "unchanged": 0}
    assert rows(cli.url, "SELECT id, created_at FROM claims WHERE key = 'halt'") == ids
    assert scalar(cli.url, "SELECT count(*) FROM evidence") == 1
    edit = rows(cli.url, "SELECT before, after FROM history WHERE action = 'claim.edit'")
    assert [tuple(json.loads(x) for x in pair) for pair in edit] == [
        (
            {"text": "The crackdown had largely stopped by June 2018."},
            {"text": "The crackdown had stopped by June 2018."},
        )
    ]
    edit = rows(cli.url, "SELECT before, after FROM history WHERE action = 'evidence.edit'")
    assert [tuple(json.loads(x) for x in pair) for pair in edit] == [
        ({"credibility": 2}, {"credibility": 3})
    ]
    assert cli.ok("source", "show", "dnk", "--json").json()["reliability"] == "B"


def test_dry_run_gives_the_real_summary_and_writes_nothing(cli, tmp_path, db_dump):
    path = write_jsonl(tmp_path / "base.jsonl", BASE)
    before = db_dump(cli.url)
    dry = cli.ok("import", str(path), "--dry-run", "--json")
    assert db_dump(cli.url) == before
    real = cli.ok("import", str(path), "--json")
    assert summary(dry) == summary(real)
    assert json.loads(dry.stdout)["dry_run"] is True
    assert summary(cli.ok("import", str(path), "--dry-run", "--json")) == summary(
        cli.ok("import", str(path), "--json")
    )


def test_records_in_any_order_and_chains_resolved_after_reading(cli, tmp_path):
    records = [
        {"type": "evidence", "claim": "c", "source": "leaf", "stance": "supports"},
        {"type": "source", "key": "leaf", "name": "Leaf", "derived_from": "mid"},
        {"type": "claim", "key": "c", "text": "Some claim."},
        {"type": "source", "key": "mid", "name": "Mid", "derived_from": "root"},
        {"type": "source", "key": "root", "name": "Root"},
    ]
    cli.ok("import", str(write_jsonl(tmp_path / "r.jsonl", records)))
    assert cli.ok("source", "show", "leaf", "--json").json()["chain"] == ["leaf", "mid", "root"]
    assert rows(
        cli.url,
        "SELECT s.key, o.key FROM sources s JOIN sources o ON o.id = s.origin_id ORDER BY s.key",
    ) == [("leaf", "root"), ("mid", "root"), ("root", "root")]


def test_a_changed_parent_moves_the_origin_of_existing_descendants(cli, tmp_path):
    cli.ok("import", str(write_jsonl(tmp_path / "a.jsonl", BASE)))
    cli.ok("source", "add", "Reprint", "--key", "reprint", "--derived-from", "wire")
    moved = [{"type": "source", "key": "wire", "name": "Wire copy", "derived_from": "dnk"}]
    cli.ok("import", str(write_jsonl(tmp_path / "b.jsonl", moved)))
    assert cli.ok("source", "show", "reprint", "--json").json()["origin"] == "dnk"


def test_a_cut_chain_moves_the_origin_back_and_records_it(cli, tmp_path):
    cli.ok("import", str(write_jsonl(tmp_path / "a.jsonl", BASE)))
    cli.ok("source", "add", "Reprint", "--key", "reprint", "--derived-from", "wire")
    assert cli.ok("source", "show", "reprint", "--json").json()["origin"] == "ryg"
    cut = [{"type": "source", "key": "wire", "name": "Wire copy", "derived_from": ""}]
    cli.ok("import", str(write_jsonl(tmp_path / "b.jsonl", cut)))
    assert cli.ok("source", "show", "reprint", "--json").json()["origin"] == "wire"
    assert cli.ok("source", "show", "wire", "--json").json()["origin"] == "wire"
    edits = rows(
        cli.url,
        "SELECT before, after FROM history WHERE action = 'source.edit' ORDER BY id",
    )
    assert [(json.loads(b), json.loads(a)) for b, a in edits][-1] == (
        {"derived_from": "ryg", "origin": "ryg"},
        {"derived_from": None, "origin": "wire"},
    )
    cli.ok("import", str(write_jsonl(tmp_path / "b.jsonl", cut)))  # again: nothing changes
    assert len(rows(cli.url, "SELECT id FROM history WHERE action = 'source.edit'")) == len(edits)


def test_derived_from_loop_is_refused(cli, tmp_path, db_dump):
    records = [
        {"type": "source", "key": "a", "name": "A", "derived_from": "b"},
        {"type": "source", "key": "b", "name": "B", "derived_from": "a"},
    ]
    path = write_jsonl(tmp_path / "loop.jsonl", records)
    before = db_dump(cli.url)
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert (
        f"{path}:1: derived_from: 'b' — expected a source that does not derive from 'a' "
        "(that makes a loop: a → b → a)" in run.stderr
    )
    assert db_dump(cli.url) == before


def test_bad_records_are_named_and_nothing_is_written(cli, tmp_path, db_dump):
    records = [dict(r) for r in BASE] + [
        {"type": "claim", "key": f"k{n}", "text": f"Claim {n}."} for n in range(3000)
    ]
    records.insert(2500, {"type": "evidence", "claim": "halt", "source": "dnk", "stance": "maybe"})
    records.insert(2700, {"type": "source", "key": "x", "name": "X", "reliability": "G"})
    records.insert(
        2800, {"type": "evidence", "claim": "nope", "source": "dnk", "stance": "neutral"}
    )
    records.insert(2900, {"type": "claim", "key": "y", "text": "Y", "colour": "red"})
    records.insert(2950, {"type": "claim", "key": "z", "text": "NUL \x00 inside"})
    records.insert(2960, {"type": "claim", "key": "h", "text": "x" * 1_200_000})
    path = write_jsonl(tmp_path / "bad.jsonl", records)
    before = db_dump(cli.url)
    run = cli("import", str(path))
    assert run.exit_code == 1
    lines = run.stderr.splitlines()
    assert lines == [
        f"{path}:2501: stance: 'maybe' — expected one of supports, contradicts, neutral",
        f"{path}:2701: reliability: 'G' — expected a reliability grade A-F (F: cannot be judged)",
        f"{path}:2901: colour: 'red' — expected no such field in a claim record (fields: key, "
        "text, tags, event_date, place, notes)",
        f"{path}:2951: text: <text with a NUL byte> — expected text without NUL bytes",
        f"{path}:2961: text: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (1,200,000 "
        "characters) — expected at most 1,000,000 characters",
        f"{path}:2801: claim: 'nope' — expected the key of a claim in the files or the database",
        "Error: 6 bad rows; nothing was imported. Fix them and run the import again, or import "
        "the good rows with --skip-errors REJECTS.csv (the bad ones are written there with "
        "their reasons).",
    ]
    assert db_dump(cli.url) == before


def test_many_bad_rows_are_cut_after_twenty(cli, tmp_path):
    records = [
        {"type": "claim", "key": f"k{n}", "text": "x", "event_date": "June"} for n in range(25)
    ]
    run = cli("import", str(write_jsonl(tmp_path / "bad.jsonl", records)))
    lines = run.stderr.splitlines()
    assert len(lines) == 22
    assert lines[-2] == "... and 5 more bad rows"


def test_not_json_and_unknown_type(cli, tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"type": "claim", "key": "a", "text": "A"}\n{not json}\n{"type": "rumour"}\n\n[1]\n'
    )
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert run.stderr.splitlines()[:3] == [
        f"{path}:2: record: not JSON (Expecting property name enclosed in double quotes at "
        "column 2) — expected one JSON object per line",
        f"{path}:3: type: 'rumour' — expected one of source, claim, evidence, link, verdict, alias",
        f'{path}:5: record: [1] — expected a JSON object such as {{"type": "claim", ...}}',
    ]


def test_json_array_and_stdin(cli, tmp_path):
    path = tmp_path / "base.json"
    path.write_text("\ufeff" + json.dumps(BASE, indent=1), encoding="utf-8")
    assert summary(cli.ok("import", str(path), "--json"))["claim"]["created"] == 2
    data = "".join(json.dumps(r) + "\n" for r in BASE)
    run = cli.ok("import", "-", "--format", "jsonl", "--json", input=data)
    assert summary(run)["claim"] == {"created": 0, "updated": 0, "unchanged": 2}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([BASE[0], {"type": "claim", "key": "q"}]))
    run = cli("import", str(bad))
    assert run.stderr.splitlines()[0] == (
        f"{bad}:item 2: text: <missing> — expected a non-empty text"
    )


def test_skip_errors_imports_the_rest_and_writes_rejects(cli, tmp_path):
    records = BASE + [{"type": "evidence", "claim": "ghost", "source": "dnk", "stance": "supports"}]
    rejects = tmp_path / "rejects.csv"
    run = cli.ok(
        "import", str(write_jsonl(tmp_path / "x.jsonl", records)), "--skip-errors", str(rejects)
    )
    assert "Rejected 1 bad row: see" in run.stdout
    import csv

    with rejects.open(encoding="utf-8") as handle:
        got = list(csv.reader(handle))
    assert got[0] == ["file", "line", "field", "value", "expected", "record"]
    assert got[1][1:5] == ["9", "claim", "ghost", "the key of a claim in the files or the database"]
    assert json.loads(got[1][5])["claim"] == "ghost"
    assert scalar(cli.url, "SELECT count(*) FROM claims") == 2


def test_missing_file_and_bad_options(cli, tmp_path):
    run = cli("import", str(tmp_path / "none.jsonl"))
    assert run.exit_code == 1
    assert "expected an existing file (or - for standard input)" in run.stderr
    path = write_jsonl(tmp_path / "a.jsonl", BASE)
    run = cli("import", str(path), "--map", "claim_text=x")
    assert run.exit_code == 2  # options that do not apply: a usage error
    assert "a CSV file (these options apply to CSV sheets only)" in run.stderr


def test_moved_evidence_history_names_sources_and_claims_by_key(cli, tmp_path):
    """Keys in an edit's before/after come from the files, or from the database for sources
    and claims the files do not mention, across many edited rows."""
    base = [
        {"type": "source", "key": "dnk", "name": "Daily NK"},
        {"type": "source", "key": "ryg", "name": "Ryanggang informant"},
        {"type": "source", "key": "wire", "name": "Wire copy"},
        *[{"type": "claim", "key": f"c{n}", "text": f"Claim number {n}"} for n in range(30)],
        *[
            {
                "type": "evidence",
                "key": f"e{n}",
                "claim": f"c{n}",
                "source": "ryg",
                "via": "wire",
                "stance": "supports",
            }
            for n in range(30)
        ],
    ]
    cli.ok("import", str(write_jsonl(tmp_path / "a.jsonl", base)))
    moved = [
        {"type": "source", "key": "new", "name": "New outlet"},
        *[
            {
                "type": "evidence",
                "key": f"e{n}",
                "claim": f"c{(n + 1) % 30}",
                "source": "new" if n % 2 else "dnk",
                "via": "dnk",
                "stance": "supports",
            }
            for n in range(30)
        ],
    ]
    cli.ok("import", str(write_jsonl(tmp_path / "b.jsonl", moved)))
    edits = rows(
        cli.url,
        "SELECT e.key, h.before, h.after FROM history AS h JOIN evidence AS e "
        "ON e.id = h.evidence_id WHERE h.action = 'evidence.edit' ORDER BY e.id",
    )
    assert [(key, json.loads(before), json.loads(after)) for key, before, after in edits] == [
        (
            f"e{n}",
            {"claim": f"c{n}", "source": "ryg", "via": "wire"},
            {"claim": f"c{(n + 1) % 30}", "source": "new" if n % 2 else "dnk", "via": "dnk"},
        )
        for n in range(30)
    ]
