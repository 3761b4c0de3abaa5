"""What a command costs before it does its work: the modules it imports, and the JSON printer
that replaced the standard library's slow indented path (same text, byte for byte)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claimtrack.output.json import indented_json, jsonl_text
from claimtrack.terminal import json_safe

# Run in a fresh interpreter: the modules loaded are the point.
LOADED = """
import sys
from claimtrack.cli import app
try:
    app(sys.argv[1:], prog_name="claimtrack")
except SystemExit as exit:
    assert not exit.code, exit.code
print(" ".join(sorted(sys.modules)))
"""


def loaded_modules(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    modules = done.stdout.splitlines()[-1].split()
    return {name.split(".")[0] for name in modules} | {
        name for name in modules if name.startswith(("claimtrack", "sqlalchemy.dialects."))
    }


@pytest.fixture
def db(tmp_path):
    path = str(tmp_path / "ct.db")
    for args in (
        ["init"],
        ["source", "add", "Daily NK", "--key", "dnk", "--reliability", "C"],
        ["claim", "add", "The crackdown had stopped by June 2018.", "--key", "halt"],
    ):
        subprocess.run(
            [sys.executable, "-m", "claimtrack", "--db", path, *args],
            capture_output=True,
            check=True,
        )
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["evidence", "add", "halt", "--source", "dnk", "--supports", "--quote", "q"],
        ["claim", "show", "halt", "--json"],
        ["explain", "halt", "--json"],
        ["claim", "list", "--tag", "a", "--tag", "b"],
        ["claim", "list", "--limit", "5"],  # a number given as text: read without pydantic
        ["search", "crackdown", "-n", "3"],
    ],
)
def test_commands_do_not_load_pydantic_or_alembic(db, args):
    loaded = loaded_modules("--db", db, *args)
    assert "sqlalchemy" in loaded  # the command did run
    assert "pydantic" not in loaded
    assert "alembic" not in loaded
    # On SQLite: the PostgreSQL dialect (every driver module with it) is ~20 ms of start-up.
    assert "sqlalchemy.dialects.postgresql" not in loaded


def test_a_command_builds_only_its_own_group(db):
    loaded = loaded_modules("--db", db, "evidence", "list", "halt")
    assert "claimtrack.cli.evidence" in loaded
    assert not {"claimtrack.cli.transfer", "claimtrack.cli.report", "claimtrack.cli.misc"} & loaded


def test_only_an_html_report_loads_the_html_renderer(db):
    assert "claimtrack.output.html" not in loaded_modules("--db", db, "report")
    assert "claimtrack.output.html" in loaded_modules("--db", db, "report", "--format", "html")


def test_a_json_report_loads_only_what_it_prints(db):
    """`report --format json` (bench/run.py's report_json): the report's services and the JSON
    printer; no other renderer, no migrations, no fitting code, no PostgreSQL dialect."""
    loaded = loaded_modules("--db", db, "report", "--format", "json")
    assert {"sqlalchemy", "claimtrack.services.report", "claimtrack.output.json"} <= loaded
    unwanted = {"alembic", "pydantic", "tabulate", "rich", "sqlalchemy.dialects.postgresql"}
    unwanted |= {f"claimtrack.{name}" for name in ("output.html", "calibration", "transfer")}
    assert not unwanted & loaded


def test_the_postgresql_partial_index_is_in_the_schema_alembic_compares():
    """models.schema_metadata() adds what only PostgreSQL reads (kept out of the import)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from claimtrack.models import schema_metadata

    table = schema_metadata().tables["history"]
    index = next(i for i in table.indexes if i.name == "ix_history_imports")
    ddl = str(CreateIndex(index).compile(dialect=postgresql.dialect()))
    assert ddl.endswith("WHERE entity = 'import'")


def test_export_loads_neither_the_importer_nor_the_duplicate_check(db):
    loaded = loaded_modules("--db", db, "export", "--no-history")
    assert "claimtrack.transfer.exports" in loaded
    assert not {"claimtrack.transfer.imports", "claimtrack.services.duplicates"} & loaded


def test_help_loads_neither_sqlalchemy_nor_pydantic():
    loaded = loaded_modules("--help")
    assert not {"sqlalchemy", "pydantic", "alembic", "tabulate"} & loaded


def test_a_number_given_as_text_is_still_checked_by_typer(db):
    done = subprocess.run(
        [sys.executable, "-m", "claimtrack", "--db", db, "search", "crackdown", "--limit", "x"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "--limit" in done.stderr


@pytest.mark.parametrize(
    "data",
    [
        {},
        [],
        "text",
        0,
        1.5,
        None,
        True,
        {"a": [], "b": {}, "c": [1, {"x": []}], "d": 1.0, "e": None, "f": False},
        {"quote": 'He said "stop",\n then: 평양 {}[]', "n": -0.0, "big": 10**20},
        {3: "three", None: "none", 2.5: "x", False: "f"},
        [[1, [2, [3, {}]]], ["a", "b"], [{"k": [1, 2]}]],
        {"when": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "day": date(2024, 1, 2)},
        {"tuple": (1, ("x", [])), "inf": float("inf")},
        [{"id": 1, "via_chain": [], "x": {}}, {"id": 2, "via_chain": ["a", "b"], "x": {"y": ()}}],
        {"k": {"": [[], {}, [[]], "0"], "0": 0, "nan": float("nan"), "neg": -1e-300}},
        ["a,\n  b", {"a,\n    b": "c\n", "d": ["e", {"f": None}]}],
        {
            "key": "halt",
            "tags": ["a", "b"],
            "evidence": [{"id": n, "quote": f"item {n}", "via": None} for n in range(50)],
            "links": [],
        },
    ],
)
def test_indented_json_is_the_standard_library_text(data):
    assert indented_json(data) == json.dumps(data, ensure_ascii=False, indent=2, default=str)


# Text that looks like the printer's own joints: brackets, commas, newlines, indents, quotes.
_TRICKY = st.text(st.sampled_from(list('{}[],:" \n\\ab0평\u2028')), max_size=8)
_SCALAR = st.none() | st.booleans() | st.integers(-5, 5) | st.floats() | _TRICKY
_KEY = _TRICKY | st.integers(-2, 2) | st.none() | st.booleans()
_TREE = st.recursive(
    _SCALAR,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(_KEY, inner, max_size=4)
        # lists of dicts take their own path: make them common, empty and nested ones included
        | st.lists(st.dictionaries(_KEY, inner, min_size=1, max_size=4), min_size=1, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(_TREE)
def test_indented_json_is_the_standard_library_text_for_any_tree(data):
    assert indented_json(data) == json.dumps(data, ensure_ascii=False, indent=2, default=str)
    # and a report's rows, one per line, are json.dumps's text too
    rows = jsonl_text({"kind": "claims", "claims": [data, data]})
    assert rows == 2 * (json_safe(json.dumps(data, ensure_ascii=False)) + "\n")
