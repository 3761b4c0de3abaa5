"""One definition of each record: its fields, the check of each field a user gives, and its
JSON shape in history and in an export.

History stores a created or removed record whole (`history_json`), an edit as the changed
fields before and after, under the same field names; `--as-of` (services/as_of.py) replays
those names. An export writes `export_json`, the shape `import` reads back. The services build
records from ORM rows (`of`), the bulk importer from the values it writes, the exporter from
the rows it reads, so the shapes cannot drift apart.

Each record's CHECKS names the parser (claimtrack.values) of each field a user can give, by its
name in the record's export JSON (what `import` reads): the services (so the command line and
the Python API) and the importer (JSON records and sheet rows) check a field through `checked`
or CHECKS, so a bad value is refused the same way, naming the same field, whichever way it
came in. A field that names another record (a source's `derived_from`, an evidence item's
`claim`) is checked as a key; the services then look it up.

NamedTuples: the importer builds one per row (50,000 in a quick benchmark import), and a
tuple is the cheapest object that still has names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from . import values

if TYPE_CHECKING:
    from .models import Claim, Evidence, Source


def changed_fields(
    current: dict[str, Any], requested: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(before, after) for the fields whose requested value differs from the current one."""
    before, after = {}, {}
    for name, value in requested.items():
        if current.get(name) != value:
            before[name] = current.get(name)
            after[name] = value
    return before, after


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """An export record without its empty fields (None, [])."""
    return {k: v for k, v in record.items() if v is not None and v != []}


def checked(record: Any, name: str, value: Any, *, field: str | None = None) -> Any:
    """`value` for the record's field `name`, through the parser the record declares for it
    (CHECKS); a bad value raises InvalidValue naming `field` (default: `name`)."""
    return record.CHECKS[name](value, field=field or name)


class SourceRecord(NamedTuple):
    """A source, references by key; `origin` is where its derived-from chain starts (itself
    when it derives from nothing)."""

    key: str
    name: str
    kind: str
    reliability: str
    derived_from: str | None
    origin: str
    url: str | None
    notes: str | None

    CHECKS = {  # not annotated: a class attribute, not a field
        "key": values.key,
        "name": values.required_text,
        "kind": values.kind,
        "reliability": values.reliability,
        "derived_from": values.key,
        "url": values.optional_text,
        "notes": values.optional_text,
    }

    @classmethod
    def of(cls, source: Source) -> SourceRecord:
        return cls(
            source.key,
            source.name,
            source.kind,
            source.reliability,
            source.derived_from.key if source.derived_from else None,
            source.origin.key if source.origin else source.key,
            source.url,
            source.notes,
        )

    def history_json(self) -> dict[str, Any]:
        return self._asdict()

    def export_json(self) -> dict[str, Any]:
        """The origin is left out: import works it out from `derived_from`."""
        return clean(
            {
                "type": "source",
                "key": self.key,
                "name": self.name,
                "kind": self.kind,
                "reliability": self.reliability,
                "derived_from": self.derived_from,
                "url": self.url,
                "notes": self.notes,
            }
        )


class ClaimRecord(NamedTuple):
    """A claim's own fields; its verdict travels in an export as a VerdictRecord."""

    key: str
    text: str
    event_date: str | None
    place: str | None
    notes: str | None
    tags: list[str]
    verdict: str | None = None
    verdict_reason: str | None = None
    confidence: str | None = None

    CHECKS = {  # the verdict's fields: VerdictRecord.CHECKS
        "key": values.key,
        "text": values.required_text,
        "tags": values.tag,  # each tag
        "event_date": values.partial_date,
        "place": values.optional_text,
        "notes": values.optional_text,
    }

    @classmethod
    def of(cls, claim: Claim) -> ClaimRecord:
        return cls(
            claim.key,
            claim.text,
            claim.event_date,
            claim.place,
            claim.notes,
            [tag.name for tag in claim.tags],
            claim.verdict,
            claim.verdict_reason,
            claim.confidence,
        )

    def history_json(self) -> dict[str, Any]:
        record = self._asdict()
        record["tags"] = list(self.tags)
        return record

    def export_json(self) -> dict[str, Any]:
        return clean(
            {
                "type": "claim",
                "key": self.key,
                "text": self.text,
                "tags": list(self.tags),
                "event_date": self.event_date,
                "place": self.place,
                "notes": self.notes,
            }
        )

    def verdict_record(self) -> VerdictRecord | None:
        if not (self.verdict or self.confidence):
            return None
        return VerdictRecord(self.key, self.verdict, self.verdict_reason, self.confidence)


