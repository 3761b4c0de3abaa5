"""The one validator every input format feeds: raw fields in, normalised records out.

A record is checked field by field with claimtrack.values, so a grade, a stance or a date
means the same here as on the command line. Every bad field becomes a Problem that names
where it is (FILE:LINE), the field, the value and what was expected; all of a row's problems
are collected before the row is refused, so one run reports everything wrong with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ... import values
from ...errors import InvalidValue
from ...models import CREDIBILITY_GRADES, RELIABILITY_GRADES, STANCES
from ...records import AliasRecord, LinkRecord
from ..problems import MISSING, BadRow, Problem, Where
from ..sheet import SHEET_VERDICT_REASON, split_list

MAX_TEXT = 1_000_000  # characters in one field; larger cells are refused, not truncated

RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    "source": ("key", "name", "kind", "reliability", "derived_from", "url", "notes"),
    "claim": ("key", "text", "tags", "event_date", "place", "notes"),
    "evidence": (
        "key",
        "claim",
        "source",
        "stance",
        "credibility",
        "quote",
        "url",
        "via",
        "observed",
        "notes",
        "removed_reason",
    ),
    "link": ("claim", "other", "relation"),
    "verdict": ("claim", "verdict", "reason", "confidence"),
    # A former key (renamed or merged away) that still resolves to `key`.
    "alias": ("entity", "alias", "key"),
}
RECORD_TYPES = tuple(RECORD_FIELDS)


@dataclass(slots=True)
class SourceIntent:
    """A source as a file describes it: matched on key, else on name; `fields` holds only
    what the file gives (name, kind, reliability, derived_from, url, notes)."""

    where: Where
    key: str | None
    name: str
    fields: dict[str, Any]
    # A sheet's `via` cell: a source's key if one has it, else its name (created when new).
    reference: bool = False


@dataclass(slots=True)
class ClaimIntent:
    """A claim as a file describes it: matched on key, else on text. `add_tags` (sheets)
    adds the row's tags to the claim's; otherwise the tags given replace them."""

    where: Where
    key: str | None
    text: str
    fields: dict[str, Any]
    add_tags: bool = False


# Which optional fields an evidence row gives (a bit per field), so a re-import that leaves out
# a field does not clear it.
GIVEN_BITS = {"credibility": 1, "via": 2, "observed": 4, "notes": 8, "removed_reason": 16}


class EvidenceRow(NamedTuple):
    """An evidence item as a file gives it, before its keys are resolved: its claim by key or
    (a sheet) by text, its source and first via hop by key or by name. Written to the
    importer's spool between the two passes as a plain tuple (marshal takes no subclass) and
    made an EvidenceRow again with `_make`."""

    key: str | None
    claim_key: str | None
    claim_text: str | None
    source_key: str | None
    source_name: str | None
    stance: str
    credibility: int | None
    quote: str | None
    url: str | None
    via_key: str | None
    via_name: str | None
    observed: str | None
    notes: str | None
    removed_reason: str | None
    given: int  # GIVEN_BITS
    # Hops 2, 3, ... of the via chain, as keys in a JSON record and as keys or names (like
    # hop 1) in a sheet.
    relays: tuple[str, ...]

    @property
    def from_sheet(self) -> bool:
        return (
            self.claim_text is not None or self.source_name is not None or self.via_name is not None
        )


class VerdictRow(NamedTuple):
    """A verdict as a file gives it: a verdict record, or a sheet row's verdict cell (its
    claim by key or by text)."""

    claim: str | None
    verdict: str | None
    reason: str | None
    confidence: str | None
    has_confidence: bool
    claim_text: str | None
    from_sheet: bool


# The rows of each relation a file gives, as the spool rebuilds them.
ROW_TYPES: dict[str, type] = {
    "evidence": EvidenceRow,
    "link": LinkRecord,
    "verdict": VerdictRow,
    "alias": AliasRecord,
}


class Checker:
    """Runs value parsers, collecting every problem instead of stopping at the first."""

    def __init__(self, where: Where, names: Mapping[str, str] | None = None):
        self.where = where
        self.names = names or {}
        self.problems: list[Problem] = []

    def name(self, field_name: str) -> str:
        return self.names.get(field_name, field_name)

    def add(self, field_name: str, value: object, expected: str) -> None:
        self.problems.append(Problem(self.where, self.name(field_name), value, expected))

    def check(self, parse: Callable[..., Any], value: Any, field_name: str) -> Any:
        if isinstance(value, str) and len(value) > MAX_TEXT:
            self.add(field_name, value, f"at most {MAX_TEXT:,} characters")
            return None
        try:
            return parse(value, field=self.name(field_name))
        except InvalidValue as exc:
            self.problems.append(Problem(self.where, exc.field, value, exc.expected))
            return None

    def text(self, value: Any, field_name: str, *, required: bool = False) -> str | None:
        if self._absent(value, field_name, required, "a non-empty text", "a text"):
            return None
        parse = values.required_text if required else values.optional_text
        return self.check(parse, value, field_name)

    def key(
        self, value: Any, field_name: str, *, required: bool = False, evidence: bool = False
    ) -> str | None:
        if self._absent(value, field_name, required, "a key", "a key"):
            return None
        return self.check(values.evidence_key if evidence else values.key, value, field_name)

    def _absent(self, value: Any, field_name: str, required: bool, missing: str, kind: str) -> bool:
        """No string to parse: empty (a problem when required) or not a string at all."""
        if value is None or value == "":
            if required:
                self.add(field_name, MISSING, missing)
            return True
        if not isinstance(value, str):
            self.add(field_name, value, f"{kind} (a JSON string)")
            return True
        return False

    def done(self) -> None:
        if self.problems:
            raise BadRow(self.problems)


def _tags(check: Checker, value: Any, field_name: str = "tags") -> list[str] | None:
    if value is None or value == "":
        return []
    items = split_list(value) if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        check.add(field_name, value, "a list of tags (or tags separated by ;)")
        return None
    names = [check.check(values.tag, item, field_name) for item in items if item.strip()]
    return sorted({name for name in names if name})


def _event_date(check: Checker, value: Any, field_name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        value = str(value)
    parsed = check.check(values.partial_date, value, field_name)
    return parsed[0] if parsed else None


def _stance(check: Checker, value: Any, field_name: str, stance_map: Mapping[str, str]) -> str:
    if value is None or value == "":
        check.add(field_name, MISSING, "one of supports, contradicts, neutral")
        return ""
    if isinstance(value, str) and stance_map:
        value = stance_map.get(value.strip().lower(), value)
    return check.check(values.stance, value, field_name) or ""


def _credibility(check: Checker, value: Any, field_name: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return check.check(values.credibility, value, field_name)


# --- JSON / JSONL records --------------------------------------------------------------


def json_record(obj: Any, where: Where) -> tuple[str, Any]:
    """(type, normalised record) for one JSON object; raises BadRow."""
    check = Checker(where)
    if not isinstance(obj, dict):
        check.add("record", obj, 'a JSON object such as {"type": "claim", ...}')
        check.done()
    kind = obj.get("type")
    if kind not in RECORD_FIELDS:
        check.add(
            "type", kind if kind is not None else MISSING, "one of " + ", ".join(RECORD_TYPES)
        )
        check.done()
    allowed = RECORD_FIELDS[kind]
    for name in obj:
        if name != "type" and name not in allowed:
            check.add(
                name, obj[name], f"no such field in a {kind} record (fields: {', '.join(allowed)})"
            )
    record = _JSON_PARSERS[kind](check, obj)
    check.done()
    return kind, record


def _json_source(check: Checker, obj: dict) -> SourceIntent:
    key = check.key(obj.get("key"), "key")
    name = check.text(obj.get("name"), "name", required=True)
    fields: dict[str, Any] = {"name": name}
    if "kind" in obj:
        kind = check.text(obj["kind"], "kind")
        if kind is not None and len(kind) > values.MAX_KIND:
            check.add("kind", kind, f"a kind of at most {values.MAX_KIND} characters")
        fields["kind"] = kind or "unknown"
    if "reliability" in obj:
        fields["reliability"] = (
            check.check(values.reliability, obj["reliability"], "reliability")
            if obj["reliability"] is not None
            else "F"
        )
    if "derived_from" in obj:
        fields["derived_from"] = check.key(obj["derived_from"], "derived_from")
    for name_ in ("url", "notes"):
        if name_ in obj:
            fields[name_] = check.text(obj[name_], name_)
    return SourceIntent(check.where, key, name or "", fields)


def _json_claim(check: Checker, obj: dict) -> ClaimIntent:
    key = check.key(obj.get("key"), "key")
    text = check.text(obj.get("text"), "text", required=True)
    fields: dict[str, Any] = {"text": text}
    if "tags" in obj:
        fields["tags"] = _tags(check, obj["tags"])
    if "event_date" in obj:
        fields["event_date"] = _event_date(check, obj["event_date"], "event_date")
    for name in ("place", "notes"):
        if name in obj:
            fields[name] = check.text(obj[name], name)
    return ClaimIntent(check.where, key, text or "", fields)


def _json_evidence(check: Checker, obj: dict) -> EvidenceRow:
    given = 0
    for name, bit in GIVEN_BITS.items():
        if name in obj:
            given |= bit
    source = check.key(obj.get("source"), "source", required=True)
    chain = _json_via(check, obj.get("via"))
    return EvidenceRow(
        check.key(obj.get("key"), "key", evidence=True),
        check.key(obj.get("claim"), "claim", required=True),
        None,
        source,
        None,
        _stance(check, obj.get("stance"), "stance", {}),
        _credibility(check, obj.get("credibility"), "credibility"),
        check.text(obj.get("quote"), "quote"),
        check.text(obj.get("url"), "url"),
        chain[0] if chain else None,
        None,
        check.check(values.full_date, obj.get("observed"), "observed"),
        check.text(obj.get("notes"), "notes"),
        check.text(obj.get("removed_reason"), "removed_reason"),
        given,
        tuple(chain[1:]),
    )


def _json_via(check: Checker, value: Any) -> list[str]:
    """A record's via: one key, or the chain of keys in order (["ryg", "dnk"])."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        key = check.key(value, "via")
        return [key] if key else []
    if not isinstance(value, list) or not all(isinstance(hop, str) for hop in value):
        check.add("via", value, 'a source key, or a list of them in order (["ryg", "dnk"])')
        return []
    chain = [check.key(hop, "via") for hop in value]
    return [hop for hop in chain if hop]


