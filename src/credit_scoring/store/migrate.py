"""Migrating the database: the pre-start wait and the Alembic migrations.

Migrations ship inside the package (``credit_scoring/store/migrations``) and run
programmatically, by ``credit-scoring db upgrade``, by the pre-start step of ``serve`` and by
the commands that write the database (``features publish``, ``keys``, ``log``, ``monitor``).
"""

from __future__ import annotations

import logging
import time
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from credit_scoring.errors import ConfigurationError
from credit_scoring.store.engine import create_db_engine, redact_database_url
from credit_scoring.store.tables import VERSION_TABLE, is_history_table

logger = logging.getLogger(__name__)


def alembic_config() -> Config:
    """The Alembic configuration of the shipped migrations (no ``alembic.ini`` needed)."""
    config = Config()
    location = resources.files("credit_scoring.store").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    return config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """What Alembic compares with the models: every table but the per-version history tables
    (created by ``features publish``, their names are data) and the version table."""
    if type_ == "table" and name is not None:
        return not is_history_table(name) and name != VERSION_TABLE
    return True


def head_revision() -> str:
    """The newest migration shipped with this version of the package."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise ConfigurationError("the database migrations are missing from the package")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def upgrade_database(url: str, revision: str = "head") -> str:
    """Apply the migrations up to ``revision``; returns the revision reached."""
    engine = create_db_engine(url)
    try:
        config = alembic_config()
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
                        f"database {redact_database_url(url)} unreachable after "
                        f"{timeout_seconds:.0f} s: {exc.__class__.__name__}"
                    ) from exc
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
    finally:
        engine.dispose()
