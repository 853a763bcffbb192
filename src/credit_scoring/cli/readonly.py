"""Commands that only read (``keys list``, ``log audit``, ``model list``/``show``) never create
a database: run from the wrong folder, they name the store they looked for instead of creating
an empty one and answering "nothing there"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from credit_scoring.errors import ConfigurationError
from credit_scoring.store.engine import normalise_database_url, redact_database_url

if TYPE_CHECKING:
    from sqlalchemy import Engine

_WHERE = "set CREDIT_SCORING_HOME (or run from the folder that holds artifacts/) or"


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (``None`` for other databases and in-memory SQLite)."""
    parsed = make_url(normalise_database_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def require_existing_store(url: str, *, what: str, setting: str) -> None:
    """Raise unless the store at ``url`` exists (only SQLite files can be checked for free);
    ``setting`` says how to point at another store."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise ConfigurationError(
            f"no {what} at {path.resolve()} ({redact_database_url(url)}); nothing was created: "
            f"{_WHERE} {setting}"
        )


def open_serving_database(url: str) -> Engine:
    """An engine on the existing, migrated serving database at ``url``, for reading."""
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.migrate import current_revision

    require_existing_store(url, what="serving database", setting="DATABASE_URL/--database-url")
    engine = create_db_engine(url)
    try:
        revision = current_revision(engine)
    except Exception:
        engine.dispose()
        raise
    if revision is None:
        engine.dispose()
        raise ConfigurationError(
            f"the serving database {redact_database_url(url)} has no tables yet: run "
            "`credit-scoring db upgrade` (or start the API) first"
        )
    return engine
