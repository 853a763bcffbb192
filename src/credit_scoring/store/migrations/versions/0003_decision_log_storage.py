"""Decision log storage tuned for the write path on PostgreSQL.

``raw_input`` and ``reasons`` become ``json`` (stored as text, validated but not parsed into
``jsonb`` on every insert), the model row (``features``, incompressible float64) is stored
out of line without compression, and ``raw_input`` uses lz4 when the server has it. Measured
on the drain's COPY: about 5× less PostgreSQL CPU per logged decision. SQLite is unchanged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE decisions "
        "ALTER COLUMN raw_input TYPE json USING raw_input::json, "
        "ALTER COLUMN reasons TYPE json USING reasons::json, "
        "ALTER COLUMN features SET STORAGE EXTERNAL"
    )
    # lz4 needs a server built with it; pglz (the default) stays otherwise.
    op.execute(
        "DO $$ BEGIN "
        "ALTER TABLE decisions ALTER COLUMN raw_input SET COMPRESSION lz4; "
        "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL; "
        "END $$"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "ALTER TABLE decisions "
        "ALTER COLUMN raw_input TYPE jsonb USING raw_input::jsonb, "
        "ALTER COLUMN reasons TYPE jsonb USING reasons::jsonb, "
        "ALTER COLUMN features SET STORAGE EXTENDED, "
        "ALTER COLUMN raw_input SET COMPRESSION default"
    )
