"""Monitoring results (tidy rows: window × column × segment × metric) and job runs."""

from __future__ import annotations

import sqlalchemy as sa

from credit_scoring.store.migrations.helpers import (
    create_table,
    drop_table,
    surrogate_id,
    timestamp,
)

revision = "0002"
down_revision = "0001"

_RESULT_INDEXES = {
    "ix_monitoring_results_lookup": ["job", "window_size", "metric", "window_start"],
}


def upgrade() -> None:
    create_table(
        "monitoring_runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("job", sa.String(24), nullable=False),
        sa.Column("window_size", sa.String(8), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        timestamp("started_at"),
        timestamp("finished_at"),
        sa.Column("n_decisions", sa.BigInteger, nullable=False),
        sa.Column("n_results", sa.BigInteger, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
    )
    create_table(
        "monitoring_results",
        surrogate_id(),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("job", sa.String(24), nullable=False),
        sa.Column("window_size", sa.String(8), nullable=False),
        timestamp("window_start"),
        timestamp("window_end"),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("column_name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("segment", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(48), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("p_value", sa.Float, nullable=True),
        sa.Column("band", sa.String(8), nullable=True),
        sa.Column("n_rows", sa.BigInteger, nullable=False),
        timestamp("computed_at"),
        indexes=_RESULT_INDEXES,
    )


def downgrade() -> None:
    drop_table("monitoring_results", indexes=_RESULT_INDEXES)
    drop_table("monitoring_runs")
