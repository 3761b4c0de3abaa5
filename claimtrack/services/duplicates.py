"""Near-duplicate claims and duplicate sources.

Claims. Two claims are near-duplicates when the Jaccard similarity of their *content-word
sets* reaches `duplicate_threshold` (settings; 0.6 by default). A claim's content words are
its words lower-cased, without diacritics, without a short list of function words, with
common English suffixes stripped ("stopped" → "stop"), numbers kept. Why this measure:

- a claim is one short sentence, so what it asserts is carried by its content words; word
  order changes ("By June 2018 the crackdown had stopped") and inflection do not change it;
- Jaccard is symmetric, bounded in [0, 1] and easy to check by hand in `claimtrack
  duplicates --json`, and a threshold on it admits the prefix filter below, which finds *every*
  pair above the threshold without comparing all pairs;
- three guards catch what word overlap cannot: claims that differ in a number or date
  ("killed five" / "killed 50", "June 2018" / "June 2019"), that each name a place or person
  the other does not ("police in Hyesan" / "police in Chongjin"), or where only one is
  negated ("stopped" / "had not stopped") assert different things; their similarity is
  halved for each.

It is lexical: a one-word change of meaning ("rice prices" / "corn prices", "harder" /
"easier") still scores high, and a full rewording scores low. That is why `claim add` shows
candidates and asks (or warns) rather than merging on its own unless told to.

Sources. Duplicates share a normalised name (case, diacritics, punctuation, spaces,
invisible characters and a leading "the" ignored, fullwidth letters and look-alike Cyrillic
and Greek letters read as Latin: "The Daily NK" = "DailyNK" = "Dаily NK") or a canonical URL (scheme, "www."/"m.",
default port, trailing slash, fragment and tracking parameters such as utm_*, fbclid, gclid
removed; remaining parameters sorted).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from sqlalchemy import select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from .. import values
from ..confusables import normalise_name
from ..errors import InvalidValue
from ..models import Claim, Source
from ..settings import load_settings

ON_DUPLICATE = ("ask", "warn", "skip", "merge")

STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such only
    own same so than too very can will just should now is are was were be been being have has
    had having do does did doing would could may might must shall i me my we our you your he
    him his she her it its they them their what which who whom this that these those am as
    also said says say reportedly reported according""".split()
    # Hedges qualify how sure a report is, not what it asserts.
    + """largely mostly mainly partly nearly almost generally apparently allegedly
    reportedly seemingly probably possibly likely""".split()
)
NEGATIONS = frozenset(
    "not no never none nobody nothing neither nor without cannot cant dont doesnt didnt isnt "
    "wasnt werent havent hasnt hadnt wont wouldnt denied denies deny false untrue".split()
)
_SUFFIXES = ("ings", "ing", "edly", "ed", "ies", "es", "s", "ly")
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"^\d+$")


@functools.lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    if _NUMBER.match(word):
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            if suffix == "ies":
                return stem + "y"
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in "aeiouls":
                stem = stem[:-1]  # stopped → stopp → stop
            return stem
    return word


NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "dozen": "12",
}


@dataclass(frozen=True)
class ClaimSignature:
    tokens: frozenset[str]
    numbers: frozenset[str]
    names: frozenset[str]
    negated: bool


def _strip_marks(value: str) -> str:
    """Diacritics and apostrophes removed, case kept ("didn't" → "didnt")."""
    value = value.replace("'", "").replace("’", "")
    if value.isascii():  # nothing to decompose (most claims: skips a per-character loop)
        return value
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _ContentWords(dict):
    """Lower-cased word -> its content word (number words as digits, stemmed), or None for a
    function word or a negation: computed once per word, not once per claim."""

    def __missing__(self, word: str) -> str | None:
        if len(self) >= 65536:  # bounded, as _stem's cache
            self.clear()
        value = NUMBER_WORDS.get(word, word)
        content = None if value in STOPWORDS or value in NEGATIONS else _stem(value)
        self[word] = content
        return content


_content_word = _ContentWords().__getitem__


