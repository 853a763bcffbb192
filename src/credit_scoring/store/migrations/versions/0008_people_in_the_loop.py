"""People in the loop: counter-offers logged with decisions, the review trail of REVIEW
decisions (append-only), named dashboard users, login attempts (throttling across sessions)
and the audit of who opened which applicant's data.

The dashboard's writer role gets its grants from ``credit-scoring db grant``
(``credit_scoring.store.roles``), run after every migration.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from credit_scoring.store.migrations.helpers import (
    create_table,
    drop_table,
    surrogate_id,
    timestamp,
)

revision = "0008_people_in_the_loop"
down_revision = "0007_shadow_challenger"

_REVIEW_INDEXES = {"ix_reviews_request": ["request_id", "reviewed_at"]}
_LOGIN_INDEXES = {
    "ix_login_attempts_user": ["username", "attempted_at"],
    "ix_login_attempts_address": ["address", "attempted_at"],
}
_ACCESS_INDEXES = {"ix_access_audit_at": ["at"]}


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("counter_offer", sa.JSON, nullable=True))
    create_table(
        "reviews",
        surrogate_id(),
        sa.Column("request_id", sa.String(36), nullable=False),
        timestamp("reviewed_at"),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("final_decision", sa.String(16), nullable=False),
        sa.Column("amount", sa.Float, nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=True),
        indexes=_REVIEW_INDEXES,
    )
    create_table(
        "dashboard_users",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        timestamp("created_at"),
        timestamp("updated_at"),
    )
    create_table(
        "login_attempts",
        surrogate_id(),
        timestamp("attempted_at"),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        indexes=_LOGIN_INDEXES,
    )
    create_table(
        "access_audit",
        surrogate_id(),
        timestamp("at"),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
        indexes=_ACCESS_INDEXES,
    )


def downgrade() -> None:
    drop_table("access_audit", indexes=_ACCESS_INDEXES)
    drop_table("login_attempts", indexes=_LOGIN_INDEXES)
    drop_table("dashboard_users")
    drop_table("reviews", indexes=_REVIEW_INDEXES)
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("counter_offer")
