"""``credit-scoring train``: FEATURES_DIR → trained, documented bundle → MLflow runs → registry.

One MLflow run per candidate (dummy, logistic, lightgbm) with parameters, metrics, data
fingerprint and git commit; the LightGBM run also gets the plots, the model card and the bundle,
which is signed (when a signing key is configured) and registered under
``Settings.registered_model_name`` as a ``candidate``: it becomes champion only through the
governed lifecycle (validation, a named approval; :mod:`credit_scoring.governance`).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from credit_scoring.io import write_json
from credit_scoring.outputs import claim_output_dir, remove_stale_temporaries
from credit_scoring.runtime.bundle import CHECKSUMS_FILE, write_bundle
from credit_scoring.runtime.registry import BUNDLE_ARTIFACT_PATH, mlflow_client
from credit_scoring.settings import Settings
from credit_scoring.training.abandoned import fail_abandoned_runs, owner_tags
from credit_scoring.training.dataset import load_training_data
from credit_scoring.training.registry import Promotion, experiment_id, register_candidate
from credit_scoring.training.signing import sign_if_configured
from credit_scoring.training.threshold import cost_curve
from credit_scoring.training.train import Log, TrainingOutcome, TrainOptions, fit_model


@dataclass(frozen=True)
class TrainingRun:
    bundle_dir: Path
    outcome: TrainingOutcome
    run_ids: dict[str, str]
    promotion: Promotion | None


def _flat(prefix: str, value: Any) -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flat(f"{prefix}.{k}" if prefix else str(k), v))
        return out
    return {prefix: str(value)}


#: Out-of-fold predictions of every candidate (SK_ID_CURR, TARGET, one column per candidate),
#: logged on the LightGBM run: the validation report reads them, never re-scoring seen rows.
OOF_ARTIFACT = "oof_predictions.parquet"


def write_oof(outcome: TrainingOutcome, path: Path) -> Path:
    import pandas as pd

    frame = pd.DataFrame({"SK_ID_CURR": outcome.ids, "TARGET": outcome.y})
    for name, probs in outcome.oof_probs.items():
        frame[f"oof_{name}"] = probs
    frame.to_parquet(path, index=False)
    return path


def write_plots(
    outcome: TrainingOutcome, plot_dir: Path, *, cost_fn: float, cost_fp: float
) -> list[Path]:
    """ROC, cost vs threshold, calibration and importance plots (PNG) into ``plot_dir``."""
    from credit_scoring.training.plots import calibration_plot, cost_plot, importance_plot, roc_plot

    plot_dir.mkdir(parents=True, exist_ok=True)
    y = outcome.y
    lgbm = outcome.oof_probs["lightgbm"]
    thresholds, costs = cost_curve(y, lgbm, cost_fn=cost_fn, cost_fp=cost_fp)
    gain = outcome.booster.feature_importance(importance_type="gain")
    return [
        roc_plot(plot_dir / "roc.png", y, outcome.oof_probs),
        cost_plot(
            plot_dir / "cost_vs_threshold.png",
            thresholds,
            costs,
            chosen=outcome.threshold.threshold,
        ),
        calibration_plot(
            plot_dir / "calibration.png",
            y,
            {"raw": outcome.cv.oof_prob, "calibrated": lgbm},
        ),
        importance_plot(plot_dir / "feature_importance.png", outcome.booster.feature_name(), gain),
    ]


def default_bundle_dir(settings: Settings, outcome: TrainingOutcome) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return settings.home / "models" / f"{stamp}-{outcome.metadata['feature_set_version']}"


def run_training(
    features_dir: Path,
    *,
    settings: Settings,
    options: TrainOptions,
    data_dir: Path | None = None,
    out_dir: Path | None = None,
    track: bool = True,
    log: Log = lambda message: None,
) -> TrainingRun:
    """Train on ``features_dir``, write the bundle, log and register it (when ``track``).

    ``data_dir`` (optional) is the DATA_DIR the features came from: its manifest adds rows
    and hashes per source table to the data fingerprint.
    """
    if out_dir is not None:  # checked before hours of training, not after
        inputs = [Path(features_dir)] + ([Path(data_dir)] if data_dir is not None else [])
        claim_output_dir(out_dir, command="train", marker=CHECKSUMS_FILE, inputs=inputs)
        remove_stale_temporaries(Path(out_dir))
    data = load_training_data(
        features_dir, use_protected_attributes=settings.use_protected_attributes, data_dir=data_dir
    )
    log(f"{len(data.y):,} rows × {len(data.features)} features, default rate {data.y.mean():.4f}")
    outcome = fit_model(
        data,
        options=options,
        model_name=settings.registered_model_name,
        uses_protected=settings.use_protected_attributes,
        log=log,
    )
    bundle_dir = write_bundle(
        out_dir or default_bundle_dir(settings, outcome),
        booster=outcome.booster,
        metadata=outcome.metadata,
        model_card=outcome.model_card,
        scorecard=outcome.scorecard,
    )
    signature = sign_if_configured(bundle_dir, settings)
    log(f"bundle written to {bundle_dir}" + (f" (signed: {signature.name})" if signature else ""))
    if not track:
        return TrainingRun(bundle_dir, outcome, {}, None)
    run_ids, promotion = track_training(
        outcome, bundle_dir=bundle_dir, settings=settings, options=options
    )
    log(f"registered {settings.registered_model_name} v{promotion.version} as a candidate")
    return TrainingRun(bundle_dir, outcome, run_ids, promotion)


def track_training(
    outcome: TrainingOutcome,
    *,
    bundle_dir: Path,
    settings: Settings,
    options: TrainOptions,
) -> tuple[dict[str, str], Promotion]:
    """Log one MLflow run per candidate and register the LightGBM bundle."""
    from mlflow.entities import Metric, Param

    client = mlflow_client(settings)
    exp_id = experiment_id(client, settings)
    meta = outcome.metadata
    fail_abandoned_runs(client, exp_id)  # runs a killed `train` left RUNNING
    common_tags = {
        **owner_tags(),
        "git_commit": meta.get("git_commit") or "unknown",
        "feature_set_version": meta["feature_set_version"],
        **{f"data.{k}": v for k, v in _flat("", meta["data_fingerprint"]).items()},
    }
    params_by_candidate: dict[str, dict[str, Any]] = {
        "dummy": {"strategy": "prior"},
        "logistic": {
            "C": 0.05,
            "numeric": "median+indicator, arcsinh, standardised",
            "categorical": "one-hot",
        },
        "lightgbm": {
            **meta["training"]["params"],
            "rounds": meta["training"]["rounds"],
            "imbalance": meta["training"]["imbalance"],
            "tuning_trials": meta["training"]["tuning_trials"],
            "calibration": meta["calibration"]["method"],
        },
    }
    run_ids: dict[str, str] = {}
    for name, metrics in outcome.summary["candidates"].items():
        run = client.create_run(exp_id, run_name=name, tags={**common_tags, "candidate": name})
        run_id = run.info.run_id
        run_ids[name] = run_id
        params = {
            **params_by_candidate.get(name, {}),
            "n_folds": options.boosting.n_folds,
            "seed": options.boosting.seed,
            "cost_fn": options.cost_fn,
            "cost_fp": options.cost_fp,
        }
        values = dict(metrics)
        if name == "lightgbm":
            values["cost_at_0_5"] = outcome.threshold.at_half.cost
            values["fairness_flags"] = float(len(outcome.fairness.flagged))
        now = int(time.time() * 1000)
        client.log_batch(
            run_id,
            metrics=[Metric(k, float(v), now, 0) for k, v in values.items()],
            params=[Param(k, str(v)[:6000]) for k, v in params.items()],
        )
        if name == "lightgbm":
            with tempfile.TemporaryDirectory() as tmp:
                plots = write_plots(
                    outcome, Path(tmp) / "plots", cost_fn=options.cost_fn, cost_fp=options.cost_fp
                )
                client.log_artifacts(run_id, str(plots[0].parent), "plots")
                write_json(Path(tmp) / "summary.json", outcome.summary)
                client.log_artifact(run_id, str(Path(tmp) / "summary.json"))
                oof_path = write_oof(outcome, Path(tmp) / OOF_ARTIFACT)
                client.log_artifact(run_id, str(oof_path))
            client.log_artifact(run_id, str(bundle_dir / "model_card.md"))
            client.log_artifacts(run_id, str(bundle_dir), BUNDLE_ARTIFACT_PATH)
        client.set_terminated(run_id)
    lgbm_run = client.get_run(run_ids["lightgbm"])
    promotion = register_candidate(
        client,
        model_name=settings.registered_model_name,
        run_id=run_ids["lightgbm"],
        source=f"{lgbm_run.info.artifact_uri}/{BUNDLE_ARTIFACT_PATH}",
        cv_cost=float(outcome.summary["metrics"]["cost"]),
        tags={
            "feature_set_version": meta["feature_set_version"],
            # The training rows: CV figures compare only between versions trained on the same.
            "data_fingerprint": str(meta["data_fingerprint"].get("train_parquet_sha256", "")),
            "beats_baselines": str(bool(outcome.summary["beats_baselines"])).lower(),
            "run_id": run_ids["lightgbm"],
        },
    )
    return run_ids, promotion
