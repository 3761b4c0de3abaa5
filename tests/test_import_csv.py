"""claimtrack import of the CSV evidence sheet: real-world headers, words, delimiters and
encodings; bad rows deep in a file named by line with nothing written; --skip-errors."""

from __future__ import annotations

import csv
import json

from transfer_helpers import rows, scalar, summary

HEADER = "claim_key,claim_text,source_key,source_name,stance,credibility,reliability,quote,url,via,observed,tags"


def sheet(
    tmp_path,
    lines: list[str],
    name: str = "sheet.csv",
    *,
    newline: str = "\n",
    encoding: str = "utf-8",
    bom: bool = False,
):
    path = tmp_path / name
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding))
    return path


GOOD = [
    HEADER,
    'halt,The crackdown had largely stopped by June 2018.,ryg,Ryanggang informant,supports,2,,"the crackdowns have stopped, he said",para. 3,Daily NK,2018-07-06,crackdown;north korea',
    "halt,The crackdown had largely stopped by June 2018.,nhg,North Hamgyong informant,supports,2,,fizzled out by June,,Daily NK,,crackdown",
    ",The decrees were taken down.,,Daily NK,neutral,,C,,,,,",
]


def test_sheet_creates_claims_sources_and_evidence(cli, tmp_path):
    run = cli.ok("import", str(sheet(tmp_path, GOOD)), "--json")
    assert summary(run) == {
        "source": {"created": 3, "updated": 0, "unchanged": 0},
        "claim": {"created": 2, "updated": 0, "unchanged": 0},
        "evidence": {"created": 3, "updated": 0, "unchanged": 0},
        "link": {"created": 0, "updated": 0, "unchanged": 0},
        "verdict": {"created": 0, "updated": 0, "unchanged": 0},
    }
    halt = cli.ok("claim", "show", "halt", "--json").json()
    assert (halt["status"], halt["support_origins"]) == ("corroborated", 2)
    assert halt["tags"] == ["crackdown", "north korea"]
    assert [e["via"] for e in halt["evidence"]] == ["daily-nk", "daily-nk"]
    assert halt["evidence"][0]["quote"] == "the crackdowns have stopped, he said"
    assert cli.ok("source", "show", "daily-nk", "--json").json()["reliability"] == "C"
    keys = [c["key"] for c in cli.ok("claim", "list", "--json").json()]
    assert keys == ["halt", "the-decrees-were-taken-down"]


