"""Export: the database (or the claims a filter selects) as typed JSONL/JSON records, as the
CSV evidence sheet, or as schema.org ClaimReview JSON-LD. Formats are a registry keyed by
name; each writes to a text stream and reads the database in a fixed number of queries.

JSONL is the lossless format: export, import into an empty database, export again gives the
same records; an export of the whole database ends with every row and the full history (hash
chain included), which an import into an empty database restores with the same ids, times and
chain head (claimtrack.transfer.restore). The CSV sheet holds one row per current evidence
item (claims without evidence, links and verdicts are not in it).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, TextIO

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from ..errors import InvalidValue
from ..models import (
    Claim,
    ClaimLink,
    ClaimTag,
    Evidence,
    EvidenceRelay,
    HistoryEvent,
    KeyAlias,
    Source,
    Tag,
)
from ..output.csv import csv_cell
from ..records import AliasRecord, ClaimRecord, EvidenceRecord, LinkRecord, SourceRecord
from ..services.assessments import assess_claims, relay_keys, reported_by_clause
from ..services.claim_filter import ClaimFilter
from ..terminal import json_safe
from .restore import restore_section
from .sheet import SHEET_FIELDS, escape_list_item


@dataclass
class ExportOptions:
    review_url: str | None = None  # claimreview: where the fact checks are published
    author: str | None = None  # claimreview: who publishes them
    reported_by: str | None = None  # YYYY-MM-DD: only evidence reported by then
    # jsonl of the whole database: end with every row and the history (transfer.restore)
    history: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def selected_claim_ids(session: Session, flt: ClaimFilter) -> list[int] | None:
    """The claims a filter selects (None: every claim), in a fixed number of queries."""
    if not (flt.selects_ids or flt.statuses):
        return None
    query = flt.claim_ids(session)
    if query is None:
        query = select(Claim.id)
    ids = list(session.scalars(query.order_by(Claim.id)))
    if flt.statuses:
        assessments = assess_claims(session, ids)
        ids = [i for i in ids if flt.keeps(assessments[i].status)]
    return ids


def _in(column, ids: list[int] | None):
    return True if ids is None else column.in_(ids)


def records(
    session: Session, flt: ClaimFilter | None = None, *, reported_by: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every record as `import` reads it: sources, claims, evidence, links, verdicts; with
    `reported_by` (YYYY-MM-DD), only the evidence reported by then."""
    ids = selected_claim_ids(session, flt or ClaimFilter())
    parent, origin = aliased(Source), aliased(Source)
    source_query = (
        select(
            Source.key,
            Source.name,
            Source.kind,
            Source.reliability,
            parent.key,
            func.coalesce(origin.key, Source.key),
            Source.url,
            Source.notes,
        )
        .outerjoin(parent, parent.id == Source.derived_from_id)
        .outerjoin(origin, origin.id == Source.origin_id)
        .where(Source.removed_at.is_(None))
        .order_by(Source.key)
    )
    if ids is not None:
        used = (
            select(Evidence.source_id)
            .where(Evidence.claim_id.in_(ids))
            .union(
                select(Evidence.via_id).where(
                    Evidence.claim_id.in_(ids), Evidence.via_id.is_not(None)
                ),
                select(EvidenceRelay.source_id)
                .join(Evidence, Evidence.id == EvidenceRelay.evidence_id)
                .where(Evidence.claim_id.in_(ids)),
            )
        )
        wanted = set(session.scalars(used))
        chain = dict(session.execute(select(Source.id, Source.derived_from_id)).all())
        for start in list(wanted):
            node = chain.get(start)
            while node is not None and node not in wanted:
                wanted.add(node)
                node = chain.get(node)
        source_query = source_query.where(Source.id.in_(sorted(wanted)))
    exported_sources: set[str] = set()
    for row in session.execute(source_query):
        record = SourceRecord(*row)
        exported_sources.add(record.key)
        yield record.export_json()

    tags = _claim_tags(session, ids)
    claims = session.execute(
        select(
            Claim.id,
            Claim.key,
            Claim.text,
            Claim.event_date,
            Claim.place,
            Claim.notes,
            Claim.verdict,
            Claim.verdict_reason,
            Claim.confidence,
        )
        .where(_in(Claim.id, ids), Claim.removed_at.is_(None))
        .order_by(Claim.key)
    ).all()
    claim_records = [
        ClaimRecord(
            claim.key,
            claim.text,
            claim.event_date,
            claim.place,
            claim.notes,
            tags.get(claim.id, []),
            claim.verdict,
            claim.verdict_reason,
            claim.confidence,
        )
        for claim in claims
    ]
    for record in claim_records:
        yield record.export_json()

    relays = relay_keys(session, ids)
    for row in _evidence_rows(session, ids, include_removed=True, reported_by=reported_by):
        yield EvidenceRecord(
            row.id,
            row.key,
            row.claim_key,
            row.source_key,
            row.stance,
            row.credibility,
            row.quote,
            row.locator,
            [row.via_key, *relays.get(row.id, ())] if row.via_key else [],
            row.observed,
            row.notes,
            row.removed_reason if row.removed_at else None,
        ).export_json()

    first, second = aliased(Claim), aliased(Claim)
    link_query = (
        select(first.key, second.key, ClaimLink.relation)
        .join(first, first.id == ClaimLink.claim_id)
        .join(second, second.id == ClaimLink.other_id)
        .order_by(first.key, second.key)
    )
    if ids is not None:
        link_query = link_query.where(ClaimLink.claim_id.in_(ids), ClaimLink.other_id.in_(ids))
    for claim_key, other_key, relation in session.execute(link_query):
        yield LinkRecord(claim_key, other_key, relation).export_json()

    for record in claim_records:
        verdict = record.verdict_record()
        if verdict is not None:
            yield verdict.export_json()

    # Former keys (merged away or renamed) of the exported claims and sources, so that old
    # keys keep resolving in the database this export is imported into.
    claim_keys = {claim.id: claim.key for claim in claims}
    source_keys = dict(session.execute(select(Source.id, Source.key)).all())
    for entity, alias, target_id in session.execute(
        select(KeyAlias.entity, KeyAlias.alias, KeyAlias.target_id).order_by(
            KeyAlias.entity, KeyAlias.alias
        )
    ):
        key = (claim_keys if entity == "claim" else source_keys).get(target_id)
        if key is not None and (entity == "claim" or ids is None or key in exported_sources):
            yield AliasRecord(entity, alias, key).export_json()


