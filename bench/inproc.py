"""Run claimtrack commands inside this process, to count SQL statements or time warm queries.

    python bench/inproc.py count -- --db X report --format json
        -> {"statements": N, "exit_code": 0, "seconds": S}
    python bench/inproc.py time --warmup 2 --rounds 5 ARGS_JSON
        ARGS_JSON is a JSON list of argument lists, each run `rounds` times after `warmup`
        runs of the first one -> {"seconds": [...], "exit_codes": [...]}
    python bench/inproc.py search DB QUERY...
        the search service on one open database, 3 warm-up queries, then each query 3 times
        -> {"seconds": [...], "hits": [...]}

Statements are counted with a SQLAlchemy `before_cursor_execute` listener on every Engine, so
an executemany counts as one statement and PRAGMAs issued on connect are not counted.
"""

from __future__ import annotations

import json
import sys
import time


def _runner():
    from typer.testing import CliRunner

    from claimtrack.cli import app

    return CliRunner(), app


def count(args: list[str]) -> dict:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: list[str] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", on_execute)
    runner, app = _runner()
    started = time.perf_counter()
    result = runner.invoke(app, args)
    seconds = time.perf_counter() - started
    return {
        "statements": len(statements),
        "exit_code": result.exit_code,
        "seconds": seconds,
        "output_bytes": len(result.stdout_bytes),
        "error": (result.stderr or "")[-500:] if result.exit_code else None,
        "sql": [" ".join(s.split())[:160] for s in statements[:60]],
    }


def timed(arg_lists: list[list[str]], *, warmup: int, rounds: int) -> dict:
    runner, app = _runner()
    for _ in range(warmup):
        runner.invoke(app, arg_lists[0])
    seconds: list[float] = []
    codes: list[int] = []
    errors: list[str] = []
    for _ in range(rounds):
        for args in arg_lists:
            started = time.perf_counter()
            result = runner.invoke(app, args)
            seconds.append(time.perf_counter() - started)
            codes.append(result.exit_code)
            if result.exit_code and len(errors) < 3:
                errors.append((result.stderr or result.stdout)[-300:])
    return {"seconds": seconds, "exit_codes": codes, "errors": errors}


def search_service(db: str, queries: list[str], *, warmup: int, rounds: int) -> dict:
    """The search service itself, on one open database: a read transaction per query."""
    from claimtrack.db import open_database
    from claimtrack.services.search import search

    database = open_database(db)
    for _ in range(warmup):
        with database.session() as session:
            search(session, queries[0])
    seconds: list[float] = []
    hits: list[int] = []
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            with database.session() as session:
                found = search(session, query)
            seconds.append(time.perf_counter() - started)
            hits.append(len(found))
    database.dispose()
    return {"seconds": seconds, "hits": hits}


def main(argv: list[str]) -> int:
    if argv[:1] == ["count"]:
        args = argv[1:]
        if args[:1] == ["--"]:
            args = args[1:]
        print(json.dumps(count(args)))
        return 0
    if argv[:1] == ["time"]:
        import argparse

        parser = argparse.ArgumentParser()
        parser.add_argument("--warmup", type=int, default=2)
        parser.add_argument("--rounds", type=int, default=5)
        parser.add_argument("args_json")
        options = parser.parse_args(argv[1:])
        print(
            json.dumps(
                timed(json.loads(options.args_json), warmup=options.warmup, rounds=options.rounds)
            )
        )
        return 0
    if argv[:1] == ["search"]:
        db, *queries = argv[1:]
        print(json.dumps(search_service(db, queries, warmup=3, rounds=3)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
