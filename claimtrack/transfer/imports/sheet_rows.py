"""The CSV evidence sheet's rows through the one validator (rows.py): a good row, the common
case, checked without building messages; any other by the full check, which says what is
wrong with it, in the user's own column names. Both check each cell with the parser its
record declares for the field (records.py, CHECKS)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import InvalidValue
from ..problems import MISSING, Where
from ..sheet import SHEET_VERDICT_REASON, split_list
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


@dataclass
class SheetRow:
    claim: ClaimIntent | None
    sources: list[SourceIntent] = field(default_factory=list)
    evidence: EvidenceRow | None = None
    verdict: VerdictRow | None = None  # when the row's verdict cell gives one


def _sheet_verdict(
    check: Checker, cells: Mapping[str, str], verdict_map: Mapping[str, str | None]
) -> VerdictRow | None:
    """The row's verdict cell, through --verdict-map; empty (or mapped to none): no verdict."""
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
    claim_key = (cells.get("claim_key") or "").strip() or None
    claim_text = _clean_text(cells.get("claim_text"), CLAIM["text"])
    return VerdictRow(claim_key, verdict, reason, None, False, claim_text, True)


def sheet_row(
    cells: Mapping[str, str],
    where: Where,
    *,
    columns: Mapping[str, str],
    stance_map: Mapping[str, str],
    verdict_map: Mapping[str, str | None] | None = None,
) -> SheetRow:
    """One row of the evidence sheet: its claim, its sources (and via), its evidence item,
    and the claim's verdict when a verdict column gives one.

    `cells` maps sheet fields to cell text; `columns` maps fields to the header the user sees,
    so messages name their column. Empty cells mean "not given".
    """
    fast = _fast_sheet_row(cells, where, stance_map)
    if fast is not None and not cells.get("verdict"):
        return fast
    check = Checker(where, columns)
    verdict = _sheet_verdict(check, cells, verdict_map or {})
    if fast is not None:
        check.done()
        fast.verdict = verdict
        return fast
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
    row = _sheet_row(
        where, evidence, claim_key, claim_text, tags, source_key, source_name, reliability, chain
    )
    row.verdict = verdict
    return row


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
    """A field's parser (its record's CHECKS) as a table of the answers it gave: a sheet
    repeats its grades, stances, keys, dates and tag lists, so each distinct cell is parsed
    once and every other is one dict lookup. A bad cell's answer is BAD (the full check then
    says why)."""

    def __init__(self, parse: Callable[[str], Any]):
        super().__init__()
        self.parse = parse

    def __missing__(self, text: str) -> Any:
        try:
            answer = self.parse(text)
        except InvalidValue:
            answer = BAD
        if len(self) > 100_000:
            self.clear()
        self[text] = answer
        return answer


BAD = object()
_CLAIM_KEY, _SOURCE_KEY = _Answers(CLAIM["key"]), _Answers(SOURCE["key"])
_STANCE, _CREDIBILITY = _Answers(EVIDENCE["stance"]), _Answers(EVIDENCE["credibility"])
_RELIABILITY, _OBSERVED = _Answers(SOURCE["reliability"]), _Answers(EVIDENCE["observed"])
_TAGS = _Answers(lambda text: sorted({CLAIM["tags"](t) for t in split_list(text) if t.strip()}))
_ANSWERS = (_CLAIM_KEY, _SOURCE_KEY, _STANCE, _CREDIBILITY, _RELIABILITY)
_ANSWERS += (_OBSERVED, _TAGS)


def forget_answers() -> None:
    """Drop the answers kept: once the rows are read they only hold memory (~14 MB after a
    sheet of 100,000 claim keys, the peak of a 1M-row import's writing otherwise)."""
    for answers in _ANSWERS:
        answers.clear()


