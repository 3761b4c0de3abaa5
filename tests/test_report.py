"""`claimtrack report`: every format parsed back and checked against `claim list --json`;
filters and sorting; user text that tries to become markup or a formula stays inert."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from seed_example import HALT, enter_seed
from sqlalchemy import create_engine, text

from claimtrack.db import resolve_url

ROOT = Path(__file__).resolve().parents[1]
COMPARED = ["key", "status", "verdict", "score", "likelihood", "support_origins",
            "contradict_origins", "support_channels", "tags", "text"]  # fmt: skip


class Page(HTMLParser):
    """Every element, its attributes and the page text, for checks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse_html(text: str) -> Page:
    page = Page()
    page.feed(text)
    page.close()
    return page


class TableReader(HTMLParser):
    """The cells of the claims table (class="claims"), row by row."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "claims") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_json_report_matches_claim_list(cli):
    enter_seed(cli)
    listed = {row["key"]: row for row in cli.ok("claim", "list", "--json").json()}
    report = cli.ok("report", "--format", "json", "--detail").json()
    assert report["summary"] == {
        "claims": 3,
        "status": {"unverified": 1, "corroborated": 2, "contested": 0, "disputed": 0,
                   "refuted": 0},
        "verdict": {"confirmed": 0, "debunked": 0},
    }  # fmt: skip
    assert [row["key"] for row in report["claims"]] == ["backlash", "halt", "kim-order"]
    for row in report["claims"]:
        assert {k: row[k] for k in COMPARED} == {k: listed[row["key"]][k] for k in COMPARED}
    halt = next(row for row in report["claims"] if row["key"] == "halt")
    assert (halt["channels"], halt["evidence_count"]) == (["dnk"], 2)
    assert [
        (o["origin"], o["stance"], [i["source"] for i in o["items"]]) for o in halt["origins"]
    ] == [
        ("src-ryanggang", "supports", ["src-ryanggang"]),
        ("src-nhamgyong", "supports", ["src-nhamgyong"]),
    ]
    # Without --detail the rows come from one aggregate query: the same numbers.
    plain = cli.ok("report", "--json").json()["claims"]
    detail_keys = {"origins", "not_credible", "neutral"}
    assert plain == [
        {k: v for k, v in row.items() if k not in detail_keys} for row in report["claims"]
    ]


def test_csv_report_parses_back(cli):
    enter_seed(cli)
    listed = {row["key"]: row for row in cli.ok("claim", "list", "--json").json()}
    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "--format", "csv").stdout)))
    assert [row["key"] for row in rows] == sorted(listed)
    for row in rows:
        claim = listed[row["key"]]
        assert row["status"] == claim["status"]
        assert float(row["score"]) == claim["score"]
        assert int(row["support_origins"]) == claim["support_origins"]
        assert int(row["contradict_origins"]) == claim["contradict_origins"]
        assert row["text"] == claim["text"]
        assert row["tags"] == ";".join(claim["tags"])


def test_markdown_report_has_table_and_detail(cli):
    enter_seed(cli)
    text = cli.ok("report", "--format", "markdown").stdout
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith(
        "| key | status | verdict | score | likelihood | confidence | S | X | channels |"
    )
    cells = [c.strip() for c in table[2].strip("|").split("|")]
    # Both informants reach us through Daily NK: one channel, so 0.54 and not 0.55, low
    # confidence, and the warning beside the channel.
    assert cells[:9] == [
        "halt", "corroborated", "", "0.54", "roughly even chance", "low", "2", "0",
        "dnk ⚠ 2 origins, 1 channel",
    ]  # fmt: skip
    assert "## halt: corroborated" in text
    assert "- **supports** origin src-ryanggang (reliability F, best credibility 3" in text
    assert "  - #1 src-ryanggang, credibility 3, via dnk: “the crackdowns have stopped”" in text


def test_html_report_parses_back(cli, tmp_path):
    enter_seed(cli)
    out = tmp_path / "report.html"
    run = cli.ok("report", "--format", "html", "-o", str(out))
    assert run.stdout == ""
    assert run.stderr.strip() == f"Wrote html report of 3 claims to {out}"
    text = out.read_text(encoding="utf-8")
    reader = TableReader()
    reader.feed(text)
    header, *body = reader.rows
    # Key, status and score first: what a narrow screen shows without scrolling.
    assert header[:5] == ["key", "status", "score", "verdict", "claim"]
    listed = {row["key"]: row for row in cli.ok("claim", "list", "--json").json()}
    assert [row[0] for row in body] == sorted(listed)
    for row in body:
        claim = listed[row[0]]
        assert (row[4], row[1], float(row[2])) == (claim["text"], claim["status"],
                                                   round(claim["score"], 2))  # fmt: skip
    page = parse_html(text)
    tags = [tag for tag, _ in page.elements]
    assert tags.count("svg") == 3 and tags.count("section") == 3
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert not [a for _, attrs in page.elements for a in attrs.values() if a and "//" in a
                and not a.startswith(("http://www.w3.org/",))]  # fmt: skip


def test_table_report_and_filters(cli):
    enter_seed(cli)
    cli.ok("claim", "verdict", "kim-order", "debunked", "--reason", "never said")
    table = cli.ok("report").stdout
    assert table.splitlines()[0].split()[:10] == [
        "key", "status", "verdict", "score", "likelihood", "confidence", "S", "X", "channels",
        "evidence",
    ]  # fmt: skip
    # The summary, then the links between the claims shown.
    assert table.splitlines()[-5:] == [
        "3 claims: 1 unverified, 2 corroborated; verdicts: 1 debunked",
        "Scores by grade defaults.",
        "",
        "Links:",
        "  backlash supports halt",
    ]

    def keys(*args):
        return [row["key"] for row in cli.ok("report", "--json", *args).json()["claims"]]

    assert keys("--status", "corroborated") == ["backlash", "halt"]
    assert keys("--status", "unverified", "--status", "corroborated") == [
        "backlash", "halt", "kim-order"
    ]  # fmt: skip
    assert keys("--tag", "kim") == ["kim-order"]
    assert keys("--source", "smuggler") == ["backlash"]
    assert keys("--source", "src-nhamgyong") == ["halt", "kim-order"]  # source and via
    assert keys("--source", "dnk") == ["backlash", "halt", "kim-order"]  # any hop of a chain
    assert keys("--since", "2999-01-01") == []
    assert keys("--sort", "score") == ["halt", "backlash", "kim-order"]
    assert keys("--sort", "score", "--reverse") == ["kim-order", "backlash", "halt"]
    assert keys("--sort", "evidence") == ["backlash", "halt", "kim-order"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--status", "true"), "Error: --status: 'true' is not valid; expected one of "
         "unverified, corroborated, contested, disputed, refuted"),
        (("--format", "pdf"), "Error: --format: 'pdf' is not valid; expected one of "
         "table, csv, tsv, json, jsonl, markdown, html"),
        (("--sort", "colour"), "Error: --sort: 'colour' is not valid; expected one of "
         "key, status, score, last-change, evidence, origins"),
        (("--source", "nobody"), "Error: no source with key 'nobody': list them with "
         "`claimtrack source list`"),
        (("--as-of", "June"), "Error: --as-of: 'June' is not valid; expected a date "
         "(YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM[:SS][+00:00])"),
        (("--by", "tag"), "Error: --by: 'tag' is not valid; expected one of claim, source"),
    ],
)  # fmt: skip
def test_report_refuses_bad_options(cli, args, message):
    run = cli("report", *args)
    usage = message.startswith("Error: -")  # a bad option value: a usage error, exit 2
    assert (run.exit_code, run.stderr.strip(), run.stdout) == (2 if usage else 1, message, "")


XSS_TEXT = '<script>alert("text")</script> & "quoted" | pipe *bold*'
XSS_QUOTE = '"><img src=x onerror=alert(1)>'
XSS_URL = "javascript:alert(document.cookie)"
XSS_NAME = "</text><script>alert('svg')</script>"


def test_user_text_is_inert_in_every_format(cli, tmp_path):
    cli.ok("source", "add", XSS_NAME, "--key", "evil", "--reliability", "B")
    cli.ok("claim", "add", XSS_TEXT, "--key", "xss", "--tag", "<b>tag</b>")
    cli.ok("claim", "add", '=HYPERLINK("http://x","click")', "--key", "formula")
    cli.ok("claim", "add", "@SUM(A1)", "--key", "at-sign")
    cli.ok("evidence", "add", "xss", "--source", "evil", "--supports", "--quote", XSS_QUOTE,
           "--url", XSS_URL)  # fmt: skip
    cli.ok("evidence", "add", "formula", "--source", "evil", "--contradicts", "--quote",
           "-2+3", "--url", "https://example.org/a?b=\"c\"")  # fmt: skip

    html_text = cli.ok("report", "--format", "html").stdout
    page = parse_html(html_text)
    tags = {tag for tag, _ in page.elements}
    assert not tags & {"script", "img", "iframe", "object", "embed"}
    for _, attrs in page.elements:
        assert not [name for name in attrs if name.startswith("on")]
        assert "javascript:" not in (attrs.get("href") or "")
    visible = "".join(page.text)
    assert XSS_TEXT in visible and XSS_QUOTE in visible and XSS_URL in visible
    hrefs = [attrs["href"] for tag, attrs in page.elements if tag == "a" and
             attrs.get("href", "").startswith("http")]  # fmt: skip
    assert hrefs == ['https://example.org/a?b="c"']

    by_source = cli.ok("report", "--by", "source", "--format", "html").stdout
    assert "<script" not in by_source and "&lt;/text&gt;&lt;script&gt;" in by_source

    markdown = cli.ok("report", "--format", "markdown").stdout
    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script&gt;" in markdown and "\\| pipe \\*bold\\*" in markdown

    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "--format", "csv").stdout)))
    texts = {row["key"]: row["text"] for row in rows}
    assert texts["formula"] == '\'=HYPERLINK("http://x","click")'
    assert texts["at-sign"] == "'@SUM(A1)"
    assert texts["xss"] == XSS_TEXT

    data = json.loads(cli.ok("report", "--format", "json", "--detail").stdout)
    xss = next(row for row in data["claims"] if row["key"] == "xss")
    assert xss["text"] == XSS_TEXT  # JSON carries the text as typed
    assert xss["origins"][0]["items"][0]["quote"] == XSS_QUOTE


def test_report_of_an_empty_database(cli):
    assert cli.ok("report").stdout.strip() == "No claims match."
    data = cli.ok("report", "--json").json()
    assert (data["claims"], data["summary"]["claims"]) == ([], 0)
    assert "No claims match." in cli.ok("report", "--format", "html").stdout


def test_csv_cells_are_neutralised():
    from claimtrack.output.csv import csv_cell

    assert [csv_cell(v) for v in ["=1", "+1", "-1", "@a", "\tx", "\rx", "ok", 3, None]] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "'\rx", "ok", 3, "",
    ]  # fmt: skip


def test_seed_text_round_trips(cli):
    enter_seed(cli)
    assert any(row["text"] == HALT for row in cli.ok("report", "--json").json()["claims"])


def _bench_tiny_dataset(folder: Path) -> Path:
    """bench/generate.py's tiny dataset (100 claims, 1,000 items), generated into `folder`."""
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses resolve their annotations there
    spec.loader.exec_module(generate)
    generate.generate(generate.SIZES["tiny"], folder)
    return folder / "dataset.jsonl"


