"""``credit-scoring`` command line: a thin shell that parses options and calls stage functions.

Each stage has its own module with a Typer sub-application; errors of the package's own
hierarchy become a one-line message and exit code 2 here, in one place.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from credit_scoring.cli import (
    dashboard,
    data,
    db,
    features,
    keys,
    log,
    model,
    monitor,
    score_batch,
    serve,
    signing_key,
    simulate,
    train,
    users,
)
from credit_scoring.cli.options import hide_flag_types, third_party_progress
from credit_scoring.errors import CreditScoringError

app = typer.Typer(
    name="credit-scoring",
    help="Consumer-credit default risk: data, features, training, scoring and monitoring.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
hide_flag_types()


@app.callback()
def _root(
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also show third-party progress bars (MLflow downloads)."
        ),
    ] = False,
) -> None:
    """Consumer-credit default risk: data, features, training, scoring and monitoring."""
    third_party_progress(verbose=verbose)


# In pipeline order: data → features → train/model → serve (keys, db) → monitor/simulate/dashboard.
app.add_typer(data.app, name="data")
app.add_typer(features.app, name="features")
app.command("train")(train.train_command)
app.add_typer(model.app, name="model")
app.command("serve")(serve.serve_command)
app.command("score-batch")(score_batch.score_batch_command)
app.add_typer(keys.app, name="keys")
app.add_typer(signing_key.app, name="signing-key")
app.add_typer(db.app, name="db")
app.add_typer(log.app, name="log")
app.add_typer(monitor.app, name="monitor")
app.command("simulate")(simulate.simulate_command)
app.add_typer(dashboard.app, name="dashboard")
app.add_typer(users.app, name="users")


def main() -> None:
    """Entry point of the ``credit-scoring`` script."""
    try:
        app()
    except CreditScoringError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
