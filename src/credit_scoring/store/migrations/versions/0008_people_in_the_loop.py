"""People in the loop: counter-offers logged with decisions, the review trail of REVIEW
decisions (append-only), named dashboard users, login attempts (throttling across sessions)
and the audit of who opened which applicant's data.

The dashboard's writer role gets its grants from ``credit-scoring db grant``
(``credit_scoring.store.roles``), run after every migration.

Revision ID: 0008_people_in_the_loop
Revises: 0007_shadow_challenger
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0008_people_in_the_loop"
down_revision: str | None = "0007_shadow_challenger"
branch_labels: str | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer, "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("counter_offer", sa.JSON, nullable=True))
    op.create_table(
        "reviews",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewer", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("final_decision", sa.String(16), nullable=False),
        sa.Column("amount", sa.Float, nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("comment", sa.String(1000), nullable=True),
    )
    op.create_index("ix_reviews_request", "reviews", ["request_id", "reviewed_at"])
    op.create_table(
        "dashboard_users",
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
    )
    op.create_index("ix_login_attempts_user", "login_attempts", ["username", "attempted_at"])
    op.create_index("ix_login_attempts_address", "login_attempts", ["address", "attempted_at"])
    op.create_table(
        "access_audit",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.JSON, nullable=True),
    )
    op.create_index("ix_access_audit_at", "access_audit", ["at"])


def downgrade() -> None:
    op.drop_index("ix_access_audit_at", table_name="access_audit")
    op.drop_table("access_audit")
    op.drop_index("ix_login_attempts_address", table_name="login_attempts")
    op.drop_index("ix_login_attempts_user", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("dashboard_users")
    op.drop_index("ix_reviews_request", table_name="reviews")
    op.drop_table("reviews")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("counter_offer")
