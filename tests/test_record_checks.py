"""Each record declares once which parser checks each of its fields (records.py, CHECKS): the
command line, the Python API and an import refuse the same bad value with the same words,
naming the same field (the command line: the option that gives it)."""

from __future__ import annotations

import pytest

from claimtrack import api, values
from claimtrack.records import (
    AliasRecord,
    ClaimRecord,
    EvidenceRecord,
    LinkRecord,
    SourceRecord,
    VerdictRecord,
)
from claimtrack.transfer.imports.rows import RECORD_FIELDS

NUL = "a\x00b"  # no text field stores a NUL byte

# (record, field, bad value, command line, Python API call, import record). The claim `one`
# and the source `dnk` exist. A field that names another record (a source's derived_from, an
# evidence item's claim or source, via) is looked up by the services and refused as not found,
# so it is not here; nor are fields the command line cannot give wrong (a stance is a flag).
CASES = [
    (SourceRecord, "key", "bad key!", ["source", "add", "N", "--key", "bad key!"], "add_source"),
    (SourceRecord, "name", "   ", ["source", "add", "   "], "add_source"),
    (SourceRecord, "kind", "k" * 51, ["source", "add", "N", "--kind", "k" * 51], "add_source"),
    (SourceRecord, "reliability", "Z", ["source", "add", "N", "--reliability", "Z"], "add_source"),
    (SourceRecord, "url", NUL, ["source", "add", "N", "--url", NUL], "add_source"),
    (SourceRecord, "notes", NUL, ["source", "add", "N", "--notes", NUL], "add_source"),
    (ClaimRecord, "key", "bad key!", ["claim", "add", "T.", "--key", "bad key!"], "add_claim"),
    (ClaimRecord, "text", "   ", ["claim", "add", "   "], "add_claim"),
    (
        ClaimRecord,
        "event_date",
        "2018-13",
        ["claim", "add", "T.", "--event-date", "2018-13"],
        "add_claim",
    ),
    (ClaimRecord, "place", NUL, ["claim", "add", "T.", "--place", NUL], "add_claim"),
    (ClaimRecord, "notes", NUL, ["claim", "add", "T.", "--notes", NUL], "add_claim"),
    (
        EvidenceRecord,
        "key",
        "2024",
        ["evidence", "add", "one", "-s", "dnk", "--supports", "-k", "2024"],
        "add_evidence",
    ),
    (
        EvidenceRecord,
        "observed",
        "2018-06",
        ["evidence", "add", "one", "-s", "dnk", "--supports", "--observed", "2018-06"],
        "add_evidence",
    ),
    (
        EvidenceRecord,
        "quote",
        NUL,
        ["evidence", "add", "one", "-s", "dnk", "--supports", "--quote", NUL],
        "add_evidence",
    ),
    (
        EvidenceRecord,
        "url",
        NUL,
        ["evidence", "add", "one", "-s", "dnk", "--supports", "--url", NUL],
        "add_evidence",
    ),
    (
        EvidenceRecord,
        "notes",
        NUL,
        ["evidence", "add", "one", "-s", "dnk", "--supports", "--notes", NUL],
        "add_evidence",
    ),
    (
        EvidenceRecord,
        "credibility",
        "9",
        ["evidence", "add", "one", "-s", "dnk", "--supports", "-c", "9"],
        "add_evidence",
    ),
    (
        VerdictRecord,
        "verdict",
        "maybe",
        ["claim", "verdict", "one", "maybe", "--reason", "r"],
        "set_verdict",
    ),
    (
        VerdictRecord,
        "confidence",
        "huge",
        ["claim", "verdict", "one", "confirmed", "--reason", "r", "--confidence", "huge"],
        "set_verdict",
    ),
]

# What each API call and import record needs besides the bad field.
API_BASE = {
    "add_source": {"name": "N"},
    "add_claim": {"text": "T."},
    "add_evidence": {"claim": "one", "source": "dnk", "stance": "supports"},
    "set_verdict": {"key": "one", "verdict": "confirmed", "reason": "r"},
}
IMPORT_BASE = {
    SourceRecord: {"type": "source", "name": "N"},
    ClaimRecord: {"type": "claim", "text": "T."},
    EvidenceRecord: {"type": "evidence", "claim": "one", "source": "dnk", "stance": "supports"},
    VerdictRecord: {"type": "verdict", "claim": "one", "verdict": "confirmed", "reason": "r"},
}


def refusal(field: str, value: str, expected: str) -> str:
    return f"{field}: {value!r} is not valid; expected {expected}"


@pytest.mark.parametrize(
    ("record", "name", "bad", "args", "call"),
    CASES,
    ids=[f"{case[0].__name__}.{case[1]}" for case in CASES],
)
def test_the_command_line_the_api_and_an_import_refuse_a_bad_field_alike(
    cli, db_url, record, name, bad, args, call
):
    cli.ok("source", "add", "Daily NK", "--key", "dnk")
    cli.ok("claim", "add", "One.", "--key", "one")
    with pytest.raises(api.InvalidValue) as declared:
        record.CHECKS[name](bad, field=name)
    expected = declared.value.expected

    database = api.open_database(db_url)
    try:
        with database.session(write=True, actor="tester") as session:
            with pytest.raises(api.InvalidValue) as by_api:
                getattr(api, call)(session, **{**API_BASE[call], name: bad})
        with database.session(write=True, actor="tester") as session:
            with pytest.raises(api.ImportRefused) as by_import:
                api.import_records(session, [{**IMPORT_BASE[record], name: bad}])
    finally:
        database.dispose()

    assert (by_api.value.field, by_api.value.expected) == (name, expected)
    shown = "<text with a NUL byte>" if bad == NUL else bad
    assert str(by_api.value) == refusal(name, shown, expected)
    [problem] = by_import.value.problems
    assert problem.split(": ", 2)[1] == name and problem.endswith(f" — expected {expected}")
    # The command line names the option that gives the field, or an argument (NAME, TEXT,
    # the verdict) by the field's name.
    option = name if name in ("name", "text", "verdict") else "--" + name.replace("_", "-")
    assert cli(*args).stderr == f"Error: {refusal(option, shown, expected)}\n"


def test_every_field_an_import_reads_is_checked_by_its_records_parser():
    """The import's fields are the records' CHECKS, each a claimtrack.values parser."""
    parsers = {f for f in vars(values).values() if callable(f)}
    for record in (SourceRecord, ClaimRecord, EvidenceRecord, LinkRecord, VerdictRecord):
        assert set(record.CHECKS.values()) <= parsers, record
    assert RECORD_FIELDS == {
        "source": tuple(SourceRecord.CHECKS),
        "claim": tuple(ClaimRecord.CHECKS),
        "evidence": tuple(EvidenceRecord.CHECKS),
        "link": tuple(LinkRecord.CHECKS),
        "verdict": tuple(VerdictRecord.CHECKS),
        "alias": tuple(AliasRecord.CHECKS),
    }
