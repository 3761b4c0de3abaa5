"""The layers, read from the source (ast): each module imports only its own layer or those
below it, and no module imports another module's private (_underscored) names.

    cli                          the command line: its commands and options, errors to flags
    api                          the Python API: the services, as scripts call them
    transfer                     import and export (formats, row checks, the bulk writer):
                                 built on the services (claim filter, assessments, duplicate
                                 check) and keeping their search index current as it writes
    services                     what the tool does, one function per operation
    output                       what a user reads: the formats (table, csv, json, markdown,
                                 html) in one registry, and how every command prints
    db, outfile                  engine, sessions, migrations; files written safely
    values, status, calibration, checked values, the pure status, score and calibration rules,
      history_log, records       history rows, each record's fields and JSON shapes
    models, errors, settings,    the schema, domain errors, settings, terminal-safe text,
      terminal, vocabulary,      the words of grades, stances, verdicts and statuses,
      confusables                look-alike characters (Unicode's confusables data)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "claimtrack"
LAYERS = [
    {"models", "errors", "settings", "terminal", "vocabulary", "confusables"},
    {"values", "status", "calibration", "history_log", "records"},
    {"db", "outfile"},
    {"output"},
    {"services"},
    {"transfer"},
    {"api"},
    {"cli", "__main__", "__init__"},
]
RANK = {part: n for n, layer in enumerate(LAYERS) for part in layer}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for each claimtrack import."""
    package = name.split(".")[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "claimtrack":
                found.append((target, [alias.name for alias in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "claimtrack":
                    found.append((alias.name, [], node.lineno))
    return found


def part(module: str) -> str:
    """The layer part a module belongs to: claimtrack.services.claims -> services."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "__init__"


def test_every_module_is_in_a_layer():
    assert {part(name) for name in modules()} <= RANK.keys()


def test_no_module_imports_a_layer_above_its_own():
    wrong = []
    for name, path in modules().items():
        for target, names, line in imports(name, path):
            targets = [target]
            if target == "claimtrack":  # `from .. import values`; `__version__` is the package's
                targets = [f"claimtrack.{n}" if n in RANK else target for n in names]
            for module in targets:
                if RANK[part(module)] > RANK[part(name)]:
                    wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert wrong == []


def test_no_module_takes_another_modules_private_names():
    wrong = []
    for name, path in modules().items():
        for target, names, line in imports(name, path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {target} {private}")
    assert wrong == []


def test_the_layer_check_sees_a_wrong_import(tmp_path):
    bad = tmp_path / "claimtrack" / "status.py"
    bad.parent.mkdir()
    bad.write_text("from .services.claims import _UNSET\nfrom claimtrack.cli import app\n")
    found = imports("claimtrack.status", bad)
    assert found == [("claimtrack.services.claims", ["_UNSET"], 1), ("claimtrack.cli", ["app"], 2)]
    assert [RANK[part(m)] > RANK["status"] for m, _, _ in found] == [True, True]


def test_below_the_command_line_values_are_named_by_field_not_by_flag():
    """Services name fields (`event_date`); the CLI shows the option typed (`--event-date`)."""
    import re

    flagged = re.compile(r'(field\s*(:\s*str\s*)?=\s*|InvalidValue\(\s*|field=)"--?[a-z]')
    wrong = []
    for name, path in modules().items():
        if part(name) in ("cli", "__main__"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if flagged.search(line):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert wrong == []


def strings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of each string in a module's code, its docstrings left out; an f-string
    is one text, each value it formats shown as {}."""
    return strings_of(ast.parse(path.read_text(encoding="utf-8")))


def strings_of(tree: ast.AST) -> list[tuple[int, str]]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    parts = {
        id(part)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(p.value if isinstance(p, ast.Constant) else "{}" for p in node.values)
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings | parts
        ):
            found.append((node.lineno, node.value))
    return found


# Options and commands of other programs, and CSS custom properties (html reports), which a
# message may name: `pg_dump --format=custom`, `var(--ink)`; a string that is an option and
# nothing else is an argument to a program (pg_dump's), not a message.
NOT_OURS = re.compile(r"pg_dump [^'\"]*|var\(--[\w-]+\)|--[\w-]+:|^--[\w=-]+$")
FLAG = re.compile(r"(?<![\w-])--[a-z]")
COMMAND = re.compile(r"`claimtrack |\(claimtrack [-a-z]")


def flags_and_commands(found: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """The texts that name a claimtrack option (`--force`) or a command to type."""
    return [
        (line, text)
        for line, text in found
        if FLAG.search(NOT_OURS.sub("", text)) or COMMAND.search(text)
    ]


def test_below_the_command_line_no_message_names_an_option_or_a_command():
    """Below cli/ a message names a field as {field:NAME} and a step as errors.NextStep (or
    {step:NAME}); the command line words them as the option and the command to type
    (cli/params.py, cli/next_steps.py), the Python API as the field's name."""
    wrong = []
    for name, path in modules().items():
        if part(name) in ("cli", "__main__"):
            continue
        for line, text in flags_and_commands(strings(path)):
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text[:80]}")
    assert wrong == []


def test_the_message_check_sees_an_option_and_a_command():
    source = (
        'def f(x):\n    """Docstrings may say --db and `claimtrack init`."""\n'
        '    a = f"{x} exists: add --force"\n'
        '    b = "point --db at it"\n'
        '    c = f"run `claimtrack db upgrade` on {x}"\n'
        '    d = "{x} (claimtrack --db NEW init)"\n'
        '    e = ["pg_dump", "--file", x, "run: pg_dump --format=custom FILE"]\n'
        '    g = "body { color: var(--ink); --c:#fff }"\n'
    )
    found = flags_and_commands(strings_of(ast.parse(source)))
    assert [line for line, _ in found] == [3, 4, 5, 6]


def test_services_name_the_next_step_and_the_command_line_words_it():
    """A service says what is wrong and names what to do next (errors.NextStep); the command
    to type, `claimtrack claim list`, is the command line's (cli/next_steps.py)."""
    import re

    from claimtrack.cli import COMMANDS

    command = re.compile(rf"`claimtrack |claimtrack ({'|'.join(COMMANDS)})\b")
    wrong = []
    for name, path in modules().items():
        if part(name) != "services":
            continue
        for line, text in strings(path):
            if command.search(text):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {text}")
    assert wrong == []


def test_text_that_reads_like_a_step_stays_as_written_on_the_command_line():
    from claimtrack.cli.next_steps import said
    from claimtrack.errors import NextStep, spell_fields

    assert said(NextStep("upgrade")) == ": run `claimtrack db upgrade`"
    assert spell_fields("a {step:x}.jsonl", said) == "a {step:x}.jsonl"
