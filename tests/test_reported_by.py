"""--reported-by DATE: what had been reported by then, by each item's observed date (or, without
one, the day it was recorded), beside --as-of (what this database held then); the two compose."""

from __future__ import annotations

import json

import pytest

# Observed dates as an analyst logging last year's articles would enter them: halt is first
# reported in July 2018 by one informant, corroborated in September, contested in 2019.
RECORDS = [
    {"type": "source", "key": "dnk", "name": "Daily NK", "kind": "outlet", "reliability": "C"},
    {"type": "source", "key": "ryg", "name": "Ryanggang informant"},
    {"type": "source", "key": "nhg", "name": "North Hamgyong informant"},
    {"type": "source", "key": "kcna", "name": "KCNA", "reliability": "E"},
    {"type": "source", "key": "rfa", "name": "Radio Free Asia", "reliability": "C"},
    {"type": "claim", "key": "halt", "text": "The crackdown had largely stopped by June 2018."},
    {"type": "claim", "key": "later", "text": "A second crackdown began in 2019."},
    {"type": "evidence", "claim": "halt", "source": "ryg", "via": "dnk", "stance": "supports",
     "credibility": 2, "observed": "2018-07-06"},
    {"type": "evidence", "claim": "halt", "source": "nhg", "via": "dnk", "stance": "supports",
     "credibility": 2, "observed": "2018-09-14"},
    {"type": "evidence", "claim": "halt", "source": "rfa", "stance": "contradicts",
     "credibility": 3, "observed": "2019-02-01"},
    {"type": "evidence", "claim": "later", "source": "rfa", "stance": "supports",
     "credibility": 3, "observed": "2019-03-01"},
]  # fmt: skip


@pytest.fixture
def reported(cli, tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    cli.ok("import", str(path))
    return cli


def statuses(cli, *args):
    report = cli.ok("report", "--json", *args).json()
    return {row["key"]: (row["status"], row["evidence_count"]) for row in report["claims"]}


def test_report_reported_by_leaves_out_evidence_observed_later(reported):
    assert statuses(reported, "--reported-by", "2018-07-31") == {
        "halt": ("unverified", 1),
        "later": ("unverified", 0),
    }
    assert statuses(reported, "--reported-by", "2018-09") == {  # the end of September
        "halt": ("corroborated", 2),
        "later": ("unverified", 0),
    }
    assert statuses(reported, "--reported-by", "2019-02-01") == {
        "halt": ("contested", 3),
        "later": ("unverified", 0),
    }
    assert statuses(reported) == {"halt": ("contested", 3), "later": ("unverified", 1)}
    report = reported.ok("report", "--json", "--reported-by", "2018-07-31").json()
    assert report["reported_by"] == "2018-07-31"


def test_every_report_format_takes_reported_by(reported):
    for fmt in ("table", "markdown", "csv", "html"):
        text = reported.ok("report", "--format", fmt, "--reported-by", "2018-07-31").stdout
        assert "halt" in text
    markdown = reported.ok("report", "-f", "markdown", "--reported-by", "2018-07-31").stdout
    assert "reported by 2018-07-31" in markdown


def test_claim_show_and_explain_take_reported_by(reported):
    shown = reported.ok("claim", "show", "halt", "--reported-by", "2018-07-31", "--json").json()
    assert (shown["status"], [e["source"] for e in shown["evidence"]]) == ("unverified", ["ryg"])
    assert shown["reported_by"] == "2018-07-31"
    explained = reported.ok("explain", "halt", "--reported-by", "2018-09-30", "--json").json()
    assert (explained["status"], explained["support_origins"]) == ("corroborated", 2)
    assert explained["reported_by"] == "2018-09-30"
    text = reported.ok("explain", "halt", "--reported-by", "2018-09-30").stdout
    assert "reported by 2018-09-30" in text
    shown_text = reported.ok("claim", "show", "halt", "--reported-by", "2018-07").stdout
    assert "evidence reported by 2018-07-31 (observed, else recorded, by then)" in shown_text
    assert "nhg" not in shown_text


def test_export_reported_by_writes_only_evidence_observed_by_then(reported, tmp_path):
    out = reported.ok("export", "--reported-by", "2018-09-30").stdout
    evidence = [r for r in map(json.loads, out.splitlines()) if r["type"] == "evidence"]
    assert [(r["claim"], r["source"]) for r in evidence] == [("halt", "ryg"), ("halt", "nhg")]
    sheet = reported.ok("export", "--format", "csv", "--reported-by", "2018-07-31").stdout
    assert len(sheet.strip().splitlines()) == 2  # the header and ryg's item


def test_an_item_without_an_observed_date_counts_from_the_day_it_was_recorded(reported):
    reported.ok("evidence", "add", "later", "-s", "nhg", "--supports", "--credibility", "2")
    assert statuses(reported, "--reported-by", "2019-12-31")["later"] == ("unverified", 1)
    assert statuses(reported, "--reported-by", "2999-12-31")["later"] == ("corroborated", 2)


def test_reported_by_composes_with_as_of(reported):
    history = reported.ok("history", "halt", "--json").json()
    imported = max(event["at"] for event in history)
    reported.ok("evidence", "add", "halt", "-s", "kcna", "--supports", "--observed", "2018-07-01")
    # As recorded at the import, reported by July: the later KCNA item is not there yet.
    both = statuses(reported, "--as-of", imported, "--reported-by", "2018-07-31")
    assert both["halt"] == ("unverified", 1)
    assert statuses(reported, "--reported-by", "2018-07-31")["halt"] == ("unverified", 2)
    shown = reported.ok(
        "claim", "show", "halt", "--as-of", imported, "--reported-by", "2018-07-31", "--json"
    ).json()
    assert [e["source"] for e in shown["evidence"]] == ["ryg"]


@pytest.mark.parametrize("value", ["yesterday", "2018-13", "31/07/2018"])
def test_a_bad_date_is_refused_in_one_line(reported, value):
    run = reported("report", "--reported-by", value)
    assert run.exit_code == 2
    assert run.stderr.startswith("Error: --reported-by: ")
    assert len(run.stderr.splitlines()) == 1
