"""Read audit: one row per read of a logged decision (who, which decision, when).

Revision ID: 0006_decision_reads
Revises: 0005_feature_sets
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006_decision_reads"
down_revision: str | None = "0005_feature_sets"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "decision_reads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_id", sa.String(16), nullable=True),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("found", sa.Boolean, nullable=False),
    )
    op.create_index("ix_decision_reads_request", "decision_reads", ["request_id", "read_at"])
    op.create_index("ix_decision_reads_key", "decision_reads", ["key_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_decision_reads_key", table_name="decision_reads")
    op.drop_index("ix_decision_reads_request", table_name="decision_reads")
    op.drop_table("decision_reads")
