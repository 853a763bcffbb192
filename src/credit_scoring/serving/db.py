"""The serving database: engines, the pre-start wait and the Alembic migrations.

SQLite (the default, a file under ``Settings.home``) or PostgreSQL through psycopg 3
(``DATABASE_URL=postgresql://…``). Migrations ship inside the package and run
programmatically, by ``credit-scoring db upgrade`` and by the pre-start step of ``serve``.
"""

from __future__ import annotations

import logging
import time
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from credit_scoring.dburl import normalise_database_url as normalise_url
from credit_scoring.dburl import redact_database_url as redact
from credit_scoring.errors import ConfigurationError
from credit_scoring.serving.decision_log.models import VERSION_TABLE

logger = logging.getLogger(__name__)


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the serving database; SQLite files get WAL mode and a busy timeout."""
    url = normalise_url(url)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30.0}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("connect_args", {"connect_timeout": 5})
        return create_engine(url, **kwargs)
    raise ConfigurationError(
        f"unsupported database URL {redact(url)!r}: expected sqlite:///… or postgresql://…"
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: spool rows are deleted once the database committed them, even across power loss.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _alembic_config() -> Config:
    config = Config()
    location = resources.files("credit_scoring.serving").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    return config


def head_revision() -> str:
    """The newest migration shipped with this version of the package."""
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise ConfigurationError("the serving migrations are missing from the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade_database(url: str, revision: str = "head") -> str:
    """Apply the serving migrations up to ``revision``; returns the revision reached."""
    engine = create_db_engine(url)
    try:
        config = _alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
        reached = current_revision(engine)
    finally:
        engine.dispose()
    logger.info("database migrated", extra={"fields": {"revision": reached}})
    return reached or ""


def wait_for_database(url: str, *, timeout_seconds: float = 30.0) -> None:
    """Block until the database accepts a connection (pre-start step), or raise."""
    engine = create_db_engine(url)
    deadline = time.monotonic() + timeout_seconds
    delay = 0.2
    try:
        while True:
            try:
                with engine.connect():
                    return
            except SQLAlchemyError as exc:
                if time.monotonic() >= deadline:
                    raise ConfigurationError(
                        f"database {redact(url)} unreachable after {timeout_seconds:.0f} s: "
                        f"{exc.__class__.__name__}"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
    finally:
        engine.dispose()