def signature(text: str) -> ClaimSignature:
    original = _WORD.findall(_strip_marks(text))
    words = list(map(str.casefold, original))
    negated = not NEGATIONS.isdisjoint(words)
    tokens = set(map(_content_word, words))
    tokens.discard(None)
    # str.isdecimal is _NUMBER's test (Unicode category Nd), without the regex per word.
    numbers = frozenset(filter(str.isdecimal, tokens))
    # Capitalised words after the first: places, people, organisations.
    names = frozenset(
        _stem(folded)
        for word, folded in zip(original[1:], words[1:], strict=True)
        if word[:1].isupper() and folded not in STOPWORDS
    )
    return ClaimSignature(frozenset(tokens), numbers, names, negated)


def similarity(a: ClaimSignature, b: ClaimSignature) -> float:
    """Jaccard similarity of the content words, halved when numbers, names or negation
    differ."""
    if not a.tokens or not b.tokens:
        return 0.0
    return _score(
        len(a.tokens & b.tokens),
        len(a.tokens | b.tokens),
        a.numbers != b.numbers and bool(a.numbers) and bool(b.numbers),
        bool(a.names - b.tokens) and bool(b.names - a.tokens),
        a.negated != b.negated,
    )


def _score(
    overlap: int, union: int, numbers_differ: bool, names_differ: bool, negation_differs: bool
) -> float:
    """The one place the measure is defined (ClaimIndex scores from the same counts)."""
    score = overlap / union
    if numbers_differ:
        score /= 2
    if names_differ:
        score /= 2
    if negation_differs:
        score /= 2
    return round(score, 4)


def text_similarity(first: str, second: str) -> float:
    return similarity(signature(first), signature(second))


def _threshold(threshold: float | None) -> float:
    """The given threshold, else the setting (checked where it was set)."""
    if threshold is None:
        return load_settings().duplicate_threshold
    if not 0 < threshold <= 1:
        raise InvalidValue("threshold", threshold, "a number above 0 and at most 1")
    return threshold


# --- one claim against the database ----------------------------------------------------------


def similar_claims(
    session: Session,
    text: str,
    *,
    threshold: float | None = None,
    limit: int = 5,
    exclude_id: int | None = None,
) -> list[dict[str, Any]]:
    """Existing claims that look like near-duplicates of `text`, most similar first.

    Candidates come from the search index (claims sharing the most, rarest content words,
    up to 50), then each is scored exactly."""
    # This module serves source add, duplicates and import too, which need no search.
    from .search import ParsedQuery, Term, count_claims, match_claim_ids

    threshold = _threshold(threshold)
    wanted = signature(text)
    if not wanted.tokens:
        return []
    # Prefix filter against the index: a claim with Jaccard >= t shares one of the
    # |x| - ceil(t|x|) + 1 rarest words of x, so only those are looked up.
    counts = {
        token: count_claims(session, ParsedQuery(groups=[[Term(token, prefix=True)]]))
        for token in wanted.tokens
    }
    size = len(wanted.tokens)
    rare = sorted((t for t in wanted.tokens if counts[t]), key=lambda t: (counts[t], t))
    rare = rare[: size - math.ceil(threshold * size - 1e-9) + 1]
    if not rare:
        return []
    query = ParsedQuery(groups=[[Term(token, prefix=True) for token in rare]])
    ids = match_claim_ids(session, query, limit=50)
    if not ids:
        return []
    found = []
    for claim in session.scalars(
        select(Claim).where(Claim.id.in_(ids), Claim.removed_at.is_(None))
    ):
        if claim.id == exclude_id:
            continue
        score = similarity(wanted, signature(claim.text))
        if score >= threshold:
            found.append({"key": claim.key, "text": claim.text, "similarity": score})
    found.sort(key=lambda c: (-c["similarity"], c["key"]))
    return found[:limit]


# --- every claim against every other, without comparing all pairs -----------------------------


