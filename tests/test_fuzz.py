"""Hostile and malformed input: the command line's parameters and the importer's files.

Whatever comes in — control characters, NUL bytes, huge values, bad grades, dates and keys,
random bytes, truncated or mistyped JSON, unknown references — claimtrack answers with exit 0,
or exit 1/2 and a message on stderr; never a traceback, and a command that fails leaves the
database exactly as it was. SQL is never built from user text, search text is taken
literally, and a password in the database URL is never shown.
"""

from __future__ import annotations

import ast
import json
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = {"sqlite": 300, "postgres": 100}
FUZZ_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=False,
)
TRIED: dict[str, int] = {}

# Text a user might paste, or an attacker might send: any code point (surrogates aside, which
# no shell argument can carry), with control characters, quotes and SQL/shell punctuation
# made likely; now and then huge.
hostile_text = st.one_of(
    st.text(
        st.characters(blacklist_categories=("Cs",)),
        max_size=40,
    ),
    st.text(st.sampled_from("\x00\x01\x1b\n\r\t'\";%_*\\-–—<>&=+@:()[]{}|`$ é한"), max_size=30),
    st.sampled_from(
        [
            "",
            " ",
            "'; DROP TABLE claims; --",
            "\x00",
            "a\x00b",
            "%s %(x)s {0} {x}",
            "NOT",
            "NEAR(",
            '"',
            "col:x",
            "*",
            "a-b",
            "x" * 100_000,
            "☃" * 5_000,
            "1e309",
            "-1",
            "0",
            "7",
            "99999999999999999999999",
            "2018-02-30",
            "2018-13",
            "0000",
            "9999-12-31",
            "G",
            "ab",
            "--help",
        ]
    ),
)

GRADES = st.one_of(hostile_text, st.sampled_from(["A", "f", "F ", "6", "1", " 3"]))
EXISTING = st.sampled_from(["halt", "dnk", "ryg", "1"])
KEYS = st.one_of(hostile_text, EXISTING)


@st.composite
def commands(draw) -> list[str]:
    """One claimtrack command line with hostile values in its parameters."""
    t = draw
    choice = t(st.integers(0, 11))
    if choice == 0:
        args = ["source", "add", t(hostile_text)]
        for option, values in (
            ("--key", KEYS),
            ("--kind", hostile_text),
            ("--reliability", GRADES),
            ("--derived-from", KEYS),
            ("--url", hostile_text),
            ("--notes", hostile_text),
        ):
            if t(st.booleans()):
                args += [option, t(values)]
        return args
    if choice == 1:
        args = ["claim", "add", t(hostile_text)]
        for option, values in (
            ("--key", KEYS),
            ("--tag", hostile_text),
            ("--event-date", hostile_text),
            ("--place", hostile_text),
            ("--source", KEYS),
        ):
            if t(st.booleans()):
                args += [option, t(values)]
        return args
    if choice == 2:
        args = [
            "evidence",
            "add",
            t(KEYS),
            "--source",
            t(KEYS),
            t(st.sampled_from(["--supports", "--contradicts", "--neutral"])),
        ]
        for option, values in (
            ("--credibility", GRADES),
            ("--quote", hostile_text),
            ("--via", KEYS),
            ("--observed", hostile_text),
            ("--url", hostile_text),
            ("--key", KEYS),
        ):
            if t(st.booleans()):
                args += [option, t(values)]
        return args
    if choice == 3:
        return [
            "claim",
            "edit",
            t(KEYS),
            t(
                st.sampled_from(
                    [
                        "--text",
                        "--event-date",
                        "--place",
                        "--notes",
                        "--new-key",
                        "--add-tag",
                        "--confidence",
                    ]
                )
            ),
            t(hostile_text),
        ]
    if choice == 4:
        return [
            "claim",
            "verdict",
            t(KEYS),
            t(st.one_of(st.sampled_from(["confirmed", "debunked", "none"]), hostile_text)),
            "--reason",
            t(hostile_text),
        ]
    if choice == 5:
        return [
            "source",
            "edit",
            t(KEYS),
            t(st.sampled_from(["--name", "--reliability", "--derived-from", "--kind", "--url"])),
            t(hostile_text),
        ]
    if choice == 6:
        return ["link", t(KEYS), t(KEYS), t(st.sampled_from(["--supports", "--contradicts"]))]
    if choice == 7:
        return ["evidence", "remove", t(KEYS), "--reason", t(hostile_text)]
    if choice == 8:
        return ["search", "--", t(hostile_text)]
    if choice == 9:
        return [
            "claim",
            "list",
            t(st.sampled_from(["--status", "--tag"])),
            t(hostile_text),
            "--json",
        ]
    if choice == 10:
        return ["history", t(KEYS)]
    return [
        "report",
        t(st.sampled_from(["--status", "--tag", "--as-of", "--source"])),
        t(hostile_text),
        "--format",
        "json",
    ]


