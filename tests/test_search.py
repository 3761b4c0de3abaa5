"""`claimtrack search`: ranking, filters, snippets, folding, Korean, and hostile queries."""

from __future__ import annotations

import pytest

from claimtrack.services.search import Term, fts5_query, parse_query, tsquery_text

HOSTILE = [
    '"',
    '""',
    "a-b",
    "NOT",
    "AND",
    "col:x",
    "body:crackdown",
    "*",
    "**",
    "NEAR(",
    "NEAR(a b, 2)",
    '"unbalanced phrase',
    'crackdown "unbalanced',
    "!!!",
    "",
    "   ",
    "OR",
    "OR OR",
    "crackdown OR",
    "- -- -*",
    "-crackdown",
    "it's",
    "'",
    "\\",
    "\\'",
    ":*",
    "a:*",
    "x & y | !z <-> w",
    "(crackdown",
    "crackdown)",
    "^crackdown",
    "{body}: x",
    "%_%",
    "'; DROP TABLE claims; --",
    "\x00",
    "日本語*",
    "🙂",
]


@pytest.fixture
def fixture_set(cli):
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg", "--kind", "informant")
    cli.ok("source", "add", "Yonhap", "--key", "yonhap", "--kind", "outlet")
    cli.ok(
        "claim",
        "add",
        "The anti-socialist crackdown had largely stopped by June 2018.",
        "--key",
        "halt",
        "--tag",
        "crackdown",
        "--place",
        "Hyesan, 량강도",
    )
    cli.ok(
        "claim",
        "add",
        "Crackdown decrees were taken down from public notice boards.",
        "--key",
        "decrees",
        "--tag",
        "crackdown",
        "--notes",
        "seen in Hyesan",
    )
    cli.ok(
        "claim",
        "add",
        "Smuggling across the Yalu resumed in July 2018.",
        "--key",
        "smuggling",
        "--notes",
        "the crackdown is mentioned only in passing",
    )
    cli.ok(
        "claim",
        "add",
        "Police in 함경북도 were taking bribes again.",
        "--key",
        "bribes",
        "--tag",
        "police",
    )
    cli.ok("claim", "add", "Le café du marché à Hyesan était fermé.", "--key", "cafe")
    cli.ok(
        "evidence",
        "add",
        "halt",
        "--source",
        "ryg",
        "--supports",
        "--via",
        "dnk",
        "--quote",
        "the crackdowns have stopped",
    )
    cli.ok(
        "evidence",
        "add",
        "halt",
        "--source",
        "nhg",
        "--supports",
        "--via",
        "dnk",
        "--quote",
        "inspections ended in May",
    )
    cli.ok(
        "evidence",
        "add",
        "decrees",
        "--source",
        "nhg",
        "--supports",
        "--quote",
        "the decrees were taken down last week",
    )
    cli.ok(
        "evidence",
        "add",
        "smuggling",
        "--source",
        "yonhap",
        "--supports",
        "--quote",
        "smugglers say the crackdown zebra never ended",
    )
    cli.ok("evidence", "remove", "4", "--reason", "misattributed")
    return cli


def _found(cli, *args: str) -> list[tuple[str, str]]:
    run = cli.ok("search", *args, "--json")
    return [(item["type"], item["key"]) for item in run.json()]


def test_ranks_text_matches_above_notes_and_covers_every_kind(fixture_set):
    found = _found(fixture_set, "crackdown")
    claims = [key for kind, key in found if kind == "claim"]
    assert set(claims) == {"halt", "decrees", "smuggling"}
    assert claims[-1] == "smuggling"  # only in its notes
    assert ("evidence", "1") not in found  # "crackdowns": words are not stemmed
    assert ("evidence", "4") not in found  # removed evidence drops out of the index


