"""Every table of the database, in one SQLAlchemy ``MetaData``.

The decision log, observed outcomes, API keys, monitoring results and runs, the retention
audit, the registry of published history feature sets, and the people in the loop (reviews,
dashboard users, login attempts, access audit). The schema is created and evolved
only by the Alembic migrations in ``credit_scoring/store/migrations`` (never ``create_all`` at
runtime); these definitions are what every query uses and what the migration test compares
the migrated schema against (``tests/store/test_migrations.py``).

The history feature tables themselves (``history_features_<version>``, one per published
version) are not declared here: their names carry the version, so they are created by
``features publish`` (staging table, then an atomic rename) and described by
:func:`history_table`; the migrations environment leaves them out of its comparisons.
"""

from __future__ import annotations

from datetime import datetime

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
    Text,
)

#: Alembic's bookkeeping table (its name predates the store package; existing databases use it).
VERSION_TABLE = "serving_alembic_version"

metadata = MetaData()

# ``json`` on PostgreSQL (migration 0003): stored as text, no jsonb parse on every insert.
_JSON = JSON()


def _surrogate_id() -> Column[int]:
    """``id``, the key of an append-only table: BIGINT on PostgreSQL, INTEGER on SQLite (its
    only auto-incrementing type)."""
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


def _timestamp(name: str, *, nullable: bool = False) -> Column[datetime]:
    """A point in time with its time zone (written in UTC)."""
    return Column(name, DateTime(timezone=True), nullable=nullable)


# -- the decision log (migration 0001, storage tuned in 0003) -------------------------------

#: One row per answered decision: what was asked, what was answered, by which model, when.
decisions = Table(
    "decisions",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("batch_id", String(36), nullable=True),
    _timestamp("created_at"),
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
    # The counter-offer of a REFUSE/REVIEW (amount, annuity, goods price, probability, points;
    # migration 0008).
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
    _timestamp("observed_at"),
    _timestamp("recorded_at"),
)

#: API keys, stored as SHA-256 of the full key; ``key_id`` is the public prefix.
api_keys = Table(
    "api_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("scopes", String(100), nullable=False),
    _timestamp("created_at"),
    _timestamp("revoked_at", nullable=True),
)

# -- people in the loop (migration 0008) ---------------------------------------------------

#: The human decision on a REVIEW (or any) decision: append-only, the latest row is final.
reviews = Table(
    "reviews",
    metadata,
    _surrogate_id(),
    Column("request_id", String(36), nullable=False),
    _timestamp("reviewed_at"),
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
    _timestamp("created_at"),
    _timestamp("updated_at"),
)

#: Every dashboard login attempt: throttling per user and per address across sessions.
login_attempts = Table(
    "login_attempts",
    metadata,
    _surrogate_id(),
    _timestamp("attempted_at"),
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
    _surrogate_id(),
    _timestamp("at"),
    Column("username", String(100), nullable=False),
    Column("action", String(32), nullable=False),
    Column("request_id", String(36), nullable=True),
    Column("detail", _JSON, nullable=True),
    Index("ix_access_audit_at", "at"),
)

#: Columns of ``decisions`` in table order (the order the drain writes them).
DECISION_COLUMNS: tuple[str, ...] = tuple(c.name for c in decisions.columns)

# -- monitoring (migration 0002) ------------------------------------------------------------

#: Who read which applicant's decision, when (``GET /v1/scores/{request_id}``): the key's
#: public id, never its secret; a read that cannot be recorded is not served.
decision_reads = Table(
    "decision_reads",
    metadata,
    _surrogate_id(),
    _timestamp("read_at"),
    Column("key_id", String(16), nullable=True),  # NULL in open local mode
    Column("request_id", String(36), nullable=False),
    Column("found", Boolean, nullable=False),
    Index("ix_decision_reads_request", "request_id", "read_at"),
    Index("ix_decision_reads_key", "key_id", "read_at"),
)