class ClaimIndex:
    """An in-memory index of claim signatures that finds every pair with Jaccard ≥ threshold.

    Prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007, "All-pairs"): order each
    claim's words from rarest to commonest; two sets with Jaccard ≥ t must share a word among
    the first |x| - ceil(t·|x|) + 1 words of each. Only claims sharing such a rare word are
    compared, and only when their sizes allow the threshold (|y| ≥ t·|x|) and the positions of
    the first shared word leave room for enough overlap (PPJoin's positional filter, Xiao et
    al. 2008), and a bitmap of their words leaves room for it too; only then are their words
    intersected. Two limits keep it fast on repetitive text at the cost of exactness there: a
    word already in more than `common_block` claims is probed only by claims with no rarer
    word in their prefix, and one in more than `max_block` claims never.

    Claims are held compactly (word ids in tuples, not sets of strings; no texts), so the
    index of 100,000 claims stays in tens of megabytes.
    """

    def __init__(
        self,
        threshold: float,
        *,
        common_block: int = 100,
        max_block: int = 20_000,
        max_candidates: int | None = None,
    ):
        self.threshold = threshold
        self.common_block = common_block
        self.max_block = max_block
        # At most this many claims are scored against each claim (None: all candidates);
        # `capped` counts the claims that reached it.
        self.max_candidates = max_candidates
        self.capped = 0
        self.labels: list[Any] = []  # what the caller identifies each claim by (key or id)
        self._vocabulary: dict[str, int] = {}  # word -> word id
        self._tokens: list[tuple[int, ...]] = []
        self._numbers: list[frozenset[int]] = []
        self._names: list[frozenset[int]] = []
        self._negated = bytearray()

    def add(self, label: Any, text: str) -> None:
        sig = signature(text)
        ids = self._vocabulary
        self.labels.append(label)
        # Which id a word gets does not matter (pairs() ranks words by frequency and spelling).
        for word in sig.tokens.union(sig.names).difference(ids):
            ids[word] = len(ids)
        self._tokens.append(tuple(map(ids.__getitem__, sig.tokens)))
        self._numbers.append(frozenset(map(ids.__getitem__, sig.numbers)) if sig.numbers else _NONE)
        self._names.append(frozenset(map(ids.__getitem__, sig.names)) if sig.names else _NONE)
        self._negated.append(sig.negated)

    def _ranked(self) -> list[tuple[int, ...]]:
        """Each claim's words as ranks, rarest first (ties by the word itself)."""
        words = [""] * len(self._vocabulary)
        for word, word_id in self._vocabulary.items():
            words[word_id] = word
        frequency = Counter(itertools.chain.from_iterable(self._tokens))
        rank = [0] * len(words)
        for position, word in enumerate(
            sorted(range(len(words)), key=lambda w: (frequency[w], words[w]))
        ):
            rank[word] = position
        self._numbers = [frozenset(rank[w] for w in n) if n else _NONE for n in self._numbers]
        self._names = [frozenset(rank[w] for w in n) if n else _NONE for n in self._names]
        self._vocabulary = {word: rank[word_id] for word_id, word in enumerate(words)}
        self._tokens = [tuple(sorted(map(rank.__getitem__, tokens))) for tokens in self._tokens]
        return self._tokens

    def pairs(self, only: set[int] | None = None) -> Iterable[tuple[int, int, float]]:
        """(earlier, later, similarity) for every pair at or above the threshold, positions in
        the order added; with `only` (positions), just the pairs that involve one of them."""
        t = self.threshold
        ranked = self._ranked()
        numbers, names, negated = self._numbers, self._names, self._negated
        sizes = [len(tokens) for tokens in ranked]
        order = sorted((i for i, size in enumerate(sizes) if size), key=sizes.__getitem__)
        # A claim y met before x is no longer than x, so a pair with Jaccard >= t shares at
        # least 2t/(1+t)·|y| words and its first shared word lies among y's first
        # |y|(1 - 2t/(1+t)) + 1 words (its "front"; a little slack for the rounding to 4
        # places). Claims are listed under their other prefix words too ("back"), which only
        # a probe after a skipped common word needs, and which count in the block sizes.
        slack = t - 0.00005
        front_share = 1 - 2 * slack / (1 + slack)
        # Each list holds, in the order claims were met (so by size): the claims, their
        # sizes, and how many of their words follow this one (for the positional bound).
        front: dict[int, tuple[list[int], list[int], list[int]]] = {}
        back: dict[int, tuple[list[int], list[int], list[int]]] = {}
        listed_count: dict[int, int] = defaultdict(int)
        # Shared-word counts are compared with precomputed minimums, not by rounding a
        # quotient per candidate (1.4 million round() calls for 10,000 claims).
        need = _Needed(t)
        masks = [0] * len(ranked)
        seen = [-1] * len(ranked)  # seen[j] == i: j was a candidate of i already
        cap = len(ranked) if self.max_candidates is None else self.max_candidates
        common_block, max_block = self.common_block, self.max_block
        for i in order:
            mine = ranked[i]
            size = sizes[i]
            prefix = size - math.ceil(t * size - 1e-9) + 1
            indexed = min(prefix, int(size * front_share + 1e-6) + 1)
            minimum = t * size - 1e-9
            least, most_apart = need.rows(size)
            # Words as bits (rank mod 128): a bit set in one claim's mask only stands for at
            # least one word the other lacks, so popcount(x ^ y) <= |x| + |y| - 2·shared,
            # an upper bound on the words shared that rejects most candidates for the cost
            # of an XOR, before any intersection is built.
            mask = 0
            for word in mine:
                mask |= 1 << (word & 127)
            masks[i] = mask
            mine_set: frozenset[int] | None = None
            seen[i] = i  # not its own candidate
            outsider = only is not None and i not in only
            scored = 0
            probed = False
            skipped = 0  # prefix words not probed: each may be shared with a candidate
            full = False  # scored against max_candidates claims already
            for position, word in enumerate(mine[:prefix]):
                lists = front.get(word)
                if lists is None:
                    lists = front[word] = ([], [], [])
                listed = back.get(word)
                count = listed_count[word]  # the claims listed under it before this one
                mine_lists = lists if position < indexed else listed
                if mine_lists is None:
                    mine_lists = listed = back[word] = ([], [], [])
                    # The claim opening a word's back list was not counted in its block:
                    # kept, so that the pairs found stay as they were.
                    count -= 1
                rest = size - position - 1
                mine_lists[0].append(i)
                mine_lists[1].append(size)
                mine_lists[2].append(rest)
                listed_count[word] += 1
                if full:  # still listed under its words, for the claims that come later
                    continue
                if count > max_block or (probed and count > common_block):
                    # Common words are probed only for a claim with no rarer word in its
                    # prefix: a claim whose rare words another lacks differs from it just
                    # there ("rice prices" / "corn prices"); this keeps templated text fast.
                    skipped += 1
                    continue
                probed = True
                # With no word skipped, `word` is the first word x shares with any claim
                # met here, so only claims listed under it in their front can qualify.
                walk = (lists, listed) if skipped and listed is not None else (lists,)
                for claims, claim_sizes, claim_rests in walk:
                    # Claims too short for this one are too short for every later one.
                    if claim_sizes and claim_sizes[0] < minimum:
                        cut = bisect.bisect_left(claim_sizes, minimum)
                        del claims[:cut], claim_sizes[:cut], claim_rests[:cut]
                    for j, other_size, other_rest in zip(
                        claims, claim_sizes, claim_rests, strict=True
                    ):
                        if seen[j] == i:
                            continue
                        if outsider and j not in only:
                            continue
                        if scored == cap:
                            full = True
                            break
                        scored += 1
                        seen[j] = i
                        # `word` is the first word the two share outside the skipped ones,
                        # so at most this many words can be shared:
                        if (
                            skipped + 1 + (rest if rest < other_rest else other_rest)
                            < least[other_size]
                        ):
                            continue
                        if (mask ^ masks[j]).bit_count() > most_apart[other_size]:
                            continue
                        if mine_set is None:
                            mine_set = frozenset(mine)
                        other = ranked[j]
                        overlap = len(mine_set.intersection(other))
                        if overlap < least[other_size]:  # the guards only lower it
                            continue
                        score = _score(
                            overlap,
                            size + other_size - overlap,
                            numbers[i] != numbers[j] and bool(numbers[i]) and bool(numbers[j]),
                            not names[i].issubset(other) and not names[j].issubset(mine_set),
                            negated[i] != negated[j],
                        )
                        if score >= t:
                            yield (min(i, j), max(i, j), score)
                    if full:
                        break
            self.capped += full


