"""``credit-scoring users add|list|disable|enable|set-role|set-password``: dashboard users."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from credit_scoring.cli.database import migrated_database
from credit_scoring.cli.options import DatabaseUrl, PasswordStdin

app = typer.Typer(
    help="Dashboard users (roles viewer / underwriter / admin; passwords stored as scrypt "
    "hashes in the serving database; no default user).",
    no_args_is_help=True,
)

_Name = Annotated[str, typer.Argument()]


def read_password(*, from_stdin: bool, prompt: str = "Password") -> str:
    """A new password: one line of standard input, or typed twice at ``prompt`` (on stderr, so
    a command's output stays only its result)."""
    from credit_scoring.dashboard.auth import MIN_PASSWORD_LENGTH

    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt(
        f"{prompt} (≥ {MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt=True,
        err=True,
    )
    return password


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="User name (no spaces).")],
    role: Annotated[str, typer.Option(help="viewer, underwriter or admin.")] = "viewer",
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a user; the password is prompted for (or read from stdin) and stored hashed."""
    from credit_scoring.dashboard.auth import hash_password
    from credit_scoring.store.users import add_user

    password_hash = hash_password(read_password(from_stdin=password_stdin))
    with migrated_database(database_url) as engine:
        user = add_user(engine, username=name, password_hash=password_hash, role=role)
    typer.echo(f"created user {user.username} ({user.role})")


@app.command("list")
def list_command(database_url: DatabaseUrl = None) -> None:
    """List users: name, role, status, created (never a hash)."""
    from credit_scoring.store.users import list_users

    with migrated_database(database_url) as engine:
        users = list_users(engine)
    typer.echo(f"{'user':<24}{'role':<13}{'status':<10}created")
    for u in users:
        status = "disabled" if u.disabled else "active"
        typer.echo(f"{u.username[:23]:<24}{u.role:<13}{status:<10}{u.created_at:%Y-%m-%d %H:%M}")


@app.command("set-role")
def set_role_command(
    name: _Name,
    role: Annotated[str, typer.Argument(help="viewer, underwriter or admin.")],
    database_url: DatabaseUrl = None,
) -> None:
    """Change a user's role (applies at the user's next page)."""
    from credit_scoring.store.users import set_role

    with migrated_database(database_url) as engine:
        set_role(engine, name, role)
    typer.echo(f"{name}: role {role}")


def _set_disabled(name: str, database_url: str | None, *, disabled: bool) -> None:
    from credit_scoring.store.users import set_disabled

    with migrated_database(database_url) as engine:
        set_disabled(engine, name, disabled=disabled)
    typer.echo(f"{name}: {'disabled' if disabled else 'enabled'}")


@app.command("disable")
def disable_command(name: _Name, database_url: DatabaseUrl = None) -> None:
    """Disable a user (logged out at their next page; the account and its trail stay)."""
    _set_disabled(name, database_url, disabled=True)


@app.command("enable")
def enable_command(name: _Name, database_url: DatabaseUrl = None) -> None:
    """Enable a disabled user again."""
    _set_disabled(name, database_url, disabled=False)


@app.command("set-password")
def set_password_command(
    name: _Name,
    password_stdin: PasswordStdin = False,
    database_url: DatabaseUrl = None,
) -> None:
    """Set a new password (prompted, or from stdin)."""
    from credit_scoring.dashboard.auth import hash_password
    from credit_scoring.store.users import set_password_hash

    password_hash = hash_password(read_password(from_stdin=password_stdin))
    with migrated_database(database_url) as engine:
        set_password_hash(engine, name, password_hash)
    typer.echo(f"{name}: password changed")
