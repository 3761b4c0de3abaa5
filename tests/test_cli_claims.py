"""`claimtrack claim add | list | show | edit | verdict` and `claimtrack link`: every happy path,
and every bad input leaves the database exactly as it was."""

from __future__ import annotations

import pytest

HALT = "The crackdown had largely stopped by June 2018."


@pytest.fixture
def story(cli):
    """The outlet, its two informants, and the claim they speak to."""
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--kind", "outlet", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg", "--kind", "informant")
    cli.ok("source", "add", "North Hamgyong informant", "--key", "nhg", "--kind", "informant")
    cli.ok("claim", "add", HALT, "--key", "halt", "--tag", "crackdown", "--event-date", "2018-06")
    return cli


# --- add ------------------------------------------------------------------------------------


def test_add_with_every_field(cli):
    run = cli.ok(
        "claim",
        "add",
        HALT,
        "--key",
        "halt",
        "--tag",
        "Crackdown",
        "-t",
        "anti-socialist  law",
        "--event-date",
        "2018-06",
        "--place",
        "Hyesan",
        "--notes",
        "from the June report",
    )
    assert (run.stdout, run.stderr) == ("Added claim halt\n", "")
    shown = cli.ok("claim", "show", "halt", "--json").json()
    assert {k: shown[k] for k in ("key", "text", "tags", "event_date", "place", "notes")} == {
        "key": "halt",
        "text": HALT,
        "tags": ["anti-socialist law", "crackdown"],
        "event_date": "2018-06",
        "place": "Hyesan",
        "notes": "from the June report",
    }
    assert shown["event_date_precision"] == "month"
    assert (shown["status"], shown["support_origins"], shown["contradict_origins"]) == (
        "unverified",
        0,
        0,
    )
    assert (shown["verdict"], shown["evidence"], shown["links"]) == (None, [], [])


def test_add_takes_partial_event_dates(cli):
    for key, date, precision in (
        ("y", "2018", "year"),
        ("m", "2018-06", "month"),
        ("d", "2018-06-14", "day"),
    ):
        cli.ok("claim", "add", HALT, "--key", key, "--event-date", date)
        shown = cli.ok("claim", "show", key, "--json").json()
        assert (shown["event_date"], shown["event_date_precision"]) == (date, precision)


def test_add_generates_a_key_from_the_first_words(cli):
    assert (
        cli.ok("claim", "add", HALT).stdout == "Added claim the-crackdown-had-largely-stopped-by\n"
    )
    assert cli.ok("claim", "add", HALT, "-q").stdout == "the-crackdown-had-largely-stopped-by-2\n"
    assert cli.ok("claim", "add", "!!!", "--quiet").stdout == "claim\n"


def test_add_with_source_records_it_as_first_supporting_evidence(story):
    story.ok(
        "claim",
        "add",
        "Decrees on the crackdown were taken down.",
        "--key",
        "decrees",
        "--source",
        "ryg",
    )
    shown = story.ok("claim", "show", "decrees", "--json").json()
    assert [(e["source"], e["stance"], e["credibility"]) for e in shown["evidence"]] == [
        ("ryg", "supports", 6)
    ]
    assert (shown["status"], shown["support_origins"]) == ("unverified", 1)


# --- list -----------------------------------------------------------------------------------


@pytest.fixture
def four_claims(story):
    """halt: corroborated; tide: contested; rumour: disputed; quiet: unverified."""
    story.ok("source", "add", "Ministry statement", "--key", "ministry", "--kind", "official")
    story.ok("source", "add", "Smuggler", "--key", "smuggler", "--kind", "person")
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--via", "dnk")
    story.ok("evidence", "add", "halt", "--source", "nhg", "--supports", "--via", "dnk")
    story.ok(
        "claim",
        "add",
        "Arrests rose in May 2018.",
        "--key",
        "tide",
        "-t",
        "crackdown",
        "-t",
        "arrests",
    )
    story.ok("evidence", "add", "tide", "--source", "ryg", "--supports")
    story.ok("evidence", "add", "tide", "--source", "ministry", "--contradicts")
    story.ok("claim", "add", "Border guards were replaced.", "--key", "rumour", "-t", "border")
    story.ok("evidence", "add", "rumour", "--source", "smuggler", "--contradicts")
    story.ok("claim", "add", "Markets reopened.", "--key", "quiet")
    return story