def _claim_tags(session: Session, ids: list[int] | None) -> dict[int, list[str]]:
    """Each claim's tags in name order (the selected claims', or every claim's)."""
    tags: dict[int, list[str]] = {}
    for claim_id, name in session.execute(
        select(ClaimTag.claim_id, Tag.name)
        .join(Tag)
        .where(_in(ClaimTag.claim_id, ids))
        .order_by(Tag.name)
    ):
        tags.setdefault(claim_id, []).append(name)
    return tags


def _evidence_rows(
    session: Session,
    ids: list[int] | None,
    *,
    include_removed: bool,
    reported_by: str | None = None,
):
    source, via = aliased(Source), aliased(Source)
    query = (
        select(
            Evidence.id,
            Evidence.key,
            Claim.key.label("claim_key"),
            Claim.text.label("claim_text"),
            Claim.id.label("claim_id"),
            source.key.label("source_key"),
            source.name.label("source_name"),
            source.reliability,
            Evidence.stance,
            Evidence.credibility,
            Evidence.quote,
            Evidence.locator,
            via.key.label("via_key"),
            Evidence.observed,
            Evidence.notes,
            Evidence.removed_at,
            Evidence.removed_reason,
            Claim.verdict,
            Claim.verdict_reason,
        )
        .join(Claim, Claim.id == Evidence.claim_id)
        .join(source, source.id == Evidence.source_id)
        .outerjoin(via, via.id == Evidence.via_id)
        # A removed claim or source is left out, with every item that names it (all removed
        # with it): its full record stays in history (`claimtrack history KEY --json`).
        .where(
            _in(Evidence.claim_id, ids),
            Claim.removed_at.is_(None),
            source.removed_at.is_(None),
            or_(via.id.is_(None), via.removed_at.is_(None)),
        )
        .order_by(Claim.key, Evidence.id)
    )
    if not include_removed:
        query = query.where(Evidence.removed_at.is_(None))
    if reported_by is not None:
        query = query.where(reported_by_clause(reported_by))
    return session.execute(query.execution_options(yield_per=2000))


