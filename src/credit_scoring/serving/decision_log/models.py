"""Tables of the serving database: the decision log, observed outcomes and API keys.

The schema is created and evolved only by the Alembic migrations shipped in
``credit_scoring/serving/migrations`` (never ``create_all`` at runtime); these definitions are
what the queries use and what the migration test compares against.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
)

#: Alembic's bookkeeping table for these migrations (apart from other components' tables).
VERSION_TABLE = "serving_alembic_version"

metadata = MetaData()

# ``json`` on PostgreSQL (migration 0003): stored as text, no jsonb parse on every insert.
_JSON = JSON()

#: One row per answered decision: what was asked, what was answered, by which model, when.
decisions = Table(
    "decisions",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("batch_id", String(36), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("client_id", BigInteger, nullable=False),
    Column("model_version", String(64), nullable=False),
    Column("bundle_checksum", String(64), nullable=False),
    Column("feature_set_version", String(64), nullable=False),
    Column("probability", Float, nullable=False),
    Column("log_odds", Float, nullable=False),
    Column("score", Integer, nullable=False),
    Column("decision", String(8), nullable=False),
    Column("threshold", Float, nullable=False),
    Column("reasons", _JSON, nullable=False),
    Column("history_found", Boolean, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Column("raw_input", _JSON, nullable=False),
    # The model row (float64 little-endian, the bundle's feature order): drift and audit.
    Column("features", LargeBinary, nullable=True),
    # The shadow challenger's answer to the same request (never returned to the client; null
    # without a challenger or when it failed).
    Column("challenger_version", String(64), nullable=True),
    Column("challenger_probability", Float, nullable=True),
    Column("challenger_decision", String(8), nullable=True),
    Column("challenger_score", Integer, nullable=True),
    Index("ix_decisions_created_at", "created_at", "request_id"),
    Index("ix_decisions_client_created", "client_id", "created_at", "request_id"),
)

#: The observed outcome of an earlier decision (realised performance monitoring).
outcomes = Table(
    "outcomes",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("defaulted", Boolean, nullable=False),
    Column("observed_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

#: API keys, stored as SHA-256 of the full key; ``key_id`` is the public prefix.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("scopes", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

#: The shadow challenger's columns of ``decisions`` (absent from records of older code).
SHADOW_COLUMNS: tuple[str, ...] = (
    "challenger_version",
    "challenger_probability",
    "challenger_decision",
    "challenger_score",
)

#: Columns of ``decisions`` in the order the drain writes them.
DECISION_COLUMNS: tuple[str, ...] = tuple(c.name for c in decisions.columns)
