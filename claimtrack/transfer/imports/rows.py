"""The one validator every input format feeds: raw fields in, normalised records out.

A record is checked field by field with the parser its definition names for each field
(records.py, CHECKS), the one the services use, so a grade, a stance or a date means the same
here as on the command line and in the Python API. Every bad field becomes a Problem that names
where it is (FILE:LINE), the field, the value and what was expected; all of a row's problems
are collected before the row is refused, so one run reports everything wrong with it.

JSON records are read here; the CSV sheet's rows in sheet_rows.py, with the same checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from ...errors import InvalidValue
from ...records import (
    AliasRecord,
    ClaimRecord,
    EvidenceRecord,
    LinkRecord,
    SourceRecord,
    VerdictRecord,
)
from ..problems import MISSING, BadRow, Problem, Where
from ..sheet import split_list

MAX_TEXT = 1_000_000  # characters in one field; larger cells are refused, not truncated

# Each record type a file may give, and its definition (records.py): its fields are those its
# CHECKS names, in that order. An alias is a former key (renamed or merged away) that still
# resolves to `key`.
RECORDS = {
    "source": SourceRecord,
    "claim": ClaimRecord,
    "evidence": EvidenceRecord,
    "link": LinkRecord,
    "verdict": VerdictRecord,
    "alias": AliasRecord,
}
RECORD_FIELDS = {kind: tuple(record.CHECKS) for kind, record in RECORDS.items()}
RECORD_TYPES = tuple(RECORD_FIELDS)
# Each record's field checks (records.py), by field name.
SOURCE, CLAIM, EVIDENCE = SourceRecord.CHECKS, ClaimRecord.CHECKS, EvidenceRecord.CHECKS
LINK, VERDICT, ALIAS = LinkRecord.CHECKS, VerdictRecord.CHECKS, AliasRecord.CHECKS


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
    digest: int = 0  # of the sheet cells it was made from (staging.Taken); 0: none


@dataclass(slots=True)
class ClaimIntent:
    """A claim as a file describes it: matched on key, else on text. `add_tags` (sheets)
    adds the row's tags to the claim's; otherwise the tags given replace them."""

    where: Where
    key: str | None
    text: str
    fields: dict[str, Any]
    add_tags: bool = False
    digest: int = 0  # of the sheet cells it was made from (staging.Taken); 0: none


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

    def text(
        self, parse: Callable[..., Any], value: Any, field_name: str, *, required: bool = False
    ) -> Any:
        """A field given as text, through its record's parser; blank, when not required, is
        not given."""
        if self._absent(value, field_name, required, "a non-empty text", "a text"):
            return None
        if not required and not value.strip():
            return None
        return self.check(parse, value, field_name)

    def key(
        self, parse: Callable[..., Any], value: Any, field_name: str, *, required: bool = False
    ) -> str | None:
        if self._absent(value, field_name, required, "a key", "a key"):
            return None
        return self.check(parse, value, field_name)

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

    def tags(self, value: Any, field_name: str = "tags") -> list[str] | None:
        if value is None or value == "":
            return []
        items = split_list(value) if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self.add(field_name, value, "a list of tags (or tags separated by ;)")
            return None
        names = [self.check(CLAIM["tags"], item, field_name) for item in items if item.strip()]
        return sorted({name for name in names if name})

    def event_date(self, value: Any, field_name: str) -> str | None:
        if value is not None and not isinstance(value, str):
            value = str(value)
        parsed = self.check(CLAIM["event_date"], value, field_name)
        return parsed[0] if parsed else None

    def stance(self, value: Any, field_name: str, stance_map: Mapping[str, str]) -> str:
        if value is None or value == "":
            self.add(field_name, MISSING, "one of supports, contradicts, neutral")
            return ""
        if isinstance(value, str) and stance_map:
            value = stance_map.get(value.strip().lower(), value)
        return self.check(EVIDENCE["stance"], value, field_name) or ""

    def credibility(self, value: Any, field_name: str) -> int | None:
        if value is None or value == "":
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return self.check(EVIDENCE["credibility"], value, field_name)


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
    key = check.key(SOURCE["key"], obj.get("key"), "key")
    name = check.text(SOURCE["name"], obj.get("name"), "name", required=True)
    fields: dict[str, Any] = {"name": name}
    if "kind" in obj:
        fields["kind"] = check.text(SOURCE["kind"], obj["kind"], "kind") or "unknown"
    if "reliability" in obj:
        fields["reliability"] = (
            check.check(SOURCE["reliability"], obj["reliability"], "reliability")
            if obj["reliability"] is not None
            else "F"
        )
    if "derived_from" in obj:
        fields["derived_from"] = check.key(
            SOURCE["derived_from"], obj["derived_from"], "derived_from"
        )
    for name_ in ("url", "notes"):
        if name_ in obj:
            fields[name_] = check.text(SOURCE[name_], obj[name_], name_)
    return SourceIntent(check.where, key, name or "", fields)


def _json_claim(check: Checker, obj: dict) -> ClaimIntent:
    key = check.key(CLAIM["key"], obj.get("key"), "key")
    text = check.text(CLAIM["text"], obj.get("text"), "text", required=True)
    fields: dict[str, Any] = {"text": text}
    if "tags" in obj:
        fields["tags"] = check.tags(obj["tags"])
    if "event_date" in obj:
        fields["event_date"] = check.event_date(obj["event_date"], "event_date")
    for name in ("place", "notes"):
        if name in obj:
            fields[name] = check.text(CLAIM[name], obj[name], name)
    return ClaimIntent(check.where, key, text or "", fields)


def _json_evidence(check: Checker, obj: dict) -> EvidenceRow:
    given = 0
    for name, bit in GIVEN_BITS.items():
        if name in obj:
            given |= bit
    source = check.key(EVIDENCE["source"], obj.get("source"), "source", required=True)
    chain = _json_via(check, obj.get("via"))
    return EvidenceRow(
        check.key(EVIDENCE["key"], obj.get("key"), "key"),
        check.key(EVIDENCE["claim"], obj.get("claim"), "claim", required=True),
        None,
        source,
        None,
        check.stance(obj.get("stance"), "stance", {}),
        check.credibility(obj.get("credibility"), "credibility"),
        check.text(EVIDENCE["quote"], obj.get("quote"), "quote"),
        check.text(EVIDENCE["url"], obj.get("url"), "url"),
        chain[0] if chain else None,
        None,
        check.check(EVIDENCE["observed"], obj.get("observed"), "observed"),
        check.text(EVIDENCE["notes"], obj.get("notes"), "notes"),
        check.text(EVIDENCE["removed_reason"], obj.get("removed_reason"), "removed_reason"),
        given,
        tuple(chain[1:]),
    )


def _json_via(check: Checker, value: Any) -> list[str]:
    """A record's via: one key, or the chain of keys in order (["ryg", "dnk"])."""
    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str):
        key = check.key(EVIDENCE["via"], value, "via")
        return [key] if key else []
    if not isinstance(value, list) or not all(isinstance(hop, str) for hop in value):
        check.add("via", value, 'a source key, or a list of them in order (["ryg", "dnk"])')
        return []
    chain = [check.key(EVIDENCE["via"], hop, "via") for hop in value]
    return [hop for hop in chain if hop]