# --- formats ---------------------------------------------------------------------------


def _dumps(record: dict[str, Any]) -> str:
    # Characters some readers treat as line breaks (U+0085, U+2028, U+2029 for Python's
    # str.splitlines and JavaScript before ES2019), and every other control character, are
    # written as \uXXXX: one record stays on one line for every JSONL reader, and printing
    # the export cannot act on a terminal (claimtrack.terminal).
    return json_safe(json.dumps(record, ensure_ascii=False))


def write_jsonl(session: Session, out: TextIO, flt: ClaimFilter, options: ExportOptions) -> int:
    """The records (their number is returned); for the whole database (no filter, no
    --reported-by), then its restore section: every row with its id and the history with its
    hash chain, which an import into an empty database restores exactly
    (claimtrack.transfer.restore)."""
    count = 0
    for record in records(session, flt, reported_by=options.reported_by):
        out.write(_dumps(record) + "\n")
        count += 1
    whole = not (flt.selects_ids or flt.statuses) and options.reported_by is None
    if options.history and whole:
        for record in restore_section(session):  # not counted: the records are
            out.write(_dumps(record) + "\n")
    return count


def write_json(session: Session, out: TextIO, flt: ClaimFilter, options: ExportOptions) -> int:
    count = 0
    out.write("[")
    for record in records(session, flt, reported_by=options.reported_by):
        out.write(("," if count else "") + "\n  " + _dumps(record))
        count += 1
    out.write("\n]\n")
    return count


def write_csv(session: Session, out: TextIO, flt: ClaimFilter, options: ExportOptions) -> int:
    ids = selected_claim_ids(session, flt)
    tags = {
        claim_id: ";".join(escape_list_item(name) for name in names)
        for claim_id, names in _claim_tags(session, ids).items()
    }
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(SHEET_FIELDS)  # exactly the columns the import reads
    count = 0
    relays = relay_keys(session, ids)
    for row in _evidence_rows(session, ids, include_removed=False, reported_by=options.reported_by):
        via = ";".join([row.via_key, *relays.get(row.id, ())]) if row.via_key else None
        cells = (
            row.claim_key,
            row.claim_text,
            row.source_key,
            row.source_name,
            row.stance,
            row.credibility,
            row.reliability,
            row.quote,
            row.locator,
            via,
            row.observed,
            tags.get(row.claim_id),
            row.key,
            row.notes,
            row.verdict,
            row.verdict_reason if row.verdict else None,
        )
        writer.writerow([csv_cell(cell) for cell in cells])
        count += 1
    return count


PERSON_KINDS = {"person", "informant", "official", "individual", "journalist", "witness"}
RATINGS = {"confirmed": (5, "Confirmed"), "debunked": (1, "Debunked")}


