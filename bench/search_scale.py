"""Search and duplicate detection at scale: N claims (default 100,000) written with bulk Core
inserts (the search triggers index them as they land), then per-query search latency, the
`claim add` duplicate check, and `claimtrack duplicates` over the whole database.

    python bench/search_scale.py --db /tmp/scale.db [--claims 100000]
    python bench/search_scale.py --db postgresql+psycopg://postgres@127.0.0.1:5432/scale
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, datetime

from sqlalchemy import insert, text

from claimtrack.db import Database, resolve_url, run_migration
from claimtrack.models import Claim, ClaimTag, Evidence, Source, Tag

PLACES = ["Hyesan", "Chongjin", "Sinuiju", "Pyongyang", "Musan", "Hoeryong", "량강도", "함경북도"]
SUBJECTS = [
    "the crackdown",
    "rice prices",
    "smuggling routes",
    "border guards",
    "police",
    "travel permits",
    "currency exchange",
    "market vendors",
    "the mid-progress report",
    "electricity supply",
    "mobile phone checks",
    "inspection teams",
    "defectors",
]
VERBS = [
    "stopped",
    "resumed",
    "rose",
    "fell",
    "intensified",
    "were relaxed",
    "were replaced",
    "took bribes",
    "were arrested",
    "were confiscated",
    "were ordered to leave",
    "doubled",
]
WORDS = (
    "according informant local officials residents reported week month sharply again "
    "quietly openly despite orders from central authorities security ministry province "
    "county city district village station market factory farm school hospital"
).split()
QUERIES = [
    "crackdown Hyesan",
    "smuggling routes",
    "rice prices",
    '"border guards"',
    "Sinuiju currency",
    "travel permit*",
    "량강도",
    "inspection -Musan",
    "electricity OR phones",
    "zzzunmatched",
]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    syllables = ["ka", "ri", "mo", "sun", "do", "han", "gyo", "pyo", "ne", "jin", "ul", "bo"]
    words = set()
    while len(words) < size:
        words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def sentence(rng: random.Random, vocab: list[str] | None = None) -> str:
    """A claim-like sentence: a template head plus words drawn from a Zipf-like vocabulary
    (real claim collections have many rare words, which is what blocking relies on)."""
    extra = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
    if vocab:
        extra += " " + " ".join(
            vocab[min(int(rng.paretovariate(1.0)) - 1, len(vocab) - 1) * 7 % len(vocab)]
            if rng.random() < 0.5
            else rng.choice(vocab)
            for _ in range(rng.randint(4, 8))
        )
    return (
        f"In {rng.choice(PLACES)} {rng.choice(SUBJECTS)} {rng.choice(VERBS)} "
        f"in {rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}, {extra}."
    )


def paraphrase(rng: random.Random, text: str) -> str:
    """A planted near-duplicate: the same words, one dropped and the order shuffled."""
    words = text.rstrip(".").split()
    words.pop(rng.randrange(len(words)))
    head, tail = words[:4], words[4:]
    rng.shuffle(tail)
    return " ".join(head + tail) + "."


def build(database: Database, claims: int, seed: int = 1) -> float:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    texts: list[str] = []
    for i in range(claims):
        if i % 100 == 99:
            texts.append(paraphrase(rng, texts[rng.randrange(len(texts))]))
        else:
            texts.append(sentence(rng, vocab))
    now = datetime.now(UTC)
    stamps = {"created_at": now, "updated_at": now}
    started = time.perf_counter()
    with database.connect(write=True) as conn:
        conn.execute(
            insert(Source.__table__),
            [
                {
                    "id": i,
                    "key": f"s{i}",
                    "name": f"Informant {i} in {rng.choice(PLACES)}",
                    "kind": "informant",
                    "reliability": "F",
                    "origin_id": i,
                    **stamps,
                }
                for i in range(1, 1001)
            ],
        )
        conn.execute(insert(Tag.__table__), [{"id": i, "name": f"tag{i}"} for i in range(1, 51)])
        for start in range(1, claims + 1, 10_000):
            ids = range(start, min(start + 10_000, claims + 1))
            conn.execute(
                insert(Claim.__table__),
                [
                    {
                        "id": i,
                        "key": f"c{i}",
                        "text": texts[i - 1],
                        "place": None,
                        "notes": None,
                        **stamps,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                insert(ClaimTag.__table__), [{"claim_id": i, "tag_id": 1 + i % 50} for i in ids]
            )
            conn.execute(
                insert(Evidence.__table__),
                [
                    {
                        "claim_id": i,
                        "source_id": 1 + i % 1000,
                        "stance": "supports",
                        "credibility": 3,
                        "quote": sentence(rng, vocab),
                        "removed_at": None,
                        **stamps,
                    }
                    for i in ids
                ],
            )
        if database.dialect == "postgresql":
            for table in ("sources", "tags", "claims", "evidence"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    if database.dialect == "postgresql":
        with database.engine.connect() as conn:
            conn.execute(text("COMMIT"))
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--claims", type=int, default=100_000)
    args = parser.parse_args()
    from claimtrack.services.duplicates import duplicate_claims, similar_claims
    from claimtrack.services.search import search

    database = Database(resolve_url(args.db), create=True)
    run_migration(database, "upgrade", "head")
    print(
        f"engine {database.dialect}; building {args.claims:,} claims + as many evidence "
        f"quotes (indexed by the triggers as they are inserted) ..."
    )
    print(f"  built in {build(database, args.claims):.1f} s")
    all_ms = []
    with database.session() as session:
        for query in QUERIES:
            search(session, query)  # warm-up
            ms = timed(lambda q=query: search(session, q), 5)
            all_ms += ms
            hits = len(search(session, query))
            print(
                f"  search {query!r:28} {hits:3} results  median {statistics.median(ms):7.1f} ms",
                flush=True,
            )
        print(
            f"  search over all queries: median {statistics.median(all_ms):.1f} ms, "
            f"p90 {sorted(all_ms)[int(len(all_ms) * 0.9)]:.1f} ms, max {max(all_ms):.1f} ms"
        )
        ms = timed(lambda: search(session, "crackdown", tags=["tag7"]), 3)
        print(f"  search 'crackdown' --tag tag7: median {statistics.median(ms):.1f} ms")
        ms = timed(lambda: search(session, "crackdown", statuses=["unverified"]), 3)
        print(f"  search 'crackdown' --status unverified: median {statistics.median(ms):.1f} ms")
        probe = "In Hyesan the crackdown stopped in 2018-06, according local officials."
        ms = timed(lambda: similar_claims(session, probe), 5)
        print(f"  claim add duplicate check: median {statistics.median(ms):.1f} ms")
        started = time.perf_counter()
        pairs = duplicate_claims(session)
        print(
            f"  duplicates over {args.claims:,} claims: {len(pairs):,} pairs in "
            f"{time.perf_counter() - started:.1f} s ({args.claims // 100:,} planted)",
            flush=True,
        )
    database.dispose()


if __name__ == "__main__":
    main()