def test_list_shows_each_claim_with_its_status(four_claims):
    rows = four_claims.ok("claim", "list", "--json").json()
    assert [
        (r["key"], r["status"], r["support_origins"], r["contradict_origins"]) for r in rows
    ] == [
        ("halt", "corroborated", 2, 0),
        ("quiet", "unverified", 0, 0),
        ("rumour", "disputed", 0, 1),
        ("tide", "contested", 1, 1),
    ]
    for row in rows:
        assert {
            "key",
            "text",
            "status",
            "verdict",
            "score",
            "support_origins",
            "contradict_origins",
            "tags",
        } <= set(row)
    table = four_claims.ok("claim", "list").stdout.splitlines()
    assert table[0].split()[:5] == [
        "key",
        "status",
        "verdict",
        "S",
        "X",
    ]
    assert [line.split()[:2] for line in table[2:]] == [
        ["halt", "corroborated"],
        ["quiet", "unverified"],
        ["rumour", "disputed"],
        ["tide", "contested"],
    ]


LIST_FILTERS = [
    (["--status", "corroborated"], ["halt"]),
    (["--status", "contested", "--status", "disputed"], ["rumour", "tide"]),
    (["--status", "refuted"], []),
    (["--tag", "crackdown"], ["halt", "tide"]),
    (["--tag", "CRACKDOWN", "--tag", "arrests"], ["tide"]),
    (["--tag", "crackdown", "--status", "contested"], ["tide"]),
    (["--tag", "crackdown", "--status", "unverified"], []),
    (["--tag", "nothing-has-this"], []),
]


def test_list_filters_by_status_any_of_and_tag_all_of(four_claims):
    for filters, keys in LIST_FILTERS:
        rows = four_claims.ok("claim", "list", *filters, "--json").json()
        assert [r["key"] for r in rows] == keys, filters


def test_list_says_so_when_nothing_matches(four_claims):
    run = four_claims.ok("claim", "list", "--status", "refuted")
    assert (run.stdout, run.stderr) == ("", "No claims match.\n")


# --- show -----------------------------------------------------------------------------------


def test_show_json_carries_status_and_each_evidence_item(four_claims):
    four_claims.ok(
        "evidence",
        "add",
        "halt",
        "--source",
        "ryg",
        "--supports",
        "--credibility",
        "2",
        "--quote",
        "the crackdowns have stopped",
        "--via",
        "dnk",
    )
    shown = four_claims.ok("claim", "show", "halt", "--json").json()
    assert {
        "key",
        "text",
        "status",
        "verdict",
        "score",
        "support_origins",
        "contradict_origins",
        "tags",
        "evidence",
    } <= set(shown)
    assert (shown["status"], shown["support_origins"], shown["contradict_origins"]) == (
        "corroborated",
        2,
        0,
    )
    assert [
        (e["source"], e["stance"], e["credibility"], e["via"], e["quote"])
        for e in shown["evidence"]
    ] == [
        ("ryg", "supports", 6, "dnk", None),
        ("nhg", "supports", 6, "dnk", None),
        ("ryg", "supports", 2, "dnk", "the crackdowns have stopped"),
    ]


def test_show_table_for_people(four_claims):
    out = four_claims.ok("claim", "show", "tide").stdout
    assert "status               contested\n" in out
    assert "likelihood           roughly even chance\n" in out
    assert "assessed confidence  low\n" in out
    assert "single channel       False\n" in out
    assert "model                grade defaults\n" in out
    assert "support origins      1\n" in out
    assert "contradict origins   1\n" in out
    assert "tags                 arrests, crackdown\n" in out
    evidence = [line.split()[:3] for line in out.split("\n\n", 1)[1].splitlines()[2:]]
    assert evidence[:2] == [["3", "supports", "ryg"], ["4", "contradicts", "ministry"]]


