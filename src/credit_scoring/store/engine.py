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

import sqlite3
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


def create_db_engine(url: str, *, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for the database at ``url`` (see the module docstring for the options);
    ``kwargs`` go to :func:`sqlalchemy.create_engine` (e.g. ``poolclass``)."""
    url = normalise_database_url(url)
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, parsed.database or "", read_only=read_only, **kwargs)
    if backend == "postgresql":
        connect_args = dict(kwargs.pop("connect_args", {}))
        connect_args.setdefault("connect_timeout", _CONNECT_TIMEOUT_SECONDS)
        if read_only:
            connect_args["options"] = "-c default_transaction_read_only=on"
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
        Path(database).parent.mkdir(parents=True, exist_ok=True)
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
