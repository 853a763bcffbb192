"""``credit-scoring features …``: build the feature tables, publish the history store."""

from __future__ import annotations

import typer

app = typer.Typer(help="Build features and publish the history store.", no_args_is_help=True)


@app.callback()
def _features() -> None:
    """Build features and publish the history store."""