class _Needed:
    """For claims of x and y words, the fewest shared words k with round(k / (x + y - k), 4)
    >= t, as the score compares, and so the most words in one but not the other, x + y - 2k.

    round(k / (n - k), 4) grows with k (division and rounding are monotonic), so comparing
    k to the first passing value decides exactly as computing it."""

    def __init__(self, t: float):
        self.t = t
        self.least: list[int] = []
        self._rows: dict[int, tuple[list[int], list[int]]] = {}

    def _extend(self, total: int) -> None:
        t, least = self.t, self.least
        for n in range(len(least), total + 1):
            k = max(0, math.floor(t * n / (1 + t)) - 1)
            while k > 0 and round((k - 1) / (n - k + 1), 4) >= t:
                k -= 1
            while k < n and round(k / (n - k), 4) < t:
                k += 1
            least.append(k)

    def rows(self, size: int) -> tuple[list[int], list[int]]:
        """least[y], most_apart[y] for y up to `size`, for a claim of `size` words."""
        row = self._rows.get(size)
        if row is None:
            self._extend(2 * size)
            least = self.least[size : 2 * size + 1]
            row = self._rows[size] = (least, [size + y - 2 * k for y, k in enumerate(least)])
        return row


_NONE: frozenset[int] = frozenset()


def duplicate_claims(session: Session, *, threshold: float | None = None) -> list[dict[str, Any]]:
    """Every pair of likely duplicate claims in the database, most similar first."""
    index = ClaimIndex(_threshold(threshold))
    for claim_id, text in session.execute(
        select(Claim.id, Claim.text).where(Claim.removed_at.is_(None)).order_by(Claim.id)
    ):
        index.add(claim_id, text)
    found = [(index.labels[a], index.labels[b], score) for a, b, score in index.pairs()]
    shown = _keys_and_texts(session, [claim_id for a, b, _ in found for claim_id in (a, b)])
    pairs = [
        {
            "type": "claim",
            "keys": [shown[a][0], shown[b][0]],
            "similarity": score,
            "reason": "similar text",
            "texts": [shown[a][1], shown[b][1]],
        }
        for a, b, score in found
    ]
    pairs.sort(key=lambda p: (-p["similarity"], p["keys"]))
    return pairs


