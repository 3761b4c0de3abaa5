"""The CSV evidence sheet's rows through the one validator (rows.py): a good row, the common
case, checked without building messages; any other by the full check, which says what is
wrong with it, in the user's own column names. Both check each cell with the parser its
record declares for the field (records.py, CHECKS)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import filterfalse, repeat, starmap
from typing import TYPE_CHECKING, Any

from ... import values
from ...errors import InvalidValue
from ..problems import MISSING, BadRow, Where
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


class SheetRows:
    """One sheet's rows -> what each gives: [("claim", ClaimIntent), ("source",
    SourceIntent)..., ("evidence", EvidenceRow), ("verdict", VerdictRow)], or BadRow.
    `index` maps fields to their column, `columns` to the header the user sees (messages
    name it).

    Rows are checked a batch at a time, column by column: a sheet repeats its grades,
    stances, keys, dates and tag lists, so each distinct cell is parsed once per sheet
    through its field's parser and every other is one dict lookup (the tables go with the
    sheet), and a column of text is checked by its parser at once. A good row, the common
    case, is checked without building messages; any other by the full check, which says
    what is wrong with it. With `taken` (staging.Taken), a claim or source whose cells
    repeat those of a row the import has taken whole is left out of the row: it would merge
    nothing new."""

    def __init__(
        self,
        *,
        index: Mapping[str, int],
        width: int,
        columns: Mapping[str, str],
        stance_map: Mapping[str, str],
        verdict_map: Mapping[str, str | None],
        taken: Taken | None = None,
    ):
        self.positions = [index.get(name, width) for name in SHEET_FIELDS]
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

    def batch(self, wheres: Sequence[Where], rows: Sequence[Sequence[str]]) -> list:
        """What each row gives, in order (a list, or BadRow). Each row has as many cells as
        the header (a short one padded with "")."""
        if not rows:
            return []
        blank = ("",) * len(rows)
        by_column = [*zip(*rows, strict=True), blank]  # a field without a column: blank
        # Each field's cells, in SHEET_FIELDS order.
        (claim_key, claim_text, source_key, source_name, stance, credibility, reliability) = (
            by_column[at] for at in self.positions[:7]
        )
        (quote, url, via, observed, tags, key, notes, verdict, _verdict_reason) = (
            by_column[at] for at in self.positions[7:]
        )
        claim_keys = [*map(self._claim_key.__getitem__, claim_key)]
        source_keys = [*map(self._source_key.__getitem__, source_key)]
        stances = [*map(self._stance.__getitem__, stance)]
        credibilities = [*map(self._credibility.__getitem__, credibility)]
        reliabilities = [*map(self._reliability.__getitem__, reliability)]
        observed_ = [*map(self._observed.__getitem__, observed)]
        tags_ = [*map(self._tags.__getitem__, tags)]
        keys = [_evidence_key(cell) for cell in key] if any(key) else blank
        taken = self.taken
        if taken is None:
            digests = known = [NO_DIGESTS] * len(rows)
        else:
            # Each intent's digest is of the cells it is made from: equal cells, equal intent.
            made = (
                taken.digests(zip(repeat(1), claim_key, claim_text, tags)),
                taken.digests(zip(repeat(2), source_key, source_name, reliability)),
                taken.digests(zip(repeat(3), via)),
            )
            digests = zip(*made, strict=True)
            known = zip(*map(taken.known, made), strict=True)
        return [
            *starmap(
                self._good,
                zip(
                    wheres,
                    claim_keys,
                    _texts(claim_text, CLAIM["text"]),
                    source_keys,
                    _texts(source_name, SOURCE["name"]),
                    stances,
                    credibilities,
                    reliabilities,
                    _texts(quote, EVIDENCE["quote"]),
                    _texts(url, EVIDENCE["url"]),
                    _texts(via, SOURCE["name"]),
                    observed_,
                    tags_,
                    keys,
                    _texts(notes, EVIDENCE["notes"]),
                    verdict,
                    digests,
                    known,
                    rows,
                    strict=True,
                ),
            )
        ]

    def _good(
        self,
        where: Where,
        claim_key: Any,
        claim_text: Any,
        source_key: Any,
        source_name: Any,
        stance: Any,
        credibility: Any,
        reliability: Any,
        quote: Any,
        url: Any,
        via: Any,
        observed: Any,
        tags: Any,
        key: Any,
        notes: Any,
        verdict: str,
        digests: tuple[int, int, int],
        known: tuple[bool, bool, bool],
        row: Sequence[str],
    ) -> list | BadRow:
        """One row from its checked cells (each BAD when bad, "" when blank); a row with a
        bad cell, or a verdict, goes on to the full check."""
        if (
            BAD
            in (claim_key, claim_text, source_key, source_name, stance, credibility, reliability)
            or BAD in (quote, url, via, observed, tags, key, notes)
            or not (claim_key or claim_text)
            or not (source_key or source_name)
            or (via and ";" in via)  # a via chain: the full check splits and checks it
        ):
            return self._checked(where, row, None)
        claim_text, source_name, via = claim_text or None, source_name or None, via or None
        evidence = _new_tuple(
            EvidenceRow,
            (
                key or None,
                claim_key,
                claim_text,
                source_key,
                source_name,
                stance,
                credibility,
                quote or None,
                url or None,
                None,
                via,
                observed,
                notes or None,
                None,
                (1 if credibility else 0)
                | (2 if via else 0)
                | (4 if observed else 0)
                | (8 if notes else 0),
                (),
            ),
        )
        if known[0] and known[1] and (known[2] or not via) and not verdict:
            return [("evidence", evidence)]  # most rows of a large sheet (_sheet_row)
        parsed = _sheet_row(
            where,
            evidence,
            claim_key,
            claim_text,
            tags,
            source_key,
            source_name,
            reliability,
            [via] if via else [],
            digests,
            known,
        )
        return self._checked(where, row, parsed) if verdict else parsed

    def _checked(self, where: Where, row: Sequence[str], fast: list | None) -> list | BadRow:
        """A row through the full check (`fast`: its good cells, but a verdict to check). A
        cell of only spaces looks empty in a spreadsheet and is taken as one, as the batch
        takes it: not given (a key generated, a grade its default), or missing if required."""
        named = {
            name: cell
            for name, at in zip(SHEET_FIELDS, self.positions, strict=True)
            if at < len(row) and (cell := unguard(row[at])).strip()
        }
        check = Checker(where, self.columns)
        try:
            verdict = _sheet_verdict(check, named, self.verdict_map)
            if fast is None:
                fast = _full_sheet_row(check, named, self.columns, self.stance_map)
            check.done()
        except BadRow as bad:
            return bad
        if verdict is not None:
            evidence = fast[-1][1]  # its claim, as the row names it
            claim_key, claim_text = evidence.claim_key, evidence.claim_text
            fast.append(("verdict", VerdictRow(claim_key, *verdict, None, False, claim_text, True)))
        return fast


_new_tuple = tuple.__new__  # a NamedTuple from a tuple, as _make does, without its call


def _evidence_key(cell: str) -> Any:
    """An evidence key is given once: parsed, not remembered."""
    key = unguard(cell).strip() if cell else ""
    if not key:
        return ""
    try:
        return EVIDENCE["key"](key)
    except InvalidValue:
        return BAD


def _texts(cells: tuple[str, ...], parse: Callable[..., Any]) -> Sequence[Any]:
    """A column of text cells through their field's parser: each stripped, "" when blank,
    BAD when bad. The two text parsers take a storable text to its strip, so when the
    parser takes the column joined (a text is storable when each of its parts is), each
    cell is its strip; otherwise, or with a cell to unguard or over the size limit, each is
    parsed alone. (Parsing each good cell alone cost ~1.5 s at 1M rows.)"""
    if not any(cells):
        return cells
    if (
        parse in _STRIPPING
        and not any(map(str.startswith, cells, repeat("'")))
        and max(map(len, cells)) <= rows.MAX_TEXT
    ):
        # Apart, the ASCII cells are not searched for what only other text can hold.
        joined = ("".join(filter(str.isascii, cells)), "".join(filterfalse(str.isascii, cells)))
        try:
            for text in joined:
                if text:
                    parse(text, field="")
        except InvalidValue:
            pass
        else:
            return [*map(str.strip, cells)]
    return [_text(cell, parse) for cell in cells]


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


_STRIPPING = (values.required_text, values.optional_text)


def _text(cell: str, parse: Callable[..., Any]) -> Any:
    """A text cell through its field's parser (CHECKS): "" when blank, BAD when bad (the
    full check then says why)."""
    value = unguard(cell)
    if not value or value.isspace():
        return ""
    if len(value) > rows.MAX_TEXT:
        return BAD
    try:
        return parse(value, field="") or ""
    except InvalidValue:
        return BAD


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
    known: tuple[bool, bool, bool] = (False, False, False),
) -> list:
    """What a checked sheet row gives (both sheet paths end here): its claim and source
    intents with their digests, each left out when it is `known` (staging.Taken), then its
    evidence item."""
    parsed: list[tuple[str, Any]] = []
    if (claim_text or claim_key) and not known[0]:
        fields: dict[str, Any] = {}
        if claim_text:
            fields["text"] = claim_text
        if tags:
            fields["tags"] = tags
        claim = ClaimIntent(where, claim_key, claim_text or "", fields, True, digests[0])
        parsed.append(("claim", claim))
    if not known[1]:
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
        if not known[2]:
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
