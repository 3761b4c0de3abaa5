"""Claims: adding, editing, verdicts, tags, links, and their views with derived status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, aliased

from .. import values
from ..errors import Conflict, InvalidValue, NextStep, NotFound
from ..models import Claim, ClaimLink, Tag
from ..records import ClaimRecord, LinkRecord, VerdictRecord, changed_fields, checked
from ..settings import Settings, load_settings
from ..status import Assessment, EvidenceItem, Standing, assess
from .assessments import ClaimStanding, assess_claims, claim_standings
from .claim_filter import ClaimFilter
from .common import (
    UNSET,
    Edit,
    ensure_key_free,
    free_new_key,
    get_claim,
    keep_former_key,
    new_key,
    record,
)
from .score_model import ModelInUse, model_in_use

if TYPE_CHECKING:
    from .as_of import ClaimState


def judgement_fields(standing: Standing, model: str) -> dict[str, Any]:
    """Beside score and likelihood: the analytic confidence with its 80% interval, whether all
    support comes through one channel, and the model that produced the score."""
    return {
        "assessed_confidence": standing.assessed_confidence,
        "score_interval": list(standing.interval),
        "single_channel": standing.single_channel,
        "model": model,
    }


def claim_view(claim: Claim, assessment: Assessment) -> dict[str, Any]:
    """Claim JSON as `claim list --json` prints it (add fields, never remove: scripts read it)."""
    return listed_claim(
        claim,
        [tag.name for tag in claim.tags],
        assessment.standing,
        len(assessment.support_channels),
        assessment.model,
    )


def listed_claim(
    claim: Claim | ClaimState, tags: list[str], standing: Standing, channels: int, model: str
) -> dict[str, Any]:
    """claim_view from a claim (or its columns read as plain rows, as_of.ClaimState), its tag
    names and its standing: `channels` of support, scored with `model`."""
    return {
        "key": claim.key,
        "text": claim.text,
        "status": standing.status,
        "verdict": claim.verdict,
        "verdict_reason": claim.verdict_reason,
        "confidence": claim.confidence,
        "score": standing.score,
        "likelihood": standing.likelihood,
        **judgement_fields(standing, model),
        "support_origins": standing.support_origins,
        "contradict_origins": standing.contradict_origins,
        "support_channels": channels,
        "tags": tags,
        "event_date": claim.event_date,
        "event_date_precision": claim.event_date_precision,
        "place": claim.place,
        "notes": claim.notes,
        "created_at": claim.created_at.isoformat(),
        "updated_at": claim.updated_at.isoformat(),
    }


def tag_rows(session: Session, names: Sequence[str]) -> list[Tag]:
    wanted = sorted({checked(ClaimRecord, "tags", name, field="tag") for name in names})
    if not wanted:
        return []
    existing = {tag.name: tag for tag in session.scalars(select(Tag).where(Tag.name.in_(wanted)))}
    for name in wanted:
        if name not in existing:
            existing[name] = Tag(name=name)
            session.add(existing[name])
    return [existing[name] for name in wanted]


def add_claim(
    session: Session,
    *,
    text: str,
    key: str | None = None,
    tags: Sequence[str] = (),
    event_date: str | None = None,
    place: str | None = None,
    notes: str | None = None,
    source: str | None = None,
) -> Claim:
    """Add a claim; `source` records that source as its first supporting evidence."""
    text = checked(ClaimRecord, "text", text)
    if key is not None:
        key = checked(ClaimRecord, "key", key)
        ensure_key_free(session, Claim, "claim", key)
    else:
        key = new_key(session, Claim, " ".join(text.split()[:6]), "claim")
    parsed_date = checked(ClaimRecord, "event_date", event_date)
    claim = Claim(
        key=key,
        text=text,
        event_date=parsed_date[0] if parsed_date else None,
        event_date_precision=parsed_date[1] if parsed_date else None,
        place=checked(ClaimRecord, "place", place),
        notes=checked(ClaimRecord, "notes", notes),
    )
    claim.tags = tag_rows(session, tags)
    session.add(claim)
    session.flush()
    record(session, "claim.add", claim, after=ClaimRecord.of(claim).history_json())
    if source:
        # Imported where used, as in show_claim: claim list and report, which load this
        # module, would pay 2-5 ms of start-up for evidence and status_changes.
        from .evidence import add_evidence

        add_evidence(session, claim=claim.key, source=source, stance="supports")
    return claim


def edit_claim(
    session: Session,
    key: str,
    *,
    text: str | None = None,
    event_date: str | None = UNSET,
    place: str | None = UNSET,
    notes: str | None = UNSET,
    confidence: str | None = UNSET,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    new_key: str | None = None,
    reason: str | None = None,
) -> Edit:
    claim = get_claim(session, key)
    current = ClaimRecord.of(claim).history_json()
    requested: dict[str, Any] = {}
    if text is not None:
        requested["text"] = checked(ClaimRecord, "text", text)
    if event_date is not UNSET:
        parsed = checked(ClaimRecord, "event_date", event_date)
        requested["event_date"] = parsed[0] if parsed else None
    if place is not UNSET:
        requested["place"] = checked(ClaimRecord, "place", place)
    if notes is not UNSET:
        requested["notes"] = checked(ClaimRecord, "notes", notes)
    if confidence is not UNSET:
        requested["confidence"] = checked(VerdictRecord, "confidence", confidence)
    if new_key is not None:
        requested["key"] = free_new_key(session, claim, "claim", new_key)
    if add_tags or remove_tags:
        removing = {checked(ClaimRecord, "tags", name, field="tag") for name in remove_tags}
        names = (
            set(current["tags"]) | {checked(ClaimRecord, "tags", n, field="tag") for n in add_tags}
        ) - removing
        requested["tags"] = sorted(names)
    before, after = changed_fields(current, requested)
    if not after:
        return Edit(claim, {}, {}, [])
    for field_name in ("text", "place", "notes", "confidence", "key"):
        if field_name in after:
            setattr(claim, field_name, after[field_name])
    if "event_date" in after:
        parsed = checked(ClaimRecord, "event_date", after["event_date"])
        claim.event_date = parsed[0] if parsed else None
        claim.event_date_precision = parsed[1] if parsed else None
    if "tags" in after:
        claim.tags = tag_rows(session, after["tags"])
    if "key" in after:
        keep_former_key(session, claim, "claim", before["key"])
    session.flush()
    record(session, "claim.edit", claim, before=before, after=after, reason=reason)
    return Edit(claim, before, after, [])


def set_verdict(
    session: Session,
    key: str,
    *,
    verdict: str | None,
    reason: str,
    confidence: str | None = UNSET,
) -> Edit:
    """Record the analyst's verdict (confirmed, debunked, or None to withdraw it)."""
    claim = get_claim(session, key)
    reason_text = checked(VerdictRecord, "reason", reason)
    if reason_text is None:  # the record may go without; `claim verdict` asks for one
        raise InvalidValue("reason", reason, "a non-empty text")
    current = ClaimRecord.of(claim).history_json()
    requested: dict[str, Any] = {
        "verdict": checked(VerdictRecord, "verdict", verdict),
        "verdict_reason": reason_text if checked(VerdictRecord, "verdict", verdict) else None,
    }
    if confidence is not UNSET:
        requested["confidence"] = checked(VerdictRecord, "confidence", confidence)
    before, after = changed_fields(current, requested)
    if not after:
        return Edit(claim, {}, {}, [])
    for field_name, value in after.items():
        setattr(claim, field_name, value)
    session.flush()
    record(session, "claim.verdict", claim, before=before, after=after, reason=reason_text)
    return Edit(claim, before, after, [])


