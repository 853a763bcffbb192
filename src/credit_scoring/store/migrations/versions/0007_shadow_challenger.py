"""Shadow challenger: its version, probability, decision and score beside each decision."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_shadow_challenger"
down_revision = "0006_decision_reads"

#: Added to ``decisions`` in this order (null without a challenger), dropped in reverse.
_CHALLENGER_COLUMNS = (
    ("challenger_version", sa.String(64)),
    ("challenger_probability", sa.Float()),
    ("challenger_decision", sa.String(8)),
    ("challenger_score", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        for name, type_ in _CHALLENGER_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        for name, _ in reversed(_CHALLENGER_COLUMNS):
            batch.drop_column(name)
