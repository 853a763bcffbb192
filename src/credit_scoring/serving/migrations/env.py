"""Alembic environment of the serving database, run programmatically (see ``serving.db``).

The caller passes an open connection in ``config.attributes["connection"]``; migrations keep
their own version table so they coexist with other components' tables in the same database.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from credit_scoring.serving.decision_log.models import VERSION_TABLE, metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