def test_filters_by_type(fixture_set):
    assert set(_found(fixture_set, "informant", "--type", "source")) == {
        ("source", "nhg"),
        ("source", "ryg"),
    }
    assert _found(fixture_set, "decrees", "--type", "evidence") == [("evidence", "3")]
    assert set(_found(fixture_set, "decrees", "--type", "claim", "--type", "evidence")) == {
        ("claim", "decrees"),
        ("evidence", "3"),
    }


def test_filters_by_tag_status_and_source(fixture_set):
    assert set(_found(fixture_set, "crackdown", "--tag", "crackdown", "--type", "claim")) == {
        ("claim", "halt"),
        ("claim", "decrees"),
    }
    assert _found(fixture_set, "crackdown", "--status", "corroborated") == [("claim", "halt")]
    assert set(_found(fixture_set, "stopped OR inspections", "--status", "corroborated")) == {
        ("claim", "halt"),
        ("evidence", "1"),
        ("evidence", "2"),
    }
    assert set(_found(fixture_set, "decrees OR informant OR crackdown", "--source", "nhg")) == {
        ("claim", "halt"),
        ("claim", "decrees"),
        ("evidence", "3"),
        ("source", "nhg"),
    }
    assert _found(fixture_set, "crackdown", "--tag", "police") == []


def test_limit(fixture_set):
    assert len(_found(fixture_set, "crackdown", "--limit", "1")) == 1
    assert len(_found(fixture_set, "hyesan OR crackdown", "--limit", "2")) == 2


def test_query_syntax(fixture_set):
    assert set(_found(fixture_set, '"decrees were taken"')) == {
        ("claim", "decrees"),
        ("evidence", "3"),
    }
    assert _found(fixture_set, '"taken were decrees"') == []
    assert _found(fixture_set, "smuggl*") == [("claim", "smuggling")]
    assert set(_found(fixture_set, "yalu OR fermé")) == {("claim", "smuggling"), ("claim", "cafe")}
    assert set(_found(fixture_set, "crackdown -stopped", "--type", "claim")) == {
        ("claim", "decrees"),
        ("claim", "smuggling"),
    }
    assert set(_found(fixture_set, 'crackdown -"notice boards"', "--type", "claim")) == {
        ("claim", "halt"),
        ("claim", "smuggling"),
    }
    # Exclusions alone select nothing.
    assert fixture_set.ok("search", "--json", "--", "-crackdown").json() == []


def test_case_and_diacritics_are_folded(fixture_set):
    assert _found(fixture_set, "cafe") == [("claim", "cafe")]
    assert _found(fixture_set, "CAFÉ") == [("claim", "cafe")]
    assert _found(fixture_set, "marche etait") == [("claim", "cafe")]
    assert _found(fixture_set, "YALU") == [("claim", "smuggling")]
    assert _found(fixture_set, "Crâckdown", "--type", "claim")[0][0] == "claim"


def test_korean_place_names(fixture_set):
    assert _found(fixture_set, "량강도") == [("claim", "halt")]
    assert _found(fixture_set, "함경북도") == [("claim", "bribes")]
    # Korean attaches particles to nouns: a Korean term matches as a prefix.
    assert _found(fixture_set, "함경") == [("claim", "bribes")]
    fixture_set.ok("claim", "add", "량강도에서 단속이 중단되었다.", "--key", "korean")
    assert set(_found(fixture_set, "량강도")) == {("claim", "halt"), ("claim", "korean")}
    assert _found(fixture_set, "단속") == [("claim", "korean")]


def test_snippet_highlights_every_match(fixture_set):
    [hit] = fixture_set.ok("search", "taken decrees", "--type", "claim", "--json").json()
    assert hit["snippet"] == "Crackdown decrees were taken down from public notice boards."
    marked = [hit["snippet"][a:b] for a, b in hit["highlights"]]
    assert marked == ["decrees", "taken"]
    assert hit["status"] == "unverified" and hit["matched"] == "text"
    [hit] = fixture_set.ok(
        "search", "Hyesan", "--type", "claim", "--tag", "crackdown", "--json"
    ).json()[:1]
    assert hit["key"] == "halt" and hit["matched"] == "place"
    assert hit["snippet"] == "Hyesan, 량강도"