def _clean_text(value: str | None, parse: Callable[..., Any]) -> str | None:
    """A text cell through its field's parser (CHECKS); blank is not given; ValueError when
    the cell is bad (the full check then says why)."""
    if not value or value.isspace():
        return None
    if len(value) > rows.MAX_TEXT:
        raise ValueError
    try:
        return parse(value, field="")
    except InvalidValue:
        raise ValueError from None


def _fast_sheet_row(cells: Mapping[str, str], where: Where, stance_map: Mapping[str, str]):
    """The common case, a good row, checked without building messages; None sends the row
    to the full check, which says what is wrong."""
    get = cells.get
    try:
        claim_key = (get("claim_key") or "").strip() or None
        if claim_key is not None and (claim_key := _CLAIM_KEY[claim_key]) is BAD:
            return None
        claim_text = _clean_text(get("claim_text"), CLAIM["text"])
        source_key = (get("source_key") or "").strip() or None
        if source_key is not None and (source_key := _SOURCE_KEY[source_key]) is BAD:
            return None
        source_name = _clean_text(get("source_name"), SOURCE["name"])
        if not (claim_key or claim_text) or not (source_key or source_name):
            return None
        stance = get("stance") or ""
        if stance_map:
            stance = stance_map.get(stance.strip().lower(), stance)
        if (stance := _STANCE[stance]) is BAD:
            return None
        credibility = (get("credibility") or "").strip()
        if credibility and (credibility := _CREDIBILITY[credibility]) is BAD:
            return None
        reliability = (get("reliability") or "").strip()
        if reliability and (reliability := _RELIABILITY[reliability]) is BAD:
            return None
        key = (get("key") or "").strip() or None
        if key is not None:  # an evidence key is given once: nothing to remember
            try:
                key = EVIDENCE["key"](key)
            except InvalidValue:
                return None
        observed = (get("observed") or "").strip() or None
        if observed is not None and (observed := _OBSERVED[observed]) is BAD:
            return None
        tags_text = get("tags")
        tags = _TAGS[tags_text] if tags_text else []
        if tags is BAD:
            return None
        via = _clean_text(get("via"), SOURCE["name"])
        if via is not None and ";" in via:
            return None  # a via chain: the full check splits and checks it
        notes = _clean_text(get("notes"), EVIDENCE["notes"])
        evidence = EvidenceRow(
            key,
            claim_key,
            claim_text,
            source_key,
            source_name,
            stance,
            credibility or None,
            _clean_text(get("quote"), EVIDENCE["quote"]),
            _clean_text(get("url"), EVIDENCE["url"]),
            None,
            via,
            observed,
            notes,
            None,
            (1 if credibility else 0)
            | (2 if via else 0)
            | (4 if observed else 0)
            | (8 if notes else 0),
            (),
        )
    except ValueError:
        return None
    return _sheet_row(
        where,
        evidence,
        claim_key,
        claim_text,
        tags,
        source_key,
        source_name,
        reliability,
        [via] if via else [],
    )


def _sheet_row(
    where, evidence, claim_key, claim_text, tags, source_key, source_name, reliability, chain
) -> SheetRow:
    """The claim and source intents of one checked sheet row (both sheet paths end here)."""
    claim = None
    if claim_text or claim_key:
        fields: dict[str, Any] = {}
        if claim_text:
            fields["text"] = claim_text
        if tags:
            fields["tags"] = tags
        claim = ClaimIntent(where, claim_key, claim_text or "", fields, add_tags=True)
    row = SheetRow(claim=claim, evidence=evidence)
    source_fields: dict[str, Any] = {}
    if source_name:
        source_fields["name"] = source_name
    if reliability:
        source_fields["reliability"] = reliability
    row.sources.append(SourceIntent(where, source_key, source_name or "", source_fields))
    for hop in chain:
        row.sources.append(SourceIntent(where, None, hop, {"name": hop}, reference=True))
    return row


def _sheet_via(value: str | None) -> list[str]:
    """A sheet's via cell: hops separated by `;`, in order ("ryg; dnk")."""
    if not value:
        return []
    return [hop.strip() for hop in value.split(";") if hop.strip()]
