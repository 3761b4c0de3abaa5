"""initial schema: sources, claims, tags, evidence, links, key aliases, history

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("event_date", sa.String(length=10), nullable=True),
        sa.Column("event_date_precision", sa.String(length=5), nullable=True),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("verdict_reason", sa.Text(), nullable=True),
        sa.Column("confidence", sa.String(length=10), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "confidence IS NULL OR confidence IN ('low', 'moderate', 'high')",
            name=op.f("ck_claims_confidence"),
        ),
        sa.CheckConstraint(
            "event_date_precision IS NULL OR event_date_precision IN ('year', 'month', 'day')",
            name=op.f("ck_claims_event_date_precision"),
        ),
        sa.CheckConstraint(
            "verdict IS NULL OR verdict IN ('confirmed', 'debunked')",
            name=op.f("ck_claims_verdict"),
        ),
        sa.CheckConstraint(
            "(event_date IS NULL) = (event_date_precision IS NULL)",
            name=op.f("ck_claims_event_date_complete"),
        ),
        sa.CheckConstraint("length(key) > 0", name=op.f("ck_claims_key_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claims")),
        sa.UniqueConstraint("key", name=op.f("uq_claims_key")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claims_updated_at"), ["updated_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_claims_verdict"), ["verdict"], unique=False)

    op.create_table(
        "key_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=10), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.CheckConstraint("entity IN ('claim', 'source')", name=op.f("ck_key_aliases_entity")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_aliases")),
        sa.UniqueConstraint("entity", "alias", name=op.f("uq_key_aliases_entity_alias")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("reliability", sa.String(length=1), nullable=False),
        sa.Column("derived_from_id", sa.Integer(), nullable=True),
        sa.Column("origin_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reliability IN ('A', 'B', 'C', 'D', 'E', 'F')", name=op.f("ck_sources_reliability")
        ),
        sa.CheckConstraint(
            "derived_from_id IS NULL OR derived_from_id <> id",
            name=op.f("ck_sources_not_self_derived"),
        ),
        sa.CheckConstraint("length(key) > 0", name=op.f("ck_sources_key_not_empty")),
        sa.ForeignKeyConstraint(
            ["derived_from_id"],
            ["sources.id"],
            name=op.f("fk_sources_derived_from_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["sources.id"],
            name=op.f("fk_sources_origin_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("key", name=op.f("uq_sources_key")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sources_derived_from_id"), ["derived_from_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sources_origin_id"), ["origin_id"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("name", name=op.f("uq_tags_name")),
    )
    op.create_table(
        "claim_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relation IN ('supports', 'contradicts')", name=op.f("ck_claim_links_relation")
        ),
        sa.CheckConstraint("claim_id <> other_id", name=op.f("ck_claim_links_not_self_link")),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_links_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["other_id"],
            ["claims.id"],
            name=op.f("fk_claim_links_other_id_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_links")),
        sa.UniqueConstraint("claim_id", "other_id", name=op.f("uq_claim_links_claim_id_other_id")),
    )
    with op.batch_alter_table("claim_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_links_other_id"), ["other_id"], unique=False)

    op.create_table(
        "claim_tags",
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_claim_tags_claim_id_claims"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_claim_tags_tag_id_tags"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("claim_id", "tag_id", name=op.f("pk_claim_tags")),
    )
    with op.batch_alter_table("claim_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=True),
        sa.Column("claim_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("stance", sa.String(length=12), nullable=False),
        sa.Column("credibility", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=True),
        sa.Column("locator", sa.Text(), nullable=True),
        sa.Column("via_id", sa.Integer(), nullable=True),
        sa.Column("observed", sa.String(length=10), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "stance IN ('supports', 'contradicts', 'neutral')", name=op.f("ck_evidence_stance")
        ),
        sa.CheckConstraint("credibility BETWEEN 1 AND 6", name=op.f("ck_evidence_credibility")),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_evidence_claim_id_claims"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_evidence_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["via_id"], ["sources.id"], name=op.f("fk_evidence_via_id_sources"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("key", name=op.f("uq_evidence_key")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_evidence_claim_status",
            ["claim_id", "stance", "source_id", "credibility"],
            unique=False,
        )
        batch_op.create_index("ix_evidence_source_id", ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_via_id"), ["via_id"], unique=False)

    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("entity", sa.String(length=10), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("evidence_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "entity IN ('source', 'claim', 'evidence', 'link')", name=op.f("ck_history_entity")
        ),
        sa.CheckConstraint(
            "claim_id IS NOT NULL OR source_id IS NOT NULL OR evidence_id IS NOT NULL",
            name=op.f("ck_history_has_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"],
            ["claims.id"],
            name=op.f("fk_history_claim_id_claims"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name=op.f("fk_history_evidence_id_evidence"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_history_source_id_sources"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history")),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_history_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_claim_id"), ["claim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_evidence_id"), ["evidence_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_history_source_id"), ["source_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_source_id"))
        batch_op.drop_index(batch_op.f("ix_history_evidence_id"))
        batch_op.drop_index(batch_op.f("ix_history_claim_id"))
        batch_op.drop_index(batch_op.f("ix_history_at"))

    op.drop_table("history")
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_via_id"))
        batch_op.drop_index("ix_evidence_source_id")
        batch_op.drop_index("ix_evidence_claim_status")

    op.drop_table("evidence")
    with op.batch_alter_table("claim_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_tags_tag_id"))

    op.drop_table("claim_tags")
    with op.batch_alter_table("claim_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_links_other_id"))

    op.drop_table("claim_links")
    op.drop_table("tags")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_origin_id"))
        batch_op.drop_index(batch_op.f("ix_sources_derived_from_id"))

    op.drop_table("sources")
    op.drop_table("key_aliases")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claims_verdict"))
        batch_op.drop_index(batch_op.f("ix_claims_updated_at"))

    op.drop_table("claims")
