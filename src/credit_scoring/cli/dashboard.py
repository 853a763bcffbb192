"""``credit-scoring dashboard``: run the Streamlit dashboard; ``dashboard hash-password``.

Logins are the named users of ``credit-scoring users``; the dashboard refuses to start while
there is no active user (there is no default one)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from credit_scoring.cli.options import PasswordStdin, host_option, port_option
from credit_scoring.cli.serve import is_loopback
from credit_scoring.dashboard.launch import APP, streamlit_command
from credit_scoring.settings import get_settings

app = typer.Typer(
    help="The monitoring dashboard (Streamlit, login required, read-only).",
    invoke_without_command=True,
)


@app.callback()
def dashboard_command(
    ctx: typer.Context,
    host: Annotated[str | None, host_option("CREDIT_SCORING_DASHBOARD_HOST")] = None,
    port: Annotated[int | None, port_option("CREDIT_SCORING_DASHBOARD_PORT", 8501)] = None,
) -> None:
    """Start the dashboard (log in as a user of `credit-scoring users add`)."""
    if ctx.invoked_subcommand is not None:
        return
    from sqlalchemy.exc import SQLAlchemyError

    from credit_scoring.errors import ConfigurationError
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.users import list_users

    settings = get_settings()
    engine = create_db_engine(settings.resolved_database_url)
    try:
        active = [u for u in list_users(engine) if not u.disabled]
    except SQLAlchemyError as exc:
        raise ConfigurationError(
            "the dashboard cannot read its users: migrate the database first "
            f"(`credit-scoring db upgrade`) ({exc.__class__.__name__})"
        ) from None
    finally:
        engine.dispose()
    if not active:
        raise ConfigurationError(
            "the dashboard needs a user: create one with `credit-scoring users add NAME "
            "--role admin`; there is no default user"
        )
    bind = host or settings.dashboard_host
    bind_port = port or settings.dashboard_port
    if not is_loopback(bind):
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
    password_stdin: PasswordStdin = False,
) -> None:
    """Print the scrypt hash line of a password (what `users add` stores)."""
    from credit_scoring.cli.users import read_password
    from credit_scoring.dashboard.auth import hash_password

    # Prompts on stderr: `X="$(… hash-password)"` gets the hash only.
    password = read_password(from_stdin=password_stdin, prompt="Dashboard password")
    typer.echo(hash_password(password))
