"""Decision log, outcomes and API keys."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from credit_scoring.store.migrations.helpers import create_table, drop_table, timestamp

revision = "0001"
down_revision = None

_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_DECISION_INDEXES = {
    "ix_decisions_created_at": ["created_at", "request_id"],
    "ix_decisions_client_created": ["client_id", "created_at", "request_id"],
}


def upgrade() -> None:
    create_table(
        "decisions",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("batch_id", sa.String(36), nullable=True),
        timestamp("created_at"),
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
        indexes=_DECISION_INDEXES,
    )
    create_table(
        "outcomes",
        sa.Column("request_id", sa.String(36), primary_key=True),
        sa.Column("defaulted", sa.Boolean, nullable=False),
        timestamp("observed_at"),
        timestamp("recorded_at"),
    )
    create_table(
        "api_keys",
        sa.Column("key_id", sa.String(16), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("scopes", sa.String(100), nullable=False),
        timestamp("created_at"),
        timestamp("revoked_at", nullable=True),
    )


def downgrade() -> None:
    drop_table("api_keys")
    drop_table("outcomes")
    drop_table("decisions", indexes=_DECISION_INDEXES)
