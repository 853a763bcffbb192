"""Training stage: baselines and LightGBM cross-validated on the same folds, tuning, class
imbalance chosen by CV cost, calibration, cost-optimal threshold, refit, bundle metadata.

:func:`fit_model` is pure (arrays in, a :class:`TrainingOutcome` out); :func:`run_training`
reads a FEATURES_DIR, writes the bundle and records everything in MLflow.
"""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from credit_scoring.metrics import brier_score, ks_statistic, optimal_threshold, roc_auc
from credit_scoring.model.baselines import LOGISTIC_C, cross_validate_baseline
from credit_scoring.model.bundle import BUNDLE_FORMAT_VERSION
from credit_scoring.model.calibration import (
    CalibrationChoice,
    choose_calibration,
    reliability_table,
)
from credit_scoring.model.card import bootstrap_intervals, model_card
from credit_scoring.model.cv import (
    DEFAULT_PARAMS,
    BoostingConfig,
    CVResult,
    binned_dataset,
    cross_validate,
    merge_cv,
    refit,
    stratified_folds,
)
from credit_scoring.model.dataset import TrainingData
from credit_scoring.model.fairness import FairnessReport, fairness_report
from credit_scoring.model.reasons import CATALOGUE_VERSION, ReasonIndex, reason_group
from credit_scoring.model.reference import reference_bins
from credit_scoring.model.scorecard import ScoreScaling
from credit_scoring.model.threshold import ThresholdReport, choose_threshold
from credit_scoring.model.tune import tune

Log = Callable[[str], None]
IMBALANCE_OPTIONS = ("none", "balanced")


@dataclass(frozen=True)
class TrainOptions:
    """What to train and how. Costs are per missed default / per refused good client."""

    cost_fn: float = 10.0
    cost_fp: float = 1.0
    tune_trials: int | None = None
    time_budget_minutes: float | None = None
    boosting: BoostingConfig = field(default_factory=BoostingConfig)
    params: dict[str, Any] = field(default_factory=dict)  # overrides of DEFAULT_PARAMS
    imbalance_options: tuple[str, ...] = IMBALANCE_OPTIONS
    #: Folds on which the imbalance options are compared (the winner completes the rest).
    screen_folds: int = 2
    review_band: float = 0.0
    scaling: ScoreScaling = field(default_factory=ScoreScaling)
    n_boot: int = 200
    baselines: bool = True

    @property
    def tuning(self) -> bool:
        return bool(self.tune_trials) or bool(self.time_budget_minutes)


def candidate_metrics(
    y_true: NDArray[np.int8], y_prob: NDArray[np.float64], *, cost_fn: float, cost_fp: float
) -> dict[str, float]:
    """AUC, Gini, KS, Brier and the cost-optimal threshold/cost of OOF probabilities."""
    auc = roc_auc(y_true, y_prob)
    best = optimal_threshold(y_true, y_prob, cost_fn=cost_fn, cost_fp=cost_fp)
    return {
        "auc": auc,
        "gini": 2.0 * auc - 1.0,
        "ks": ks_statistic(y_true, y_prob),
        "brier": brier_score(y_true, y_prob),
        "cost": best.cost,
        "threshold": best.threshold,
        "approval_rate": best.approval_rate,
        "recall": best.recall,
    }


@dataclass(frozen=True)
class TrainingOutcome:
    """Everything training produced, before anything is written."""

    booster: lgb.Booster
    metadata: dict[str, Any]
    model_card: str
    summary: dict[str, Any]
    cv: CVResult
    calibration: CalibrationChoice
    threshold: ThresholdReport
    fairness: FairnessReport
    oof_probs: dict[str, NDArray[np.float64]]
    y: NDArray[np.int8]
    ids: NDArray[np.int64]


