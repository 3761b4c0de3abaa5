"""Stored text cannot act on the terminal: ESC sequences (erase line, OSC 52 clipboard
writes), C1 controls and bidi overrides are shown escaped by every text output, and JSON keeps
the exact text with those characters as \\uXXXX escapes."""

from __future__ import annotations

import json

import pytest

from claimtrack.terminal import json_safe, shown

ERASE = "\x1b[2K\x1b[1A"
CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"
C1 = "\x9b2J"
BIDI = "\u202egnp.exe"
HOSTILE = f"{ERASE}status: corroborated{CLIPBOARD}{C1}{BIDI}\u2028x\x7f"
RAW = ["\x1b", "\x07", "\x9b", "\u202e", "\u2028", "\x7f"]


def _strings(data):
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _strings(value)


def _raw_controls(text: str) -> list[str]:
    return [c for c in RAW if c in text]


def test_shown_escapes_controls_and_json_safe_keeps_the_value():
    assert shown("a\x1b[2Kb\x9b\u202e\u2066c\nd") == "a\\x1b[2Kb\\x9b\\u202e\\u2066c\\nd"
    assert shown("line\nnext", lines=True) == "line\nnext"
    assert shown("Daily NK \u0627\u200d\u200c \u200f") == "Daily NK \u0627\u200d\u200c \u200f"
    encoded = json_safe(json.dumps(HOSTILE, ensure_ascii=False))
    assert json.loads(encoded) == HOSTILE and not _raw_controls(encoded)


@pytest.fixture
def hostile(cli):
    cli.ok("source", "add", f"Outlet {HOSTILE}", "--key", "dnk", "--notes", HOSTILE)
    cli.ok("source", "add", "Informant", "--key", "ryg", "--derived-from", "dnk")
    cli.ok("claim", "add", f"The crackdown stopped {HOSTILE}", "--key", "halt", "--tag", "x")
    cli.ok("claim", "add", f"The crackdown stopped {HOSTILE}!", "--key", "halt2")
    cli.ok(
        "evidence", "add", "halt", "--source", "dnk", "--supports", "--quote", HOSTILE,
        "--notes", HOSTILE,
    )  # fmt: skip
    cli.ok("claim", "edit", "halt", "--notes", HOSTILE, "--place", HOSTILE)
    cli.ok("claim", "verdict", "halt", "confirmed", "--reason", HOSTILE)
    return cli


TEXT_COMMANDS = [
    ["claim", "show", "halt"],
    ["claim", "list"],
    ["source", "show", "dnk"],
    ["source", "list"],
    ["evidence", "list", "halt"],
    ["history", "halt"],
    ["history", "dnk"],
    ["explain", "halt"],
    ["report"],
    ["report", "--format", "markdown"],
    ["report", "--by", "source"],
    ["search", "crackdown"],
    ["duplicates"],
]


@pytest.mark.parametrize("command", TEXT_COMMANDS, ids=" ".join)
def test_no_text_output_carries_a_raw_control_character(hostile, command):
    run = hostile.ok(*command)
    assert _raw_controls(run.stdout + run.stderr) == []
    assert "\\x1b" in run.stdout


def test_json_keeps_the_exact_text(hostile):
    for command in (
        ["claim", "show", "halt", "--json"],
        ["report", "--json", "--detail"],
        ["history", "halt", "--json"],
    ):
        run = hostile.ok(*command)
        assert _raw_controls(run.stdout) == []
        assert any(HOSTILE in text for text in _strings(run.json()))
    shown_claim = hostile.ok("claim", "show", "halt", "--json").json()
    assert shown_claim["text"] == f"The crackdown stopped {HOSTILE}"
    assert shown_claim["evidence"][0]["quote"] == HOSTILE
    export = hostile.ok("export").stdout
    assert _raw_controls(export) == []
    assert any(json.loads(line).get("quote") == HOSTILE for line in export.splitlines())


def test_every_control_is_escaped_with_or_without_other_text_around_it():
    """shown() and json_safe() check for controls first and translate only when there are any
    (10-20x faster on the megabytes of non-ASCII text of a 5,000-item claim show): the result
    is the table's, whatever the text around the control."""
    from claimtrack import terminal

    plain = "량강도 Hyesan "
    assert shown(plain * 3) == plain * 3 and json_safe(plain) == plain
    for code in terminal._CONTROLS:
        text = f"{plain}{chr(code)}{plain}"
        assert shown(text) == text.translate(terminal._SHOWN)
        assert shown(text, lines=True) == text.translate(terminal._SHOWN_LINES)
        assert json_safe(text) == text.translate(terminal._JSON)
        assert shown(text) != text
