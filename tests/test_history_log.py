"""One history writer: the services and the importer append every event through
claimtrack.history_log, in one statement per flush."""

from __future__ import annotations

import json

from sqlalchemy import text

from claimtrack.db import open_database
from claimtrack.history_log import HistoryLog


def test_services_and_importer_write_every_history_row_through_the_one_log(
    cli, db_url, tmp_path, monkeypatch
):
    written: list[tuple] = []
    flush = HistoryLog.flush

    def counting_flush(self, conn):
        written.extend(self.pending)
        flush(self, conn)

    monkeypatch.setattr(HistoryLog, "flush", counting_flush)
    cli.ok("source", "add", "Ryanggang informant", "--key", "ryg")
    cli.ok("claim", "add", "The crackdown stopped in 량강도.", "--key", "halt")
    cli.ok("evidence", "add", "halt", "--source", "ryg", "--supports", "--quote", "멈췄다")
    cli.ok("source", "edit", "ryg", "--reliability", "E", "--reason", "graded down")
    sheet = tmp_path / "더 많은.jsonl"
    sheet.write_text(
        json.dumps({"type": "claim", "key": "decrees", "text": "Decrees came down."})
        + "\n"
        + json.dumps(
            {
                "type": "evidence",
                "claim": "decrees",
                "source": "ryg",
                "stance": "supports",
                "quote": "멈췄다",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    cli.ok("import", str(sheet))
    cli.ok("claim", "merge", "halt", "decrees", "--yes")

    database = open_database(db_url)
    with database.connect() as conn:
        stored = conn.execute(text("SELECT action, after FROM history ORDER BY id")).all()
    database.dispose()
    # Four by hand, the import's one event, the merge.
    assert len(stored) == len(written) == 6
    assert [row[0] for row in stored] == [row[2] for row in written]
    # One encoding for both writers: sorted keys, text kept as written (not \\u-escaped).
    added = [after for action, after in stored if action in ("evidence.add", "import")]
    assert [action for action, _ in stored if action in ("evidence.add", "import")] == [
        "evidence.add",
        "import",
    ]
    assert '"quote": "멈췄다"' in added[0] and '더 많은.jsonl"' in added[1]
    assert all(json.dumps(json.loads(a), ensure_ascii=False, sort_keys=True) == a for a in added)
