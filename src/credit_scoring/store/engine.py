"""Engines for the database, made in one place.

SQLite (the default, a file under ``Settings.home``) or PostgreSQL through psycopg 3
(``DATABASE_URL=postgresql://…``). Every component — the API and its drain, the CLI, the
history store, monitoring, the dashboard — gets its engine from :func:`create_db_engine`:

* writers (the default): a SQLite file is created with its folder and opened in WAL mode with
  ``synchronous=FULL`` (a spooled decision is deleted only once the database committed it, even
  across power loss) and a 30 s busy timeout; PostgreSQL connections are pinged before use and
  time out after 5 s;
* ``read_only=True`` (the dashboard): the engine cannot write — SQLite is opened ``mode=ro``
  (the file must exist; nothing is created), PostgreSQL sessions default to read-only
  transactions (give the reader a read-only role as well).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from credit_scoring.errors import ConfigurationError

_SQLITE_TIMEOUT_SECONDS = 30.0
_CONNECT_TIMEOUT_SECONDS = 5


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver (``postgresql://…``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact_database_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(normalise_database_url(url)).render_as_string(hide_password=True)


@dataclass(frozen=True)
class DatabaseTimeouts:
    """Bounds on every wait of a PostgreSQL connection (seconds).

    ``statement``, ``lock`` and ``idle_in_transaction`` are server settings of the session
    (``None``: the server's default, unbounded unless configured there; with any of them the
    server's side also gets keepalives and a user timeout); the others are libpq's:
    connecting, TCP keepalives after ``keepalive`` idle seconds (3 probes ``keepalive / 2``
    apart) and a TCP user timeout, so a peer that vanished mid-COPY is noticed within about
    ``keepalive * 2`` seconds instead of the kernel's two hours.
    """

    connect: int = _CONNECT_TIMEOUT_SECONDS
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
    url: str,
    *,
    read_only: bool = False,
    timeouts: DatabaseTimeouts | None = None,
    **kwargs: Any,
) -> Engine:
    """An engine for the database at ``url`` (see the module docstring for the options);
    ``kwargs`` go to :func:`sqlalchemy.create_engine` (e.g. ``poolclass``).

    PostgreSQL connections always get a connect timeout and TCP keepalives; ``timeouts``
    (the service's, see :func:`service_timeouts`) adds statement, lock and
    idle-in-transaction timeouts. Maintenance (migrations, publishing history) runs without
    those, as its statements may legitimately take long."""
    url = normalise_database_url(url)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database or "", read_only=read_only, **kwargs)
    if backend == "postgresql":
        connect_args = {
            **(timeouts or DatabaseTimeouts()).connect_args(),
            **dict(kwargs.pop("connect_args", {})),
        }
        if read_only:
            connect_args["options"] = (
                connect_args.get("options", "") + " -c default_transaction_read_only=on"
            ).strip()
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, connect_args=connect_args, **kwargs)
    raise ConfigurationError(
        f"unsupported database URL {redact_database_url(url)!r}: "
        "expected sqlite:///… or postgresql://…"
    )


def _sqlite_engine(url: str, database: str, *, read_only: bool, **kwargs: Any) -> Engine:
    in_memory = not database or database == ":memory:"
    if read_only:
        if in_memory:
            raise ConfigurationError("a read-only engine needs a SQLite file, not in-memory")
        path = Path(database).resolve()
        if not path.is_file():
            raise ConfigurationError(f"no decision-log database at {path}")

        def connect() -> sqlite3.Connection:
            uri = f"{path.as_uri()}?mode=ro"
            return sqlite3.connect(uri, uri=True, timeout=_SQLITE_TIMEOUT_SECONDS)

        return create_engine("sqlite://", creator=connect, **kwargs)
    if not in_memory:
        # It holds applicants' data: readable by its owner only (0600; a new folder 0700).
        path = Path(database)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    engine = create_engine(url, connect_args={"timeout": _SQLITE_TIMEOUT_SECONDS}, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: spool rows are deleted once the database committed them, even across power loss.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
