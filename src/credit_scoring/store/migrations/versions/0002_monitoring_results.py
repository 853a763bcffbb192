"""Monitoring results (tidy rows: window × column × segment × metric) and job runs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_runs",
        sa.Column("run_id", sa.String(36), primary_key=True),
        sa.Column("job", sa.String(24), nullable=False),
        sa.Column("window_size", sa.String(8), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("n_decisions", sa.BigInteger, nullable=False),
        sa.Column("n_results", sa.BigInteger, nullable=False),
        sa.Column("parameters", sa.JSON, nullable=False),
    )
    op.create_table(
        "monitoring_results",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("run_id", sa.String(36), nullable=False),
        sa.Column("job", sa.String(24), nullable=False),
        sa.Column("window_size", sa.String(8), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version", sa.String(64), nullable=False),
        sa.Column("column_name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("segment", sa.String(64), nullable=False),
        sa.Column("metric", sa.String(48), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("p_value", sa.Float, nullable=True),
        sa.Column("band", sa.String(8), nullable=True),
        sa.Column("n_rows", sa.BigInteger, nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_monitoring_results_lookup",
        "monitoring_results",
        ["job", "window_size", "metric", "window_start"],
    )


def downgrade() -> None:
    op.drop_index("ix_monitoring_results_lookup", table_name="monitoring_results")
    op.drop_table("monitoring_results")
    op.drop_table("monitoring_runs")
