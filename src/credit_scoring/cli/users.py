"""``credit-scoring users add|list|disable|enable|set-role|set-password``: dashboard users."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from credit_scoring.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(
    help="Dashboard users (roles viewer / underwriter / admin; passwords stored as scrypt "
    "hashes in the serving database; no default user).",
    no_args_is_help=True,
)

_DatabaseUrl = Annotated[
    str | None, typer.Option(help="Serving database (default: DATABASE_URL or the local SQLite).")
]
_PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def _engine(database_url: str | None) -> Engine:
    from credit_scoring.store.engine import create_db_engine
    from credit_scoring.store.migrate import upgrade_database

    url = database_url or get_settings().resolved_database_url
    upgrade_database(url)
    return create_db_engine(url)


def _password(from_stdin: bool) -> str:
    from credit_scoring.dashboard.auth import MIN_PASSWORD_LENGTH

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt(
        f"Password (≥ {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
        err=True,
    )
    return password


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="User name (no spaces).")],
    role: Annotated[str, typer.Option(help="viewer, underwriter or admin.")] = "viewer",
    password_stdin: _PasswordStdin = False,
    database_url: _DatabaseUrl = None,
) -> None:
    """Create a user; the password is prompted for (or read from stdin) and stored hashed."""
    from credit_scoring.dashboard.auth import hash_password
    from credit_scoring.store.users import add_user

    password_hash = hash_password(_password(password_stdin))
    engine = _engine(database_url)
    try:
        user = add_user(engine, username=name, password_hash=password_hash, role=role)
    finally:
        engine.dispose()
    typer.echo(f"created user {user.username} ({user.role})")


@app.command("list")
def list_command(database_url: _DatabaseUrl = None) -> None:
    """List users: name, role, status, created (never a hash)."""
    from credit_scoring.store.users import list_users

    engine = _engine(database_url)
    try:
        users = list_users(engine)
    finally:
        engine.dispose()
    typer.echo(f"{'user':<24}{'role':<13}{'status':<10}created")
    for u in users:
        status = "disabled" if u.disabled else "active"
        typer.echo(f"{u.username[:23]:<24}{u.role:<13}{status:<10}{u.created_at:%Y-%m-%d %H:%M}")


@app.command("set-role")
def set_role_command(
    name: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Argument(help="viewer, underwriter or admin.")],
    database_url: _DatabaseUrl = None,
) -> None:
    """Change a user's role (applies at the user's next page)."""
    from credit_scoring.store.users import set_role

    engine = _engine(database_url)
    try:
        set_role(engine, name, role)
    finally:
        engine.dispose()
    typer.echo(f"{name}: role {role}")


@app.command("disable")
def disable_command(
    name: Annotated[str, typer.Argument()], database_url: _DatabaseUrl = None
) -> None:
    """Disable a user (logged out at their next page; the account and its trail stay)."""
    from credit_scoring.store.users import set_disabled

    engine = _engine(database_url)
    try:
        set_disabled(engine, name, disabled=True)
    finally:
        engine.dispose()
    typer.echo(f"{name}: disabled")


@app.command("enable")
def enable_command(
    name: Annotated[str, typer.Argument()], database_url: _DatabaseUrl = None
) -> None:
    """Enable a disabled user again."""
    from credit_scoring.store.users import set_disabled

    engine = _engine(database_url)
    try:
        set_disabled(engine, name, disabled=False)
    finally:
        engine.dispose()
    typer.echo(f"{name}: enabled")


@app.command("set-password")
def set_password_command(
    name: Annotated[str, typer.Argument()],
    password_stdin: _PasswordStdin = False,
    database_url: _DatabaseUrl = None,
) -> None:
    """Set a new password (prompted, or from stdin)."""
    from credit_scoring.dashboard.auth import hash_password
    from credit_scoring.store.users import set_password_hash

    password_hash = hash_password(_password(password_stdin))
    engine = _engine(database_url)
    try:
        set_password_hash(engine, name, password_hash)
    finally:
        engine.dispose()
    typer.echo(f"{name}: password changed")
