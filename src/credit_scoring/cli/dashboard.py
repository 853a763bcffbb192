"""``credit-scoring dashboard``: run the Streamlit dashboard; ``dashboard hash-password``."""

from __future__ import annotations

import ipaddress
import os
import sys
from typing import Annotated

import typer

from credit_scoring.dashboard.launch import APP, streamlit_command
from credit_scoring.settings import get_settings

app = typer.Typer(
    help="The monitoring dashboard (Streamlit, login required, read-only).",
    invoke_without_command=True,
)


def _is_loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.callback()
def dashboard_command(
    ctx: typer.Context,
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: CREDIT_SCORING_DASHBOARD_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default: CREDIT_SCORING_DASHBOARD_PORT or 8501).")
    ] = None,
) -> None:
    """Start the dashboard (login: CREDIT_SCORING_DASHBOARD_USER / _PASSWORD_HASH)."""
    if ctx.invoked_subcommand is not None:
        return
    from credit_scoring.dashboard.auth import Credentials
    from credit_scoring.errors import ConfigurationError

    settings = get_settings()
    if Credentials.from_settings(settings) is None:
        raise ConfigurationError(
            "the dashboard needs a login: set CREDIT_SCORING_DASHBOARD_USER and "
            "CREDIT_SCORING_DASHBOARD_PASSWORD_HASH (from `credit-scoring dashboard "
            "hash-password`); there is no default password"
        )
    bind = host or settings.dashboard_host
    bind_port = port or settings.dashboard_port
    if not _is_loopback(bind):
        typer.secho(
            f"warning: serving on {bind}; put the dashboard behind a TLS reverse proxy",
            fg="yellow",
            err=True,
        )
    typer.echo(f"dashboard on http://{bind}:{bind_port} (database read-only, Ctrl-C to stop)")
    command = streamlit_command(APP, host=bind, port=bind_port)
    # Become the Streamlit server (same environment): signals reach it directly, no orphan.
    os.execv(command[0], command)


@app.command("hash-password")
def hash_password_command(
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Print the hash line to put in CREDIT_SCORING_DASHBOARD_PASSWORD_HASH."""
    from credit_scoring.dashboard.auth import MIN_PASSWORD_LENGTH, hash_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt(
            f"Dashboard password (≥ {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt=True,
            err=True,  # prompts on stderr: `export X="$(… hash-password)"` gets the hash only
        )
    typer.echo(hash_password(password))
