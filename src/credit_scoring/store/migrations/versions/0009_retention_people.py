"""Retention audit: rows deleted from reviews, the access audit and login attempts.

Purges and erasures now also delete the reviews and access-audit rows of the decisions they
delete, and purges the login attempts past their own window; the audit counts them beside
decisions, outcomes and spooled copies. Rows written before this revision deleted none: 0.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_retention_people"
down_revision = "0008_people_in_the_loop"

#: Added to ``retention_audit`` in this order, dropped in reverse.
_COUNT_COLUMNS = ("reviews", "access_audit", "login_attempts")


def upgrade() -> None:
    with op.batch_alter_table("retention_audit") as batch:
        for name in _COUNT_COLUMNS:
            batch.add_column(sa.Column(name, sa.BigInteger, nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("retention_audit") as batch:
        for name in reversed(_COUNT_COLUMNS):
            batch.drop_column(name)
