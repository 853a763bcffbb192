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


@app.command("grant")
def grant_command(
    api_role: Annotated[str, typer.Option(help="The API's login role.")] = "credit_scoring_api",
    reader_role: Annotated[
        str, typer.Option(help="The dashboard's read-only login role.")
    ] = "dashboard_reader",
    writer_role: Annotated[
        str,
        typer.Option(help="The dashboard's writer login role (reviews, users, login attempts)."),
    ] = "dashboard_writer",
    database_url: Annotated[
        str | None,
        typer.Option(help="Database, as the tables' owner (default: DATABASE_URL)."),
    ] = None,
) -> None:
    """Grant the API role only the DML it needs and the dashboard role read access without
    keys or audit tables, and the dashboard's writer role its own inserts (PostgreSQL; run
    after every upgrade, as the owner)."""
    from credit_scoring.store.engine import create_db_engine, redact_database_url
    from credit_scoring.store.roles import grant_roles

    url = database_url or get_settings().resolved_database_url
    engine = create_db_engine(url)
    try:
        statements = grant_roles(
            engine, api_role=api_role, reader_role=reader_role, writer_role=writer_role or None
        )
    finally:
        engine.dispose()
    typer.echo(f"{len(statements)} grant statements applied on {redact_database_url(url)}")
