"""The one place claims' evidence is read for status: a fixed number of queries for any
number of claims, grouped in memory and handed to the pure rules in claimtrack.status."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from datetime import datetime
from functools import partial
from itertools import chain
from typing import NamedTuple

from sqlalchemy import ColumnElement, CursorResult, Select, and_, or_, select
from sqlalchemy.orm import Session, aliased

from .. import values
from ..models import Evidence, EvidenceRelay, Source
from ..settings import Settings, load_settings
from ..status import (
    NOT_CREDIBLE_CREDIBILITY,
    NOT_CREDIBLE_RELIABILITY,
    Assessment,
    EvidenceItem,
    Standing,
    assess,
    channel_factor,
)
from ..vocabulary import CREDIBILITY_GRADES
from .score_model import ModelInUse, model_in_use

ClaimIds = Iterable[int] | Select | None
# Rows fetched at a time when streaming every item: the per-row fetch costs more than the
# aggregation itself, and a whole fetchall of a million rows holds hundreds of MB.
PARTITION = 10_000


def reported_by_clause(reported_by: str) -> ColumnElement[bool]:
    """Evidence reported by that day (YYYY-MM-DD): observed on or before it or, with no
    observed date, recorded by the end of it (UTC). Observed dates are ISO text, so they
    compare as dates."""
    return or_(
        Evidence.observed <= reported_by,
        and_(
            Evidence.observed.is_(None),
            Evidence.created_at < values.recorded_by_end_of(reported_by),
        ),
    )


def evidence_items(
    session: Session,
    claim_ids: ClaimIds = None,
    *,
    as_of: datetime | None = None,
    reported_by: str | None = None,
    detail: bool = False,
) -> dict[int, list[EvidenceItem]]:
    """Current (not removed) evidence per claim id, with each item's origin resolved.

    `claim_ids` is a list of ids or a SELECT of ids (None: every claim). With `as_of`, the
    evidence, grades and derived-from links as recorded then; with `reported_by` (YYYY-MM-DD),
    only the items reported by then (reported_by_clause). `detail` adds what reports show
    (source name, quote, url, observed).
    """
    if claim_ids is not None and not isinstance(claim_ids, Select):
        claim_ids = list(claim_ids)
        if not claim_ids:
            return {}
    if as_of is not None:
        return _items_as_of(session, claim_ids, as_of, reported_by)
    source = aliased(Source)
    origin = aliased(Source)
    via = aliased(Source)
    columns = [
        Evidence.claim_id,
        Evidence.id,
        source.key,
        origin.key,
        origin.reliability,
        Evidence.stance,
        Evidence.credibility,
        via.key,
    ]
    if detail:
        columns += [source.name, Evidence.quote, Evidence.locator, Evidence.observed]
    query = (
        select(*columns)
        .join(source, source.id == Evidence.source_id)
        .join(origin, origin.id == source.origin_id)
        .outerjoin(via, via.id == Evidence.via_id)
        .where(Evidence.removed_at.is_(None))
        .order_by(Evidence.claim_id, Evidence.id)
    )
    if claim_ids is not None:
        query = query.where(Evidence.claim_id.in_(claim_ids))
    if reported_by is not None:
        query = query.where(reported_by_clause(reported_by))
    relays = relay_keys(session, claim_ids)
    grouped: dict[int, list[EvidenceItem]] = {}
    for row in session.execute(query):
        claim_id, item_id, src, orig, rel, stance, cred, via_key = row[:8]
        extra = {}
        if detail:
            extra = dict(zip(("source_name", "quote", "url", "observed"), row[8:], strict=True))
        grouped.setdefault(claim_id, []).append(
            EvidenceItem(
                id=item_id,
                source=src,
                origin=orig,
                origin_reliability=rel,
                stance=stance,
                credibility=cred,
                via=via_key,
                relays=relays.get(item_id, ()),
                **extra,
            )
        )
    return grouped


def relay_keys(session: Session, claim_ids: ClaimIds = None) -> dict[int, tuple[str, ...]]:
    """Hops 2, 3, ... of the via chain of each item (of these claims) that has them, as source
    keys in order: one query, empty for the usual one-hop chains."""
    query = (
        select(EvidenceRelay.evidence_id, Source.key)
        .join(Source, Source.id == EvidenceRelay.source_id)
        .order_by(EvidenceRelay.evidence_id, EvidenceRelay.position)
    )
    if claim_ids is not None:
        query = query.join(Evidence, Evidence.id == EvidenceRelay.evidence_id).where(
            Evidence.claim_id.in_(claim_ids)
        )
    chains: dict[int, list[str]] = {}
    for evidence_id, key in session.execute(query):
        chains.setdefault(evidence_id, []).append(key)
    return {evidence_id: tuple(keys) for evidence_id, keys in chains.items()}


def _items_as_of(
    session: Session, claim_ids: ClaimIds, as_of: datetime, reported_by: str | None = None
) -> dict[int, list[EvidenceItem]]:
    # Imported here: only --as-of reads the past, and as_of costs every other read command
    # 3-6 ms of start-up (python -X importtime, claim list).
    from .as_of import evidence_states, source_states

    sources = source_states(session, as_of)
    grouped: dict[int, list[EvidenceItem]] = {}
    for item in evidence_states(session, claim_ids, as_of, reported_by=reported_by):
        source = sources.get(item.source_id)
        if source is None:  # a source created later cannot back earlier evidence
            continue
        origin = sources[source.origin_id]
        via = sources.get(item.via_id) if item.via_id else None
        relays = tuple(sources[hop].key for hop in item.relay_ids if hop in sources)
        grouped.setdefault(item.claim_id, []).append(
            EvidenceItem(
                id=item.id,
                source=source.key,
                origin=origin.key,
                origin_reliability=origin.reliability,
                stance=item.stance,
                credibility=item.credibility,
                via=via.key if via else None,
                relays=relays,
                source_name=source.name,
                quote=item.quote,
                url=item.url,
                observed=item.observed,
            )
        )
    return grouped


def assess_claims(
    session: Session,
    claim_ids: ClaimIds = None,
    settings: Settings | None = None,
    *,
    as_of: datetime | None = None,
    reported_by: str | None = None,
    detail: bool = False,
    model: ModelInUse | None = None,
) -> dict[int, Assessment]:
    """Assessment per claim id; listed claims without evidence get the no-evidence
    assessment (with a SELECT of ids or None, only claims with evidence are returned).
    Scored with `model`, or the model current (at `as_of`)."""
    settings = settings or load_settings()
    model = model or model_in_use(session, settings, as_of)
    if claim_ids is not None and not isinstance(claim_ids, Select):
        claim_ids = list(claim_ids)
    items = evidence_items(session, claim_ids, as_of=as_of, reported_by=reported_by, detail=detail)
    wanted = claim_ids if isinstance(claim_ids, list) else list(items)
    return {
        claim_id: assess(items.get(claim_id, []), settings, model.for_claim(claim_id))
        for claim_id in wanted
    }


def driver_batches(result: CursorResult, size: int = PARTITION) -> Iterator[list[tuple]]:
    """A result's rows as the driver returns them (plain tuples), `size` at a time, for a
    query whose columns need no conversion (ints and text). Row objects made reading and
    unpacking the million items of claim_standings 0.6 s slower (6.35 -> 5.73 s CPU)."""
    return iter(partial(result.cursor.fetchmany, size), [])


class ClaimStanding(NamedTuple):
    """What a report without detail lists for a claim: its standing, its channels of
    support (source keys, in no order) and how many items it has."""

    standing: Standing
    support_channels: list[str]
    evidence_count: int


def claim_standings(
    session: Session, settings: Settings | None = None, model: ModelInUse | None = None
) -> dict[int, ClaimStanding]:
    """ClaimStanding of every claim with evidence: the same status, score and channels as
    assess_claims, from one pass over the current items' grades (one query for the sources'
    origins, one for the items) without building an EvidenceItem per item."""
    settings = settings or load_settings()
    model = model or model_in_use(session, settings)
    connection = session.connection()
    origin = aliased(Source)
    keys: dict[int, str] = {}
    counted_origin: dict[int, int] = {}  # source id -> its origin's id; -1: never credible
    reliability: dict[int, str] = {}  # origin id -> its grade
    for source_id, key, origin_id, grade in connection.execute(
        select(Source.id, Source.key, Source.origin_id, origin.reliability).outerjoin(
            origin, origin.id == Source.origin_id
        )
    ):
        keys[source_id] = key
        if origin_id is None:  # only a damaged database holds one; it can still be a channel
            continue
        counted_origin[source_id] = -1 if grade == NOT_CREDIBLE_RELIABILITY else origin_id
        reliability[origin_id] = grade
    share = {grade: settings.credibility_share(grade) for grade in CREDIBILITY_GRADES}
    # Each (claim, origin, stance) and each (claim, channel) is keyed by one int, not a tuple:
    # ints hash faster and the garbage collector does not track them (with a million items,
    # tuples made it rescan the growing heap over and over, tripling the time).
    span = max(keys, default=0) + 1
    counts: dict[int, int] = {}
    best: dict[int, int] = {}  # (claim * span + origin) * 2 + contradicts -> best grade
    channels: set[int] = set()  # claim * span + channel source
    # Per supporting (claim, origin) group: the source id of the one channel its support came
    # through, or -1 when it came through several (status.channel_factors).
    channel_of_origin: dict[int, int] = {}
    rows = connection.execute(
        select(
            Evidence.claim_id,
            Evidence.stance,
            Evidence.source_id,
            Evidence.credibility,
            Evidence.via_id,
        ).where(Evidence.removed_at.is_(None))
    )
    for claim_id, stance, source_id, credibility, via_id in chain.from_iterable(
        driver_batches(rows)
    ):
        origin_id = counted_origin.get(source_id)
        if origin_id is None:  # left out, as evidence_items leaves it out
            continue
        counts[claim_id] = counts.get(claim_id, 0) + 1
        if origin_id < 0 or credibility == NOT_CREDIBLE_CREDIBILITY or stance == "neutral":
            continue
        group = (claim_id * span + origin_id) * 2
        if stance == "supports":
            # status.channel_of: hop 1 of the via chain, else the item's own source.
            channel = via_id or source_id
            channels.add(claim_id * span + channel)
            if channel_of_origin.setdefault(group, channel) != channel:
                channel_of_origin[group] = -1
        else:
            group += 1
        grade = best.get(group)
        if grade is None or share[credibility] > share[grade]:
            best[group] = credibility
    channel_keys: dict[int, list[str]] = {}
    for code in channels:
        claim_id, source_id = divmod(code, span)
        channel_keys.setdefault(claim_id, []).append(keys[source_id])
    # (weight, ungraded, channel) per claim, split by stance: support that shares a channel is
    # discounted, which is known only once every origin is counted.
    # (weight, ungraded) per fold, origin, grade and stance: keyed by one int too.
    term_of: dict[int, tuple[float, bool]] = {}
    folds: dict[int, int] = {}
    terms: dict[int, tuple[list[tuple[float, bool, int]], list[tuple[float, bool, int]]]] = {}
    for group, grade in best.items():
        claim_origin, contradicts = divmod(group, 2)
        claim_id, origin_id = divmod(claim_origin, span)
        weights = model.for_claim(claim_id)
        fold = folds.setdefault(id(weights), len(folds))
        term_key = (((fold * span + origin_id) * 8) + grade) * 2 + contradicts
        term = term_of.get(term_key)
        if term is None:
            stance = "contradicts" if contradicts else "supports"
            weight = weights.weight(keys[origin_id], reliability[origin_id], stance, grade)
            term = term_of[term_key] = (weight, reliability[origin_id] == "F" or grade == 6)
        weight, ungraded = term
        channel = -1 if contradicts else channel_of_origin[group]
        terms.setdefault(claim_id, ([], []))[contradicts].append((weight, ungraded, channel))
    rows.close()
    result = {}
    for claim_id, count in counts.items():
        support, contradiction = terms.get(claim_id, ((), ()))
        s = len(support)
        claim_channels = channel_keys.get(claim_id, [])
        sharing: dict[int, int] = {}
        for _, _, channel in support:
            sharing[channel] = sharing.get(channel, 0) + 1
        factors = [1.0 if c < 0 else channel_factor(sharing[c], settings) for _, _, c in support]
        signed = [w * f for (w, _, _), f in zip(support, factors, strict=True)]
        signed += [-w for w, _, _ in contradiction]
        ungraded = [w * f for (w, u, _), f in zip(support, factors, strict=True) if u]
        ungraded += [w for w, u, _ in contradiction if u]
        result[claim_id] = ClaimStanding(
            Standing.of(
                s,
                len(contradiction),
                signed,
                settings,
                prior_log_odds=model.for_claim(claim_id).prior_log_odds(),
                channels=len(claim_channels),
                ungraded=math.fsum(ungraded),
            ),
            claim_channels,
            count,
        )
    return result
