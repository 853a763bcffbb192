"""The column and index shapes the migrations repeat.

A migration is history: it must build the same schema every time it runs, so a helper here
never changes once a revision uses it (a new shape gets a new helper).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

#: Index name → indexed columns, in creation order.
Indexes = Mapping[str, Sequence[str]]


def surrogate_id() -> sa.Column[Any]:
    """``id``: BIGINT on PostgreSQL, INTEGER on SQLite (its only auto-incrementing type)."""
    return sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)


def timestamp(name: str, *, nullable: bool = False) -> sa.Column[Any]:
    """A point in time with its time zone (UTC is written)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def create_table(name: str, *columns: sa.Column[Any], indexes: Indexes | None = None) -> None:
    """Create table ``name``, then its ``indexes``."""
    op.create_table(name, *columns)
    for index, indexed in (indexes or {}).items():
        op.create_index(index, name, list(indexed))


def drop_table(name: str, *, indexes: Indexes | None = None) -> None:
    """Drop the ``indexes`` of table ``name`` (newest first), then the table."""
    for index in reversed(list(indexes or {})):
        op.drop_index(index, table_name=name)
    op.drop_table(name)


def on_postgresql() -> bool:
    """Whether the migration runs on PostgreSQL (storage tuning is PostgreSQL-only)."""
    return bool(op.get_bind().dialect.name == "postgresql")