def prepare(cli) -> None:
    cli.ok("source", "add", "Daily NK", "--key", "dnk", "--reliability", "C")
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("claim", "add", "The crackdown had largely stopped.", "--key", "halt", "-s", "ryg")


def assert_clean(run, args) -> None:
    where = f"{[a[:60] for a in args]}"
    assert run.exception is None, f"{where}: {run.exception!r}"
    assert run.exit_code in (0, 1, 2), where
    assert "Traceback" not in run.stderr + run.stdout, where
    if run.exit_code == 1:
        lines = run.stderr.splitlines()
        assert lines and lines[-1].startswith("Error: "), f"{where}: {run.stderr[:300]!r}"
    elif run.exit_code == 2:
        assert "Error" in run.stderr or "Usage" in run.stderr, where


def test_hostile_command_line_parameters(cli, engine_name, db_dump):
    prepare(cli)
    tried = {"runs": 0, "failed": 0}

    @settings(max_examples=EXAMPLES[engine_name], **FUZZ_SETTINGS)
    @given(commands())
    def run_one(args):
        before = db_dump(cli.url)
        run = cli(*args)
        tried["runs"] += 1
        assert_clean(run, args)
        if run.exit_code != 0:
            tried["failed"] += 1
            assert db_dump(cli.url) == before, f"{args[:3]} failed but wrote"

    run_one()
    assert cli.ok("db", "check").exit_code == 0
    TRIED[f"cli-{engine_name}"] = tried["runs"]
    print(f"\n[{engine_name}] {tried['runs']} hostile command lines, {tried['failed']} refused")


def test_hostile_text_is_stored_and_shown_exactly(cli):
    text = "Ends with control chars \x01\x1b[31m red '; DROP TABLE claims; -- %s {0} 한"
    key = cli.ok("claim", "add", text, "--quiet").stdout.strip()
    assert cli.ok("claim", "show", key, "--json").json()["text"] == text


@pytest.mark.parametrize(
    "query", ['"', "a-b", "NOT", "col:x", "*", "NEAR(", "AND OR", "(", ")", "''", "^", "a AND"]
)
def test_search_text_is_taken_literally(cli, query):
    prepare(cli)
    run = cli("search", "--json", "--", query)
    assert (run.exit_code, run.stderr, run.exception) == (0, "", None)
    assert isinstance(run.json(), list)


# --- the importer -------------------------------------------------------------------------------