def claim_reviews(session: Session, flt: ClaimFilter, options: ExportOptions) -> list[dict]:
    """schema.org ClaimReview for each selected claim with a verdict."""
    base = (options.review_url or "").strip()
    if not base.startswith(("http://", "https://")):
        raise InvalidValue(
            "review_url",
            options.review_url or "",
            "the http(s) address where your fact checks are published, e.g. "
            "https://example.org/checks/ (each claim's key is appended); Google requires it",
        )
    ids = selected_claim_ids(session, flt)
    claims = session.execute(
        select(
            Claim.id,
            Claim.key,
            Claim.text,
            Claim.event_date,
            Claim.verdict,
            Claim.verdict_reason,
            Claim.updated_at,
        )
        .where(Claim.verdict.is_not(None), _in(Claim.id, ids), Claim.removed_at.is_(None))
        .order_by(Claim.key)
    ).all()
    chosen = [c.id for c in claims]
    decided = (
        dict(
            session.execute(
                select(HistoryEvent.claim_id, func.max(HistoryEvent.at))
                .where(HistoryEvent.action == "claim.verdict", HistoryEvent.claim_id.in_(chosen))
                .group_by(HistoryEvent.claim_id)
            ).all()
        )
        if chosen
        else {}
    )
    first_author: dict[int, tuple[str, str]] = {}
    appearances: dict[int, list[str]] = {}
    if chosen:
        for claim_id, name, kind, locator, stance in session.execute(
            select(Evidence.claim_id, Source.name, Source.kind, Evidence.locator, Evidence.stance)
            .join(Source, Source.id == Evidence.source_id)
            .where(Evidence.claim_id.in_(chosen), Evidence.removed_at.is_(None))
            .order_by(Evidence.claim_id, Evidence.id)
        ):
            if stance == "supports":
                first_author.setdefault(claim_id, (name, kind))
            if locator and locator.startswith(("http://", "https://")):
                urls = appearances.setdefault(claim_id, [])
                if locator not in urls:
                    urls.append(locator)
    author = options.author or "claimtrack"
    reviews = []
    for claim in claims:
        value, word = RATINGS[claim.verdict]
        when = decided.get(claim.id) or claim.updated_at
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        item: dict[str, Any] = {"@type": "Claim"}
        if claim.id in first_author:
            name, kind = first_author[claim.id]
            item["author"] = {
                "@type": "Person" if kind in PERSON_KINDS else "Organization",
                "name": name,
            }
        if claim.event_date:
            item["datePublished"] = claim.event_date
        if claim.id in appearances:
            item["appearance"] = [
                {"@type": "CreativeWork", "url": url} for url in appearances[claim.id]
            ]
        review = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": base + claim.key,
            "claimReviewed": claim.text,
            "datePublished": when.astimezone(UTC).date().isoformat(),
            "author": {"@type": "Organization", "name": author},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": value,
                "bestRating": 5,
                "worstRating": 1,
                "alternateName": word,
            },
            "itemReviewed": item,
        }
        if claim.verdict_reason:
            review["reviewBody"] = claim.verdict_reason
        reviews.append(review)
    return reviews


def claimreview_problems(review: dict[str, Any]) -> list[str]:
    """What Google's fact-check markup requires and this review lacks ([] when valid):
    ClaimReview needs claimReviewed, reviewRating (with alternateName) and url."""
    problems = []
    if not isinstance(review.get("claimReviewed"), str) or not review["claimReviewed"].strip():
        problems.append("claimReviewed is missing")
    url = review.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        problems.append("url is not an http(s) address")
    rating = review.get("reviewRating")
    if not isinstance(rating, dict) or rating.get("@type") != "Rating":
        problems.append("reviewRating is not a Rating")
    elif not str(rating.get("alternateName") or "").strip():
        problems.append("reviewRating.alternateName is missing")
    else:
        value, best, worst = (rating.get(k) for k in ("ratingValue", "bestRating", "worstRating"))
        if value is not None and not (worst <= value <= best):
            problems.append("reviewRating.ratingValue is outside worstRating..bestRating")
    item = review.get("itemReviewed")
    if item is not None and (not isinstance(item, dict) or item.get("@type") != "Claim"):
        problems.append("itemReviewed is not a Claim")
    if review.get("@type") != "ClaimReview" or review.get("@context") != "https://schema.org":
        problems.append("@context/@type are not schema.org ClaimReview")
    return problems


def write_claimreview(
    session: Session, out: TextIO, flt: ClaimFilter, options: ExportOptions
) -> int:
    reviews = claim_reviews(session, flt, options)
    for review in reviews:
        problems = claimreview_problems(review)
        if problems:  # pragma: no cover - the builder above always satisfies them
            raise InvalidValue("claimreview", review.get("url"), "; ".join(problems))
    out.write(json_safe(json.dumps(reviews, ensure_ascii=False, indent=2)) + "\n")
    return len(reviews)


Writer = Callable[[Session, TextIO, ClaimFilter, ExportOptions], int]
EXPORTERS: dict[str, Writer] = {
    "jsonl": write_jsonl,
    "json": write_json,
    "csv": write_csv,
    "claimreview": write_claimreview,
}
