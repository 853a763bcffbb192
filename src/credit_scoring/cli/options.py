"""Options shared by every command, in one style: ``--quiet/-q`` (print only errors and the
result) and the root's ``--verbose/-v`` (also third-party progress bars), both plain flags."""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

Quiet = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Print only errors and the result, no progress lines."),
]

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