def _sheet_via(value: str | None) -> list[str]:
    """A sheet's via cell: hops separated by `;`, in order ("ryg; dnk")."""
    if not value:
        return []
    return [hop.strip() for hop in value.split(";") if hop.strip()]


def _json_link(check: Checker, obj: dict) -> LinkRecord:
    claim = check.key(obj.get("claim"), "claim", required=True)
    other = check.key(obj.get("other"), "other", required=True)
    relation = check.check(values.relation, obj.get("relation"), "relation")
    if claim and claim == other:
        check.add("other", other, "a different claim than `claim`")
    return LinkRecord(claim, other, relation)


def _json_verdict(check: Checker, obj: dict) -> VerdictRow:
    claim = check.key(obj.get("claim"), "claim", required=True)
    verdict = check.check(values.verdict, obj.get("verdict"), "verdict")
    reason = check.text(obj.get("reason"), "reason")
    if verdict and not reason:
        check.add("reason", MISSING, "a reason for the verdict")
    confidence = None
    if obj.get("confidence") is not None:
        confidence = check.check(values.confidence, obj["confidence"], "confidence")
    return VerdictRow(claim, verdict, reason, confidence, "confidence" in obj, None, False)


def _json_alias(check: Checker, obj: dict) -> AliasRecord:
    entity = obj.get("entity")
    if entity not in ("claim", "source"):
        check.add("entity", entity if entity is not None else MISSING, "claim or source")
    alias = check.key(obj.get("alias"), "alias", required=True)
    key = check.key(obj.get("key"), "key", required=True)
    if alias and alias == key:
        check.add("alias", alias, "a former key, different from `key`")
    return AliasRecord(entity, alias, key)


