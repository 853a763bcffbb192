"""Database URLs shared by every stage that talks to the serving database."""

from __future__ import annotations

from sqlalchemy.engine import make_url


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver (``postgresql://…``)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redact_database_url(url: str) -> str:
    """The URL without its password, for messages and logs."""
    return make_url(normalise_database_url(url)).render_as_string(hide_password=True)
