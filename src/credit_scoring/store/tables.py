"""Tables of the serving database (one MetaData): the decision log, observed outcomes, API
keys, and the people in the loop (reviews, dashboard users, login attempts, access audit).

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
_ID = BigInteger().with_variant(Integer, "sqlite")

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
    # The counter-offer of a REFUSE/REVIEW (amount, annuity, goods price, probability, points).
    Column("counter_offer", _JSON, nullable=True),
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

#: The human decision on a REVIEW (or any) decision: append-only, the latest row is final.
reviews = Table(
    "reviews",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("request_id", String(36), nullable=False),
    Column("reviewed_at", DateTime(timezone=True), nullable=False),
    Column("reviewer", String(100), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("final_decision", String(16), nullable=False),
    Column("amount", Float, nullable=True),
    Column("reason", String(64), nullable=False),
    Column("comment", String(1000), nullable=True),
    Index("ix_reviews_request", "request_id", "reviewed_at"),
)

#: Named dashboard users (scrypt hash lines; roles viewer / underwriter / admin).
dashboard_users = Table(
    "dashboard_users",
    metadata,
    Column("username", String(100), primary_key=True),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

#: Every dashboard login attempt: throttling per user and per address across sessions.
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=False),
    Column("address", String(64), nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_user", "username", "attempted_at"),
    Index("ix_login_attempts_address", "address", "attempted_at"),
)

#: Who opened which applicant's data, and every review action, with the user.
access_audit = Table(
    "access_audit",
    metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("username", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("request_id", String(36), nullable=True),
    Column("detail", _JSON, nullable=True),
    Index("ix_access_audit_at", "at"),
)

#: Columns of ``decisions`` in the order the drain writes them.
DECISION_COLUMNS: tuple[str, ...] = tuple(c.name for c in decisions.columns)