#: One row per monitoring job run (provenance of the results it wrote).
monitoring_runs = Table(
    "monitoring_runs",
    metadata,
    Column("run_id", String(36), primary_key=True),
    Column("job", String(24), nullable=False),
    Column("window_size", String(8), nullable=False),
    Column("model_version", String(64), nullable=False),
    _timestamp("started_at"),
    _timestamp("finished_at"),
    Column("n_decisions", BigInteger, nullable=False),
    Column("n_results", BigInteger, nullable=False),
    Column("parameters", JSON, nullable=False),
)

#: Tidy results: window × column × segment × metric. ``column_name`` is the feature or output
#: for drift ('' otherwise), ``segment`` 'all', a score band or a calibration bin.
monitoring_results = Table(
    "monitoring_results",
    metadata,
    _surrogate_id(),
    Column("run_id", String(36), nullable=False),
    Column("job", String(24), nullable=False),
    Column("window_size", String(8), nullable=False),
    _timestamp("window_start"),
    _timestamp("window_end"),
    Column("model_version", String(64), nullable=False),
    Column("column_name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("segment", String(64), nullable=False),
    Column("metric", String(48), nullable=False),
    Column("value", Float, nullable=True),
    Column("p_value", Float, nullable=True),
    Column("band", String(8), nullable=True),
    Column("n_rows", BigInteger, nullable=False),
    _timestamp("computed_at"),
    Index("ix_monitoring_results_lookup", "job", "window_size", "metric", "window_start"),
)

# -- retention (migration 0004, per-table counts of the people in the loop 0009) ------------

#: One row per purge or erasure of logged decisions; dry runs are not recorded. One count
#: column per kind of row deleted: decisions, their outcomes, their copies still in a spool,
#: their reviews and access-audit rows, and (purges) login attempts. The counts added by
#: migration 0009 are 0 in rows written before it (nothing was deleted there).
retention_audit = Table(
    "retention_audit",
    metadata,
    _surrogate_id(),
    _timestamp("performed_at"),
    Column("operator", String(100), nullable=False),
    Column("action", String(16), nullable=False),
    Column("reason", String(200), nullable=True),
    Column("parameters", JSON, nullable=False),
    Column("decisions", BigInteger, nullable=False),
    Column("outcomes", BigInteger, nullable=False),
    Column("spooled", BigInteger, nullable=False),
    Column("reviews", BigInteger, nullable=False, server_default="0"),
    Column("access_audit", BigInteger, nullable=False, server_default="0"),
    Column("login_attempts", BigInteger, nullable=False, server_default="0"),
    Index("ix_retention_audit_performed_at", "performed_at"),
)

# -- the history store (migration 0005_feature_sets) ----------------------------------------

#: Prefix of the per-version history tables (``history_features_<version>``).
HISTORY_TABLE_PREFIX = "history_features_"
#: The packed history row column of a history table.
HISTORY_FEATURES_COLUMN = "features"
#: The client key of a history table.
HISTORY_KEY_COLUMN = "SK_ID_CURR"

#: One row per published history version: its table, the order of the packed values (JSON
#: list of feature names), the row format, and which version is current.
feature_sets = Table(
    "feature_sets",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("table_name", String(128), nullable=False),
    Column("columns", Text, nullable=False),
    Column("row_format", String(32), nullable=False),
    Column("row_count", BigInteger, nullable=False),
    Column("published_at", String(40), nullable=False),
    Column("is_current", Boolean, nullable=False),
)


def history_table(name: str, target: MetaData | None = None) -> Table:
    """The per-version history table ``name``: the client key and the packed row.

    Declared on demand (in ``target``, a fresh ``MetaData`` by default, never in
    :data:`metadata`): one table exists per published version, and its name is data.
    """
    return Table(
        name,
        MetaData() if target is None else target,
        Column(HISTORY_KEY_COLUMN, BigInteger, primary_key=True, autoincrement=False),
        Column(HISTORY_FEATURES_COLUMN, LargeBinary, nullable=False),
    )


def is_history_table(name: str) -> bool:
    """Whether ``name`` is a per-version history table (or its staging copy)."""
    return name.startswith(HISTORY_TABLE_PREFIX)