def test_sheet_reimport_is_idempotent(cli, tmp_path, db_dump):
    path = sheet(tmp_path, GOOD)
    cli.ok("import", str(path))
    before = db_dump(cli.url)
    run = cli.ok("import", str(path), "--json")
    assert summary(run)["evidence"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert db_dump(cli.url) == before


def test_reimport_matches_each_stored_row_once_including_empty_quotes(cli, tmp_path, db_dump):
    """Rows without a key match stored rows on their content, in SQL: a repeated row takes
    the next stored copy, an empty quote or url matches an empty one, and a copy more than
    the database holds is created."""
    lines = [
        "claim_key,claim_text,source_key,stance,quote,url",
        "a,Claim A,s1,supports,same words,",
        "a,Claim A,s1,supports,same words,",
        "a,Claim A,s1,supports,,",
        "a,Claim A,s1,contradicts,,https://example.org/x",
        "a,Claim A,s1,contradicts,other words,https://example.org/x",
    ]
    path = sheet(tmp_path, lines)
    cli.ok("import", str(path))
    before = db_dump(cli.url)
    run = cli.ok("import", str(path), "--json")
    assert summary(run)["evidence"] == {"created": 0, "updated": 0, "unchanged": 5}
    assert db_dump(cli.url) == before
    run = cli.ok("import", str(sheet(tmp_path, [*lines, lines[1]], "more.csv")), "--json")
    assert summary(run)["evidence"] == {"created": 1, "updated": 0, "unchanged": 5}
    assert scalar(cli.url, "SELECT count(*) FROM evidence WHERE quote = 'same words'") == 3


def test_evidence_without_key_matches_and_updates_in_place(cli, tmp_path):
    cli.ok("import", str(sheet(tmp_path, GOOD)))
    ids = rows(cli.url, "SELECT id, created_at FROM evidence ORDER BY id")
    changed = [GOOD[0], GOOD[1].replace("supports,2,", "supports,3,"), GOOD[2], GOOD[3]]
    run = cli.ok("import", str(sheet(tmp_path, changed, "b.csv")), "--json")
    assert summary(run)["evidence"] == {"created": 0, "updated": 1, "unchanged": 2}
    assert rows(cli.url, "SELECT id, created_at FROM evidence ORDER BY id") == ids
    assert scalar(cli.url, "SELECT credibility FROM evidence WHERE quote LIKE 'the crack%'") == 3


def test_bom_crlf_semicolon_and_tab(cli, tmp_path):
    semi = [
        line.replace(",", ";")
        for line in ["claim_key,claim_text,source_key,stance,quote", "a,Claim A,s1,supports,x"]
    ]
    for i, (lines, kwargs) in enumerate(
        [
            (
                ["claim_key,claim_text,source_key,stance", "a,Claim A,s1,supports"],
                {"newline": "\r\n", "bom": True},
            ),
            (semi, {}),
            (
                [
                    line.replace(",", "\t")
                    for line in [
                        "claim_key,claim_text,source_key,stance",
                        "b,Claim B,s1,contradicts",
                    ]
                ],
                {},
            ),
        ]
    ):
        run = cli.ok("import", str(sheet(tmp_path, lines, f"s{i}.csv", **kwargs)), "--json")
        assert sum(c["created"] + c["unchanged"] for c in summary(run).values()) >= 3
    claims = {c["key"]: c["text"] for c in cli.ok("claim", "list", "--json").json()}
    assert claims == {"a": "Claim A", "b": "Claim B"}
    assert scalar(cli.url, "SELECT quote FROM evidence WHERE quote IS NOT NULL") == "x"


def test_map_stance_map_and_ignored_columns(cli, tmp_path):
    lines = [
        ",Claim,Outlet,Position,Extra",
        "0,Pigs fly,example.org,for,meta",
        "1,Pigs fly,other.org,against,meta",
        "2,Pigs fly,third.org,observing,meta",
    ]
    path = sheet(tmp_path, lines)
    run = cli.ok(
        "import",
        str(path),
        "--map",
        "claim_text=Claim",
        "--map",
        "source_key=Outlet",
        "--map",
        "source_name=outlet",
        "--map",
        "stance=Position",
        "--stance-map",
        "for=supports,against=contradicts,observing=neutral",
    )
    assert (
        f"Ignored columns of {path} (no field maps to them): (unnamed column 1), Extra"
        in run.stdout
    )
    shown = cli.ok("claim", "show", "pigs-fly", "--json").json()
    assert [(e["source"], e["stance"]) for e in shown["evidence"]] == [
        ("example.org", "supports"),
        ("other.org", "contradicts"),
        ("third.org", "neutral"),
    ]
    assert shown["status"] == "contested"


def test_header_without_required_columns(cli, tmp_path):
    path = sheet(tmp_path, ["Claim,Outlet", "a,b"])
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert run.stderr.splitlines()[0] == (
        f"{path}:1: header: Claim, Outlet — expected columns for claim_key or claim_text; "
        "source_key or source_name; stance (map your own headers with --map FIELD=COLUMN)"
    )
    run = cli("import", str(path), "--map", "claim_text=Nope")
    assert run.stderr.splitlines()[0] == (
        f"{path}:1: --map claim_text: 'Nope' — expected a column of the header: Claim, Outlet"
    )
    run = cli("import", str(path), "--map", "colour=Claim")
    assert run.exit_code == 2  # a bad option value: a usage error
    assert "expected a sheet field: claim_key" in run.stderr


def test_latin1_is_refused_naming_the_line(cli, tmp_path, db_dump):
    lines = (
        ["claim_key,claim_text,source_key,stance"]
        + [f"k{n},Claim {n},s,supports" for n in range(500)]
        + ["x,Caf\u00e9 closed,s,supports"]
    )
    path = sheet(tmp_path, lines, encoding="latin-1")
    before = db_dump(cli.url)
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        f"{path}:502: encoding: byte 0xe9 at column 6 is not UTF-8 — expected UTF-8",
        "claimtrack reads UTF-8 only: re-save the file as UTF-8 (spreadsheets: 'CSV UTF-8'), "
        f"or convert it, e.g. iconv -f latin1 -t utf-8 {path} > converted.csv",
        "Error: 1 bad row; nothing was imported. Fix the file and run the import again.",
    ]
    assert db_dump(cli.url) == before
    run = cli("import", str(path), "--skip-errors", str(tmp_path / "rej.csv"))
    assert run.exit_code == 1 and db_dump(cli.url) == before


