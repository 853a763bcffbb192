"""Decision log, outcomes and API keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "decisions",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("batch_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("client_id", sa.BigInteger, nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("bundle_checksum", sa.String(64), nullable=False),
        sa.Column("feature_set_version", sa.String(64), nullable=False),
        sa.Column("probability", sa.Float, nullable=False),
        sa.Column("log_odds", sa.Float, nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("history_found", sa.Boolean, nullable=False),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("raw_input", _JSON, nullable=False),
        sa.Column("features", sa.LargeBinary, nullable=True),
    )
    op.create_index("ix_decisions_created_at", "decisions", ["created_at", "request_id"])
    op.create_index(
        "ix_decisions_client_created", "decisions", ["client_id", "created_at", "request_id"]
    )
    op.create_table(
        "outcomes",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("defaulted", sa.Boolean, nullable=False),
        sa.Column("observed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
    op.drop_table("outcomes")
    op.drop_index("ix_decisions_client_created", table_name="decisions")
    op.drop_index("ix_decisions_created_at", table_name="decisions")
    op.drop_table("decisions")