def link_claims(session: Session, *, claim: str, other: str, relation: str) -> ClaimLink:
    """Record that `claim` supports or contradicts `other`."""
    relation = checked(LinkRecord, "relation", relation)
    first, second = get_claim(session, claim), get_claim(session, other)
    if first.id == second.id:
        raise InvalidValue("OTHER", other, "a different claim than CLAIM")
    existing = session.scalar(
        select(ClaimLink).where(ClaimLink.claim_id == first.id, ClaimLink.other_id == second.id)
    )
    if existing is not None:
        if existing.relation == relation:
            return existing
        raise Conflict(
            f"{first.key!r} already {existing.relation} {second.key!r}; "
            "a claim links to another one way only"
        )
    link = ClaimLink(claim_id=first.id, other_id=second.id, relation=relation)
    session.add(link)
    session.flush()
    after = {"claim": first.key, "other": second.key, "relation": relation}
    record(session, "link.add", first, after=after)
    record(session, "link.add", second, after=after)
    return link


def list_links(session: Session, *, claim: str | None = None) -> list[dict[str, Any]]:
    """Links between claims (those from or to `claim`, if given), in the order they were
    made: one query, however many links."""
    first, second = aliased(Claim), aliased(Claim)
    query = (
        select(ClaimLink.relation, ClaimLink.created_at, first.key, second.key)
        .join(first, first.id == ClaimLink.claim_id)
        .join(second, second.id == ClaimLink.other_id)
        .order_by(ClaimLink.id)
    )
    if claim is not None:
        row = get_claim(session, claim)
        query = query.where((ClaimLink.claim_id == row.id) | (ClaimLink.other_id == row.id))
    return [
        {
            "claim": claim_key,
            "relation": relation,
            "other": other_key,
            "created_at": created_at.isoformat(),
        }
        for relation, created_at, claim_key, other_key in session.execute(query)
    ]