IMPORT_ON_DUPLICATE = ("warn", "merge", "ignore")
# The duplicate check after an import. Above IMPORT_CHECK_MAX_NEW new claims an import with
# --on-duplicate warn does not check (it would make the import wait: ~36 s for 100,000 new
# claims) and says how to run `claimtrack duplicates` instead; --on-duplicate merge always
# checks, since the user asked for the merges. Each claim is scored against at most
# IMPORT_MAX_CANDIDATES candidates (the ones sharing its rarest words first), and at most
# IMPORT_MAX_PAIRS pairs are kept per new claim, the most similar.
IMPORT_CHECK_MAX_NEW = 20_000
IMPORT_MAX_CANDIDATES = 1_000
IMPORT_MAX_PAIRS = 20


@dataclass
class DuplicateCheck:
    """What the duplicate check after an import did, for its summary."""

    done: str  # "checked", "skipped" (too many new claims), "ignored" (--on-duplicate ignore)
    new_claims: int
    capped_claims: int = 0  # claims scored against IMPORT_MAX_CANDIDATES candidates only
    pairs: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "done": self.done,
            "new_claims": self.new_claims,
            "max_new_claims": IMPORT_CHECK_MAX_NEW,
            "max_candidates_per_claim": IMPORT_MAX_CANDIDATES,
            "max_pairs_per_claim": IMPORT_MAX_PAIRS,
            "capped_claims": self.capped_claims,
        }


def check_imported(
    session: Session,
    claim_ids: Sequence[int],
    *,
    on_duplicate: str = "warn",
    threshold: float | None = None,
) -> DuplicateCheck:
    """The duplicate check after an import: `imported_duplicates` within the limits above
    (ignore: no check; warn: report the likely duplicates; merge: merge them)."""
    values.one_of(on_duplicate, IMPORT_ON_DUPLICATE, field="on_duplicate")
    count = len(claim_ids)
    if on_duplicate == "ignore":
        return DuplicateCheck("ignored", count)
    if on_duplicate == "warn" and count > IMPORT_CHECK_MAX_NEW:
        return DuplicateCheck("skipped", count)
    check = DuplicateCheck("checked", count)
    check.pairs = imported_duplicates(
        session, claim_ids, merge=on_duplicate == "merge", threshold=threshold, check=check
    )
    return check


