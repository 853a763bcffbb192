"""``credit-scoring score-batch``: score a whole application file with the champion model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from credit_scoring.cli.options import ModelUri, Quiet, out_option, progress_log
from credit_scoring.cli.train import quiet_openmp
from credit_scoring.settings import get_settings


def score_batch_command(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT", help="Applications: .csv, .csv.gz, .csv.zip or .parquet file."
        ),
    ],
    out: Annotated[Path, out_option("Output file: .csv or .parquet (atomic).")],
    engine: Annotated[
        str, typer.Option(help="local (every core of this machine) or spark.")
    ] = "local",
    model: ModelUri = None,
    features_dir: Annotated[
        Path | None,
        typer.Option(
            help="FEATURES_DIR whose history.parquet holds the clients' history (default: the "
            "history store published in the database for the model's feature set)."
        ),
    ] = None,
    reasons: Annotated[
        bool, typer.Option(help="Reason codes for adverse decisions (TreeSHAP, slower).")
    ] = True,
    counter_offers: Annotated[
        bool,
        typer.Option(
            help="Counter-offer columns: the largest approvable amount of each REFUSE/REVIEW "
            "(local engine)."
        ),
    ] = True,
    chunk_rows: Annotated[int, typer.Option(min=1, help="Applications scored per chunk.")] = 20_000,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Local threads (default: every core).")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Score every application of INPUT with one model and write one decision per row."""
    quiet_openmp()
    from credit_scoring.batch import load_batch_model, score_batch
    from credit_scoring.batch.run import ENGINES
    from credit_scoring.runtime.counter_offer import policy_from_settings

    if engine not in ENGINES:
        raise typer.BadParameter(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    from credit_scoring.batch.run import check_batch_paths

    check_batch_paths(input_path, out, features_dir=features_dir)  # before loading the model
    settings = get_settings()
    log = progress_log(quiet=quiet)
    uri = model or settings.resolved_model_uri
    log(f"loading the model {uri} (bundle checksums verified) …")
    batch_model = load_batch_model(uri, settings)
    log(f"model {batch_model.model_version} loaded from {uri}")
    spark_session = None
    if engine == "spark":
        from credit_scoring.spark_session import spark_session_or_local

        spark_session = spark_session_or_local()
    result = score_batch(
        input_path,
        out,
        model=batch_model,
        features_dir=features_dir,
        database_url=None if features_dir is not None else settings.resolved_database_url,
        engine="spark" if engine == "spark" else "local",
        with_reasons=reasons,
        review_band=settings.review_band,
        chunk_rows=chunk_rows,
        workers=workers,
        spark_session=spark_session,
        log=log,
        counter_offers=policy_from_settings(settings) if counter_offers else None,
    )
    decisions = ", ".join(f"{k} {v:,}" for k, v in sorted(result.decisions.items()))
    seconds = result.seconds["total"]
    typer.echo(
        f"{result.rows:,} applications scored → {result.output_path} ({decisions}; history "
        f"found for {result.history_found:,}; {seconds:.1f} s, "
        f"{result.rows / max(seconds, 1e-9):,.0f} applications/s)"
    )
