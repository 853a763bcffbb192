"""Retention audit: one row per purge or erasure of logged decisions."""

from __future__ import annotations

import sqlalchemy as sa

from credit_scoring.store.migrations.helpers import (
    create_table,
    drop_table,
    surrogate_id,
    timestamp,
)

revision = "0004"
down_revision = "0003"

_INDEXES = {"ix_retention_audit_performed_at": ["performed_at"]}


def upgrade() -> None:
    create_table(
        "retention_audit",
        surrogate_id(),
        timestamp("performed_at"),
        sa.Column("operator", sa.String(100), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("decisions", sa.BigInteger, nullable=False),
        sa.Column("outcomes", sa.BigInteger, nullable=False),
        sa.Column("spooled", sa.BigInteger, nullable=False),
        indexes=_INDEXES,
    )


def downgrade() -> None:
    drop_table("retention_audit", indexes=_INDEXES)