def imported_duplicates(
    session: Session,
    claim_ids: Sequence[int],
    *,
    merge: bool = False,
    threshold: float | None = None,
    check: DuplicateCheck | None = None,
) -> list[dict[str, Any]]:
    """Likely duplicates among the claims an import just created and every other claim, at
    most IMPORT_MAX_PAIRS per new claim (each scored against at most IMPORT_MAX_CANDIDATES);
    with `merge`, each new claim is merged into the claim it duplicates when that one was
    there before the import (pairs of new claims are only reported)."""
    from .merge import merge_claims

    if not claim_ids:
        return []
    new = set(claim_ids)
    index = ClaimIndex(_threshold(threshold), max_candidates=IMPORT_MAX_CANDIDATES)
    for claim_id, text in session.execute(
        select(Claim.id, Claim.text).where(Claim.removed_at.is_(None)).order_by(Claim.id)
    ):
        index.add(claim_id, text)
    ids = index.labels
    positions = {i for i, claim_id in enumerate(ids) if claim_id in new}
    kept: dict[int, int] = defaultdict(int)  # pairs kept per new claim
    pairs = []
    for pair in sorted(index.pairs(positions), key=lambda p: (-p[2], p[0], p[1])):
        mine = [i for i in pair[:2] if i in positions]
        if any(kept[i] >= IMPORT_MAX_PAIRS for i in mine):
            continue
        for i in mine:
            kept[i] += 1
        pairs.append(pair)
    if check is not None:
        check.capped_claims = index.capped
    # Read before any merge below renames or removes them.
    shown = _keys_and_texts(session, [ids[i] for a, b, _ in pairs for i in (a, b)])
    found: list[dict[str, Any]] = []
    merged: set[int] = set()
    for a, b, score in pairs:
        earlier, later = (a, b) if ids[a] < ids[b] else (b, a)
        action = "warned"
        if merge and ids[earlier] not in new and later not in merged and earlier not in merged:
            merge_claims(
                session,
                keep=shown[ids[earlier]][0],
                other=shown[ids[later]][0],
                reason="merged on import: near-duplicate",
            )
            merged.add(later)
            action = "merged"
        elif later in merged or earlier in merged:
            continue
        found.append(
            {
                "type": "claim",
                "keys": [shown[ids[earlier]][0], shown[ids[later]][0]],
                "similarity": score,
                "action": action,
                "texts": [shown[ids[earlier]][1], shown[ids[later]][1]],
            }
        )
    return found


def _keys_and_texts(session: Session, claim_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """id -> (key, text) of the claims in the pairs found (the index holds no texts)."""
    wanted = sorted(set(claim_ids))
    shown: dict[int, tuple[str, str]] = {}
    for start in range(0, len(wanted), 500):
        for claim_id, key, text in session.execute(
            select(Claim.id, Claim.key, Claim.text).where(Claim.id.in_(wanted[start : start + 500]))
        ):
            shown[claim_id] = (key, text)
    return shown


# --- sources -------------------------------------------------------------------------------

TRACKING_PARAMETERS = frozenset(
    "fbclid gclid dclid gbraid wbraid msclkid yclid mc_cid mc_eid igshid igsh si _ga _gl "
    "ref ref_src ref_url cmpid ocid smid smtyp spm".split()
)


def canonical_url(url: str | None) -> str | None:
    """The URL with what does not change the page removed; None when it is not a web URL."""
    if not url or not url.strip():
        return None
    value = url.strip()
    if "://" not in value:
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:(?!\d)", value):
            return None  # mailto:, tel:, urn:...
        value = "http://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    for prefix in ("www.", "m.", "mobile.", "amp."):
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    if port and port not in (80, 443):
        host += f":{port}"
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    if path.endswith(("/index.html", "/index.htm", "/index.php")):
        path = path.rsplit("/", 1)[0]
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMETERS
    )
    return host + path + ("?" + urlencode(query) if query else "")


def _live_sources(session: Session):
    """(id, key, name, url) of every source not removed, oldest first."""
    return session.execute(
        select(Source.id, Source.key, Source.name, Source.url)
        .where(Source.removed_at.is_(None))
        .order_by(Source.id)
    )


