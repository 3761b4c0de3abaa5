"""Keys made for claims and sources a file gives by text or name only: the text's first words
as a slug, then slug-2, slug-3, ... past every key and alias already taken, and found in a few
statements however many records share a slug. Both engines."""

from __future__ import annotations

import time

from sqlalchemy import event
from transfer_helpers import rows

from claimtrack.db import open_database
from claimtrack.transfer import import_files
from claimtrack.values import slugify


def _sheet(path, texts: list[str], source: str = "Wire copy"):
    lines = ["claim_text,source_name,stance,quote"]
    lines += [f'"{text}",{source},supports,quote {n}' for n, text in enumerate(texts)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_shared_slug_numbers_past_every_key_and_alias_taken(cli, tmp_path):
    cli.ok("claim", "add", "Something else", "--key", "crackdown-stopped")
    cli.ok("claim", "add", "Another thing", "--key", "crackdown-stopped-2")
    cli.ok("claim", "add", "A third thing", "--key", "crackdown-stopped-3")
    cli.ok("claim", "add", "A fourth thing", "--key", "crackdown-stopped-4")
    # crackdown-stopped-3 now names crackdown-stopped-2 through an alias: still taken.
    cli.ok("claim", "merge", "crackdown-stopped-2", "crackdown-stopped-3", "--yes")
    texts = ["Crackdown stopped", "Crackdown stopped.", "Crackdown stopped!", "CRACKDOWN STOPPED?"]
    cli.ok("import", str(_sheet(tmp_path / "in.csv", texts)))
    made = rows(
        cli.url, "SELECT key, text FROM claims WHERE lower(text) LIKE 'crackdown%' ORDER BY id"
    )
    assert made == [
        ("crackdown-stopped-5", "Crackdown stopped"),
        ("crackdown-stopped-6", "Crackdown stopped."),
        ("crackdown-stopped-7", "Crackdown stopped!"),
        ("crackdown-stopped-8", "CRACKDOWN STOPPED?"),
    ]
    source = rows(cli.url, "SELECT key FROM sources WHERE name = 'Wire copy'")
    assert source == [("wire-copy",)]
    # The same texts again are the same claims, matched on text: no key is made.
    cli.ok("import", str(_sheet(tmp_path / "again.csv", texts)))
    assert rows(cli.url, "SELECT count(*) FROM claims WHERE lower(text) LIKE 'crackdown%'") == [
        (4,)
    ]


def _statements(url: str, path) -> int:
    database = open_database(url)
    count = 0

    def counted(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(database.engine, "before_cursor_execute", counted)
    try:
        with database.session(write=True, actor="tester") as session:
            import_files(session, files=[str(path)], on_duplicate="ignore")
    finally:
        database.dispose()
    return count


def test_keys_for_many_texts_sharing_a_slug_take_few_statements(db_url, tmp_path):
    # Two texts share the first six words and so the slug: before, each text after the first
    # looked up keys like its slug with a statement of its own (and PostgreSQL scanned the
    # claims table for each).
    few = [f"Officials in the northern province said {n}" for n in range(20)]
    many = [f"Officials in the northern province reported {n}" for n in range(2_000)]
    started = time.perf_counter()
    few_count = _statements(db_url, _sheet(tmp_path / "few.csv", few))
    many_count = _statements(db_url, _sheet(tmp_path / "many.csv", many, source="Radio"))
    assert many_count <= few_count + 40, (few_count, many_count, time.perf_counter() - started)
    keys = rows(db_url, "SELECT key FROM claims WHERE text LIKE '%reported%' ORDER BY id")
    stem = slugify("Officials in the northern province reported")  # cut at 40 characters
    assert [key for (key,) in keys] == [stem, *(f"{stem}-{n}" for n in range(2, 2_001))]


def test_a_key_made_for_a_text_or_a_name_is_never_one_the_file_gives(cli, tmp_path):
    # The first six words of "Crackdown stopped" make the key crackdown-stopped, which the
    # file gives to another claim; likewise "Wire" and the source keyed wire. Both used to
    # take that key, and so were merged into the other record: a claim and a source lost.
    sheet = tmp_path / "in.csv"
    sheet.write_text(
        "claim_key,claim_text,source_key,source_name,stance,quote\n"
        "crackdown-stopped,Something different,wire,Wire service,supports,one\n"
        ",Crackdown stopped,,Wire,contradicts,two\n",
        encoding="utf-8",
    )
    cli.ok("import", str(sheet))
    claims = rows(cli.url, "SELECT key, text FROM claims ORDER BY id")
    assert claims == [
        ("crackdown-stopped", "Something different"),
        ("crackdown-stopped-2", "Crackdown stopped"),
    ]
    sources = rows(cli.url, "SELECT key, name FROM sources ORDER BY id")
    assert sorted(sources) == [("wire", "Wire service"), ("wire-2", "Wire")]
    items = rows(
        cli.url,
        "SELECT e.quote, c.key, s.key FROM evidence AS e JOIN claims AS c ON c.id = e.claim_id "
        "JOIN sources AS s ON s.id = e.source_id ORDER BY e.id",
    )
    assert items == [("one", "crackdown-stopped", "wire"), ("two", "crackdown-stopped-2", "wire-2")]


def test_name_keys_past_memory_read_back_what_was_set_last(monkeypatch):
    from claimtrack.transfer.imports.staging import NameKeys

    monkeypatch.setattr(NameKeys, "HELD", 3)
    names = NameKeys()
    for n in range(10):
        names[f"name {n}"] = f"key-{n}"
    names["name 1"] = "key-1b"  # set again after it went to disk: the newer one wins
    assert len(names) <= 3
    names.load(["name 0", "name 1", "name 9", "nobody", None])
    assert [names.get(f"name {n}") for n in (0, 1, 5, 9)] == ["key-0", "key-1b", "key-5", "key-9"]
    assert names.get("nobody") is None and names.get("nobody", "x") == "x"
    for n in range(10, 14):  # spills again: what was read back must not hide these
        names[f"name {n}"] = f"key-{n}"
    names["name 0"] = "key-0b"
    assert names.get("name 0") == "key-0b" and names.get("name 12") == "key-12"
    names.close()
    assert names.get("name 0") is None