def git_commit() -> str | None:
    """The checkout's commit, when the package runs from a git checkout."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in ("lightgbm", "numpy", "pandas", "scikit-learn", "mlflow", "optuna", "fairlearn"):
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def _select_lightgbm(
    data: TrainingData,
    *,
    folds: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
    options: TrainOptions,
    binned: lgb.Dataset,
    log: Log,
) -> tuple[CVResult, str, dict[str, float], int]:
    """Parameters (default or tuned), then the imbalance option with the lowest CV cost."""
    categorical = data.categorical_indices
    params = {**DEFAULT_PARAMS, **options.params}
    n_trials = 0
    tuned_cv: CVResult | None = None
    if options.tuning:
        budget = options.time_budget_minutes * 60.0 if options.time_budget_minutes else None
        log(f"tuning: {options.tune_trials or 'unlimited'} trial(s), budget {budget or '∞'} s")
        result = tune(
            data.X,
            data.y,
            folds=folds,
            categorical=categorical,
            config=options.boosting,
            n_trials=options.tune_trials,
            timeout_seconds=budget,
            base_params=params,
            binned=binned,
            on_trial=lambda i, auc: log(f"  trial {i}: OOF AUC {auc:.4f}"),
        )
        params, n_trials, tuned_cv = result.params, result.n_trials, result.best_cv
    positives = int(data.y.sum())
    ratio = (len(data.y) - positives) / max(positives, 1)
    # Imbalance options are compared on the first ``screen_folds`` folds only (same rows for
    # every option); the winner then runs on the remaining folds to complete its OOF scores.
    screen = folds[: options.screen_folds] if len(options.imbalance_options) > 1 else folds
    screened = np.concatenate([valid for _, valid in screen])
    costs: dict[str, float] = {}
    best: tuple[float, str, CVResult, float] | None = None
    for option in options.imbalance_options:
        weight = ratio if option == "balanced" else 1.0
        if option == "none" and tuned_cv is not None:
            cv = tuned_cv
        else:
            cv = cross_validate(
                data.X,
                data.y,
                folds=screen,
                categorical=categorical,
                params=params,
                config=options.boosting,
                scale_pos_weight=weight,
                binned=binned,
            )
        y_screen, p_screen = data.y[screened], cv.oof_prob[screened]
        cost = optimal_threshold(
            y_screen, p_screen, cost_fn=options.cost_fn, cost_fp=options.cost_fp
        ).cost
        costs[option] = cost
        on = (
            f"screened on folds 1–{len(screen)} of {len(folds)}"
            if len(screen) < len(folds)
            else f"on {len(folds)} folds"
        )
        log(
            f"lightgbm [{option}] {on}: AUC {roc_auc(y_screen, p_screen):.4f}, "
            f"cost {cost:.4f}, rounds {list(cv.best_rounds[: len(screen)])}"
        )
        if best is None or cost < best[0]:
            best = (cost, option, cv, weight)
    assert best is not None
    _, option, cv, weight = best
    rest = folds[len(screen) :]
    if rest and len(cv.best_rounds) < len(folds):
        remaining = cross_validate(
            data.X,
            data.y,
            folds=rest,
            categorical=categorical,
            params=params,
            config=options.boosting,
            scale_pos_weight=weight,
            binned=binned,
        )
        cv = merge_cv(cv, remaining)
        log(
            f"lightgbm [{option}] on folds {len(screen) + 1}–{len(folds)} too (all {len(folds)} "
            f"folds out of fold): rounds {list(cv.best_rounds)}"
        )
    return cv, option, costs, n_trials


def fit_model(
    data: TrainingData,
    *,
    options: TrainOptions,
    model_name: str = "credit-scoring",
    uses_protected: bool = False,
    log: Log = lambda message: None,
) -> TrainingOutcome:
    """Cross-validate the candidates, choose and calibrate LightGBM, refit, describe it."""
    started = time.monotonic()
    config = options.boosting
    folds = stratified_folds(data.y, n_folds=config.n_folds, seed=config.seed)
    y = data.y
    oof_probs: dict[str, NDArray[np.float64]] = {}
    candidates: dict[str, dict[str, float]] = {}
    names = [*(("dummy", "logistic") if options.baselines else ()), "lightgbm"]
    log(
        f"{len(folds)}-fold stratified CV, candidates {', '.join(names)} (LightGBM imbalance "
        f"options: {', '.join(options.imbalance_options)})"
    )
    if options.baselines:
        for kind in ("dummy", "logistic"):
            prob = cross_validate_baseline(
                kind,
                data.X,
                y,
                folds=folds,
                categorical=data.categorical_indices,
                seed=config.seed,
                n_jobs=config.threads(),
            )
            oof_probs[kind] = prob
            candidates[kind] = candidate_metrics(
                y, prob, cost_fn=options.cost_fn, cost_fp=options.cost_fp
            )
            m = candidates[kind]
            log(f"{kind}: OOF AUC {m['auc']:.4f}, cost {m['cost']:.4f} ({len(folds)} folds)")

    binned = binned_dataset(data.X, y, data.categorical_indices, feature_names=list(data.features))
    cv, imbalance, imbalance_costs, n_trials = _select_lightgbm(
        data, folds=folds, options=options, binned=binned, log=log
    )
    calibration = choose_calibration(cv.oof_raw, y, folds=folds)
    prob = calibration.oof_prob
    oof_probs["lightgbm"] = prob
    metrics = candidate_metrics(y, prob, cost_fn=options.cost_fn, cost_fp=options.cost_fp)
    metrics["auc_raw"] = roc_auc(y, cv.oof_raw)
    candidates["lightgbm"] = metrics
    threshold = choose_threshold(y, prob, cost_fn=options.cost_fn, cost_fp=options.cost_fp)
    beats = all(
        metrics["auc"] > candidates[k]["auc"] and metrics["cost"] < candidates[k]["cost"]
        for k in ("dummy", "logistic")
        if k in candidates
    )
    log(
        f"lightgbm chosen [{imbalance}], calibration {calibration.calibration.method}, "
        f"out of fold on {len(folds)} folds: "
        f"AUC {metrics['auc']:.4f}, Brier {metrics['brier']:.5f}, cost {metrics['cost']:.4f} "
        f"at threshold {threshold.threshold:.4f} (cost at 0.5: {threshold.at_half.cost:.4f})"
    )

    booster = refit(
        data.X,
        y,
        categorical=data.categorical_indices,
        params=cv.params,
        rounds=cv.rounds,
        feature_names=list(data.features),
        binned=binned,
    )
    del binned
    refused = prob >= threshold.threshold
    fairness = fairness_report(y, refused, data.groups)
    intervals = bootstrap_intervals(
        y,
        prob,
        threshold=threshold.threshold,
        cost_fn=options.cost_fn,
        cost_fp=options.cost_fp,
        n_boot=options.n_boot,
        seed=config.seed,
    )
    gain = booster.feature_importance(importance_type="gain")
    train_raw = np.asarray(booster.predict(data.X, raw_score=True), dtype=np.float64)
    train_prob = calibration.calibration.apply(train_raw)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    commit = git_commit()
    index = ReasonIndex.build(data.features)
    metadata: dict[str, Any] = {
        "format_version": BUNDLE_FORMAT_VERSION,
        "created_at": created_at,
        "git_commit": commit,
        "model_name": model_name,
        "features": list(data.features),
        "categorical_features": list(data.categorical_features),
        "vocabularies": {k: list(v) for k, v in data.vocabularies.items()},
        "feature_set_version": data.feature_set.version,
        "feature_set": data.feature_set.to_json(),
        "history_features": [
            f for f in data.features if f in set(data.feature_set.history_features)
        ],
        "threshold": threshold.threshold,
        "review_band": options.review_band,
        "cost": {"cost_fn": options.cost_fn, "cost_fp": options.cost_fp},
        "calibration": calibration.calibration.to_json(),
        "score_scaling": options.scaling.to_json(),
        "reasons": {
            "catalogue_version": CATALOGUE_VERSION,
            "max_reasons": 4,
            "groups": [{"code": g.code, "text": g.text} for g in index.groups],
            "feature_groups": {f: reason_group(f).code for f in data.features},
        },
        "reference_bins": reference_bins(
            data.X,
            features=data.features,
            vocabularies=data.vocabularies,
            outputs={
                "probability": train_prob,
                "points": options.scaling.points(train_prob),
                "oof_probability": prob,
            },
        ),
        "data_fingerprint": data.fingerprint,
        "library_versions": library_versions(),
        "training": {
            "params": {k: v for k, v in cv.params.items() if k != "num_threads"},
            "rounds": cv.rounds,
            "fold_best_rounds": list(cv.best_rounds),
            "imbalance": imbalance,
            "imbalance_costs": imbalance_costs,
            "tuning_trials": n_trials,
            "n_folds": config.n_folds,
            "seed": config.seed,
            "n_rows": len(y),
            "default_rate": float(np.mean(y)),
        },
        "metrics": {
            "candidates": candidates,
            "threshold": threshold.to_json(),
            "brier_by_method": calibration.brier_by_method,
            "intervals": {k: list(v) for k, v in intervals.items()},
            "beats_baselines": beats,
        },
    }
    summary: dict[str, Any] = {
        "model_name": model_name,
        "created_at": created_at,
        "git_commit": commit,
        "feature_set_version": data.feature_set.version,
        "bundle_format_version": BUNDLE_FORMAT_VERSION,
        "uses_protected": uses_protected,
        "n_rows": len(y),
        "n_folds": config.n_folds,
        "default_rate": float(np.mean(y)),
        "n_features": len(data.features),
        "n_history_features": len(metadata["history_features"]),
        "data_fingerprint": data.fingerprint,
        "candidates": candidates,
        "metrics": metrics,
        "intervals": intervals,
        "threshold": threshold.to_json(),
        "imbalance": imbalance,
        "rounds": cv.rounds,
        "tuning_trials": n_trials,
        "calibration_method": calibration.calibration.method,
        "brier_by_method": calibration.brier_by_method,
        "reliability": reliability_table(y, prob),
        "fairness": fairness.to_json(),
        "beats_baselines": beats,
        "feature_gain": dict(zip(data.features, (float(g) for g in gain), strict=True)),
        "seconds": time.monotonic() - started,
    }
    metadata["metrics"]["reliability"] = summary["reliability"]
    metadata["metrics"]["fairness"] = summary["fairness"]
    card = model_card(summary)
    return TrainingOutcome(
        booster=booster,
        metadata=metadata,
        model_card=card,
        summary=summary,
        cv=cv,
        calibration=calibration,
        threshold=threshold,
        fairness=fairness,
        oof_probs=oof_probs,
        y=y,
        ids=data.ids,
    )


__all__ = ["LOGISTIC_C", "TrainOptions", "TrainingOutcome", "candidate_metrics", "fit_model"]
