"""The CSV evidence sheet's rows through the one validator (rows.py): a good row, the common
case, checked without building messages; any other by the full check, which says what is
wrong with it, in the user's own column names. Both check each cell with the parser its
record declares for the field (records.py, CHECKS)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ...errors import InvalidValue
from ..problems import MISSING, Where
from ..sheet import SHEET_FIELDS, SHEET_VERDICT_REASON, split_list
from . import rows
from .rows import (
    CLAIM,
    EVIDENCE,
    GIVEN_BITS,
    SOURCE,
    VERDICT,
    Checker,
    ClaimIntent,
    EvidenceRow,
    SourceIntent,
    VerdictRow,
)

if TYPE_CHECKING:
    from .staging import Taken

# What a cell may start with after the quote that CSV exports add against formulas.
_GUARDED = ("=", "+", "-", "@", "\t", "\r", "'")


def unguard(cell: str) -> str:
    """A cell without the leading quote claimtrack's CSV export adds to a text starting with
    = + - @ tab CR or a quote (so a spreadsheet shows it as text): export, then import,
    gives back the same text."""
    if cell[:1] == "'" and cell[1:2] and cell[1:2] in _GUARDED:
        return cell[1:]
    return cell


# A sheet row's cells in this order (a column the sheet lacks, or a short row's missing
# cells: ""), as SheetRows.parsed takes them.
(CLAIM_KEY, CLAIM_TEXT, SOURCE_KEY, SOURCE_NAME, STANCE, CREDIBILITY, RELIABILITY) = range(7)
(QUOTE, URL, VIA, OBSERVED, TAGS, KEY, NOTES, VERDICT_CELL, VERDICT_REASON) = range(7, 16)
assert SHEET_FIELDS[VERDICT_REASON] == "verdict_reason" and len(SHEET_FIELDS) == 16


class SheetRows:
    """One sheet's rows, each as its cells (raw, in SHEET_FIELDS order) -> what it gives:
    [("claim", ClaimIntent), ("source", SourceIntent)..., ("evidence", EvidenceRow),
    ("verdict", VerdictRow)], or BadRow. `columns` maps fields to the header the user sees,
    so messages name their column.

    A sheet repeats its grades, stances, keys, dates and tag lists: each distinct cell is
    parsed once per sheet, through its field's parser, and every other is one dict lookup
    (the tables go with the sheet's reader). With `taken` (staging.Taken), a claim or source
    whose cells repeat those of a row the import has taken whole is left out of the row: it
    would merge nothing new."""

    def __init__(
        self,
        *,
        columns: Mapping[str, str],
        stance_map: Mapping[str, str],
        verdict_map: Mapping[str, str | None],
        taken: Taken | None = None,
    ):
        self.columns = columns
        self.stance_map = stance_map
        self.verdict_map = verdict_map
        self.taken = taken
        if stance_map:

            def stance(text: str) -> str:
                return EVIDENCE["stance"](stance_map.get(text.strip().lower(), text))

        else:
            stance = EVIDENCE["stance"]
        self._claim_key = _Answers(CLAIM["key"], blank=None)
        self._source_key = _Answers(SOURCE["key"], blank=None)
        self._stance = _Answers(stance, blank=BAD, strip=False)
        self._credibility = _Answers(EVIDENCE["credibility"], blank=None)
        self._reliability = _Answers(SOURCE["reliability"], blank=None)
        self._observed = _Answers(EVIDENCE["observed"], blank=None)
        self._tags = _Answers(_tags, blank=[], strip=False)

    def parsed(self, where: Where, cells: Sequence[str]) -> list:
        """What one row gives (raises BadRow): a good row, the common case, checked without
        building messages; any other by the full check, which says what is wrong."""
        fast = self._fast(where, *cells)
        if fast is not None and not cells[VERDICT_CELL]:
            return fast
        named = {
            name: unguard(cell) for name, cell in zip(SHEET_FIELDS, cells, strict=True) if cell
        }
        check = Checker(where, self.columns)
        verdict = _sheet_verdict(check, named, self.verdict_map)
        if fast is None:
            fast = _full_sheet_row(check, named, self.columns, self.stance_map)
        check.done()
        if verdict is not None:
            evidence = fast[-1][1]  # its claim, as the row names it
            claim_key, claim_text = evidence.claim_key, evidence.claim_text
            fast.append(("verdict", VerdictRow(claim_key, *verdict, None, False, claim_text, True)))
        return fast

    def _fast(
        self,
        where: Where,
        claim_key: str,
        claim_text: str,
        source_key: str,
        source_name: str,
        stance: str,
        credibility: str,
        reliability: str,
        quote: str,
        url: str,
        via: str,
        observed: str,
        tags: str,
        key: str,
        notes: str,
        *_verdict: str,
    ) -> list | None:
        """A good row without messages; None sends the row to the full check."""
        try:
            claim_text_ = _clean_text(claim_text, CLAIM["text"])
            source_name_ = _clean_text(source_name, SOURCE["name"])
            quote_ = _clean_text(quote, EVIDENCE["quote"])
            url_ = _clean_text(url, EVIDENCE["url"])
            via_ = _clean_text(via, SOURCE["name"]) if via else None
            notes_ = _clean_text(notes, EVIDENCE["notes"]) if notes else None
            key = unguard(key).strip() if key else ""
            # An evidence key is given once: parsed, not remembered.
            key = EVIDENCE["key"](key) if key else None
        except (ValueError, InvalidValue):
            return None
        if via_ is not None and ";" in via_:
            return None  # a via chain: the full check splits and checks it
        claim_key_ = self._claim_key[claim_key]
        source_key_ = self._source_key[source_key]
        stance_ = self._stance[stance]
        credibility_ = self._credibility[credibility]
        reliability_ = self._reliability[reliability]
        observed_ = self._observed[observed]
        tags_ = self._tags[tags]
        if (
            BAD in (claim_key_, source_key_, stance_, credibility_, reliability_, observed_, tags_)
            or not (claim_key_ or claim_text_)
            or not (source_key_ or source_name_)
        ):
            return None
        evidence = EvidenceRow(
            key,
            claim_key_,
            claim_text_,
            source_key_,
            source_name_,
            stance_,
            credibility_,
            quote_,
            url_,
            None,
            via_,
            observed_,
            notes_,
            None,
            (1 if credibility_ else 0)
            | (2 if via_ else 0)
            | (4 if observed_ else 0)
            | (8 if notes_ else 0),
            (),
        )
        taken = self.taken
        # Each intent's digest is of the cells it is made from (equal cells, equal intent);
        # never 0, which is no digest.
        digests = (
            (
                hash((1, claim_key, claim_text, tags)) | 1,
                hash((2, source_key, source_name, reliability)) | 1,
                hash((3, via)) | 1,
            )
            if taken is not None
            else NO_DIGESTS
        )
        return _sheet_row(
            where,
            evidence,
            claim_key_,
            claim_text_,
            tags_,
            source_key_,
            source_name_,
            reliability_,
            [via_] if via_ else [],
            digests,
            taken,
        )


def _sheet_verdict(
    check: Checker, cells: Mapping[str, str], verdict_map: Mapping[str, str | None]
) -> tuple[str, str] | None:
    """The row's verdict cell, through --verdict-map, and its reason; empty (or mapped to
    none): no verdict."""
    text = (cells.get("verdict") or "").strip()
    if not text:
        return None
    word = text.lower()
    if word in verdict_map:
        verdict = verdict_map[word]
    elif word in ("confirmed", "debunked", "none"):
        verdict = None if word == "none" else word
    else:
        hint = (
            f"; {{field:verdict_map}} maps {', '.join(sorted(verdict_map))}" if verdict_map else ""
        )
        check.add(
            "verdict",
            text,
            "confirmed, debunked or none (map your own words with {field:verdict_map} "
            f"true=confirmed,false=debunked,unknown=none{hint})",
        )
        return None
    if verdict is None:
        return None
    reason = (
        check.text(VERDICT["reason"], cells.get("verdict_reason"), "verdict_reason")
        or SHEET_VERDICT_REASON
    )
    return verdict, reason


def _tags(text: str) -> list[str]:
    return sorted({CLAIM["tags"](tag) for tag in split_list(text) if tag.strip()})


def _full_sheet_row(
    check: Checker,
    cells: Mapping[str, str],
    columns: Mapping[str, str],
    stance_map: Mapping[str, str],
) -> list:
    """A row through the full check: every problem of every cell collected (raised by
    check.done())."""
    get = cells.get
    claim_key, claim_text = _key_or_words(check, cells, columns, "claim", "text", CLAIM)
    source_key, source_name = _key_or_words(check, cells, columns, "source", "name", SOURCE)
    reliability = get("reliability")
    if reliability:
        reliability = check.check(SOURCE["reliability"], reliability, "reliability")
    # Each hop is a source's key or its name: the cell is checked as a name.
    chain = _sheet_via(check.text(SOURCE["name"], get("via"), "via"))
    evidence = EvidenceRow(
        check.key(EVIDENCE["key"], get("key"), "key"),
        claim_key,
        claim_text,
        source_key,
        source_name,
        check.stance(get("stance"), "stance", stance_map),
        check.credibility(get("credibility"), "credibility"),
        check.text(EVIDENCE["quote"], get("quote"), "quote"),
        check.text(EVIDENCE["url"], get("url"), "url"),
        None,
        chain[0] if chain else None,
        check.check(EVIDENCE["observed"], get("observed") or None, "observed"),
        check.text(EVIDENCE["notes"], get("notes"), "notes"),
        None,
        sum(bit for name, bit in GIVEN_BITS.items() if (get(name) or "").strip()),
        tuple(chain[1:]),
    )
    tags = check.tags(get("tags"), "tags")
    check.done()
    return _sheet_row(
        check.where,
        evidence,
        claim_key,
        claim_text,
        tags,
        source_key,
        source_name,
        reliability,
        chain,
    )


def _key_or_words(
    check: Checker,
    cells: Mapping[str, str],
    columns: Mapping[str, str],
    kind: str,
    words: str,
    checks: Mapping[str, Callable[..., Any]],
) -> tuple[str | None, str | None]:
    """A sheet row's claim (by claim_key or claim_text) or source (source_key, source_name),
    each checked as its record's key and text (or name): one of the two is needed, unless
    the row is already refused."""
    key_field, words_field = f"{kind}_key", f"{kind}_{words}"
    key = check.key(checks["key"], cells.get(key_field), key_field)
    text = check.text(checks[words], cells.get(words_field), words_field)
    if not key and not text and not check.problems:
        named = words_field if words_field in columns else key_field
        check.add(named, MISSING, f"a {kind} key or a {kind} {words}")
    return key, text


class _Answers(dict):
    """A field's parser (its record's CHECKS) as a table of the answers it gave, by raw cell
    (unguarded, then stripped unless `strip` is false): `blank` for a cell that is empty
    then, BAD for a bad one (the full check then says why)."""

    def __init__(self, parse: Callable[[str], Any], *, blank: Any, strip: bool = True):
        super().__init__()
        self.parse = parse
        self.blank = blank
        self.strip = strip

    def __missing__(self, cell: str) -> Any:
        text = unguard(cell)
        if self.strip:
            text = text.strip()
        if not text:
            answer = self.blank
        else:
            try:
                answer = self.parse(text)
            except InvalidValue:
                answer = BAD
        if len(self) > 100_000:
            self.clear()
        self[cell] = answer
        return answer


BAD = object()
NO_DIGESTS = (0, 0, 0)


def _clean_text(value: str, parse: Callable[..., Any]) -> str | None:
    """A text cell through its field's parser (CHECKS); blank is not given; ValueError when
    the cell is bad (the full check then says why)."""
    if value[:1] == "'":
        value = unguard(value)
    if not value or value.isspace():
        return None
    if len(value) > rows.MAX_TEXT:
        raise ValueError
    try:
        return parse(value, field="")
    except InvalidValue:
        raise ValueError from None


def _sheet_row(
    where: Where,
    evidence: EvidenceRow,
    claim_key: str | None,
    claim_text: str | None,
    tags: list[str],
    source_key: str | None,
    source_name: str | None,
    reliability: str | None,
    chain: list[str],
    digests: tuple[int, int, int] = NO_DIGESTS,
    taken: Taken | None = None,
) -> list:
    """What a checked sheet row gives (both sheet paths end here): its claim and source
    intents, each left out when `taken` holds its digest, then its evidence item."""
    parsed: list[tuple[str, Any]] = []
    if (claim_text or claim_key) and (taken is None or digests[0] not in taken):
        fields: dict[str, Any] = {}
        if claim_text:
            fields["text"] = claim_text
        if tags:
            fields["tags"] = tags
        claim = ClaimIntent(where, claim_key, claim_text or "", fields, True, digests[0])
        parsed.append(("claim", claim))
    if taken is None or digests[1] not in taken:
        source_fields: dict[str, Any] = {}
        if source_name:
            source_fields["name"] = source_name
        if reliability:
            source_fields["reliability"] = reliability
        source = SourceIntent(
            where, source_key, source_name or "", source_fields, False, digests[1]
        )
        parsed.append(("source", source))
    for hop in chain:  # one hop on the fast path (digests[2] is its digest), else no digest
        if taken is None or digests[2] not in taken:
            parsed.append(
                ("source", SourceIntent(where, None, hop, {"name": hop}, True, digests[2]))
            )
    parsed.append(("evidence", evidence))
    return parsed


def _sheet_via(value: str | None) -> list[str]:
    """A sheet's via cell: hops separated by `;`, in order ("ryg; dnk")."""
    if not value:
        return []
    return [hop.strip() for hop in value.split(";") if hop.strip()]
