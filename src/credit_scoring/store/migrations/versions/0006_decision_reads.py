"""Read audit: one row per read of a logged decision (who, which decision, when)."""

from __future__ import annotations

import sqlalchemy as sa

from credit_scoring.store.migrations.helpers import (
    create_table,
    drop_table,
    surrogate_id,
    timestamp,
)

revision = "0006_decision_reads"
down_revision = "0005_feature_sets"

_INDEXES = {
    "ix_decision_reads_request": ["request_id", "read_at"],
    "ix_decision_reads_key": ["key_id", "read_at"],
}


def upgrade() -> None:
    create_table(
        "decision_reads",
        surrogate_id(),
        timestamp("read_at"),
        sa.Column("key_id", sa.String(16), nullable=True),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("found", sa.Boolean, nullable=False),
        indexes=_INDEXES,
    )


def downgrade() -> None:
    drop_table("decision_reads", indexes=_INDEXES)