def look_alike_sources(session: Session, source_ids: Collection[int]) -> list[dict[str, Any]]:
    """Sources among `source_ids` (just imported) whose name looks like another source's
    ("Dаily NK" with a Cyrillic а, "Daily NK" with a zero-width space): each such pair, the
    new one second, to warn about. They count as independent origins until merged.

    Each look-alike is paired with the oldest source of its normalised name. The names are
    normalised a chunk at a time into a temporary table and grouped there, so memory does not
    grow with the sources: a dict of every normalised name held ~25 MB at 250,000 sources.
    `source_ids` is tested only for the few ids that share a name (a set of ranges will do)."""
    if not source_ids:
        return []
    conn = session.connection()
    conn.exec_driver_sql("DROP TABLE IF EXISTS look_alike_names")
    conn.exec_driver_sql(
        "CREATE TEMPORARY TABLE look_alike_names (normal TEXT NOT NULL, id BIGINT NOT NULL)"
    )
    after = 0
    while True:
        part = session.execute(
            select(Source.id, Source.name)
            .where(Source.removed_at.is_(None), Source.id > after)
            .order_by(Source.id)
            .limit(5000)
        ).all()
        if not part:
            break
        after = part[-1][0]
        names = [
            {"normal": normal, "id": source_id}
            for source_id, name in part
            if (normal := normalise_name(name))
        ]
        if names:
            session.execute(
                sql_text("INSERT INTO look_alike_names (normal, id) VALUES (:normal, :id)"), names
            )
    shared = session.execute(
        sql_text(
            "SELECT n.normal, n.id FROM look_alike_names AS n JOIN (SELECT normal FROM "
            "look_alike_names GROUP BY normal HAVING count(*) > 1) AS g ON g.normal = n.normal "
            "ORDER BY n.normal, n.id"
        )
    ).all()
    conn.exec_driver_sql("DROP TABLE look_alike_names")
    found: list[tuple[int, int, str]] = []  # (the oldest id of a name, a later id, the name)
    for normal, ids in itertools.groupby(shared, key=lambda row: row[0]):
        first_id, *later = [row[1] for row in ids]
        found.extend(
            (first_id, source_id, normal)
            for source_id in later
            if source_id in source_ids or first_id in source_ids
        )
    found.sort()  # by name in order of its oldest source, then by id, as grouped before
    shown: dict[int, tuple[str, str]] = {}
    wanted = sorted({i for pair in found for i in pair[:2]})
    for start in range(0, len(wanted), 500):
        for source_id, key, name in session.execute(
            select(Source.id, Source.key, Source.name).where(
                Source.id.in_(wanted[start : start + 500])
            )
        ):
            shown[source_id] = (key, name)
    return [
        {
            "type": "source",
            "keys": [shown[first_id][0], shown[source_id][0]],
            "similarity": 1.0,
            "reason": "look-alike name",
            "texts": [shown[first_id][1], shown[source_id][1]],
            "match": normal,
            "action": "warned",
        }
        for first_id, source_id, normal in found
    ]


