"""``credit-scoring keys create|list|revoke``: manage the API keys of the scoring API."""

from __future__ import annotations

from typing import Annotated

import typer

from credit_scoring.cli.database import migrated_database
from credit_scoring.cli.options import DatabaseUrl
from credit_scoring.settings import get_settings

app = typer.Typer(
    help="Manage API keys (stored hashed in the serving database).", no_args_is_help=True
)


@app.command("create")
def create_command(
    name: Annotated[str, typer.Option(help="Who or what uses the key.")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="score, outcomes, read, admin or review; repeat for several."),
    ],
    database_url: DatabaseUrl = None,
) -> None:
    """Create a key and print it once (only its SHA-256 is stored)."""
    from credit_scoring.serving.keys import create_key

    with migrated_database(database_url) as engine:
        record, key = create_key(engine, name=name, scopes=scope)
    typer.echo(
        f"created key {record.key_id} ({record.name}; scopes: {' '.join(sorted(record.scopes))})"
    )
    typer.echo("the key is shown once; store it now:")
    typer.echo(key)


@app.command("list")
def list_command(database_url: DatabaseUrl = None) -> None:
    """List keys (id, name, scopes, created, revoked); secrets are never shown."""
    from credit_scoring.cli.readonly import open_serving_database
    from credit_scoring.serving.keys import list_keys

    engine = open_serving_database(database_url or get_settings().resolved_database_url)
    try:
        keys = list_keys(engine)
    finally:
        engine.dispose()
    if not keys:
        typer.echo("no API keys; create one with `credit-scoring keys create`")
        return
    typer.echo(f"{'KEY ID':<14}{'NAME':<24}{'SCOPES':<20}{'CREATED':<22}REVOKED")
    for k in keys:
        revoked = k.revoked_at.strftime("%Y-%m-%d %H:%M:%S") if k.revoked_at else "-"
        typer.echo(
            f"{k.key_id:<14}{k.name[:23]:<24}{' '.join(sorted(k.scopes)):<20}"
            f"{k.created_at.strftime('%Y-%m-%d %H:%M:%S'):<22}{revoked}"
        )


@app.command("revoke")
def revoke_command(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `keys list`).")],
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a key (running APIs refuse it within their key cache delay)."""
    from credit_scoring.serving.keys import revoke_key

    with migrated_database(database_url) as engine:
        revoke_key(engine, key_id)
    typer.echo(f"revoked key {key_id}")