def test_large_fields_are_kept_and_too_large_refused(cli, tmp_path):
    big = "q" * 300_000
    path = sheet(
        tmp_path, ["claim_key,claim_text,source_key,stance,quote", f"a,A,s,supports,{big}"]
    )
    cli.ok("import", str(path))
    assert scalar(cli.url, "SELECT length(quote) FROM evidence") == 300_000


def _generated(tmp_path, bad: dict[int, str], total: int = 5000):
    lines = [HEADER]
    for n in range(2, total + 2):
        lines.append(
            bad.get(n) or f"c{n % 50},Claim {n % 50},s{n % 7},Source {n % 7},supports,3,,q{n},,,,"
        )
    return sheet(tmp_path, lines, "big.csv")


def test_bad_rows_deep_in_a_sheet_are_named_and_nothing_written(cli, tmp_path, db_dump):
    bad = {
        1201: "c1,Claim 1,s1,Source 1,maybe,3,,q,,,,",
        2402: "c1,Claim 1,s1,Source 1,supports,9,,q,,,,",
        3003: "c1,Claim 1,s1,Source 1,supports,3,G,q,,,,",
        3504: "ghost,,s1,Source 1,supports,3,,q,,,,",
        4005: "c1,Claim 1,s1,Source 1,supports,3,,q,,,,,extra",
        4506: "c1,Claim 1,s1,Source 1,supports,3,,nul \x00 here,,,,",
        4807: "c1,Claim 1,s1,Source 1,supports,3,,q,,,2018-02-30,",
        4908: "c1,Claim 1,s1,Source 1,supports,3,,%s,,,," % ("h" * 1_000_001),
    }
    path = _generated(tmp_path, bad)
    cli.ok("claim", "add", "Pre-existing claim", "--key", "pre")
    before = db_dump(cli.url)
    run = cli("import", str(path))
    assert run.exit_code == 1
    assert run.stderr.splitlines() == [
        f"{path}:1201: stance: 'maybe' — expected one of supports, contradicts, neutral",
        f"{path}:2402: credibility: '9' — expected a credibility grade 1-6 (6: cannot be judged)",
        f"{path}:3003: reliability: 'G' — expected a reliability grade A-F (F: cannot be judged)",
        f"{path}:4005: row: 13 cells — expected at most 12 cells like the header (quote cells "
        "that contain ',')",
        f"{path}:4506: quote: <text with a NUL byte> — expected text without NUL bytes",
        f"{path}:4807: observed: '2018-02-30' — expected a date as YYYY, YYYY-MM or YYYY-MM-DD",
        f"{path}:4908: quote: 'hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh…' (1,000,001 "
        "characters) — expected at most 1,000,000 characters",
        f"{path}:3504: claim_text: <missing> — expected the text of the new claim 'ghost' "
        "(no claim has this key yet)",
        f"{path}:3504: claim_key: 'ghost' — expected the key of a claim in the files or the "
        "database",
        "Error: 8 bad rows; nothing was imported. Fix them and run the import again, or import "
        "the good rows with --skip-errors REJECTS.csv (the bad ones are written there with "
        "their reasons).",
    ]
    assert db_dump(cli.url) == before


def test_skip_errors_writes_the_bad_rows_with_reasons(cli, tmp_path):
    path = _generated(tmp_path, {100: "c1,Claim 1,s1,Source 1,maybe,3,,q,,,,"}, total=300)
    rejects = tmp_path / "rejects.csv"
    run = cli.ok("import", str(path), "--skip-errors", str(rejects), "--json")
    data = json.loads(run.stdout)
    assert data["rejected"] == 1 and data["counts"]["evidence"]["created"] == 299
    with rejects.open(encoding="utf-8") as handle:
        got = list(csv.reader(handle))
    assert got[1] == [
        str(path),
        "100",
        "stance",
        "maybe",
        "one of supports, contradicts, neutral",
        "c1,Claim 1,s1,Source 1,maybe,3,,q,,,,",
    ]
    dry = cli.ok(
        "import", str(path), "--skip-errors", str(tmp_path / "r2.csv"), "--dry-run", "--json"
    )
    assert json.loads(dry.stdout)["rejected"] == 1
    assert not (tmp_path / "r2.csv").exists()


def test_conflicting_definitions_of_one_claim(cli, tmp_path):
    path = sheet(
        tmp_path,
        [
            "claim_key,claim_text,source_key,stance",
            "a,First text,s,supports",
            "a,Other text,s,supports",
        ],
    )
    run = cli("import", str(path))
    assert run.stderr.splitlines()[0] == (
        f"{path}:3: text: 'Other text' — expected 'First text' as at {path}:2 (one claim, one text)"
    )