def _json_link(check: Checker, obj: dict) -> LinkRecord:
    claim = check.key(LINK["claim"], obj.get("claim"), "claim", required=True)
    other = check.key(LINK["other"], obj.get("other"), "other", required=True)
    relation = check.check(LINK["relation"], obj.get("relation"), "relation")
    if claim and claim == other:
        check.add("other", other, "a different claim than `claim`")
    return LinkRecord(claim, other, relation)


def _json_verdict(check: Checker, obj: dict) -> VerdictRow:
    claim = check.key(VERDICT["claim"], obj.get("claim"), "claim", required=True)
    verdict = check.check(VERDICT["verdict"], obj.get("verdict"), "verdict")
    reason = check.text(VERDICT["reason"], obj.get("reason"), "reason")
    if verdict and not reason:
        check.add("reason", MISSING, "a reason for the verdict")
    confidence = None
    if obj.get("confidence") is not None:
        confidence = check.check(VERDICT["confidence"], obj["confidence"], "confidence")
    return VerdictRow(claim, verdict, reason, confidence, "confidence" in obj, None, False)


def _json_alias(check: Checker, obj: dict) -> AliasRecord:
    entity = obj.get("entity")
    check.check(ALIAS["entity"], entity if entity is not None else MISSING, "entity")
    alias = check.key(ALIAS["alias"], obj.get("alias"), "alias", required=True)
    key = check.key(ALIAS["key"], obj.get("key"), "key", required=True)
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
