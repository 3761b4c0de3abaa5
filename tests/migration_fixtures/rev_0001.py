"""Data as schema revision 0001 holds it: sources with derived-from chains (origin kept),
claims with partial dates, tags, verdicts; evidence of every stance, with via, removed items
and keys; claim links; key aliases left by a merge; and history with JSON snapshots.
Text includes Korean, quotes, newlines and a `%`, so encodings and escaping are exercised."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

T0 = datetime(2018, 6, 14, 9, 30, tzinfo=UTC)


def _sources(n: int) -> list[dict]:
    stem = f"-{n}" if n else ""
    base = n * 10
    return [
        dict(
            id=base + 1,
            key=f"dnk{stem}",
            name="Daily NK",
            kind="outlet",
            reliability="C",
            derived_from_id=None,
            origin_id=base + 1,
            url="https://www.dailynk.com",
            notes=None,
        ),
        dict(
            id=base + 2,
            key=f"ryg{stem}",
            name="Ryanggang informant",
            kind="informant",
            reliability="F",
            derived_from_id=None,
            origin_id=base + 2,
            url=None,
            notes="Speaks to police; 'mid-progress report'",
        ),
        dict(
            id=base + 3,
            key=f"wire{stem}",
            name="Wire copy of Daily NK",
            kind="outlet",
            reliability="B",
            derived_from_id=base + 1,
            origin_id=base + 1,
            url=None,
            notes=None,
        ),
        dict(
            id=base + 4,
            key=f"copy{stem}",
            name="Copy of the wire",
            kind="website",
            reliability="E",
            derived_from_id=base + 3,
            origin_id=base + 1,
            url=None,
            notes="100% copied\nline two",
        ),
        dict(
            id=base + 5,
            key=f"rodong{stem}",
            name="Rodong Sinmun 로동신문",
            kind="state-media",
            reliability="D",
            derived_from_id=None,
            origin_id=base + 5,
            url=None,
            notes=None,
        ),
        dict(
            id=base + 6,
            key=f"nhg{stem}",
            name="North Hamgyong informant",
            kind="informant",
            reliability="A",
            derived_from_id=base + 2,
            origin_id=base + 2,
            url=None,
            notes=None,
        ),
    ]


def _claims(n: int) -> list[dict]:
    stem = f"-{n}" if n else ""
    base = n * 10
    return [
        dict(
            id=base + 1,
            key=f"halt{stem}",
            text="The crackdown had largely stopped by June 2018.",
            event_date="2018-06",
            event_date_precision="month",
            place="Ryanggang",
            notes=None,
            verdict="confirmed",
            verdict_reason="two independent informants",
            confidence="moderate",
        ),
        dict(
            id=base + 2,
            key=f"decrees{stem}",
            text='The "anti-socialist" decrees were taken down.',
            event_date="2018",
            event_date_precision="year",
            place=None,
            notes="multi\nline; 50% sure",
            verdict=None,
            verdict_reason=None,
            confidence=None,
        ),
        dict(
            id=base + 3,
            key=f"smuggling{stem}",
            text="단속이 중단되었다 — smuggling resumed.",
            event_date="2018-06-14",
            event_date_precision="day",
            place="Hyesan",
            notes=None,
            verdict="debunked",
            verdict_reason="contradicted by satellite imagery",
            confidence="low",
        ),
        dict(
            id=base + 4,
            key=f"bare{stem}",
            text="A claim with no evidence at all.",
            event_date=None,
            event_date_precision=None,
            place=None,
            notes=None,
            verdict=None,
            verdict_reason=None,
            confidence=None,
        ),
    ]


def fill(conn: Connection, *, scale: int = 1) -> dict[str, int]:
    """Write `scale` copies of the example (keys suffixed -1, -2, ...); returns row counts."""
    meta = MetaData()
    meta.reflect(conn)
    t = meta.tables
    rows: dict[str, list[dict]] = {name: [] for name in t}
    rows["tags"] = [
        dict(id=1, name="crackdown"),
        dict(id=2, name="smuggling"),
        dict(id=3, name="북한"),
    ]
    history_id = 0

    def event(at, action, entity, after, **ids):
        nonlocal history_id
        history_id += 1
        rows["history"].append(
            dict(
                id=history_id,
                at=at,
                actor="analyst",
                action=action,
                entity=entity,
                claim_id=ids.get("claim_id"),
                source_id=ids.get("source_id"),
                evidence_id=ids.get("evidence_id"),
                before=None,
                after=json.dumps(after, ensure_ascii=False, sort_keys=True) if after else None,
                reason=ids.get("reason"),
            )
        )

    for n in range(scale):
        at = T0 + timedelta(minutes=n)
        for source in _sources(n):
            rows["sources"].append(dict(source, created_at=at, updated_at=at))
            event(at, "source.add", "source", {"key": source["key"]}, source_id=source["id"])
        claims = _claims(n)
        for claim in claims:
            rows["claims"].append(dict(claim, created_at=at, updated_at=at))
            event(at, "claim.add", "claim", {"key": claim["key"]}, claim_id=claim["id"])
        c, s = claims[0]["id"], _sources(n)[0]["id"]
        rows["claim_tags"] += [
            dict(claim_id=c, tag_id=1),
            dict(claim_id=c, tag_id=3),
            dict(claim_id=c + 2, tag_id=2),
        ]
        base = n * 10
        evidence = [
            dict(
                id=base + 1,
                key=None,
                claim_id=c,
                source_id=s + 1,
                stance="supports",
                credibility=2,
                quote="the crackdowns have stopped",
                locator="p. 3",
                via_id=s,
                observed="2018-06-20",
                notes=None,
                removed_at=None,
                removed_reason=None,
            ),
            dict(
                id=base + 2,
                key=f"ev-nhg{'-' + str(n) if n else ''}",
                claim_id=c,
                source_id=s + 5,
                stance="supports",
                credibility=3,
                quote=None,
                locator=None,
                via_id=s,
                observed=None,
                notes="via the same outlet",
                removed_at=None,
                removed_reason=None,
            ),
            dict(
                id=base + 3,
                key=None,
                claim_id=c + 1,
                source_id=s + 3,
                stance="contradicts",
                credibility=5,
                quote='"nothing changed" — 아무것도',
                locator=None,
                via_id=None,
                observed="2018-07-01",
                notes=None,
                removed_at=None,
                removed_reason=None,
            ),
            dict(
                id=base + 4,
                key=None,
                claim_id=c + 2,
                source_id=s + 4,
                stance="neutral",
                credibility=6,
                quote=None,
                locator="https://example.org/a?b=1&c=%20",
                via_id=None,
                observed=None,
                notes=None,
                removed_at=at + timedelta(days=1),
                removed_reason="duplicate of 1",
            ),
        ]
        for item in evidence:
            rows["evidence"].append(dict(item, created_at=at, updated_at=at))
            event(
                at,
                "evidence.add",
                "evidence",
                {"stance": item["stance"]},
                evidence_id=item["id"],
                claim_id=item["claim_id"],
                source_id=item["source_id"],
            )
        event(
            at + timedelta(days=1),
            "evidence.remove",
            "evidence",
            None,
            evidence_id=base + 4,
            claim_id=c + 2,
            reason="duplicate of 1",
        )
        rows["claim_links"] += [
            dict(id=base + 1, claim_id=c + 1, other_id=c, relation="supports", created_at=at),
            dict(id=base + 2, claim_id=c + 2, other_id=c, relation="contradicts", created_at=at),
        ]
        rows["key_aliases"].append(
            dict(
                id=n + 1,
                entity="source",
                alias=f"dailynk-old{'-' + str(n) if n else ''}",
                target_id=s,
            )
        )
    for table in meta.sorted_tables:
        if rows.get(table.name):
            conn.execute(table.insert(), rows[table.name])
    if conn.dialect.name == "postgresql":
        # Explicit ids were given: move each sequence past them, as the application would.
        for table in meta.sorted_tables:
            if "id" in table.c and rows.get(table.name):
                conn.exec_driver_sql(
                    "SELECT setval(pg_get_serial_sequence(%(t)s, 'id'), "
                    "(SELECT max(id) FROM "
                    + conn.dialect.identifier_preparer.quote(table.name)
                    + "))",
                    {"t": table.name},
                )
    return {name: len(value) for name, value in rows.items() if value}
