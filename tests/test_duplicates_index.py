"""ClaimIndex, the all-pairs duplicate search behind `claimtrack duplicates` and the import's
check, against the plain definition: `similarity` of every pair of claims, no index.

The index's block limits (common_block, max_block) trade exactness for speed on templated
text (tests/test_duplicates.py checks that rule); here they are set out of reach, so the index
must find exactly the pairs at or above the threshold, with the scores `similarity` gives."""

from __future__ import annotations

import csv
import functools
import random
from pathlib import Path

import pytest

from claimtrack.services.duplicates import ClaimIndex, _Needed, signature, similarity

NO_LIMITS = {"common_block": 10**9, "max_block": 10**9}
THRESHOLDS = [0.6, 0.5, 0.8, 0.4, 1.0]


def _all_pairs(texts: list[str], t: float) -> set[tuple[int, int, float]]:
    """Every pair scoring >= t, by `similarity`. A pair's score is at most its Jaccard
    similarity rounded, so pairs far below t in Jaccard are not scored (to keep this fast)."""
    signatures = [signature(text) for text in texts]
    found = set()
    for b, s in enumerate(signatures):
        for a in range(b):
            r = signatures[a]
            overlap = len(r.tokens & s.tokens)
            if overlap and overlap / (len(r.tokens) + len(s.tokens) - overlap) >= t - 0.001:
                score = similarity(r, s)
                if score >= t:
                    found.add((a, b, score))
    return found


@functools.cache
def _scored(corpus: str | Path) -> tuple[list[str], frozenset[tuple[int, int, float]]]:
    """A corpus and every pair in it scoring at least the lowest threshold tried."""
    texts = _near_copies(1500, seed=13) if corpus == "near copies" else _headlines(corpus)
    return texts, frozenset(_all_pairs(texts, min(THRESHOLDS)))


def _index_pairs(texts: list[str], t: float, only=None, **limits) -> list[tuple[int, int, float]]:
    index = ClaimIndex(t, **limits)
    for number, text in enumerate(texts):
        index.add(number, text)
    return list(index.pairs(only))


def _near_copies(count: int, seed: int) -> list[str]:
    """Claims like the benchmark's (a templated head, rarer words after it), each followed by
    a few edited copies: a word dropped, added, changed or moved, a number or place changed,
    a negation added. Many pairs score near the threshold, and every guard comes into play."""
    rng = random.Random(seed)
    actors = ["Police", "Border guards", "Traders", "Cadres", "The army", "Smugglers"]
    places = ["Hyesan", "Musan", "Sinuiju", "Chongjin", "Rason", "Manpo"]
    verbs = ["arrested", "fined", "searched", "raided", "stopped", "paid", "expanded"]
    words = [f"{a}{b}" for a in ("ka", "ri", "mo", "jin", "sun") for b in ("han", "do", "li")]
    words += ["rice", "prices", "phones", "permits", "bribes", "routes", "markets", "media"]
    texts: list[str] = []
    while len(texts) < count:
        tail = rng.sample(words, rng.randint(1, 9))
        year = rng.choice(["2017", "2018", "2019", "five", "50"])
        text = " ".join(
            [rng.choice(actors), rng.choice(verbs), *tail, "in", rng.choice(places), "by", year]
        )
        texts.append(text)
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            copy = text.split()
            edit = rng.randrange(6)
            if edit == 0 and len(copy) > 3:
                copy.pop(rng.randrange(1, len(copy)))
            elif edit == 1:
                copy.insert(rng.randrange(1, len(copy) + 1), rng.choice(words))
            elif edit == 2:
                copy[rng.randrange(1, len(copy))] = rng.choice(words)
            elif edit == 3:
                copy[-1] = rng.choice(["2017", "2018", "2019", "five", "50"])
            elif edit == 4:
                copy[copy.index("in") + 1] = rng.choice(places)
            else:
                copy.insert(1, rng.choice(["did not", "never"]))
            texts.append(" ".join(copy))
    return texts[:count]


@pytest.mark.parametrize("t", THRESHOLDS)
def test_index_finds_exactly_what_scoring_every_pair_finds(t):
    texts, scored = _scored("near copies")
    expected = {p for p in scored if p[2] >= t}
    found = _index_pairs(texts, t, **NO_LIMITS)
    assert len(found) == len(set(found))
    assert set(found) == expected
    assert len(expected) > 100


def _headlines(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    return list(
        dict.fromkeys([r["claimHeadline"] for r in rows] + [r["articleHeadline"] for r in rows])
    )


@pytest.mark.parametrize("t", [0.6, 0.4])
def test_index_finds_exactly_what_scoring_every_pair_finds_on_the_emergent_headlines(t, shared_dir):
    """Real headlines: 300 claims and the 2,500 article headlines reporting them."""
    path = shared_dir / "data" / "emergent" / "edata_all.csv"
    if not path.exists():
        pytest.skip(f"the Emergent dataset is not at {path} (it is shared data, not in the repo)")
    texts, scored = _scored(path)
    expected = {p for p in scored if p[2] >= t}
    assert set(_index_pairs(texts, t, **NO_LIMITS)) == expected
    # The default limits do not bite on these: each word is in few headlines.
    assert set(_index_pairs(texts, t)) == expected
    assert len(expected) > 500


def test_pairs_of_some_claims_are_the_pairs_that_involve_them():
    texts = _near_copies(1500, seed=5)
    every = _index_pairs(texts, 0.6, **NO_LIMITS)
    rng = random.Random(1)
    some = {i for i in range(len(texts)) if rng.random() < 0.2}
    involving = _index_pairs(texts, 0.6, only=some, **NO_LIMITS)
    assert set(involving) == {p for p in every if p[0] in some or p[1] in some}


def test_a_cap_on_candidates_only_drops_pairs():
    texts = _near_copies(1500, seed=5)
    every = set(_index_pairs(texts, 0.5))
    index = ClaimIndex(0.5, max_candidates=2)
    for number, text in enumerate(texts):
        index.add(number, text)
    capped = set(index.pairs())
    assert capped < every and index.capped > 0


@pytest.mark.parametrize("t", [0.6, 0.5, 0.8, 0.35, 1.0, 0.65, 0.7001, 0.12345])
def test_the_fewest_shared_words_decide_as_the_rounded_score_does(t):
    """The index compares shared-word counts with a table instead of rounding a quotient for
    each candidate: for claims of x + y = n words, k shared words reach the threshold
    (round(k / (n - k), 4) >= t, as `similarity` rounds) exactly when k >= least[n]."""
    needed = _Needed(t)
    for size in [*range(1, 90), 250, 999]:
        least, most_apart = needed.rows(size)
        for other in range(1, size + 1) if size < 90 else range(1, size + 1, 7):
            n = size + other
            for k in range(min(size, other) + 1):
                assert (round(k / (n - k), 4) >= t) == (k >= least[other]), (size, other, k)
            assert most_apart[other] == n - 2 * least[other]
