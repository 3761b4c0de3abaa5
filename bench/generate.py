"""Deterministic benchmark data: a CSV evidence sheet and the same data as JSONL.

    python bench/generate.py            # full: 100,000 claims, 50,000 sources, 1,000,000 evidence
    python bench/generate.py --quick    # 1/20 of that
    python bench/generate.py --size tiny
    python bench/generate.py --size 100k  # 10k, 100k and 5M: the full size's proportions

Shapes meant to look like a real archive: sources in derived-from chains (most short, a few
dozen long ones up to 40 links), claims with a skewed number of evidence items (one "hot" claim
with 5,000 of them, most with a handful), quotes with commas, double quotes and some non-ASCII
text, URLs, a `via` channel on a fifth of the rows, tags separated by `;`, claim texts that mix
a template with words from a Zipf-distributed vocabulary.

Writes bench/data/SIZE/sheet.csv (the product's CSV evidence sheet), dataset.jsonl (sources
with derived_from, claims, evidence) and meta.json (counts, the hot claim, search queries).
The same seed and size always give byte-identical files; they are regenerated only when missing
or when the generator's version changes.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

GENERATOR_VERSION = 5
DATA_DIR = Path(__file__).resolve().parent / "data"
SHEET_HEADER = [
    "claim_key",
    "claim_text",
    "source_key",
    "source_name",
    "stance",
    "credibility",
    "reliability",
    "quote",
    "url",
    "via",
    "observed",
    "tags",
]


@dataclass(frozen=True)
class Size:
    name: str
    claims: int
    sources: int
    evidence: int
    hot_evidence: int  # evidence items on the hot claim (for `claim show` / `explain`)
    long_chains: int


SIZES = {
    "full": Size("full", 100_000, 50_000, 1_000_000, 5_000, 60),
    "quick": Size("quick", 5_000, 2_500, 50_000, 5_000, 10),
    "tiny": Size("tiny", 100, 50, 1_000, 50, 2),
    # bench/scale.py's sizes: 10 evidence rows per claim, 2 claims per source and the hot claim
    # at 0.5% of the rows, as at full size (quick keeps a 5,000-item claim for `claim show`).
    "10k": Size("10k", 1_000, 500, 10_000, 50, 2),
    "100k": Size("100k", 10_000, 5_000, 100_000, 500, 6),
    "5M": Size("5M", 500_000, 250_000, 5_000_000, 25_000, 300),
}

PLACES = [
    "Hyesan",
    "Ryanggang",
    "North Hamgyong",
    "Chongjin",
    "Sinuiju",
    "Pyongyang",
    "Hoeryong",
    "Musan",
    "Kimchaek",
    "Wonsan",
    "Kaesong",
    "Nampo",
    "Hamhung",
    "Rason",
    "Dandong",
    "Yanji",
    "Tumen",
    "Manpo",
    "Haeju",
    "Sariwon",
]
ACTORS = [
    "the Ministry of State Security",
    "local police",
    "the provincial party committee",
    "border guards",
    "market managers",
    "the Central Committee",
    "smugglers",
    "the inspection team",
    "the Socialist Patriotic Youth League",
    "factory managers",
    "customs officers",
    "the prosecutor's office",
    "traders",
    "the 109 group",
]
VERBS = [
    "stopped",
    "expanded",
    "tightened",
    "relaxed",
    "announced",
    "postponed",
    "investigated",
    "raided",
    "closed",
    "reopened",
    "fined",
    "arrested",
    "released",
    "reported on",
]
OBJECTS = [
    "the anti-socialist crackdown",
    "the cross-border phone trade",
    "rice prices",
    "private markets",
    "smuggling routes",
    "the mid-progress report",
    "foreign media",
    "the mobilisation campaign",
    "currency exchange",
    "fuel sales",
    "the mining quota",
    "household inspections",
    "travel permits",
    "the decree on imports",
]
WORDS = (
    "the a of and to in that was were said according source informant police crackdown "
    "market smuggler border province report month week residents officials order decree "
    "inspection team arrested fined released rumours prices rice corn fuel trade phone "
    "Chinese yuan dollars local party committee security ministry cadres bribes families "
    "defectors relatives letters ongoing largely stopped resumed quietly openly reportedly "
    "allegedly confirmed denied claimed visited returned since before after during until"
).split()
NON_ASCII = ["혜산", "양강도", "단속", "밀수", "—", "«", "»", "’", "é", "ü"]
KINDS = ["outlet", "informant", "person", "official", "document", "dataset", "social"]
GRADES = "ABCDEF"
GRADE_WEIGHTS = [2, 10, 30, 20, 8, 30]
STANCES = ["supports", "contradicts", "neutral"]
STANCE_WEIGHTS = [60, 25, 15]
TAGS = [
    "crackdown",
    "markets",
    "border",
    "smuggling",
    "prices",
    "security",
    "economy",
    "mobile-phones",
    "food",
    "politics",
    "military",
    "media",
    "energy",
    "labour",
]


def data_dir(size: str) -> Path:
    return DATA_DIR / size


# A Zipf-distributed vocabulary of made-up words, so that claims differ the way real ones do
# (a few common words, many rare ones) rather than all sharing one small template.
_SYLLABLES = "ka ri mo sun hae jin do pyo gang chol yong bu san won te li".split()
VOCABULARY = [a + b for a in _SYLLABLES for b in _SYLLABLES] + [
    a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES
]
_VOCABULARY_WEIGHTS = list(
    itertools.accumulate(1.0 / rank for rank in range(1, len(VOCABULARY) + 1))
)


def _claim_text(rng: random.Random, n: int) -> str:
    month = rng.randint(1, 12)
    year = rng.randint(2012, 2024)
    actor = rng.choice(ACTORS)
    words = rng.choices(VOCABULARY, cum_weights=_VOCABULARY_WEIGHTS, k=rng.randint(4, 9))
    return (
        f"{actor[0].upper() + actor[1:]} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"in {rng.choice(PLACES)} by {year}-{month:02d}: {' '.join(words)}."
    )


def _quote(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 30))
    roll = rng.random()
    if roll < 0.15:
        words.insert(rng.randrange(len(words)), rng.choice(NON_ASCII))
    text = " ".join(words)
    if roll > 0.7:
        cut = rng.randrange(1, len(words))
        text = " ".join(words[:cut]) + ", " + " ".join(words[cut:])
    if roll > 0.9:
        text = f'he said "{text}"'
    return text[0].upper() + text[1:] + "."


def _sources(rng: random.Random, size: Size) -> list[dict]:
    """Sources in topological order (a source only derives from an earlier one)."""
    sources = []
    long_chain_links = size.long_chains * 20
    for i in range(size.sources):
        kind = "outlet" if i < max(5, size.sources // 100) else rng.choice(KINDS)
        key = f"s{i:06d}"
        name = {
            "outlet": f"Outlet {i} News",
            "informant": f"Informant in {rng.choice(PLACES)} #{i}",
            "person": f"Person {i}",
            "official": f"Official statement {i}",
            "document": f"Internal document {i}",
            "dataset": f"Dataset {i}",
            "social": f"@account_{i}",
        }[kind]
        derived_from = None
        if i >= 10:
            if i < 10 + long_chain_links:
                # Long chains: each of these derives from the one before, except every
                # chain's first link (chains of 10 to 40).
                if (i - 10) % 20 != 0 or rng.random() < 0.5:
                    derived_from = f"s{i - 1:06d}"
            elif rng.random() < 0.4:
                derived_from = f"s{rng.randrange(0, i):06d}"
        sources.append(
            {
                "key": key,
                "name": name,
                "kind": kind,
                "reliability": rng.choices(GRADES, GRADE_WEIGHTS)[0],
                "derived_from": derived_from,
                "url": f"https://sources.example.org/{key}" if kind == "outlet" else None,
            }
        )
    return sources


def _chain_depths(sources: list[dict]) -> list[int]:
    index = {s["key"]: n for n, s in enumerate(sources)}
    depth = [0] * len(sources)
    for n, source in enumerate(sources):
        if source["derived_from"]:
            depth[n] = depth[index[source["derived_from"]]] + 1
    return depth


def _claims(rng: random.Random, size: Size) -> list[dict]:
    claims = []
    for i in range(size.claims):
        tags = sorted(set(rng.sample(TAGS, rng.choice([0, 1, 1, 2, 2, 3]))))
        claim = {"key": f"c{i:06d}", "text": _claim_text(rng, i), "tags": tags}
        if rng.random() < 0.5:
            claim["event_date"] = f"{rng.randint(2012, 2024)}-{rng.randint(1, 12):02d}"
        claims.append(claim)
    return claims


def _evidence_claims(rng: random.Random, size: Size) -> list[int]:
    """The claim index of every evidence row: claim 0 is hot, every claim has at least one."""
    rest = size.evidence - size.hot_evidence - (size.claims - 1)
    assert rest >= 0, "too few evidence rows for this many claims"
    weights = [rng.paretovariate(1.5) for _ in range(size.claims - 1)]
    picks = rng.choices(range(1, size.claims), weights=weights, k=rest)
    rows = [0] * size.hot_evidence + list(range(1, size.claims)) + picks
    rng.shuffle(rows)
    return rows


def _evidence_sources(rng: random.Random, size: Size) -> list[int]:
    rest = size.evidence - size.sources
    weights = [1.0 / (1 + n) ** 0.6 for n in range(size.sources)]
    rows = list(range(size.sources)) + rng.choices(range(size.sources), weights=weights, k=rest)
    rng.shuffle(rows)
    return rows


def generate(size: Size, out: Path, *, seed: int = 20180614) -> dict:
    rng = random.Random(f"{seed}:{size.name}")
    started = time.perf_counter()
    sources = _sources(rng, size)
    claims = _claims(rng, size)
    claim_of_row = _evidence_claims(rng, size)
    source_of_row = _evidence_sources(rng, size)
    outlets = {n for n, s in enumerate(sources) if s["kind"] == "outlet"}
    out.mkdir(parents=True, exist_ok=True)
    sheet_tmp = out / "sheet.csv.tmp"
    jsonl_tmp = out / "dataset.jsonl.tmp"
    seen_outlets: list[int] = []
    seen: set[int] = set()
    via_rows = 0
    with (
        sheet_tmp.open("w", newline="", encoding="utf-8") as sheet_file,
        jsonl_tmp.open("w", encoding="utf-8") as jsonl,
    ):
        sheet = csv.writer(sheet_file)
        sheet.writerow(SHEET_HEADER)
        for source in sources:
            record = {"type": "source", **{k: v for k, v in source.items() if v is not None}}
            jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
        for claim in claims:
            jsonl.write(json.dumps({"type": "claim", **claim}, ensure_ascii=False) + "\n")
        for row, (c, s) in enumerate(zip(claim_of_row, source_of_row, strict=True)):
            claim = claims[c]
            source = sources[s]
            if s in outlets and s not in seen:
                seen_outlets.append(s)
                seen.add(s)
            stance = rng.choices(STANCES, STANCE_WEIGHTS)[0]
            credibility = (
                ""
                if rng.random() < 0.05
                else str(rng.choices(range(1, 7), [5, 20, 30, 15, 5, 25])[0])
            )
            quote = _quote(rng)
            year = rng.randint(2015, 2024)
            url = f"https://news.example.org/{year}/{rng.randint(1, 12):02d}/{claim['key']}-{row}"
            via = ""
            if seen_outlets and rng.random() < 0.2:
                candidate = sources[rng.choice(seen_outlets)]["key"]
                if candidate != source["key"]:
                    via = candidate
                    via_rows += 1
            observed = (
                ""
                if rng.random() < 0.1
                else f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            )
            sheet.writerow(
                [
                    claim["key"],
                    claim["text"],
                    source["key"],
                    source["name"],
                    stance,
                    credibility,
                    source["reliability"],
                    quote,
                    url,
                    via,
                    observed,
                    ";".join(claim["tags"]),
                ]
            )
            record = {
                "type": "evidence",
                "claim": claim["key"],
                "source": source["key"],
                "stance": stance,
            }
            if credibility:
                record["credibility"] = int(credibility)
            record["quote"] = quote
            record["url"] = url
            if via:
                record["via"] = via
            if observed:
                record["observed"] = observed
            jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
    sheet_tmp.replace(out / "sheet.csv")
    jsonl_tmp.replace(out / "dataset.jsonl")
    depths = _chain_depths(sources)
    word_rng = random.Random(f"{seed}:queries")
    meta = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "size": size.name,
        "claims": size.claims,
        "sources": size.sources,
        "evidence": size.evidence,
        "hot_claim": claims[0]["key"],
        "hot_claim_evidence": size.hot_evidence,
        "one_item_claim": _one_item_claim(claim_of_row, claims),
        "derived_sources": sum(1 for s in sources if s["derived_from"]),
        "longest_chain": max(depths),
        "chains_longer_than_10": sum(1 for d in depths if d > 10),
        "rows_with_via": via_rows,
        "search_queries": [
            "crackdown Hyesan",
            "smuggling routes",
            "rice prices",
            "mid-progress report",
            word_rng.choice(PLACES),
            "border guards",
            "currency exchange Sinuiju",
            "travel permits",
        ],
        "sheet_bytes": (out / "sheet.csv").stat().st_size,
        "jsonl_bytes": (out / "dataset.jsonl").stat().st_size,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _one_item_claim(claim_of_row: list[int], claims: list[dict]) -> str:
    counts: dict[int, int] = {}
    for c in claim_of_row:
        counts[c] = counts.get(c, 0) + 1
    return claims[min(c for c, n in counts.items() if n == 1)]["key"]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on PATH, for runs that share bench/data."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(file, fcntl.LOCK_UN)


def ensure(size_name: str) -> dict:
    """The data for SIZE, generated if missing or stale; returns its meta.json."""
    out = data_dir(size_name)
    meta_path = out / "meta.json"
    with locked(out / ".generate.lock"):
        if meta_path.exists() and (out / "sheet.csv").exists() and (out / "dataset.jsonl").exists():
            meta = json.loads(meta_path.read_text())
            if meta.get("generator_version") == GENERATOR_VERSION:
                return meta
        return generate(SIZES[size_name], out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1/20 of the full size")
    parser.add_argument(
        "--size", choices=sorted(SIZES), help="full (default), quick, tiny, 10k, 100k or 5M"
    )
    parser.add_argument("--force", action="store_true", help="regenerate even if present")
    args = parser.parse_args(argv)
    size_name = args.size or ("quick" if args.quick else "full")
    if args.force:
        with locked(data_dir(size_name) / ".generate.lock"):
            meta = generate(SIZES[size_name], data_dir(size_name))
    else:
        meta = ensure(size_name)
    json.dump(meta, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
