"""The serving database as the commands that write it open it: ``--database-url`` (else the
settings'), migrated to the newest revision first, disposed when the command is done."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from credit_scoring.settings import Settings, get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine


@contextmanager
def migrated_database(
    database_url: str | None, settings: Settings | None = None
) -> Iterator[Engine]:
    """An engine on the serving database, migrated first (the commands that write it may be
    the first to touch a new database)."""
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.migrate import upgrade_database

    url = database_url or (settings or get_settings()).resolved_database_url
    upgrade_database(url)
    engine = create_db_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
