"""Retention audit: one row per purge or erasure of logged decisions.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "retention_audit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(100), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("parameters", sa.JSON, nullable=False),
        sa.Column("decisions", sa.BigInteger, nullable=False),
        sa.Column("outcomes", sa.BigInteger, nullable=False),
        sa.Column("spooled", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_retention_audit_performed_at", "retention_audit", ["performed_at"])


def downgrade() -> None:
    op.drop_index("ix_retention_audit_performed_at", table_name="retention_audit")
    op.drop_table("retention_audit")
