"""``credit-scoring data generate``: a synthetic population with known true default risk."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from credit_scoring.cli.options import QuietErrors, out_option
from credit_scoring.errors import CreditScoringError
from credit_scoring.settings import get_settings

#: Populations at least this large show a progress bar.
_PROGRESS_MIN_CLIENTS = 50_000


class OutputFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def generate_command(
    clients: Annotated[
        int,
        typer.Option(
            "--clients",
            "-n",
            min=1,
            help="Labelled clients (application_train rows).",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path,
        out_option(
            "Output folder (replaced atomically; must be new, empty or an earlier generator "
            "output).",
            show_default=False,
        ),
    ],
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed (same seed and sizes → same bytes).")
    ],
    test_clients: Annotated[
        int | None,
        typer.Option(
            "--test-clients",
            min=0,
            help="Unlabelled clients (application_test rows) \\[default: Kaggle's ratio, ≈15.9% "
            "of --clients].",
            show_default=False,
        ),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="File format of the eight tables.")
    ] = OutputFormat.parquet,
    default_rate: Annotated[
        float,
        typer.Option(
            "--default-rate", min=0.001, max=0.5, help="Expected share of defaulters (TARGET=1)."
        ),
    ] = 0.08,
    quiet: QuietErrors = False,
) -> None:
    """Generate the eight Home Credit tables for a synthetic population.

    True default probabilities (known functions of observable data) go to OUT/truth.parquet.

    The oracle's AUC, Brier score and business cost go to OUT/oracle.json.
    """
    # Imported here so `credit-scoring --help` does not load the generator (numpy, scipy).
    from credit_scoring.demo.generator import default_test_clients, generate_dataset

    settings = get_settings()
    n_test = default_test_clients(clients) if test_clients is None else test_clients
    console = Console(stderr=True, quiet=quiet)
    show_bar = not quiet and clients + n_test >= _PROGRESS_MIN_CLIENTS
    progress = Progress(
        TextColumn("generating"), BarColumn(), MofNCompleteColumn(), TextColumn("clients"),
        TimeElapsedColumn(), console=console, disable=not show_bar, transient=True,
    )  # fmt: skip
    task = progress.add_task("generate", total=clients + n_test)
    try:
        with progress:
            result = generate_dataset(
                out,
                clients=clients,
                test_clients=n_test,
                seed=seed,
                fmt=fmt.value,
                default_rate=default_rate,
                cost_fn=settings.cost_fn,
                cost_fp=settings.cost_fp,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except CreditScoringError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    if not quiet:
        _print_summary(result.oracle, out)


def _number(value: float | None) -> str:
    return "n/a (one class only)" if value is None else f"{value:.4f}"


def _print_summary(oracle: dict[str, Any], out: Path) -> None:
    from credit_scoring.demo.generator import ORACLE_FILE, TRUTH_FILE

    rows = oracle["rows"]
    train = oracle["train"]
    typer.echo(f"wrote {len(rows)} tables, {sum(rows.values()):,} rows to {out}")
    for name, count in rows.items():
        typer.echo(f"  {name:<24} {count:>12,}")
    typer.echo(
        f"oracle on {train['clients']:,} train clients (realised TARGET, default rate "
        f"{train['default_rate']:.4f}):"
    )
    typer.echo(f"  AUC                   {_number(train['oracle_auc'])}")
    typer.echo(f"  Brier score           {train['oracle_brier']:.4f}")
    typer.echo(
        f"  business cost         {train['oracle_cost']:.4f} per application "
        f"({oracle['cost_fn']:g}·FN + {oracle['cost_fp']:g}·FP, threshold "
        f"{train['oracle_threshold']:.4f})"
    )
    typer.echo(f"  application-only AUC  {_number(train['application_only_auc'])}")
    typer.secho(f"truth: {out / TRUTH_FILE}, metrics: {out / ORACLE_FILE}", fg=typer.colors.GREEN)