def test_show_of_a_claim_without_evidence_says_how_to_add_some(story):
    run = story.ok("claim", "show", "halt")
    assert run.stderr == "No evidence yet: add some with `claimtrack evidence add`.\n"


# --- edit and verdict -----------------------------------------------------------------------


def test_edit_changes_fields_tags_and_key(story):
    run = story.ok(
        "claim",
        "edit",
        "halt",
        "--text",
        "The crackdown had stopped by June 2018.",
        "--event-date",
        "2018",
        "--place",
        "Ryanggang",
        "--confidence",
        "Moderate",
        "--tag",
        "border",
        "--remove-tag",
        "crackdown",
        "--new-key",
        "halted",
        "--reason",
        "second reading",
    )
    assert run.stdout == (
        "text: The crackdown had largely stopped by June 2018. → The crackdown had stopped by "
        "June 2018.\n"
        "event_date: 2018-06 → 2018\n"
        "place: (none) → Ryanggang\n"
        "confidence: (none) → moderate\n"
        "key: halt → halted\n"
        "tags: crackdown → border\n"
        "'halt' now resolves to 'halted'\n"
    )
    shown = story.ok("claim", "show", "halted", "--json").json()
    assert (shown["text"], shown["event_date"], shown["event_date_precision"]) == (
        "The crackdown had stopped by June 2018.",
        "2018",
        "year",
    )
    assert (shown["place"], shown["confidence"], shown["tags"]) == (
        "Ryanggang",
        "moderate",
        ["border"],
    )


def test_edit_with_empty_values_clears_them(story):
    story.ok("claim", "edit", "halt", "--place", "Hyesan", "--notes", "n")
    run = story.ok(
        "claim", "edit", "halt", "--place", "", "--notes", "", "--event-date", "", "--json"
    )
    assert run.json() == {
        "key": "halt",
        "before": {"event_date": "2018-06", "place": "Hyesan", "notes": "n"},
        "after": {"event_date": None, "place": None, "notes": None},
    }
    shown = story.ok("claim", "show", "halt", "--json").json()
    assert (shown["event_date"], shown["event_date_precision"], shown["place"]) == (
        None,
        None,
        None,
    )


def test_edit_with_nothing_new_changes_nothing(story, db_dump):
    before = db_dump(story.url)
    assert story.ok("claim", "edit", "halt", "--tag", "crackdown").stdout == (
        "Claim halt: nothing changed\n"
    )
    assert db_dump(story.url) == before


def test_verdict_is_recorded_beside_the_derived_status_and_can_be_withdrawn(story):
    run = story.ok(
        "claim",
        "verdict",
        "halt",
        "confirmed",
        "--reason",
        "state media confirmed",
        "--confidence",
        "high",
    )
    assert run.stdout == (
        "verdict: (none) → confirmed\n"
        "verdict_reason: (none) → state media confirmed\n"
        "confidence: (none) → high\n"
    )
    shown = story.ok("claim", "show", "halt", "--json").json()
    assert (shown["verdict"], shown["verdict_reason"], shown["status"]) == (
        "confirmed",
        "state media confirmed",
        "unverified",
    )
    assert "verdict              confirmed\n" in story.ok("claim", "show", "halt").stdout
    story.ok("claim", "verdict", "halt", "debunked", "--reason", "retracted")
    assert story.ok("claim", "list", "--json").json()[0]["verdict"] == "debunked"
    story.ok("claim", "verdict", "halt", "none", "--reason", "reopened")
    shown = story.ok("claim", "show", "halt", "--json").json()
    assert (shown["verdict"], shown["verdict_reason"], shown["confidence"]) == (None, None, "high")


# --- link -----------------------------------------------------------------------------------