_JSON_PARSERS: dict[str, Callable[[Checker, dict], Any]] = {
    "source": _json_source,
    "claim": _json_claim,
    "evidence": _json_evidence,
    "link": _json_link,
    "verdict": _json_verdict,
    "alias": _json_alias,
}


# --- the CSV evidence sheet ------------------------------------------------------------


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
    reason = check.text(cells.get("verdict_reason"), "verdict_reason") or SHEET_VERDICT_REASON
    claim_key = (cells.get("claim_key") or "").strip() or None
    claim_text = _clean_text(cells.get("claim_text"))
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
    claim_key, claim_text = _key_or_words(check, cells, columns, "claim", "text")
    source_key, source_name = _key_or_words(check, cells, columns, "source", "name")
    reliability = get("reliability")
    if reliability:
        reliability = check.check(values.reliability, reliability, "reliability")
    chain = _sheet_via(check.text(get("via"), "via"))
    evidence = EvidenceRow(
        check.key(get("key"), "key", evidence=True),
        claim_key,
        claim_text,
        source_key,
        source_name,
        _stance(check, get("stance"), "stance", stance_map),
        _credibility(check, get("credibility"), "credibility"),
        check.text(get("quote"), "quote"),
        check.text(get("url"), "url"),
        None,
        chain[0] if chain else None,
        check.check(values.full_date, get("observed") or None, "observed"),
        check.text(get("notes"), "notes"),
        None,
        sum(bit for name, bit in GIVEN_BITS.items() if (get(name) or "").strip()),
        tuple(chain[1:]),
    )
    tags = _tags(check, get("tags"), "tags")
    check.done()
    row = _sheet_row(
        where, evidence, claim_key, claim_text, tags, source_key, source_name, reliability, chain
    )
    row.verdict = verdict
    return row