def duplicate_sources(session: Session) -> list[dict[str, Any]]:
    """Pairs of sources sharing a normalised name or a canonical URL."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for _id, key, name, url in _live_sources(session):
        normal = normalise_name(name)
        if normal:
            groups[("same name", normal)].append((key, name))
        canonical = canonical_url(url)
        if canonical:
            groups[("same URL", canonical)].append((key, name))
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for (reason, value), members in groups.items():
        for i, (first, first_name) in enumerate(members):
            for second, second_name in members[i + 1 :]:
                pair = (first, second)
                if pair in found:
                    found[pair]["reason"] += f", {reason}"
                    continue
                found[pair] = {
                    "type": "source",
                    "keys": [first, second],
                    "similarity": 1.0,
                    "reason": reason,
                    "texts": [first_name, second_name],
                    "match": value,
                }
    return sorted(found.values(), key=lambda p: p["keys"])


def similar_sources(session: Session, *, name: str, url: str | None) -> list[dict[str, Any]]:
    """Sources (not removed) with the same normalised name or canonical URL as these, each
    with the reason ('same name', 'same URL' or both), by key."""
    normal, canonical = normalise_name(name or ""), canonical_url(url)
    found = []
    for key, other_name, other_url in session.execute(
        select(Source.key, Source.name, Source.url)
        .where(Source.removed_at.is_(None))
        .order_by(Source.key)
    ):
        reasons = []
        if normal and normalise_name(other_name) == normal:
            reasons.append("same name")
        if canonical and canonical_url(other_url) == canonical:
            reasons.append("same URL")
        if reasons:
            found.append({"key": key, "name": other_name, "reason": ", ".join(reasons)})
    return found


def find_duplicates(
    session: Session, *, kinds: Sequence[str] = (), threshold: float | None = None
) -> list[dict[str, Any]]:
    """Likely duplicate claims (most similar first), then sources."""
    for kind in kinds:
        if kind not in ("claim", "source"):
            raise InvalidValue("type", kind, "claim or source")
    results: list[dict[str, Any]] = []
    if not kinds or "claim" in kinds:
        results += duplicate_claims(session, threshold=threshold)
    if not kinds or "source" in kinds:
        results += duplicate_sources(session)
    return results


# --- adding with the duplicate check (`claim add`, `source add`: --on-duplicate) ----------


@dataclass
class AddOutcome:
    """What adding with the duplicate check did: `action` is added, skipped, merged or
    linked; `row` the new claim or source, or the existing one it was skipped for or merged
    into; `candidates` the look-alikes found, best first."""

    action: str
    row: Claim | Source
    candidates: list[dict[str, Any]] = field(default_factory=list)


def add_checked(
    session: Session,
    *,
    on_duplicate: str,
    target: str | None,
    look: Callable[[], list[dict[str, Any]]],
    add: Callable[[], Claim | Source],
    get: Callable[[Session, str], Claim | Source],
    merge: Callable[[str, str], object],
    link: Callable[[str, str], object] | None = None,
) -> AddOutcome:
    """Add a claim or source unless it looks like one already logged, as `on_duplicate` says
    (`look` finds the look-alikes; `add`, `get`, `merge(keep, other)` and `link(new, other)`
    are the entity's own):

    warn   add it anyway; the candidates are returned for the caller to show
    skip   add nothing when there is a candidate (the outcome's row is the best one)
    merge  add it, and merge it into the best candidate (or `target`)
    add    add it without looking (the user already decided)
    link   (claims) add it, and link it as supporting `target` (or the best candidate)
    """
    modes = ("warn", "skip", "merge", "add", *(("link",) if link else ()))
    if on_duplicate not in modes:
        # "add" and "link" are the answers to a question asked on a terminal, not options.
        raise InvalidValue("on_duplicate", on_duplicate, "one of warn, skip, merge")
    candidates = [] if on_duplicate == "add" else look()
    best = target or (candidates[0]["key"] if candidates else None)
    if on_duplicate == "skip" and best:
        return AddOutcome("skipped", get(session, best), candidates)
    row = add()
    if on_duplicate == "merge" and best:
        merge(best, row.key)
        return AddOutcome("merged", get(session, best), candidates)
    if on_duplicate == "link" and best:
        link(row.key, best)
        return AddOutcome("linked", row, candidates)
    return AddOutcome("added", row, candidates)


def add_claim_checked(
    session: Session,
    *,
    on_duplicate: str = "warn",
    target: str | None = None,
    threshold: float | None = None,
    **claim_fields: Any,
) -> AddOutcome:
    """`add_claim` unless the claim is a near-duplicate of one already logged (similar
    wording), as `on_duplicate` says (see add_checked): warn, skip, merge (its tags
    and evidence join the claim it duplicates), add, or link (as supporting it)."""
    # Each entity's services imported by its own add: `duplicates` and import need neither.
    from .claims import add_claim, link_claims
    from .common import get_claim
    from .merge import merge_claims

    return add_checked(
        session,
        on_duplicate=on_duplicate,
        target=target,
        look=lambda: similar_claims(session, claim_fields.get("text") or "", threshold=threshold),
        add=lambda: add_claim(session, **claim_fields),
        get=get_claim,
        merge=lambda keep, other: merge_claims(
            session, keep=keep, other=other, reason="merged on add: near-duplicate"
        ),
        link=lambda claim, other: link_claims(
            session, claim=claim, other=other, relation="supports"
        ),
    )


def add_source_checked(
    session: Session, *, on_duplicate: str = "warn", target: str | None = None, **fields: Any
) -> AddOutcome:
    """`add_source` unless a source with the same normalised name or canonical URL exists, as
    `on_duplicate` says (see common.add_checked): warn, skip, merge (empty fields are filled
    from it, and its key becomes another name for the source kept), or add."""
    from .common import get_source
    from .merge import merge_sources
    from .sources import add_source

    return add_checked(
        session,
        on_duplicate=on_duplicate,
        target=target,
        look=lambda: similar_sources(session, name=fields.get("name"), url=fields.get("url")),
        add=lambda: add_source(session, **fields),
        get=get_source,
        merge=lambda keep, other: merge_sources(
            session, keep=keep, other=other, reason="merged on add: same source"
        ),
    )
