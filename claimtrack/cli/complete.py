"""Shell completion of values: claim and source keys and tags from the database, and every
word from a fixed list (formats, statuses, verdicts, stances, grades).

What a parameter completes follows from its metavar (CLAIM, SRC, STATUS, `a|b|c`, A-F...),
so a new command completes its values by naming them the way every other command does.
A key lookup must answer while the user waits at the prompt: it reads the database with the
standard library's sqlite3 (or psycopg for PostgreSQL), never SQLAlchemy, and any problem
(no database yet, a server down) completes nothing rather than printing an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .. import vocabulary

MAX_KEYS = 500  # a completion list longer than this is no help at a prompt


def _keys(sql: str) -> Callable[[Any, Any, str], list[str]]:
    def complete(ctx: Any, _param: Any, incomplete: str) -> list[str]:
        return _query(ctx, sql, incomplete)

    return complete


CLAIM_KEYS = "SELECT key FROM claims WHERE key LIKE {p} ORDER BY key LIMIT {n}"
SOURCE_KEYS = "SELECT key FROM sources WHERE key LIKE {p} ORDER BY key LIMIT {n}"
TAGS = "SELECT name FROM tags WHERE name LIKE {p} ORDER BY name LIMIT {n}"
ANY_KEY = (
    "SELECT key FROM claims WHERE key LIKE {p} UNION "
    "SELECT key FROM sources WHERE key LIKE {p} ORDER BY 1 LIMIT {n}"
)


def _words(values: tuple[str, ...]) -> Callable[[Any, Any, str], list[str]]:
    def complete(_ctx: Any, _param: Any, incomplete: str) -> list[str]:
        return [value for value in values if value.lower().startswith(incomplete.lower())]

    return complete


# Metavar -> the words it stands for. A metavar of the form a|b|c stands for its words.
WORDS: dict[str, tuple[str, ...]] = {
    "STATUS": vocabulary.STATUSES,
    "S": vocabulary.STATUSES,
    "A-F": tuple(vocabulary.RELIABILITY_GRADES),
    "1-6": tuple(map(str, vocabulary.CREDIBILITY_GRADES)),
    "CONFIDENCE": vocabulary.CONFIDENCES,
    "STANCE": vocabulary.STANCES,
    "RELATION": vocabulary.LINK_RELATIONS,
}
# Metavar -> what it completes to from the database.
KEYS: dict[str, Callable[[Any, Any, str], list[str]]] = {
    "CLAIM": _keys(CLAIM_KEYS),
    "SRC": _keys(SOURCE_KEYS),
    "CLAIM_OR_SRC": _keys(ANY_KEY),
    "TAG": _keys(TAGS),
    "T": _keys(TAGS),
}


# How an error names what a parameter takes, where the list alone would say less.
EXPECTED = {
    "A-F": "a reliability grade A-F (F: cannot be judged)",
    "1-6": "a credibility grade 1-6 (6: cannot be judged)",
    "CONFIDENCE": "low, moderate or high",
    "confirmed|debunked|none": "confirmed, debunked or none",
}


def words(metavar: str | None) -> tuple[str, ...] | None:
    """The fixed words a parameter with this metavar takes, or None when it takes others."""
    if not metavar:
        return None
    if metavar in WORDS:
        return WORDS[metavar]
    if "|" in metavar and metavar.replace("|", "").replace("-", "").isalpha():
        return tuple(metavar.split("|"))
    return None


def completer(metavar: str | None, group: str | None) -> Callable | None:
    """The completer for a parameter with this metavar, in this command group (KEEP and
    OTHER are claim keys under `claim`, source keys under `source`)."""
    metavar = (metavar or "").strip("[]")  # an optional argument: [CLAIM]
    if metavar in ("KEEP", "OTHER"):
        return KEYS["SRC" if group == "source" else "CLAIM"]
    if metavar in KEYS:
        return KEYS[metavar]
    fixed = words(metavar)
    return _words(fixed) if fixed else None


def _query(ctx: Any, sql: str, incomplete: str) -> list[str]:
    from ..db import resolve_url, sqlite_path

    root = ctx.find_root() if ctx is not None else None
    given = root.params.get("db") if root is not None else None
    pattern = incomplete.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    try:
        url = resolve_url(given)
        path = sqlite_path(url)
        if path is not None:
            return _sqlite(path, sql, pattern)
        if url.startswith("postgresql"):
            return _postgres(url, sql, pattern)
    except Exception:
        return []
    return []


def _sqlite(path: Any, sql: str, pattern: str) -> list[str]:
    import sqlite3

    if not os.path.exists(path):
        return []
    # Read-only: completing never creates a file or takes a write lock.
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1) as conn:
        query = sql.format(p="? ESCAPE '\\'", n=MAX_KEYS)
        rows = conn.execute(query, [pattern] * query.count("?")).fetchall()
    return [row[0] for row in rows]


def _postgres(url: str, sql: str, pattern: str) -> list[str]:
    import psycopg

    dsn = "postgresql://" + url.split("://", 1)[1]
    with psycopg.connect(dsn, connect_timeout=2) as conn:
        query = sql.format(p="%(p)s", n=MAX_KEYS)
        rows = conn.execute(query, {"p": pattern}).fetchall()
    return [row[0] for row in rows]
