"""``credit-scoring data …``: load the Kaggle tables, generate a synthetic population."""

from __future__ import annotations

import typer

from credit_scoring.cli.generate import generate_command
from credit_scoring.cli.load import load_command

app = typer.Typer(help="Load real data or generate a synthetic population.", no_args_is_help=True)
app.command("load")(load_command)
app.command("generate")(generate_command)