def test_terminal_output_marks_matches(fixture_set):
    run = fixture_set.ok("search", "decrees", "--type", "claim")
    assert run.stdout == (
        "claim decrees · unverified\n"
        "  Crackdown [decrees] were taken down from public notice boards.\n"
    )
    run = fixture_set.ok("search", "stopped", "--type", "evidence")
    assert run.stdout == (
        "evidence 1 on claim halt (corroborated) from ryg\n  the crackdowns have [stopped]\n"
    )


def test_long_text_snippet_is_a_window(cli):
    words = " ".join(f"word{i}" for i in range(100))
    cli.ok("claim", "add", f"{words} needle {words}", "--key", "long")
    [hit] = cli.ok("search", "needle", "--json").json()
    assert hit["snippet"].startswith("…") and hit["snippet"].endswith("…")
    assert len(hit["snippet"].split()) == 24
    assert [hit["snippet"][a:b] for a, b in hit["highlights"]] == ["needle"]


def test_no_matches_and_bad_filters(fixture_set):
    run = fixture_set.ok("search", "nothingmatchesthis")
    assert (run.stdout, run.stderr) == ("", "No matches.\n")
    assert fixture_set.ok("search", "nothingmatchesthis", "--json").json() == []
    run = fixture_set("search", "x", "--type", "claims")
    assert (run.exit_code, run.stderr) == (
        2,
        "Error: --type: 'claims' is not valid; expected one of claim, evidence, source\n",
    )
    run = fixture_set("search", "x", "--status", "true")
    assert run.exit_code == 2 and run.stderr.startswith("Error: --status: 'true' is not valid")
    run = fixture_set("search", "x", "--source", "nope")
    assert run.exit_code == 1 and run.stderr.startswith("Error: no source with key 'nope'")
    run = fixture_set("search", "x", "--limit", "0")
    assert (run.exit_code, run.stderr) == (
        2,
        "Error: --limit: 0 is not valid; expected a whole number of 1 or more\n",
    )


def test_hostile_queries_never_raise(fixture_set):
    for query in HOSTILE:
        for args in ([], ["--type", "evidence", "--tag", "crackdown", "--status", "unverified"]):
            run = fixture_set("search", "--json", *args, "--", query)
            assert run.exit_code == 0, (query, run.stderr, run.exception)
            assert isinstance(run.json(), list), query


def test_hostile_terms_are_searched_literally(cli):
    cli.ok("claim", "add", "Figures for NEAR(x) a-b col:x were it's wrong", "--key", "odd")
    assert _found(cli, "a-b") == [("claim", "odd")]
    assert _found(cli, "col:x") == [("claim", "odd")]
    assert _found(cli, "NEAR(") == [("claim", "odd")]
    assert _found(cli, "it's") == [("claim", "odd")]
    assert _found(cli, "\"were it's") == [("claim", "odd")]


def test_engine_queries_quote_every_term():
    parsed = parse_query('crackdown "had stopped" stop* a OR b -"no way" -x NOT col:x')
    assert fts5_query(parsed) == (
        '(("crackdown") AND ("had stopped") AND ("stop"*) AND ("a" OR "b") AND ("NOT") '
        'AND ("col:x")) NOT ("no way" OR "x")'
    )
    assert tsquery_text(parsed) == (
        "(('crackdown') & ('had stopped') & ('stop':*) & ('a' | 'b') & ('NOT') & ('col:x')) "
        "& !('no way' | 'x')"
    )
    assert fts5_query(parse_query('say "it""s"')) == '("say") AND ("it") AND ("s")'
    assert tsquery_text(parse_query("o'neil \\")) == "('o''neil')"
    assert parse_query("").empty and parse_query('"" * -- !!!').empty
    assert parse_query('"" * -- OR').groups == [[Term("OR")]]