def _key_or_words(
    check: Checker, cells: Mapping[str, str], columns: Mapping[str, str], kind: str, words: str
) -> tuple[str | None, str | None]:
    """A sheet row's claim (by claim_key or claim_text) or source (source_key, source_name):
    one of the two is needed, unless the row is already refused."""
    key_field, words_field = f"{kind}_key", f"{kind}_{words}"
    key = check.key(cells.get(key_field), key_field)
    text = check.text(cells.get(words_field), words_field)
    if not key and not text and not check.problems:
        named = words_field if words_field in columns else key_field
        check.add(named, MISSING, f"a {kind} key or a {kind} {words}")
    return key, text


_KEY = values.KEY_PATTERN.match
_CREDIBILITY = {str(g): g for g in CREDIBILITY_GRADES}
_STANCES = frozenset(STANCES)
_RELIABILITY = frozenset(RELIABILITY_GRADES)
_cache: dict[str, Any] = {}


def _cached(kind: str, text: str, parse: Callable[[str], Any]) -> Any:
    """Dates and tag lists repeat across rows: parse each distinct one once."""
    token = kind + text
    try:
        return _cache[token]
    except KeyError:
        pass
    if len(_cache) > 100_000:
        _cache.clear()
    value = _cache[token] = parse(text)
    return value


def _clean_text(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip()
    if "\x00" in text or len(text) > MAX_TEXT:
        raise ValueError
    return text or None


def _fast_sheet_row(cells: Mapping[str, str], where: Where, stance_map: Mapping[str, str]):
    """The common case, a good row, checked without building messages; None sends the row
    to the full check, which says what is wrong."""
    get = cells.get
    try:
        claim_key = (get("claim_key") or "").strip() or None
        if claim_key is not None and not _KEY(claim_key):
            return None
        claim_text = _clean_text(get("claim_text"))
        source_key = (get("source_key") or "").strip() or None
        if source_key is not None and not _KEY(source_key):
            return None
        source_name = _clean_text(get("source_name"))
        if not (claim_key or claim_text) or not (source_key or source_name):
            return None
        stance = (get("stance") or "").strip()
        stance = (
            stance_map.get(stance.lower(), stance).strip().lower() if stance_map else stance.lower()
        )
        if stance not in _STANCES:
            return None
        credibility = (get("credibility") or "").strip()
        if credibility:
            credibility = _CREDIBILITY[credibility]
        reliability = (get("reliability") or "").strip().upper()
        if reliability and reliability not in _RELIABILITY:
            return None
        key = (get("key") or "").strip() or None
        if key is not None and (not _KEY(key) or key.isdigit()):
            return None
        observed = (get("observed") or "").strip() or None
        if observed is not None:
            observed = _cached("d", observed, values.full_date)
        tags_text = get("tags")
        tags = (
            _cached(
                "t",
                tags_text,
                lambda t: sorted({values.tag(x) for x in split_list(t) if x.strip()}),
            )
            if tags_text
            else []
        )
        via = _clean_text(get("via"))
        if via is not None and ";" in via:
            return None  # a via chain: the full check splits and checks it
        notes = _clean_text(get("notes"))
        evidence = EvidenceRow(
            key,
            claim_key,
            claim_text,
            source_key,
            source_name,
            stance,
            credibility or None,
            _clean_text(get("quote")),
            _clean_text(get("url")),
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
    except (ValueError, KeyError, InvalidValue):
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
