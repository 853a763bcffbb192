"""The registry of published history feature sets.

``features publish`` created this table itself until the store package gathered every table
in one ``MetaData``; a database where it was published before this revision keeps its table
(same columns), so the table is created only where it is missing.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_feature_sets"
down_revision = "0004"


def upgrade() -> None:
    if sa.inspect(op.get_bind()).has_table("feature_sets"):
        return
    op.create_table(
        "feature_sets",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("row_format", sa.String(32), nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
    )


def downgrade() -> None:
    # Kept: code of revision 0004 creates and reads this table itself, and dropping it would
    # orphan the published history tables it points to.
    return
