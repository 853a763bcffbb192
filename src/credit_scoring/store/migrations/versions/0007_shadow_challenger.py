"""Shadow challenger: its version, probability, decision and score beside each decision.

Revision ID: 0007_shadow_challenger
Revises: 0006_decision_reads
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0007_shadow_challenger"
down_revision: str | None = "0006_decision_reads"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("challenger_version", sa.String(64), nullable=True))
        batch.add_column(sa.Column("challenger_probability", sa.Float, nullable=True))
        batch.add_column(sa.Column("challenger_decision", sa.String(8), nullable=True))
        batch.add_column(sa.Column("challenger_score", sa.Integer, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        for name in (
            "challenger_score",
            "challenger_decision",
            "challenger_probability",
            "challenger_version",
        ):
            batch.drop_column(name)