class EvidenceRecord(NamedTuple):
    """An evidence item, references by key. `via_chain` is who passed it on, in order, from
    the one who heard it from the source; history also stores its first hop as `via`, which
    is all that events recorded before chains have."""

    id: int
    key: str | None
    claim: str
    source: str
    stance: str
    credibility: int
    quote: str | None
    url: str | None
    via_chain: tuple[str, ...] | list[str]
    observed: str | None
    notes: str | None
    removed_reason: str | None = None

    CHECKS = {
        "key": values.evidence_key,
        "claim": values.key,
        "source": values.key,
        "stance": values.stance,
        "credibility": values.credibility,
        "quote": values.optional_text,
        "url": values.optional_text,
        "via": values.key,  # each hop of the chain
        "observed": values.full_date,
        "notes": values.optional_text,
        "removed_reason": values.optional_text,
    }

    @classmethod
    def of(cls, item: Evidence) -> EvidenceRecord:
        chain = [item.via.key, *(relay.source.key for relay in item.relays)] if item.via else []
        return cls(
            item.id,
            item.key,
            item.claim.key,
            item.source.key,
            item.stance,
            item.credibility,
            item.quote,
            item.locator,
            chain,
            item.observed,
            item.notes,
            item.removed_reason if item.removed_at else None,
        )

    @property
    def via(self) -> str | None:
        return self.via_chain[0] if self.via_chain else None

    def history_json(self) -> dict[str, Any]:
        # Unpacked, not read by name: an import encodes one per row.
        evidence_id, key, claim, source, stance, credibility, quote, url, chain, *rest = self
        return {
            "id": evidence_id,
            "key": key,
            "claim": claim,
            "source": source,
            "stance": stance,
            "credibility": credibility,
            "quote": quote,
            "url": url,
            "via": chain[0] if chain else None,
            "via_chain": list(chain),
            "observed": rest[0],
            "notes": rest[1],
        }

    def export_json(self) -> dict[str, Any]:
        chain = list(self.via_chain)
        return clean(
            {
                "type": "evidence",
                "key": self.key,
                "claim": self.claim,
                "source": self.source,
                "stance": self.stance,
                "credibility": self.credibility,
                "quote": self.quote,
                "url": self.url,
                # One hop is a key, as always; a longer chain is a list of keys, in order.
                "via": chain[0] if len(chain) == 1 else chain,
                "observed": self.observed,
                "notes": self.notes,
                "removed_reason": self.removed_reason,
            }
        )


# The evidence fields an edit can change that `--as-of` sets back as they are (the source and
# the via chain are keys, mapped back to ids).
EVIDENCE_VALUE_FIELDS = ("stance", "credibility", "quote", "url", "observed")


class LinkRecord(NamedTuple):
    """`claim` supports or contradicts `other` (claim keys)."""

    claim: str
    other: str
    relation: str

    CHECKS = {"claim": values.key, "other": values.key, "relation": values.relation}

    def history_json(self) -> dict[str, Any]:
        return self._asdict()

    def export_json(self) -> dict[str, Any]:
        return {"type": "link", **self._asdict()}


class VerdictRecord(NamedTuple):
    """A claim's verdict as an export carries it (history records it as the claim's
    verdict, verdict_reason and confidence fields)."""

    claim: str
    verdict: str | None
    reason: str | None
    confidence: str | None

    # A reason is optional to the record (clearing a verdict needs none in an import);
    # `claim verdict` asks for one.
    CHECKS = {
        "claim": values.key,
        "verdict": values.verdict,
        "reason": values.optional_text,
        "confidence": values.confidence,
    }

    def export_json(self) -> dict[str, Any]:
        return clean({"type": "verdict", **self._asdict()})


class AliasRecord(NamedTuple):
    """A former key of a claim or source (merged away or renamed) and the key it names now."""

    entity: str
    alias: str
    key: str

    CHECKS = {"entity": values.entity, "alias": values.key, "key": values.key}

    def history_json(self) -> dict[str, Any]:
        return {"alias": self.alias, "key": self.key}

    def export_json(self) -> dict[str, Any]:
        return {"type": "alias", **self._asdict()}