def test_link_records_support_and_contradiction_both_ways(story):
    story.ok("claim", "add", "Decrees on the crackdown were taken down.", "--key", "decrees")
    story.ok("claim", "add", "Arrests rose in June 2018.", "--key", "arrests")
    assert story.ok("link", "decrees", "halt", "--supports").stdout == (
        "Linked: decrees supports halt\n"
    )
    story.ok("link", "arrests", "halt", "--contradicts")
    assert story.ok("claim", "show", "halt", "--json").json()["links"] == [
        {"direction": "in", "relation": "supports", "claim": "decrees"},
        {"direction": "in", "relation": "contradicts", "claim": "arrests"},
    ]
    assert story.ok("claim", "show", "decrees", "--json").json()["links"] == [
        {"direction": "out", "relation": "supports", "claim": "halt"}
    ]
    assert "← supports decrees\n" in story.ok("claim", "show", "halt").stdout
    # The same link again is a no-op.
    story.ok("link", "decrees", "halt", "--supports")
    assert len(story.ok("claim", "show", "halt", "--json").json()["links"]) == 2


def test_show_reads_links_with_one_statement_however_many(story):
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def statements(key: str) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args) -> None:
            seen.append(statement)

        event.listen(Engine, "before_cursor_execute", count)
        try:
            story.ok("claim", "show", key, "--json")
        finally:
            event.remove(Engine, "before_cursor_execute", count)
        return len(seen)

    story.ok("claim", "add", "Arrests rose in June 2018.", "--key", "arrests")
    alone = statements("halt")
    for n in range(4):
        story.ok("claim", "add", f"Decree {n} was taken down.", "--key", f"decree-{n}")
        story.ok("link", f"decree-{n}", "halt", "--supports")
    story.ok("link", "halt", "arrests", "--contradicts")
    assert statements("halt") == alone
    assert [
        link["claim"] for link in story.ok("claim", "show", "halt", "--json").json()["links"]
    ] == [
        "decree-0",
        "decree-1",
        "decree-2",
        "decree-3",
        "arrests",
    ]


# --- bad input ------------------------------------------------------------------------------

NO_CLAIM = "Error: no claim with key 'nope': list them with `claimtrack claim list`"
BAD_DATE = "is not valid; expected a date as YYYY, YYYY-MM or YYYY-MM-DD"


BAD_INPUT = [
    (
        ["claim", "add", HALT, "--key", "halt"],
        "Error: a claim with key 'halt' already exists: choose another --key, or see it with "
        "`claimtrack claim show halt`",
    ),
    (
        ["claim", "add", HALT, "--key", "-halt"],
        "Error: --key: '-halt' is not valid; expected a key of letters, digits and . _ : - "
        "(starting with a letter or digit, at most 200)",
    ),
    (
        ["claim", "add", "", "--key", "x"],
        "Error: text: '' is not valid; expected a non-empty text",
    ),
    (
        ["claim", "add", HALT, "--event-date", "2018-13"],
        f"Error: --event-date: '2018-13' {BAD_DATE}",
    ),
    (
        ["claim", "add", HALT, "--event-date", "2018-02-30"],
        f"Error: --event-date: '2018-02-30' {BAD_DATE}",
    ),
    (
        ["claim", "add", HALT, "--event-date", "June 2018"],
        f"Error: --event-date: 'June 2018' {BAD_DATE}",
    ),
    (
        ["claim", "add", HALT, "--source", "nope"],
        "Error: no source with key 'nope': list them with `claimtrack source list`",
    ),
    (
        ["claim", "add", HALT, "--tag", " "],
        "Error: --tag: ' ' is not valid; expected a non-empty tag of at most 200 characters",
    ),
    (["claim", "show", "nope"], NO_CLAIM),
    (["claim", "edit", "nope", "--text", "x"], NO_CLAIM),
    (
        ["claim", "edit", "halt", "--event-date", "18-06"],
        f"Error: --event-date: '18-06' {BAD_DATE}",
    ),
    (
        ["claim", "edit", "halt", "--confidence", "certain"],
        "Error: --confidence: 'certain' is not valid; expected low, moderate or high",
    ),
    (
        ["claim", "edit", "halt", "--new-key", "other"],
        "Error: a claim with key 'other' already exists: choose another --new-key, or see it with "
        "`claimtrack claim show other`",
    ),
    (
        ["claim", "edit", "halt", "--text", " "],
        "Error: --text: ' ' is not valid; expected a non-empty text",
    ),
    (["claim", "verdict", "nope", "confirmed", "--reason", "r"], NO_CLAIM),
    (
        ["claim", "verdict", "halt", "true", "--reason", "r"],
        "Error: verdict: 'true' is not valid; expected confirmed, debunked or none",
    ),
    (
        ["claim", "verdict", "halt", "confirmed", "--reason", ""],
        "Error: --reason: '' is not valid; expected a non-empty text",
    ),
    (
        ["claim", "verdict", "halt", "confirmed", "--reason", "r", "--confidence", "huge"],
        "Error: --confidence: 'huge' is not valid; expected low, moderate or high",
    ),
    (
        ["claim", "list", "--status", "true"],
        "Error: --status: 'true' is not valid; expected one of unverified, corroborated, "
        "contested, disputed, refuted",
    ),
    (["link", "halt", "nope", "--supports"], NO_CLAIM),
    (
        ["link", "halt", "halt", "--supports"],
        "Error: OTHER: 'halt' is not valid; expected a different claim than CLAIM",
    ),
    (
        ["link", "halt", "other", "--contradicts"],
        "Error: 'halt' already supports 'other'; a claim links to another one way only",
    ),
]


