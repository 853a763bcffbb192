"""``credit-scoring train``: cross-validate, calibrate, choose the threshold, bundle, register."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from credit_scoring.cli.options import Quiet, out_option, progress_log
from credit_scoring.settings import get_settings


def quiet_openmp() -> None:
    """Let idle OpenMP threads sleep instead of spin (set before LightGBM loads OpenMP).

    On a machine shared with other work, spinning LightGBM threads were measured ~10× slower
    than one thread; with passive waiting two threads are never slower than one.
    """
    if "lightgbm" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def train_command(
    features_dir: Annotated[
        Path, typer.Argument(help="Features folder (train.parquet + feature_set.json).")
    ],
    data_dir: Annotated[
        Path | None,
        typer.Option(help="DATA_DIR the features were built from (per-table provenance)."),
    ] = None,
    tune_trials: Annotated[
        int | None, typer.Option(min=1, help="Optuna trials (default: the fixed configuration).")
    ] = None,
    time_budget: Annotated[
        float | None, typer.Option(min=0.1, help="Tuning time budget in minutes.")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            help="With auto-approval (CREDIT_SCORING_AUTO_APPROVE_BY): approve this model even "
            "if it does not beat the champion."
        ),
    ] = False,
    cost_fn: Annotated[
        float | None, typer.Option(min=0.0, help="Cost of a missed default (default: settings).")
    ] = None,
    cost_fp: Annotated[
        float | None,
        typer.Option(min=0.0, help="Cost of a refused good client (default: settings)."),
    ] = None,
    review_band: Annotated[
        float,
        typer.Option(
            min=0.0, max=0.5, help="REVIEW band ± around the threshold (probability; 0: none)."
        ),
    ] = 0.01,
    folds: Annotated[int, typer.Option(min=2, max=20, help="Cross-validation folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of folds, LightGBM and tuning.")] = 42,
    learning_rate: Annotated[
        float | None,
        typer.Option(
            min=0.001, max=1.0, help="LightGBM learning rate (default: by rule from the rows)."
        ),
    ] = None,
    max_rounds: Annotated[int, typer.Option(min=1, help="Boosting rounds before stopping.")] = 2000,
    threads: Annotated[int, typer.Option(min=0, help="LightGBM threads (0: every core).")] = 0,
    out: Annotated[
        Path | None, out_option("Bundle folder (default: HOME/models/<time>-<set>).")
    ] = None,
    track: Annotated[bool, typer.Option(help="Log runs to MLflow and register the bundle.")] = True,
    monotone: Annotated[
        bool, typer.Option(help="Monotone constraints on features of known direction.")
    ] = True,
    scorecard: Annotated[
        bool, typer.Option(help="Train the WoE scorecard challenger on the same folds.")
    ] = True,
    serve: Annotated[
        str, typer.Option(help="Model the bundle serves: lightgbm or scorecard.")
    ] = "lightgbm",
    fairness_min_share: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Smallest group judged for fairness (share of rows)."),
    ] = 0.01,
    fairness_min_count: Annotated[
        int, typer.Option(min=1, help="Smallest group judged for fairness (applications).")
    ] = 30,
    quiet: Quiet = False,
) -> None:
    """Train, evaluate and register the model on FEATURES_DIR."""
    quiet_openmp()
    from credit_scoring.training.cv import BoostingConfig
    from credit_scoring.training.fairness import FairnessPolicy
    from credit_scoring.training.run import run_training
    from credit_scoring.training.train import TrainOptions

    if serve not in ("lightgbm", "scorecard"):
        raise typer.BadParameter(f"--serve must be lightgbm or scorecard, not {serve!r}")
    if serve == "scorecard" and not scorecard:
        raise typer.BadParameter("--serve scorecard needs the scorecard (drop --no-scorecard)")
    settings = get_settings()
    log = progress_log(quiet=quiet)
    options = TrainOptions(
        cost_fn=settings.cost_fn if cost_fn is None else cost_fn,
        cost_fp=settings.cost_fp if cost_fp is None else cost_fp,
        tune_trials=tune_trials,
        time_budget_minutes=time_budget,
        boosting=BoostingConfig(
            max_rounds=max_rounds, n_folds=folds, seed=seed, num_threads=threads
        ),
        params={} if learning_rate is None else {"learning_rate": learning_rate},
        review_band=review_band,
        monotone=monotone,
        scorecard=scorecard,
        served_model=serve,
        fairness=FairnessPolicy(min_share=fairness_min_share, min_count=fairness_min_count),
    )
    result = run_training(
        features_dir,
        settings=settings,
        options=options,
        data_dir=data_dir,
        out_dir=out,
        track=track,
        log=log,
    )
    summary = result.outcome.summary
    typer.echo(f"{'candidate':<10} {'AUC':>7} {'KS':>7} {'Brier':>8} {'cost':>7} {'threshold':>9}")
    for name, m in summary["candidates"].items():
        typer.echo(
            f"{name:<10} {m['auc']:7.4f} {m['ks']:7.4f} {m['brier']:8.5f} {m['cost']:7.4f} "
            f"{m['threshold']:9.4f}"
        )
    threshold = summary["threshold"]
    typer.echo(
        f"threshold {threshold['optimal']['threshold']:.4f} (calibrated, "
        f"{summary['calibration_method']}): cost {threshold['optimal']['cost']:.4f} vs "
        f"{threshold['at_0_5']['cost']:.4f} at 0.5, approval "
        f"{threshold['optimal']['approval_rate']:.3f}, recall {threshold['optimal']['recall']:.3f}"
    )
    flagged = [r for r in summary["fairness"]["rows"] if r["flagged"]]
    for row in flagged:
        typer.echo(
            f"fairness flag: {row['attribute']}={row['group']} adverse-impact ratio "
            f"{row['adverse_impact_ratio']:.3f} vs {row['reference']} (95 % CI "
            f"{row['air_lower']:.3f} … {row['air_upper']:.3f}, wholly below 0.8)",
            err=True,
        )
    if not summary["beats_baselines"]:
        typer.echo(
            f"warning: the served {summary['served_model']} model does not beat both baselines "
            "on AUC and cost",
            err=True,
        )
    typer.echo(f"bundle: {result.bundle_dir}")
    if result.promotion is not None and settings.auto_approve_by:
        from credit_scoring.governance.auto import auto_approve_trained

        result = auto_approve_trained(
            result, settings=settings, force=force, features_dir=features_dir
        )
    elif force:
        typer.echo("warning: --force has no effect without auto-approval", err=True)
    if result.promotion is not None:
        p = result.promotion
        state = "champion" if p.promoted else "candidate"
        typer.echo(f"registry: {settings.registered_model_name} v{p.version} {state} ({p.reason})")