def unlink_claims(session: Session, *, claim: str, other: str, reason: str) -> dict[str, Any]:
    """Remove the link from `claim` to `other`; returns it as history recorded it. The
    removal is recorded on both claims, with the link's creation time, so `--as-of` puts it
    back."""
    reason = values.required_text(reason, field="reason")
    first, second = get_claim(session, claim), get_claim(session, other)
    link = session.scalar(
        select(ClaimLink).where(ClaimLink.claim_id == first.id, ClaimLink.other_id == second.id)
    )
    if link is None:
        raise NotFound(
            f"no link from {first.key!r} to {second.key!r}",
            next_step=NextStep("list_links", claim=first.key),
        )
    before = drop_link(session, link, first.key, second.key, reason=reason)
    session.flush()
    return before


def drop_link(
    session: Session,
    link: ClaimLink,
    claim: str,
    other: str,
    *,
    reason: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Delete the link from `claim` to `other` and record it under both claims, with its
    creation time (so `--as-of` puts it back); returns it as history recorded it."""
    before = {
        "claim": claim,
        "other": other,
        "relation": link.relation,
        "created_at": link.created_at.isoformat(),
    }
    for claim_id in (link.claim_id, link.other_id):
        record(session, "link.remove", claim_id=claim_id, before=before, reason=reason, at=at)
    session.delete(link)
    return before


def claim_links(session: Session, claim: Claim) -> list[dict[str, str]]:
    """The links from and to the claim, in the order they were made, with the other claim's
    key: one query, however many links."""
    first, second = aliased(Claim), aliased(Claim)
    rows = session.execute(
        select(ClaimLink.claim_id, ClaimLink.relation, first.key, second.key)
        .join(first, first.id == ClaimLink.claim_id)
        .join(second, second.id == ClaimLink.other_id)
        .where((ClaimLink.claim_id == claim.id) | (ClaimLink.other_id == claim.id))
        .order_by(ClaimLink.id)
    )
    return [
        {"direction": "out", "relation": relation, "claim": other_key}
        if claim_id == claim.id
        else {"direction": "in", "relation": relation, "claim": claim_key}
        for claim_id, relation, claim_key, other_key in rows
    ]


class ClaimPage(NamedTuple):
    """What `claim list` shows: the claims, and how many the filter keeps in all (None: more
    than are shown, not counted, as a status is known only once a claim is assessed)."""

    rows: list[dict[str, Any]]
    total: int | None


# Claims read and assessed at a time when a status filter walks them for a limited list: the
# first page is 4 times the limit (or this), then pages double, up to PAGE_MAX (bound params).
PAGE_MIN = 200
PAGE_MAX = 5_000
# ...and when WALK_MAX claims walked have not met the limit, the status is rare: one pass over
# every item's grades (_every_claim) costs less than walking on. At 100,000 claims walking them
# all took 17.5 s, the pass 10 s (PostgreSQL, load 1.9).
WALK_MAX = 10_000


def list_claims(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    tags: Sequence[str] = (),
    source: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Claims with their derived status, kept by the claim filter (see claim_filter), in key
    order: the first `limit` of them (None: all)."""
    return claim_page(
        session, statuses=statuses, tags=tags, source=source, since=since, limit=limit
    ).rows


def claim_page(
    session: Session,
    *,
    statuses: Sequence[str] = (),
    tags: Sequence[str] = (),
    source: str | None = None,
    since: str | None = None,
    limit: int | None = None,
) -> ClaimPage:
    """The first `limit` claims the filter keeps (None: all), in key order, and how many it
    keeps. A limit limits the work: only the claims shown are read and assessed, or, with a
    status filter, those walked in key order until `limit` are kept."""
    flt = ClaimFilter.parse(statuses=statuses, tags=tags, source=source, since=since)
    ids = flt.claim_ids(session)
    current = Claim.removed_at.is_(None)
    if ids is not None:
        current &= Claim.id.in_(ids)
    settings = load_settings()
    model = model_in_use(session, settings)
    if limit is None:
        rows = _every_claim(session, flt, ids, settings, model)
        return ClaimPage(rows, len(rows))
    if not flt.statuses:
        in_order = select(Claim).where(current).order_by(Claim.key)
        claims = list(session.scalars(in_order.limit(limit)))
        total = session.scalar(select(func.count(Claim.id)).where(current))
        assessments = assess_claims(session, [c.id for c in claims], settings, model=model)
        rows = []
        for claim in claims:
            assessment = assessments.get(claim.id) or assess(
                [], settings, model.for_claim(claim.id)
            )
            rows.append(claim_view(claim, assessment))
        return ClaimPage(rows, total)
    # A status is known once a claim is assessed: the claims' ids are walked in key order a
    # page at a time, assessed, and only the claims kept are read whole.
    keys = select(Claim.id, Claim.key).where(current).order_by(Claim.key)
    found: dict[int, Assessment] = {}
    page, after, walked_claims = max(limit * 4, PAGE_MIN), None, 0
    while len(found) <= limit:
        if walked_claims >= WALK_MAX:
            rows = _every_claim(session, flt, ids, settings, model)
            return ClaimPage(rows[:limit], len(rows))
        walked = session.execute(
            (keys if after is None else keys.where(Claim.key > after)).limit(page)
        ).all()
        walked_claims += len(walked)
        assessments = assess_claims(session, [i for i, _ in walked], settings, model=model)
        for claim_id, _ in walked:
            if flt.keeps(assessments[claim_id].status) and len(found) <= limit:
                found[claim_id] = assessments[claim_id]
        if len(walked) < page:
            break
        after, page = walked[-1][1], min(page * 2, PAGE_MAX)
    shown = dict(list(found.items())[:limit])
    claims = session.scalars(select(Claim).where(Claim.id.in_(shown)).order_by(Claim.key))
    rows = [claim_view(claim, shown[claim.id]) for claim in claims]
    return ClaimPage(rows, None if len(found) > limit else len(rows))


def _every_claim(
    session: Session, flt: ClaimFilter, ids: Select | None, settings: Settings, model: ModelInUse
) -> list[dict[str, Any]]:
    """Every claim the filter keeps, in key order. Read as plain rows (ORM objects cost more
    than the rest of a 100,000-claim list), with every claim's standing from one pass over
    the items' grades when no claim is left out (as a report without detail reads them)."""
    # Imported here, as in assessments: --as-of costs other commands start-up.
    from .as_of import claim_states

    claims = claim_states(session, ids)
    if ids is None:
        standings = claim_standings(session, settings, model)
    else:
        standings = {
            claim_id: ClaimStanding(a.standing, list(a.support_channels), a.evidence_count)
            for claim_id, a in assess_claims(session, ids, settings, model=model).items()
        }
    rows = []
    for claim in claims.values():
        weights = model.for_claim(claim.id)
        found = standings.get(claim.id)
        standing = found.standing if found else assess([], settings, weights).standing
        if flt.keeps(standing.status):
            channels = len(found.support_channels) if found else 0
            rows.append(listed_claim(claim, claim.tags, standing, channels, weights.name))
    return rows


def show_claim(session: Session, key: str, *, reported_by: str | None = None) -> dict[str, Any]:
    """A claim with its status and evidence (with `reported_by`, YYYY-MM-DD, only the evidence
    reported by then)."""
    claim = get_claim(session, key)
    # The items listed are the items assessed (current, reported by then): read once, and the
    # assessment built from them, as assess_claims would from its own read of the same rows.
    from .evidence import evidence_views

    evidence = evidence_views(session, claim_id=claim.id, reported_by=reported_by)
    settings = load_settings()
    weights = model_in_use(session, settings).for_claim(claim.id)
    assessment = assess([_item(view) for view in evidence], settings, weights)
    view = claim_view(claim, assessment)
    if reported_by is not None:
        view["reported_by"] = reported_by
    view["evidence"] = evidence
    view["links"] = claim_links(session, claim)
    return view


def _item(view: dict[str, Any]) -> EvidenceItem:
    return EvidenceItem(
        id=view["id"],
        source=view["source"],
        origin=view["origin"],
        origin_reliability=view["origin_reliability"],
        stance=view["stance"],
        credibility=view["credibility"],
        via=view["via"],
        relays=tuple(view["via_chain"][1:]),
    )