@pytest.mark.parametrize("data", ["seed", "bench-tiny", "damaged"])
def test_report_without_detail_agrees_with_assessing_every_item(cli, tmp_path, data):
    """Without --detail the report reads only the items' grades (claim_standings); with it,
    every item is assessed (status.assess). Both give every claim the same values, also when
    a damaged database holds a source without an origin (as the outlet every item came via)."""
    if data in ("seed", "damaged"):
        enter_seed(cli)
        cli.ok("evidence", "add", "halt", "--source", "police", "--contradicts",
               "--credibility", "5")  # fmt: skip
        cli.ok("evidence", "add", "backlash", "--source", "dnk", "--contradicts",
               "--credibility", "2")  # fmt: skip
    else:
        cli.ok("import", str(_bench_tiny_dataset(tmp_path / "tiny")))
    if data == "damaged":
        engine = create_engine(resolve_url(cli.url))
        with engine.begin() as conn:
            conn.execute(text("UPDATE sources SET origin_id = NULL WHERE key = 'dnk'"))
        engine.dispose()
    plain = cli.ok("report", "--format", "json").json()
    detailed = cli.ok("report", "--format", "json", "--detail").json()
    for row in detailed["claims"]:
        for name in ("origins", "not_credible", "neutral"):
            del row[name]
    assert plain["claims"] == detailed["claims"]
    assert plain["summary"] == detailed["summary"]
    statuses = {row["status"] for row in plain["claims"]}
    assert len(statuses) >= {"seed": 3, "bench-tiny": 4, "damaged": 2}[data], statuses