GOOD_RECORDS = [
    {"type": "source", "key": "src-a", "name": "Source A", "reliability": "B"},
    {"type": "source", "key": "src-b", "name": "Source B", "derived_from": "src-a"},
    {"type": "claim", "key": "c-1", "text": "A claim.", "tags": ["t"], "event_date": "2018-06"},
    {
        "type": "evidence",
        "claim": "c-1",
        "source": "src-b",
        "stance": "supports",
        "credibility": 2,
        "quote": "q",
    },
    {"type": "link", "claim": "c-1", "other": "halt", "relation": "supports"},
    {"type": "verdict", "claim": "c-1", "verdict": "confirmed", "reason": "r"},
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def import_files(draw) -> tuple[str, bytes]:
    """(format, content): random bytes, truncated JSON, fields of the wrong type or value,
    huge fields, unknown references, other encodings."""
    t = draw
    kind = t(st.integers(0, 6))
    records = [dict(r) for r in GOOD_RECORDS]
    if kind == 0:
        return t(st.sampled_from(["jsonl", "json", "csv"])), t(st.binary(max_size=300))
    if kind == 1:
        body = "\n".join(json.dumps(r) for r in records).encode()
        return "jsonl", body[: t(st.integers(1, len(body) - 1))]
    if kind == 2:
        body = json.dumps(records).encode()
        return "json", body[: t(st.integers(1, len(body) - 1))]
    if kind in (3, 4):
        record = records[t(st.integers(0, len(records) - 1))]
        field = t(st.sampled_from(sorted(record) + ["extra"]))
        record[field] = (
            t(json_values)
            if kind == 3
            else t(
                st.sampled_from(
                    ["x" * 200_000, "nowhere", "", None, ["a"], {"k": 1}, 10**30, -1, True]
                )
            )
        )
        body = "\n".join(json.dumps(r, ensure_ascii=t(st.booleans())) for r in records)
        return "jsonl", body.encode()
    if kind == 5:
        header = "claim_key,claim_text,source_key,source_name,stance,credibility,reliability,quote,url,via,observed,tags"
        cells = [t(hostile_text).replace("\x00", "") for _ in range(12)]
        row = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
        return "csv", (header + "\n" + row + "\n").encode("utf-8", "surrogatepass")
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return "jsonl", text.encode(
        t(st.sampled_from(["utf-16", "latin-1", "utf-8-sig", "cp949"])), "replace"
    )


def test_hostile_import_files(cli, engine_name, db_dump, tmp_path):
    prepare(cli)
    path = tmp_path / "input"
    tried = {"runs": 0, "refused": 0}
    baseline = db_dump(cli.url)

    @settings(max_examples=EXAMPLES[engine_name] // 2, **FUZZ_SETTINGS)
    @given(import_files())
    def run_one(case):
        file_format, content = case
        path.write_bytes(content)
        before = db_dump(cli.url)
        run = cli("import", str(path), "--format", file_format)
        tried["runs"] += 1
        assert_clean(run, ["import", file_format, repr(content[:80])])
        if run.exit_code != 0:
            tried["refused"] += 1
            assert db_dump(cli.url) == before
            assert run.stderr.strip(), "a refused file needs a message"

    run_one()
    assert cli.ok("db", "check").exit_code == 0
    assert tried["refused"] > 0 and baseline
    TRIED[f"import-{engine_name}"] = tried["runs"]
    print(f"\n[{engine_name}] {tried['runs']} hostile import files, {tried['refused']} refused")


# --- SQL is built from code, never from user text -----------------------------------------------

SQL_CALLS = {"execute", "exec_driver_sql", "text", "executescript", "executemany", "copy"}
# Names that hold only SQL made by code (identifiers from the schema, placeholders, fragments
# written in the source); anything else formatted into SQL fails the test below.
SQL_FRAGMENT_NAMES = {
    "table",
    "names",
    "marks",
    "cols",
    "where",
    "sets",
    "term",
    "mark",
    "kind_filter",
    "matches",
    "filters",
    "n",
    "count",
    "timeout",
    "inner",
}


def _formatted_names(node: ast.AST) -> list[ast.AST]:
    """The expressions formatted into a string-building node (f-string, %, .format, +)."""
    if isinstance(node, ast.JoinedStr):
        return [v.value for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
        return [n for n in (node.left, node.right) if not isinstance(n, ast.Constant)]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        return list(node.args) + [k.value for k in node.keywords]
    return []


def _safe(expression: ast.AST) -> bool:
    if isinstance(expression, ast.Call) and getattr(expression.func, "id", None) == "int":
        return True
    if isinstance(expression, ast.Constant):
        return True
    if isinstance(expression, ast.JoinedStr | ast.BinOp):
        return all(_safe(e) for e in _formatted_names(expression))
    if isinstance(expression, ast.Name):
        return expression.id in SQL_FRAGMENT_NAMES
    if isinstance(expression, ast.Attribute):
        return expression.attr in SQL_FRAGMENT_NAMES
    return False


def test_no_sql_is_built_by_formatting_user_text():
    root = Path(__file__).resolve().parents[1] / "claimtrack"
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", None)
            )
            if name not in SQL_CALLS:
                continue
            unsafe = [e for e in _formatted_names(node.args[0]) if not _safe(e)]
            if unsafe:
                where = f"{path.relative_to(root.parent)}:{node.lineno}"
                offenders.append(f"{where}: {ast.unparse(node.args[0])[:100]}")
    assert offenders == [], (
        "SQL built by formatting values: bind them as parameters instead (if only identifiers "
        "or placeholders from code are formatted, hold them in a name from SQL_FRAGMENT_NAMES)"
    )


# --- a password in the database URL -------------------------------------------------------------

PASSWORD = "p@ss%word:/?#"
ENCODED = "p%40ss%25word%3A%2F%3F%23"


@pytest.fixture
def role_database(request):
    """A PostgreSQL role whose password needs %-encoding, owning a fresh database."""
    import uuid

    server = request.getfixturevalue("postgres")
    role = "ct_role_" + uuid.uuid4().hex[:8]
    with server.admin() as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'")
    url = server.create(from_template=False)
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with server.admin() as conn:
        conn.execute(f'ALTER DATABASE "{name}" OWNER TO {role}')
    parsed = make_url(url)
    with_password = (
        f"postgresql+psycopg://{role}:{ENCODED}@{parsed.host}:{parsed.port or 5432}/{name}"
    )
    yield with_password, role
    server.drop(url)
    with server.admin() as conn:
        conn.execute(f"DROP ROLE IF EXISTS {role}")


def _without_db_option(*args: str, env: dict):
    """Run claimtrack with no --db, so the URL comes from CLAIMTRACK_DB."""
    from conftest import Cli, Run

    result = Cli("unused").runner.invoke(
        __import__("claimtrack.cli", fromlist=["app"]).app, list(args), env=env
    )
    exception = result.exception if not isinstance(result.exception, SystemExit) else None
    return Run(result.exit_code, result.stdout, result.stderr, exception)


def _shown(run) -> str:
    text = run.stdout + run.stderr
    if run.exception is not None:
        text += "".join(traceback.format_exception(run.exception))
    return text


def _secret_free(text: str) -> bool:
    return all(secret not in text for secret in (PASSWORD, ENCODED, "p@ss", "p%40ss", "%25word"))


@pytest.mark.postgres
def test_a_password_in_the_url_is_never_shown_and_alembic_runs_with_it(role_database, tmp_path):
    from conftest import Cli

    url, role = role_database
    by_option = Cli(url)
    runs = [
        by_option("init"),
        by_option("db", "current"),
        by_option("source", "add", "Daily NK", "--key", "dnk"),
        by_option("claim", "add", "A claim.", "--key", "halt", "-s", "dnk"),
        by_option("claim", "show", "halt", "--json"),
        by_option("info"),
        by_option("info", "--json"),
        by_option("db", "check"),
        by_option("db", "downgrade", "base"),
        by_option("db", "upgrade"),
        by_option("claim", "show", "nothing-here"),
        by_option("db", "backup", str(tmp_path / "backup.dump")),
        by_option("--debug", "claim", "show", "nothing-here"),
        by_option("--debug", "db", "downgrade", "no-such-revision"),
    ]
    assert [r.exit_code for r in runs[:10]] == [0] * 10, [_shown(r) for r in runs]
    assert runs[-4].exit_code == 1
    unreachable = url.replace(":5432/", ":1/")
    for variant in (unreachable, url.replace(role, "ct_no_such_role")):
        runs.append(Cli(variant)("claim", "list"))
        runs.append(Cli(variant)("--debug", "claim", "list"))
        runs.append(_without_db_option("claim", "list", env={"CLAIMTRACK_DB": variant}))
    runs.append(_without_db_option("info", env={"CLAIMTRACK_DB": url}))
    for run in runs:
        assert _secret_free(_shown(run)), _shown(run)
    assert any("***" in r.stdout for r in runs)
    assert runs[-1].exit_code == 0 and role in runs[-1].stdout


@pytest.mark.postgres
def test_a_password_in_claimtrack_db_reaches_alembic(role_database):
    url, _ = role_database
    run = _without_db_option("init", env={"CLAIMTRACK_DB": url})
    assert run.exit_code == 0, run.stderr
    assert _secret_free(_shown(run))


def test_fuzz_totals_are_reported():
    if TRIED:
        print("\nfuzz cases tried: " + ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items())))
    assert all(value > 0 for value in TRIED.values())
