"""An import's memory does not grow with its claims and sources (issue 13, constant memory):
sources and claims are written a chunk at a time as they are read back from the staged
entities (only the sources of a derived-from chain are held together), and the writer's
key -> id maps are caches emptied past writer.core.KEY_CACHE keys, found again in the tables.

Each test here would fail if what the writer holds grew with the file again; with the maps
emptied at every batch (KEY_CACHE 1) an import writes exactly what it writes with every key
held."""

from __future__ import annotations

import importlib.util
import json
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import Cli, dump, migrated_database
from transfer_helpers import summary

from claimtrack.transfer.imports import staging
from claimtrack.transfer.imports.writer import Writer, core

BENCH = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


@pytest.fixture
def other_url(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second empty database, as db_url makes them."""
    yield from migrated_database(engine_name, request, tmp_path / "other.db")


def _tiny(tmp_path: Path) -> Path:
    """The benchmark's tiny data set: sources in derived-from chains, `via` cells, tags."""
    spec = importlib.util.spec_from_file_location("bench_generate", BENCH)
    generate = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = generate  # its dataclasses look their module up
    spec.loader.exec_module(generate)
    out = tmp_path / "tiny"
    generate.generate(generate.SIZES["tiny"], out)
    return out


def _named_sheet(path: Path) -> None:
    """Claims by text only, sources by name only, `via` cells by name and by key, a conflict."""
    lines = ["claim_key,claim_text,source_key,source_name,stance,credibility,url,via,tags"]
    for n in range(600):
        claim = f"c{n % 90},Claim {n % 90}" if n % 4 else f",Loose claim {n % 30}"
        source = f"s{n % 25},Source {n % 25}" if n % 3 else f",Named source {n % 20}"
        via = ("Relay " + str(n % 7)) if n % 5 == 0 else (f"s{n % 11}" if n % 5 == 1 else "")
        tags = "a" if n % 2 else "b"
        lines.append(f"{claim},{source},supports,3,https://example.org/{n},{via},{tags}")
    lines.append("c5,Other text,s1,Source 1,supports,3,https://example.org/x,,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _timeless(rows: list[tuple]) -> list[tuple]:
    """Rows without the times an import stamps, nor hashes of them (two imports never share
    them)."""

    def plain(value):
        if isinstance(value, (datetime, date)):
            return None
        if isinstance(value, str) and value[:2] == "20" and value[4:5] == "-":
            return None
        if isinstance(value, str) and len(value) == 64 and not value.strip("0123456789abcdef"):
            return None  # a history event's hash (of its time too)
        if isinstance(value, str) and value.startswith("{"):
            try:
                loaded = json.loads(value)
            except ValueError:
                return value
            loaded.pop("seconds", None)
            return json.dumps(loaded, sort_keys=True)
        return value

    return [tuple(plain(value) for value in row) for row in rows]


def _imports(cli: Cli, tmp_path: Path) -> list:
    """Import the data sets (the tiny sheet twice), what each import said."""
    tiny = tmp_path / "tiny"
    said = []
    for name in (
        tiny / "dataset.jsonl",
        tiny / "sheet.csv",
        tmp_path / "named.csv",
        tiny / "sheet.csv",
    ):
        rejects = tmp_path / f"rejects-{len(said)}.csv"
        run = cli.ok("import", str(name), "--skip-errors", str(rejects), "--force", "--json")
        data = run.json()
        said.append((summary(run), data["rejected"], data["warning_count"]))
    dry = cli.ok("import", str(tiny / "dataset.jsonl"), "--dry-run", "--json")
    said.append(summary(dry))
    return said


@pytest.mark.parametrize(
    "engine_name", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_key_maps_emptied_at_every_batch_write_what_maps_of_every_key_write(
    db_url, other_url, tmp_path, monkeypatch
):
    _tiny(tmp_path)
    _named_sheet(tmp_path / "named.csv")
    monkeypatch.setattr(staging, "SPILL", 0)
    held = _imports(Cli(db_url), tmp_path)
    monkeypatch.setattr(core, "KEY_CACHE", 1)
    monkeypatch.setattr(staging.NameKeys, "HELD", 1)  # names and texts read back from disk
    emptied = _imports(Cli(other_url), tmp_path)
    assert emptied == held
    assert held[0][0]["source"]["created"] == 50 and held[2][1] == 1
    assert _timeless(dump(other_url)) == _timeless(dump(db_url))


def _sheet(path: Path, claims: int, *, keys: bool = True) -> None:
    """One row per claim, a source for every other claim, a `via` cell on every fifth; with
    keys=False, claims by text only and sources by name only."""
    lines = ["claim_key,claim_text,source_key,source_name,stance,credibility,url,via"]
    for n in range(claims):
        half = claims // 2
        via = (f"s{(n + 1) % half}" if keys else f"Source {(n + 1) % half}") if n % 5 == 0 else ""
        claim_key, source_key = (f"c{n}", f"s{n % half}") if keys else ("", "")
        lines.append(
            f"{claim_key},Claim number {n} said here,{source_key},Source {n % half},"
            f"supports,3,https://example.org/{n},{via}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _held_while_writing(cli: Cli, path: Path, monkeypatch) -> dict[str, int]:
    """The most the writer's key maps held at any batch, and the most memory Python took
    while sources and claims were written (tracemalloc's peak, from the call's start)."""
    most = {"keys": 0, "sources": 0, "claims": 0}
    bound = Writer.bound_keys

    def counted(self):
        held = len(self.claim_ids) + len(self.source_ids)
        held += len(self.source_by_name) + len(self.claim_by_text)
        most["keys"] = max(most["keys"], held)
        bound(self)

    def traced(name):
        method = getattr(Writer, name)

        def run(self, *args):
            tracemalloc.start()
            try:
                method(self, *args)
                most[name[6:]] = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        return run

    monkeypatch.setattr(Writer, "bound_keys", counted)
    monkeypatch.setattr(Writer, "write_sources", traced("write_sources"))
    monkeypatch.setattr(Writer, "write_claims", traced("write_claims"))
    cli.ok("import", str(path), "--on-duplicate", "ignore")
    return most


@pytest.mark.parametrize("keys", [True, False], ids=["keys", "texts and names"])
@pytest.mark.parametrize("engine_name", ["sqlite"], indirect=True)
def test_what_the_writer_holds_does_not_grow_with_the_file(
    db_url, other_url, tmp_path, monkeypatch, keys
):
    monkeypatch.setattr(core, "KEY_CACHE", 500)
    monkeypatch.setattr(staging.NameKeys, "HELD", 500)
    small, large = tmp_path / "small.csv", tmp_path / "large.csv"
    _sheet(small, 4_000, keys=keys)
    _sheet(large, 40_000, keys=keys)
    one = _held_while_writing(Cli(db_url), small, monkeypatch)
    ten = _held_while_writing(Cli(other_url), large, monkeypatch)
    # A batch's keys above the cache (and names and texts, each set and read back, above
    # theirs): the same for both files.
    bound = 500 + 2 * 2_000 + (0 if keys else 2 * 2 * 500)
    assert one["keys"] <= bound and ten["keys"] <= bound, (one, ten)
    # Holding every source or claim of the large file would take ten times the small one's
    # (sources: ~3 MB more); a chunk at a time it takes about as much.
    assert ten["sources"] < 2 * one["sources"] + 1_000_000, (one, ten)
    assert ten["claims"] < 2 * one["claims"] + 1_000_000, (one, ten)
