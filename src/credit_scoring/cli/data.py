"""``credit-scoring data …``: load the Kaggle tables, generate a synthetic population."""

from __future__ import annotations

import typer

app = typer.Typer(help="Load real data or generate a synthetic population.", no_args_is_help=True)
