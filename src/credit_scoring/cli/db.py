"""``credit-scoring db upgrade``: apply the database migrations (``credit_scoring.store``)."""

from __future__ import annotations

from typing import Annotated

import typer

from credit_scoring.settings import get_settings

app = typer.Typer(
    help="The serving database (decision log, outcomes, API keys).", no_args_is_help=True
)


@app.callback()
def _db() -> None:
    """The serving database (decision log, outcomes, API keys)."""


@app.command("upgrade")
def upgrade_command(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    database_url: Annotated[
        str | None,
        typer.Option(help="Database (default: DATABASE_URL or the local SQLite)."),
    ] = None,
) -> None:
    """Migrate the database to ``revision`` (default: the newest)."""
    from credit_scoring.store.engine import redact_database_url
    from credit_scoring.store.migrate import upgrade_database

    url = database_url or get_settings().resolved_database_url
    reached = upgrade_database(url, revision)
    typer.echo(f"database {redact_database_url(url)} at revision {reached}")
