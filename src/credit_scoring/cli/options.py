"""Options shared by several commands, each declared once: ``--quiet/-q`` (print only errors
and the result), the root's ``--verbose/-v`` (also third-party progress bars), the serving
database, the model to load, a password from standard input, where a command writes and where
a server binds."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Annotated, Any

import typer

Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only errors and the result, no progress lines."),
]
#: ``--quiet`` of the data commands, whose result is a summary: print only errors.
QuietErrors = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]
DatabaseUrl = Annotated[
    str | None, typer.Option(help="Serving database (default: DATABASE_URL or the local SQLite).")
]
#: The model a command loads (``serve``, ``score-batch``).
ModelUri = Annotated[
    str | None,
    typer.Option(help="Bundle folder or models:/<name>@<alias> (default: the champion)."),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


def out_option(help: str, *, show_default: bool = True) -> Any:
    """``--out/-o``: where the command writes (``help`` says what)."""
    return typer.Option("--out", "-o", help=help, show_default=show_default)


def host_option(setting: str) -> Any:
    """``--host`` of a server whose default address is the setting ``setting``."""
    return typer.Option(help=f"Address to bind (default: {setting}).")


def port_option(setting: str, default: int) -> Any:
    """``--port`` of a server whose port is the setting ``setting`` (else ``default``)."""
    return typer.Option(help=f"Port (default: {setting} or {default}).")


def progress_log(*, quiet: bool) -> Callable[[str], None]:
    """Print a progress line on stderr with the seconds since this call (none if ``quiet``)."""
    started = time.perf_counter()

    def log(message: str) -> None:
        if not quiet:
            typer.echo(f"{time.perf_counter() - started:7.1f}s  {message}", err=True)

    return log


#: MLflow draws a "Downloading artifacts" bar each time a registered model is loaded.
_THIRD_PARTY_PROGRESS = ("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR",)


def third_party_progress(*, verbose: bool) -> None:
    """Show third-party progress bars only when ``verbose`` (an explicit environment setting
    wins). Set in the environment so the API's worker processes inherit it."""
    for name in _THIRD_PARTY_PROGRESS:
        if verbose:
            os.environ[name] = "true"
        else:
            os.environ.setdefault(name, "false")


def hide_flag_types() -> None:
    """Help shows a flag as ``--quiet -q``, not ``--quiet -q <bool>`` as if it took a value.

    Typer's rich help prints a type for every option, flags included; a flag has none.
    """
    from typer import core

    option = core.TyperOption
    if getattr(option.display_type_rich, "_flags_hidden", False):
        return
    original = option.display_type_rich

    def display_type_rich(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) and getattr(self, "metavar", None) is None:
            return None
        result: str | None = original(self, ctx)
        return result

    display_type_rich._flags_hidden = True  # type: ignore[attr-defined]
    option.display_type_rich = display_type_rich  # type: ignore[method-assign]
