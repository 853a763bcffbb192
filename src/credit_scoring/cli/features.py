"""``credit-scoring features …``: build the feature tables, publish the history store."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console

from credit_scoring.cli.options import Quiet, out_option
from credit_scoring.settings import get_settings

app = typer.Typer(help="Build features and publish the history store.", no_args_is_help=True)


@app.callback()
def _features() -> None:
    """Build features and publish the history store."""


class _Steps:
    """Prints each step with the time elapsed since the command started."""

    def __init__(self, *, quiet: bool = False) -> None:
        self._console = Console(stderr=True, soft_wrap=True, quiet=quiet)
        self._start = time.perf_counter()

    def __call__(self, message: str) -> None:
        elapsed = time.perf_counter() - self._start
        self._console.print(f"[dim]{elapsed:7.1f}s[/dim]  {message}", highlight=False)


@app.command("build")
def build_command(
    data_dir: Annotated[
        Path, typer.Argument(help="Validated data folder (<table>.parquet for the 8 tables).")
    ],
    out: Annotated[Path, out_option("Features folder to write.")],
    engine: Annotated[
        str | None,
        typer.Option(
            help="duckdb (embedded) or spark (the active/configured SparkSession). "
            "Default: CREDIT_SCORING_FEATURE_ENGINE or duckdb."
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Build history.parquet, train.parquet, test.parquet and feature_set.json (atomically)."""
    from credit_scoring.features.build import build_features

    settings = get_settings()
    chosen = engine or settings.feature_engine
    if chosen not in ("duckdb", "spark"):
        raise typer.BadParameter(f"--engine must be duckdb or spark, not {chosen!r}")
    spark_session = None
    if chosen == "spark":
        from credit_scoring.spark_session import spark_session_or_local

        spark_session = spark_session_or_local()
    feature_set = build_features(
        data_dir,
        out,
        engine=_engine(chosen),
        use_protected_attributes=settings.use_protected_attributes,
        spark_session=spark_session,
        log=_Steps(quiet=quiet),
    )
    typer.echo(
        f"feature set {feature_set.version}: {len(feature_set.model_features)} model features, "
        f"{feature_set.rows.get('train', 0):,} train / {feature_set.rows.get('test', 0):,} test "
        f"rows → {out}"
    )


def _engine(name: str) -> Literal["duckdb", "spark"]:
    return "spark" if name == "spark" else "duckdb"


@app.command("publish")
def publish_command(
    features_dir: Annotated[Path, typer.Argument(help="Folder written by `features build`.")],
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="SQLAlchemy URL of the serving store. Default: DATABASE_URL or "
            "SQLite under CREDIT_SCORING_HOME.",
        ),
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Load history.parquet into the history store as a new current version."""
    from credit_scoring.features.publish import publish_history

    url = database_url or get_settings().resolved_database_url
    result = publish_history(features_dir, url, log=_Steps(quiet=quiet))
    typer.echo(
        f"published feature set {result.version}: {result.row_count:,} clients × "
        f"{result.n_columns} features in {result.table_name} ({result.database_url})"
    )
