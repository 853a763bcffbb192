"""Alembic environment of the database, run programmatically (see ``store.migrate``).

The caller passes an open connection in ``config.attributes["connection"]``; migrations keep
their own version table so they coexist with other components' tables in the same database.
The target is the one ``MetaData`` of :mod:`credit_scoring.store.tables`; the per-version
history tables (named after their version, created by ``features publish``) are left out.
"""

from __future__ import annotations

from alembic import context

from credit_scoring.store.engine import create_db_engine
from credit_scoring.store.migrate import include_object
from credit_scoring.store.tables import VERSION_TABLE, metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        render_as_batch=connection.dialect.name == "sqlite",  # type: ignore[attr-defined]
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_db_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()