def test_bad_input_is_one_line_exit_1_and_writes_nothing(story, db_dump):
    story.ok("claim", "add", "Another claim.", "--key", "other")
    story.ok("link", "halt", "other", "--supports")
    for args, message in BAD_INPUT:
        before = db_dump(story.url)
        run = story(*args)
        assert (run.exit_code, run.stdout, run.stderr) == (
            exit_code(message),
            "",
            message + "\n",
        ), args
        assert db_dump(story.url) == before, args


USAGE_ERRORS = [
    (["claim", "add"], "Missing argument 'TEXT'."),
    (["claim", "verdict", "halt", "confirmed"], "Missing option '--reason'."),
    (["claim", "list", "--limit", "x"], "Invalid value for '--limit'"),
    (["link", "halt", "other"], "give exactly one of --supports or --contradicts"),
    (
        ["link", "halt", "other", "--supports", "--contradicts"],
        "give exactly one of --supports or --contradicts",
    ),
]


def test_usage_errors_exit_2_and_write_nothing(story, db_dump):
    story.ok("claim", "add", "Another claim.", "--key", "other")
    before = db_dump(story.url)
    for args, fragment in USAGE_ERRORS:
        run = story(*args)
        assert (run.exit_code, run.stdout) == (2, ""), args
        assert fragment in run.stderr, args
    assert db_dump(story.url) == before


def test_a_renamed_claim_keeps_answering_to_its_old_key(story):
    story.ok("claim", "edit", "halt", "--new-key", "halted")
    assert story.ok("claim", "show", "halt", "--json").json()["key"] == "halted"
    story.ok("evidence", "add", "halt", "--source", "ryg", "--supports")
    assert len(story.ok("claim", "show", "halted", "--json").json()["evidence"]) == 1
    run = story("claim", "add", "Something else", "--key", "halt")
    assert run.exit_code == 1 and "already exists" in run.stderr

    # Renaming back makes the old key the key again, and the newer one an alias.
    story.ok("claim", "edit", "halt", "--new-key", "halt")
    assert story.ok("claim", "show", "halted", "--json").json()["key"] == "halt"
    assert [c["key"] for c in story.ok("claim", "list", "--json").json()].count("halt") == 1


def exit_code(message: str) -> int:
    """A bad value given on the command line (an option, or a word from a fixed list such as
    a verdict) is a usage error, exit 2; a bad text or key, exit 1."""
    return 2 if message.startswith(("Error: -", "Error: verdict:")) else 1
