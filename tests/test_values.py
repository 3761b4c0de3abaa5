"""Parsing of user-supplied values: one place, the same meaning in the CLI and the import."""

from __future__ import annotations

import pytest

from claimtrack import values
from claimtrack.errors import InvalidValue


@pytest.mark.parametrize(
    ("text", "stance"),
    [("supports", "supports"), (" Contradicts ", "contradicts"), ("NEUTRAL", "neutral")],
)
def test_stances(text, stance):
    assert values.stance(text) == stance


@pytest.mark.parametrize("text", ["support", "for", "", None, "yes"])
def test_bad_stances_name_the_value_and_the_choices(text):
    with pytest.raises(InvalidValue) as caught:
        values.stance(text)
    assert str(caught.value) == (
        f"stance: {text!r} is not valid; expected one of supports, contradicts, neutral"
    )


def test_grades():
    assert [values.reliability(g) for g in "abcdef"] == list("ABCDEF")
    assert [values.credibility(g) for g in ("1", 2, " 6 ")] == [1, 2, 6]
    for bad in ("G", "", "AA", "1"):
        with pytest.raises(InvalidValue, match="expected a reliability grade A-F"):
            values.reliability(bad)
    for bad in ("0", "7", "x", 2.5, True, None):
        with pytest.raises(InvalidValue, match="expected a credibility grade 1-6"):
            values.credibility(bad)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("2018", ("2018", "year")),
        ("2018-06", ("2018-06", "month")),
        ("2018-06-14", ("2018-06-14", "day")),
        ("2016-02-29", ("2016-02-29", "day")),
        ("", None),
        (None, None),
    ],
)
def test_partial_dates(text, parsed):
    assert values.partial_date(text) == parsed


@pytest.mark.parametrize("text", ["2018-6", "2018-13", "2017-02-29", "18", "June 2018", "2018/06"])
def test_bad_dates(text):
    with pytest.raises(InvalidValue, match="expected a date as YYYY, YYYY-MM or YYYY-MM-DD"):
        values.partial_date(text, field="--event-date")


def test_keys_and_slugs():
    assert values.key(" dnk ") == "dnk"
    assert values.key("a.b_c:d-1") == "a.b_c:d-1"
    for bad in ("", "-x", "a b", "x" * 201, "ké"):
        with pytest.raises(InvalidValue, match="expected a key of letters, digits"):
            values.key(bad)
    assert values.slugify("Daily NK") == "daily-nk"
    assert values.slugify("Rodong Sinmun (노동신문)") == "rodong-sinmun"
    assert values.slugify("조선중앙통신") == ""
