"""The schema. Changed only together with a new Alembic revision in migrations/versions/."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .vocabulary import CONFIDENCES, LINK_RELATIONS, RELIABILITY_GRADES, STANCES, VERDICTS

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DATE_PRECISIONS = ("year", "month", "day")
# model: a calibrate fit; import: one import, with the ids of the rows it created
HISTORY_ENTITIES = ("source", "claim", "evidence", "link", "model", "import")
# Events about the database, not about one claim, source or evidence item.
SUBJECTLESS_ENTITIES = ("model", "import")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores timezone-aware UTC datetimes on every engine and always returns them aware.

    SQLite has no time zones; PostgreSQL's timestamptz does. Either way a value read back is a
    UTC-aware datetime, so comparisons and as-of queries behave the same on both engines.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: claimtrack stores UTC-aware timestamps only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Source(Base):
    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(50), default="unknown")
    reliability: Mapped[str] = mapped_column(String(1), default="F")
    derived_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    # The end of the derived-from chain, kept current by services.sources on every edit, so
    # that counting independent origins is a join and never a recursive walk per claim.
    origin_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    url: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Removal keeps the row (history points at it; --as-of and restore need it).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(Text)

    derived_from: Mapped[Source | None] = relationship(
        remote_side=[id], foreign_keys=[derived_from_id]
    )
    # Read-only: origin_id is written by services.sources, and a root source is its own
    # origin, a self-reference the unit of work could not order.
    origin: Mapped[Source | None] = relationship(
        remote_side=[id], foreign_keys=[origin_id], viewonly=True
    )

    __table_args__ = (
        CheckConstraint(_in("reliability", RELIABILITY_GRADES), name="reliability"),
        CheckConstraint(
            "derived_from_id IS NULL OR derived_from_id <> id", name="not_self_derived"
        ),
        CheckConstraint("length(key) > 0", name="key_not_empty"),
    )


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(Text)
    # Partial ISO dates ("2018", "2018-06", "2018-06-14") sort and compare as text; the
    # precision says which of them was meant.
    event_date: Mapped[str | None] = mapped_column(String(10))
    event_date_precision: Mapped[str | None] = mapped_column(String(5))
    place: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    verdict: Mapped[str | None] = mapped_column(String(20), index=True)
    verdict_reason: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, index=True
    )
    # Removal keeps the row (history points at it; --as-of and restore need it).
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(Text)

    tags: Mapped[list[Tag]] = relationship(
        secondary="claim_tags", order_by="Tag.name", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint("verdict IS NULL OR " + _in("verdict", VERDICTS), name="verdict"),
        CheckConstraint(
            "confidence IS NULL OR " + _in("confidence", CONFIDENCES), name="confidence"
        ),
        CheckConstraint(
            "event_date_precision IS NULL OR " + _in("event_date_precision", DATE_PRECISIONS),
            name="event_date_precision",
        ),
        CheckConstraint(
            "(event_date IS NULL) = (event_date_precision IS NULL)", name="event_date_complete"
        ),
        CheckConstraint("length(key) > 0", name="key_not_empty"),
    )


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class ClaimTag(Base):
    __tablename__ = "claim_tags"

    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(
        ForeignKey("tags.id", ondelete="RESTRICT"), primary_key=True, index=True
    )


class Evidence(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Optional stable key, for imports that want to refer to an item again.
    key: Mapped[str | None] = mapped_column(String(200), unique=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="RESTRICT"))
    stance: Mapped[str] = mapped_column(String(12))
    credibility: Mapped[int] = mapped_column(Integer, default=6)
    quote: Mapped[str | None] = mapped_column(Text)
    locator: Mapped[str | None] = mapped_column(Text)
    via_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    observed: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Removal keeps the row: history must be able to put it back for --as-of, and nothing is
    # deleted without a trace.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_reason: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship(foreign_keys=[claim_id])
    source: Mapped[Source] = relationship(foreign_keys=[source_id])
    via: Mapped[Source | None] = relationship(foreign_keys=[via_id])
    # The rest of the via chain, in order (hop 1 is via_id above).
    relays: Mapped[list[EvidenceRelay]] = relationship(
        order_by="EvidenceRelay.position", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        CheckConstraint(_in("stance", STANCES), name="stance"),
        CheckConstraint("credibility BETWEEN 1 AND 6", name="credibility"),
        # Covering index for status: evidence of a claim by stance and source.
        Index("ix_evidence_claim_status", "claim_id", "stance", "source_id", "credibility"),
        Index("ix_evidence_source_id", "source_id"),
    )


class EvidenceRelay(Base):
    """Hop 2, 3, ... of an item's via chain: who passed it on after `evidence.via_id`.

    police said it, the Ryanggang informant passed it on (hop 1, `via_id`), Daily NK printed
    it (hop 2, here). Hop 1 stays on the evidence row because it is the item's channel
    (claimtrack.status.channel_of), which reports read for every item; longer chains are rare.
    """

    __tablename__ = "evidence_relays"

    evidence_id: Mapped[int] = mapped_column(
        ForeignKey("evidence.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )

    source: Mapped[Source] = relationship()

    __table_args__ = (CheckConstraint("position >= 2", name="position"),)


class ClaimLink(Base):
    __tablename__ = "claim_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    claim: Mapped[Claim] = relationship(foreign_keys=[claim_id])
    other: Mapped[Claim] = relationship(foreign_keys=[other_id])

    __table_args__ = (
        UniqueConstraint("claim_id", "other_id"),
        CheckConstraint(_in("relation", LINK_RELATIONS), name="relation"),
        CheckConstraint("claim_id <> other_id", name="not_self_link"),
    )


class KeyAlias(Base):
    """An old key that still resolves after a merge or a rename, so scripts that stored it
    keep working."""

    __tablename__ = "key_aliases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(10))
    alias: Mapped[str] = mapped_column(String(200))
    target_id: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("entity", "alias"),
        CheckConstraint(_in("entity", ("claim", "source")), name="entity"),
    )


# The rows ix_history_imports holds (a partial index).
IMPORT_EVENTS = "entity = 'import'"


class HistoryEvent(Base):
    """Append-only record of every change: never updated, never deleted (triggers refuse it
    on both engines; only the claim or source an event is filed under may change, as merges
    re-file events), each event hash-chained to the one before (claimtrack.history_log).

    `before` and `after` hold JSON snapshots of the fields that changed (the whole record on
    creation by hand), which is what --as-of reconstruction reads back. The rows an import
    creates are recorded by that import's one event (entity `import`), whose `after` lists
    their ids as ranges (claimtrack.history_log.import_record); what an import changes is
    recorded per record, as hand edits are.
    """

    __tablename__ = "history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    # Who was connected: PostgreSQL's session_user (authenticated by the server), the OS user
    # on SQLite; NULL for events recorded before claimtrack kept it (migration 0009).
    db_user: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(10))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id", ondelete="RESTRICT"))
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("sources.id", ondelete="RESTRICT"), index=True
    )
    evidence_id: Mapped[int | None] = mapped_column(
        ForeignKey("evidence.id", ondelete="RESTRICT"), index=True
    )
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    # sha256 chained to the previous event's (claimtrack.history_log.event_hash).
    hash: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint(_in("entity", HISTORY_ENTITIES), name="entity"),
        CheckConstraint(
            _in("entity", SUBJECTLESS_ENTITIES) + " OR claim_id IS NOT NULL "
            "OR source_id IS NOT NULL OR evidence_id IS NOT NULL",
            name="has_subject",
        ),
        # Each claim's last change (reports) is read from this index alone.
        Index("ix_history_claim_id_at", "claim_id", "at"),
        # The import events (one per import, among millions of per-record events), which
        # `history KEY`, reports and `db check` read to find the rows an import created.
        # PostgreSQL's WHERE is added by schema_metadata(), not here.
        Index("ix_history_imports", "id", sqlite_where=text(IMPORT_EVENTS)),
    )


def schema_metadata() -> MetaData:
    """The schema as the migrations make it, options PostgreSQL alone reads included, for
    Alembic to compare with a database (migrations/env.py, `db check`).

    Those options are set here, when asked for, not where the tables are declared: SQLAlchemy
    checks a `postgresql_` option by importing its PostgreSQL dialect, every driver module
    with it: 15-20 ms of start-up for every command on SQLite (python -X importtime).
    """
    index = next(i for i in HistoryEvent.__table__.indexes if i.name == "ix_history_imports")
    index.dialect_kwargs["postgresql_where"] = text(IMPORT_EVENTS)
    return Base.metadata


class ScoreModel(Base):
    """One fit of the score (`claimtrack calibrate`), kept forever: reports use the newest,
    `--as-of` the one current then. `params` holds the weights as JSON (claimtrack.calibration),
    `settings` the settings it was fitted with, `evaluation` its cross-validated measures."""

    __tablename__ = "score_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    verdicts: Mapped[int] = mapped_column(Integer)
    claims: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[str] = mapped_column(String(64))
    settings: Mapped[str] = mapped_column(Text)
    params: Mapped[str] = mapped_column(Text)
    evaluation: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint(_in("kind", ("agreement", "verdicts")), name="kind"),)
