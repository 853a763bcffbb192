"""The serving database: engines, the pre-start wait and the Alembic migrations.

SQLite (the default, a file under ``Settings.home``) or PostgreSQL through psycopg 3
(``DATABASE_URL=postgresql://…``). Migrations ship inside the package and run
programmatically, by ``credit-scoring db upgrade`` and by the pre-start step of ``serve``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds on every wait of a PostgreSQL connection (seconds).

    ``statement``, ``lock`` and ``idle_in_transaction`` are server settings of the session
    (``None``: the server's default, unbounded unless configured there); the others are
    libpq's: connecting, TCP keepalives after ``keepalive`` idle seconds (3 probes
    ``keepalive / 2`` apart) and a TCP user timeout, so a peer that vanished mid-COPY is
    noticed within about ``keepalive * 2`` seconds instead of the kernel's two hours.
    """

    connect: int = 5
    statement: float | None = None
    lock: float | None = None
    idle_in_transaction: float | None = None
    keepalive: int = 10

    def connect_args(self) -> dict[str, Any]:
        interval = max(1, self.keepalive // 2)
        args: dict[str, Any] = {
            "connect_timeout": self.connect,
            "keepalives": 1,
            "keepalives_idle": self.keepalive,
            "keepalives_interval": interval,
            "keepalives_count": 3,
            # Unacknowledged data (a COPY into a dead peer) fails after this, in ms.
            "tcp_user_timeout": (self.keepalive + 3 * interval) * 1000,
        }
        options = [
            f"-c {name}={round(seconds * 1000)}"
            for name, seconds in (
                ("statement_timeout", self.statement),
                ("lock_timeout", self.lock),
                ("idle_in_transaction_session_timeout", self.idle_in_transaction),
            )
            if seconds is not None
        ]
        if options:
            # The server's side of the socket too: a session whose client vanished mid-COPY
            # (waiting for data, which no statement timeout interrupts) ends within seconds
            # and releases its locks.
            options += [
                f"-c tcp_keepalives_idle={self.keepalive}",
                f"-c tcp_keepalives_interval={interval}",
                "-c tcp_keepalives_count=3",
                f"-c tcp_user_timeout={args['tcp_user_timeout']}",
            ]
            args["options"] = " ".join(options)
        return args


def service_timeouts(settings: Any) -> DatabaseTimeouts:
    """The timeouts of the serving connections (API workers, drain) from ``settings``."""
    return DatabaseTimeouts(
        connect=settings.db_connect_timeout_seconds,
        statement=settings.db_statement_timeout_seconds,
        lock=settings.db_lock_timeout_seconds,
        idle_in_transaction=settings.db_idle_in_transaction_timeout_seconds,
        keepalive=settings.db_keepalive_seconds,
    )


def create_db_engine(
    url: str, *, timeouts: DatabaseTimeouts | None = None, **kwargs: Any
) -> Engine:
    """An engine for the serving database; SQLite files get WAL mode and a busy timeout.

    PostgreSQL connections always get a connect timeout and TCP keepalives; ``timeouts``
    (the service's, see :func:`service_timeouts`) adds statement, lock and
    idle-in-transaction timeouts. Maintenance (migrations, publishing history) runs without
    those, as its statements may legitimately take long.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            # It holds applicants' data: readable by its owner only (0600; a new folder 0700).
            path = Path(database)
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        engine = create_engine(url, connect_args={"timeout": 30.0}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        kwargs.setdefault("connect_args", (timeouts or DatabaseTimeouts()).connect_args())
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
