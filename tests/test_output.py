"""Output on a terminal and off it: tables fit the terminal's width (a pseudo-terminal, and
COLUMNS), piped output and files carry every cell in full, the pager and colour follow the
conventions (PAGER, --no-pager, NO_COLOR, --no-color), every list command takes --format and
--limit, a bad option value is a usage error (exit 2), help names values readably, and shell
completion offers keys from the database and every fixed value."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from conftest import Cli
from test_help import COMMANDS

from claimtrack.output.tables import Listing, listing_table, table_text

SEED = Path(__file__).resolve().parents[1] / "seeds" / "dailynk-crackdown-2018.jsonl"
CLAIMTRACK = str(Path(sys.executable).with_name("claimtrack"))
LONG_TEXT = (
    "The anti-socialist crackdown in North Korea had largely stopped by June 2018, "
    "according to two informants in two provinces who spoke to Daily NK separately."
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("terminal") / "seed.db")
    cli = Cli(path)
    cli.ok("init")
    cli.ok("import", str(SEED))
    cli.ok("claim", "add", LONG_TEXT, "--key", "long", "--tag", "crackdown")
    return path


def env_for(db: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES", "NO_COLOR")}
    env.update(CLAIMTRACK_DB=db, CLAIMTRACK_ACTOR="tester", PAGER="cat")
    env.update(extra)
    return env


def on_terminal(args: list[str], env: dict[str, str], *, columns: int, lines: int = 200) -> str:
    """Run claimtrack in a pseudo-terminal of this size; what it wrote to the terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        os.execve(CLAIMTRACK, [CLAIMTRACK, *args], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out.decode()
    return out.decode().replace("\r\n", "\n")


def piped(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([CLAIMTRACK, *args], env=env, capture_output=True, text=True)


# --- width ----------------------------------------------------------------------------------


@pytest.mark.parametrize("columns", [80, 120])
def test_on_a_terminal_the_report_fits_its_width(seeded, columns):
    out = on_terminal(["report"], env_for(seeded), columns=columns)
    lines = out.rstrip("\n").splitlines()
    assert max(map(len, lines)) <= columns, out
    # Key and status are never shrunk: each claim's row starts with both in full.
    keys = Cli(seeded).ok("claim", "list", "--json").json()
    table = lines[2 : lines.index("")]  # the rows, before the summary and links
    starts = {line.split()[0]: line.split()[1] for line in table if line[:1].strip()}
    assert {k["key"]: k["status"] for k in keys}.items() <= starts.items()
    # The text wraps instead of being cut: every word of the long claim is there.
    assert "…" not in out
    assert " ".join(out.split()).count("spoke to Daily NK separately.") == 1
    assert "left out to fit" in out  # the columns it had no room for are named


def test_columns_sets_the_width_on_a_terminal(seeded):
    out = on_terminal(["claim", "list"], env_for(seeded, COLUMNS="100"), columns=60)
    widths = [len(line) for line in out.splitlines()]
    assert max(widths) <= 100
    assert max(widths) > 60


def test_piped_the_table_keeps_every_cell_in_full(seeded):
    run = piped(["claim", "list"], env_for(seeded, COLUMNS="40"))
    assert run.returncode == 0
    assert LONG_TEXT in run.stdout
    assert "…" not in run.stdout


def test_report_to_a_file_keeps_every_cell_in_full(seeded, tmp_path):
    target = tmp_path / "report.txt"
    on_terminal(["report", "-o", str(target)], env_for(seeded), columns=60)
    text = target.read_text()
    assert LONG_TEXT in text
    assert "left out" not in text


def test_a_table_wraps_the_text_column_before_leaving_any_column_out():
    headers = ["key", "status", "text"]
    rows = [["halt", "corroborated", "word " * 30]]
    text, dropped = table_text(headers, rows, width=50, wrap=[2], drop=[1])
    assert dropped == []
    assert max(len(line) for line in text.splitlines()) <= 50
    assert text.splitlines()[2].startswith("halt  corroborated  word word")
    text, dropped = table_text(headers, rows, width=30, wrap=[2], drop=[1])
    assert dropped == [1]


def test_without_a_width_a_table_is_tabulates_simple_layout():
    from tabulate import tabulate

    rows = [["a", "bb", ""], ["ccc", "", "x y"], ["", "", ""]]
    ours, _ = table_text(["h1", "h2", "h3"], rows)
    theirs = tabulate(rows, headers=["h1", "h2", "h3"], tablefmt="simple", disable_numparse=True)
    assert ours == theirs


def test_right_aligned_counts_are_tabulates_layout_too():
    """The import summary's table (counts to the right), as tabulate printed it before."""
    from tabulate import tabulate

    headers = ["", "created", "updated", "unchanged"]
    rows = [["claims", "1,234", "0", "12"], ["evidence", "5", "10,000", "0"], ["links", "", "", ""]]
    ours, _ = table_text(headers, rows, right=[1, 2, 3])
    theirs = tabulate(
        rows,
        headers=headers,
        tablefmt="simple",
        disable_numparse=True,
        colalign=("left", "right", "right", "right"),
    )
    assert ours == theirs


def test_an_empty_listing_prints_its_message():
    assert listing_table(Listing(rows=[], columns=["key"], empty="Nothing.")) == "Nothing."


# --- pager and colour -----------------------------------------------------------------------

PAGER = "sed s/^/paged:/"


def test_long_output_on_a_terminal_goes_through_the_pager(seeded):
    out = on_terminal(["claim", "list"], env_for(seeded, PAGER=PAGER), columns=200, lines=5)
    assert out.splitlines()[0].startswith("paged:key")


@pytest.mark.parametrize(
    "args, env, lines",
    [
        (["--no-pager", "claim", "list"], {"PAGER": PAGER}, 5),  # --no-pager
        (["claim", "list"], {"PAGER": PAGER}, 200),  # it fits the window
        (["claim", "list"], {"PAGER": PAGER, "CLAIMTRACK_PAGER": ""}, 5),  # pager off
    ],
)
def test_no_pager(seeded, args, env, lines):
    out = on_terminal(args, env_for(seeded, **env), columns=200, lines=lines)
    assert out.startswith("key") and "paged:" not in out


def test_piped_output_never_goes_through_the_pager(seeded):
    run = piped(["claim", "list"], env_for(seeded, PAGER=PAGER, LINES="3"))
    assert run.stdout.startswith("key")


def test_colour_on_a_terminal_unless_no_color(seeded):
    assert "\x1b[" in on_terminal(["search", "crackdown"], env_for(seeded), columns=120)
    for args, env in (
        (["search", "crackdown"], {"NO_COLOR": "1"}),
        (["--no-color", "search", "crackdown"], {}),
    ):
        out = on_terminal(args, env_for(seeded, **env), columns=120)
        assert "\x1b[" not in out and "[crackdown]" in out.lower()


# --- --format and --limit on every list command ---------------------------------------------

LISTS = [
    ["claim", "list"],
    ["source", "list"],
    ["evidence", "list", "halt"],
    ["history", "halt"],
    ["search", "crackdown"],
    ["duplicates"],
    ["link", "list"],
    ["report"],
    ["report", "--by", "source"],
]


@pytest.mark.parametrize("args", LISTS, ids=" ".join)
def test_every_list_command_takes_every_format_and_a_limit(seeded, args):
    cli = Cli(seeded)

    def rows_of(data):
        if isinstance(data, dict):  # a report: its rows beside the summary
            return data["claims"] if "claims" in data else data["sources"]
        return data

    rows = rows_of(cli.ok(*args, "--json").json())
    assert rows_of(cli.ok(*args, "--format", "json").json()) == rows
    jsonl = cli.ok(*args, "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line) for line in jsonl] == rows
    for fmt, delimiter in (("csv", ","), ("tsv", "\t")):
        text = cli.ok(*args, "-f", fmt).stdout
        table = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
        assert len(table) == len(rows)
        if rows and "key" in rows[0]:
            assert [row["key"] for row in table] == [row["key"] or "" for row in rows]
    markdown = cli.ok(*args, "--format", "markdown").stdout
    assert markdown.startswith(("|", "# ")) or not rows
    if len(rows) > 1:
        assert rows_of(cli.ok(*args, "--limit", "1", "--json").json()) == rows[:1]


# --- usage errors exit 2 --------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, named",
    [
        (["report", "--format", "xml"], "--format"),
        (["claim", "list", "--format", "html"], "--format"),
        (["claim", "list", "--status", "bogus"], "--status"),
        (["claim", "list", "--limit", "0"], "--limit"),
        (["source", "add", "X", "--reliability", "Z"], "--reliability"),
        (
            ["evidence", "add", "halt", "--source", "dailynk", "--supports", "-c", "9"],
            "--credibility",
        ),
        (["claim", "edit", "halt", "--confidence", "sure"], "--confidence"),
        (["claim", "verdict", "halt", "maybe", "--reason", "x"], "verdict"),
        (["report", "--by", "tag"], "--by"),
        (["claim", "list", "--json", "--format", "csv"], "--format"),
    ],
)
def test_a_bad_option_value_is_a_usage_error(seeded, db_dump, args, named):
    before = db_dump(seeded)
    run = Cli(seeded)(*args)
    assert run.exit_code == 2, run.stderr
    assert named in run.stderr and run.stdout == ""
    assert db_dump(seeded) == before


def test_a_bad_field_in_a_file_is_still_exit_1(tmp_path):
    cli = Cli(str(tmp_path / "x.db"))
    cli.ok("init")
    sheet = tmp_path / "bad.jsonl"
    sheet.write_text('{"type": "source", "key": "a", "name": "A", "reliability": "Z"}\n')
    assert cli("import", str(sheet)).exit_code == 1


# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", COMMANDS, ids=lambda path: " ".join(path) or "claimtrack")
def test_help_names_values_readably(path):
    from typer.testing import CliRunner

    from claimtrack.cli import app

    text = CliRunner().invoke(app, [*path, "--help"]).output
    for internal in ("<str>", "<int>", "<float>", "list[", "{", "}..."):
        assert internal not in text, f"`claimtrack {' '.join(path)} --help` shows {internal}"


# --- completion -----------------------------------------------------------------------------


def complete(line: str, env: dict[str, str]) -> list[str]:
    """What the shell gets back for the words on `line` (the last one being completed), by
    the protocol the completion script uses: the _CLAIMTRACK_COMPLETE variable."""
    words = line.split(" ")
    run = subprocess.run(
        [CLAIMTRACK],
        env={
            **env,
            "_CLAIMTRACK_COMPLETE": "complete_bash",
            "COMP_WORDS": line,
            "COMP_CWORD": str(len(words) - 1),
        },  # fmt: skip
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
    return run.stdout.split()


@pytest.mark.parametrize(
    "line, expected",
    [
        ("claimtrack claim show ", ["backlash", "criticism-reached-centre", "decrees-down",
                                    "halt", "kju-order", "long", "officials-disapprove",
                                    "report-universal"]),
        ("claimtrack claim show h", ["halt"]),
        ("claimtrack explain k", ["kju-order"]),
        ("claimtrack evidence add halt --source ry", ["ryg-detainees", "ryg-police",
                                                      "ryg-smuggler"]),
        ("claimtrack source merge dn", ["dnk-north-hamgyong", "dnk-ryanggang"]),
        ("claimtrack claim merge halt d", ["decrees-down"]),
        ("claimtrack history d", ["decrees-down", "dailynk", "dnk-north-hamgyong",
                                  "dnk-ryanggang"]),
        ("claimtrack claim list --tag ry", ["ryanggang"]),
        ("claimtrack report --format ", ["table", "csv", "tsv", "json", "jsonl", "markdown",
                                         "html"]),
        ("claimtrack claim list -f ", ["table", "csv", "tsv", "json", "jsonl", "markdown"]),
        ("claimtrack report --status c", ["corroborated", "contested"]),
        ("claimtrack claim verdict halt ", ["confirmed", "debunked", "none"]),
        ("claimtrack claim edit halt --confidence ", ["low", "moderate", "high"]),
        ("claimtrack source add X --reliability ", list("ABCDEF")),
        ("claimtrack evidence add halt -c ", list("123456")),
        ("claimtrack search x --type ", ["claim", "evidence", "source"]),
    ],
)  # fmt: skip
def test_completion_offers_keys_from_the_database_and_every_fixed_value(seeded, line, expected):
    got = complete(line, env_for(seeded))
    assert sorted(got) == sorted(expected)


def complete_in(shell: str, line: str, env: dict[str, str]) -> list[str]:
    """What zsh's or fish's completion function gets back for `line`, by the protocol of the
    script `claimtrack --install-completion` installs for that shell: the command line in
    _TYPER_COMPLETE_ARGS (fish: and _TYPER_COMPLETE_FISH_ACTION=get-args)."""
    run = subprocess.run(
        [CLAIMTRACK],
        env={
            **env,
            "_CLAIMTRACK_COMPLETE": f"complete_{shell}",
            "_TYPER_COMPLETE_ARGS": line,
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        },
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0 and run.stderr == "", run.stderr
    if shell == "fish":  # one `value<TAB>help` a line
        return [entry.split("\t")[0] for entry in run.stdout.splitlines() if entry]
    # zsh: _arguments '*: :(("value":"help" ...))', or _files when there is nothing to offer
    if run.stdout.strip() == "_files":
        return []
    return re.findall(r'^"((?:[^"]|"")*)"', run.stdout.split("((", 1)[1], re.MULTILINE)


@pytest.mark.parametrize("shell", ["zsh", "fish"])
@pytest.mark.parametrize(
    "line, expected",
    [
        ("claimtrack claim show h", ["halt"]),
        ("claimtrack evidence add halt --source ry", ["ryg-detainees", "ryg-police",
                                                      "ryg-smuggler"]),
        ("claimtrack claim list --tag ry", ["ryanggang"]),
        ("claimtrack report --format ", ["table", "csv", "tsv", "json", "jsonl", "markdown",
                                         "html"]),
        ("claimtrack report --status c", ["corroborated", "contested"]),
        ("claimtrack claim verdict halt ", ["confirmed", "debunked", "none"]),
        ("claimtrack source add X --reliability ", list("ABCDEF")),
        ("claimtrack link rem", ["remove"]),
        ("claimtrack claim show zz", []),
    ],
)  # fmt: skip
def test_completion_in_zsh_and_fish(seeded, shell, line, expected):
    assert sorted(complete_in(shell, line, env_for(seeded))) == sorted(expected)


def test_fish_asks_whether_there_is_anything_to_complete(seeded):
    """fish first asks (is-args) whether to offer values or files: exit 0 for values."""
    env = {**env_for(seeded), "_CLAIMTRACK_COMPLETE": "complete_fish",
           "_TYPER_COMPLETE_FISH_ACTION": "is-args"}  # fmt: skip
    for line, code in (("claimtrack claim show h", 0), ("claimtrack claim show zz", 1)):
        run = subprocess.run([CLAIMTRACK], env={**env, "_TYPER_COMPLETE_ARGS": line})
        assert run.returncode == code, line


def test_completion_does_not_load_sqlalchemy_and_never_fails(seeded, tmp_path):
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['claimtrack']\n"
        "try:\n"
        "    from claimtrack.cli import main; main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('loaded:', 'sqlalchemy' in sys.modules, file=sys.stderr)\n"
    )
    env = env_for(seeded, _CLAIMTRACK_COMPLETE="complete_bash",
                  COMP_WORDS="claimtrack claim show h", COMP_CWORD="3")  # fmt: skip
    run = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True)
    assert run.stdout.split() == ["halt"]
    assert "loaded: False" in run.stderr
    # No database there: nothing to offer, and nothing printed or created.
    missing = tmp_path / "none.db"
    assert complete("claimtrack claim show ", env_for(str(missing))) == []
    assert not missing.exists()


# --- display width: wide characters and combining marks -----------------------------------

KOREAN = [
    ("halt-ko", "북한의 반사회주의 단속은 2018년 6월까지 대체로 중단되었다. 양강도와 함경북도의 "
                "소식통 두 명이 각각 데일리NK에 전했다."),
    ("order-ko", "김정은은 간부들에게 인민을 적으로 만들지 말라고 말했다."),
    ("mixed", "Kim Jong Un (김정은) told officials: café, naïve, déjà vu, ＦＵＬＬＷＩＤＴＨ."),
]  # fmt: skip


def test_display_width_counts_terminal_columns():
    from claimtrack.terminal import display_width, display_wrap

    assert display_width("halt") == 4
    assert display_width("단속") == 4  # Hangul syllables take two columns
    assert display_width("cafe\u0301") == 4  # a combining accent takes none
    assert display_width("ＦＵＬＬ") == 8 and display_width("a\u200db") == 2
    lines = display_wrap(KOREAN[0][1], 20)
    assert max(map(display_width, lines)) <= 20 and " ".join(lines) == KOREAN[0][1]
    # CJK written without spaces breaks where it reaches the edge.
    assert display_wrap("北朝鮮の取り締まりは六月までに止んだ", 10) == [
        "北朝鮮の取", "り締まりは", "六月までに", "止んだ",
    ]  # fmt: skip


def _columns_line_up(lines: list[str], header: str) -> None:
    """Every row's cells start at the columns where the header's words start (by display
    width, not by character count)."""
    from claimtrack.terminal import display_width

    starts = [display_width(header[: header.index(word)]) for word in header.split()]
    for line in lines[2:]:
        for start in starts[1:]:
            before = line[: len(line)]
            # the character at display column `start - 2 .. start - 1` is the two-space gap
            prefix, width = "", 0
            for char in before:
                if width >= start:
                    break
                prefix, width = prefix + char, width + display_width(char)
            assert width == start or not line[len(prefix) :].strip(), (line, start)


def test_a_korean_table_fits_80_columns_and_lines_up(tmp_path):
    from claimtrack.terminal import display_width

    db = str(tmp_path / "ko.db")
    cli = Cli(db)
    cli.ok("init")
    for key, text in KOREAN:
        cli.ok("claim", "add", text, "--key", key, "--tag", "단속", "--on-duplicate", "warn")
    for args in (["claim", "list"], ["report"]):
        out = on_terminal(args, env_for(db), columns=80)
        lines = out.rstrip("\n").split("\n\n")[0].splitlines()
        assert max(map(display_width, lines)) <= 80, out
        assert max(map(display_width, lines)) >= 70, out  # the width is used, not halved
        _columns_line_up(lines, lines[0])
        words = " ".join(out.split())
        assert "소식통 두 명이 각각 데일리NK에 전했다." in words and "…" not in out


@pytest.fixture(scope="module")
def twice(tmp_path_factory) -> str:
    """A database where a claim and a source were logged twice."""
    path = str(tmp_path_factory.mktemp("twice") / "twice.db")
    cli = Cli(path)
    cli.ok("init")
    cli.ok("claim", "add", LONG_TEXT, "--key", "long")
    cli.ok("claim", "add", LONG_TEXT.replace("largely", "mostly"), "--key", "again")
    cli.ok("claim", "add", KOREAN[0][1], "--key", "ko")
    cli.ok("claim", "add", KOREAN[0][1] + " 확인", "--key", "ko-again")
    cli.ok("source", "add", "Daily NK", "--url", "https://www.dailynk.com/")
    cli.ok("source", "add", "Daily NK", "--key", "dnk2", "--url", "https://dailynk.com")
    return path


def test_search_and_duplicates_wrap_to_the_terminal(seeded, twice):
    from claimtrack.terminal import display_width

    for args, env in ((["search", "crackdown"], env_for(seeded)), (["duplicates"], env_for(twice))):
        out = on_terminal(args, env, columns=50)
        plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
        assert max(map(display_width, plain.splitlines())) <= 50, out
        piped_out = piped(args, env).stdout
        assert max(map(len, piped_out.splitlines())) > 50  # piped: one line each, in full
        assert " ".join(plain.split()) == " ".join(re.sub(r"[][]", "", piped_out).split())
    assert "ko-again" in piped(["duplicates"], env_for(twice)).stdout
    env = env_for(seeded)
    # A highlight that wraps onto the next line is closed and opened again around the break.
    out = on_terminal(["search", '"anti-socialist crackdown"', "--type", "claim"], env, columns=24)
    for line in out.splitlines():
        assert line.count("\x1b[1;33m") == line.count("\x1b[0m") - line.startswith("\x1b[1m")


def test_limit_says_how_many_more_exist_on_stderr_only(seeded, twice):
    env = env_for(seeded)
    total = len(Cli(seeded).ok("claim", "list", "--json").json())
    for args in (["report"], ["claim", "list"], ["source", "list"]):
        run = piped([*args, "--limit", "1"], env)
        assert run.stderr.startswith("(1 of "), (args, run.stderr)
        assert "shown" not in run.stdout
        for fmt in ("csv", "json", "jsonl"):
            run = piped([*args, "--limit", "1", "--format", fmt], env)
            assert "shown" not in run.stdout and "shown" in run.stderr, (args, fmt)
            if fmt == "json":
                json.loads(run.stdout)
    run = piped(["report", "--limit", "2"], env)
    assert run.stderr == f"(2 of {total} shown; raise --limit or leave it out to see them all)\n"
    assert piped(["report", "--limit", str(total)], env).stderr == ""
    run = piped(["search", "crackdown", "--limit", "2", "--format", "json"], env)
    assert len(json.loads(run.stdout)) == 2 and "more exist" in run.stderr
    run = piped(["history", "halt", "--limit", "1"], env)
    assert "more exist" in run.stderr
    run = piped(["duplicates", "--limit", "1"], env_for(twice))
    assert run.stderr.startswith("(1 of 3 shown") and run.stdout.count(" ~ ") == 1
    run = piped(["duplicates", "--limit", "1", "--format", "csv"], env_for(twice))
    assert run.stderr.startswith("(1 of 3 shown") and len(run.stdout.splitlines()) == 2
    on_tty = on_terminal(["claim", "list", "--limit", "2"], env, columns=100)
    assert f"(2 of {total} shown;" in on_tty
