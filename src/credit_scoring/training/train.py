"""Training stage: baselines, LightGBM and the scorecard challenger cross-validated on the
same folds; tuning, class imbalance and calibration chosen only when they beat the default by
more than the noise (:mod:`credit_scoring.training.screens`); cost-optimal threshold, refit,
bundle metadata.

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

from credit_scoring.metrics import (
    COST_FN,
    COST_FP,
    brier_score,
    ks_statistic,
    optimal_threshold,
    roc_auc,
)
from credit_scoring.runtime.calibration import IDENTITY, PROB_MAX, PROB_MIN, Calibration
from credit_scoring.runtime.metadata import BUNDLE_FORMAT_VERSION
from credit_scoring.runtime.points_table import PointsTable
from credit_scoring.runtime.reasons import CATALOGUE_VERSION, ReasonIndex, reason_group
from credit_scoring.runtime.reference import reference_bins
from credit_scoring.runtime.scorecard import ScoreScaling
from credit_scoring.training.baselines import LOGISTIC_C, cross_validate_baseline
from credit_scoring.training.calibration import (
    CalibrationChoice,
    choose_calibration,
    reliability_table,
)
from credit_scoring.training.card import bootstrap_intervals, model_card
from credit_scoring.training.checks import check_training_set
from credit_scoring.training.cv import (
    INNER_VALID_FRACTION,
    BoostingConfig,
    CVResult,
    binned_dataset,
    refit,
    size_params,
    size_rule,
    stratified_folds,
)
from credit_scoring.training.dataset import TrainingData
from credit_scoring.training.fairness import FairnessPolicy, FairnessReport, fairness_report
from credit_scoring.training.monotone import constraint_table, monotone_params
from credit_scoring.training.screens import Choice, choose_imbalance, choose_tuned
from credit_scoring.training.threshold import ThresholdReport, choose_threshold
from credit_scoring.training.tune import tune
from credit_scoring.training.woe_scorecard import (
    MAX_CHARACTERISTICS,
    cross_validate_scorecard,
    fit_scorecard,
)

Log = Callable[[str], None]
IMBALANCE_OPTIONS = ("none", "balanced")


#: The REVIEW band trained bundles carry unless told otherwise (±1 percentage point).
DEFAULT_REVIEW_BAND = 0.01


@dataclass(frozen=True)
class TrainOptions:
    """What to train and how. Costs are per missed default / per refused good client."""

    cost_fn: float = COST_FN
    cost_fp: float = COST_FP
    tune_trials: int | None = None
    time_budget_minutes: float | None = None
    boosting: BoostingConfig = field(default_factory=BoostingConfig)
    params: dict[str, Any] = field(default_factory=dict)  # overrides of DEFAULT_PARAMS
    imbalance_options: tuple[str, ...] = IMBALANCE_OPTIONS
    #: Half-width of the REVIEW band around the threshold (probability): ±1 pp sends about
    #: 4 % of the demo's applications to an underwriter (docs/review.md).
    review_band: float = DEFAULT_REVIEW_BAND
    scaling: ScoreScaling = field(default_factory=ScoreScaling)
    n_boot: int = 200
    baselines: bool = True
    #: Monotone constraints of :mod:`credit_scoring.training.monotone` (on by default: they cost
    #: ≤ 0.002 AUC on the synthetic full size and the real sample, see docs/model.md).
    monotone: bool = True
    #: Train the scorecard challenger beside LightGBM on the same folds.
    scorecard: bool = True
    scorecard_characteristics: int = MAX_CHARACTERISTICS
    #: The model the bundle serves: "lightgbm" or "scorecard" (scored from its points table).
    served_model: str = "lightgbm"
    fairness: FairnessPolicy = field(default_factory=FairnessPolicy)

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
    scorecard: PointsTable | None
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
    params: dict[str, Any],
    binned: lgb.Dataset,
    log: Log,
) -> tuple[CVResult, str, list[Choice], int]:
    """Parameters (default, or tuned when they beat it by a margin), then the imbalance
    option (``none`` unless another beats it by a margin), all on every fold."""
    categorical = data.categorical_indices
    n_trials = 0
    choices: list[Choice] = []
    default_cv: CVResult | None = None
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
        n_trials = result.n_trials
        default_cv = result.base_cv
        if result.best_cv is not None and result.base_cv is not None:
            wins, choice = choose_tuned(
                data.y, folds=folds, default_cv=result.base_cv, tuned_cv=result.best_cv
            )
            choices.append(choice)
            log(choice.sentence())
            if wins:
                params, default_cv = result.params, result.best_cv
    cv, option, choice = choose_imbalance(
        data.X,
        data.y,
        folds=folds,
        categorical=categorical,
        params=params,
        config=options.boosting,
        options=options.imbalance_options,
        binned=binned,
        cost_fn=options.cost_fn,
        cost_fp=options.cost_fp,
        default_cv=default_cv,
        log=log,
    )
    choices.append(choice)
    log(choice.sentence())
    return cv, option, choices, n_trials


def _scorecard_candidate(
    data: TrainingData,
    *,
    folds: list[tuple[NDArray[np.intp], NDArray[np.intp]]],
    cv: CVResult,
    options: TrainOptions,
    log: Log,
) -> NDArray[np.float64]:
    """The scorecard's out-of-fold raw log-odds (each fold from its own points table)."""
    started = time.monotonic()
    raw = cross_validate_scorecard(
        data.X,
        data.y,
        folds=folds,
        features=data.features,
        categorical=data.categorical_features,
        fold_gain=cv.fold_gain,
        scaling=options.scaling,
        limit=options.scorecard_characteristics,
        n_jobs=options.boosting.threads(),
    )
    log(
        f"scorecard ({options.scorecard_characteristics} characteristics max, optimal monotonic "
        f"binning + WoE logistic) on {len(folds)} folds: OOF AUC {roc_auc(data.y, raw):.4f} "
        f"({time.monotonic() - started:.0f} s)"
    )
    return raw


Folds = list[tuple[NDArray[np.intp], NDArray[np.intp]]]


@dataclass
class Candidates:
    """Out-of-fold probabilities and metrics of every candidate, by name (labels ``y``)."""

    y: NDArray[np.int8]
    oof_probs: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, name: str, prob: NDArray[np.float64], options: TrainOptions) -> dict[str, float]:
        self.oof_probs[name] = prob
        self.metrics[name] = candidate_metrics(
            self.y, prob, cost_fn=options.cost_fn, cost_fp=options.cost_fp
        )
        return self.metrics[name]


@dataclass(frozen=True)
class LightGBMCandidate:
    """The cross-validated LightGBM: its CV, the choices made (tuning, imbalance, calibration),
    its calibration and the parameters' monotone constraints."""

    cv: CVResult
    imbalance: str
    choices: list[Choice]
    n_trials: int
    calibration: CalibrationChoice
    monotone: bool
    constrained: list[dict[str, Any]]


@dataclass(frozen=True)
class ServedChoice:
    """The model served, its calibration, out-of-fold probabilities and metrics, the
    cost-optimal threshold and whether it beats the baselines."""

    served: str
    calibration: Calibration
    prob: NDArray[np.float64]
    metrics: dict[str, float]
    threshold: ThresholdReport
    beats: bool


@dataclass(frozen=True)
class Refit:
    """The final models fitted on every row and the evaluation of the served one."""

    booster: lgb.Booster
    gain: NDArray[np.float64]
    points_table: PointsTable | None
    fairness: FairnessReport
    intervals: dict[str, Any]
    train_prob: NDArray[np.float64]


def _cross_validate_baselines(
    data: TrainingData, *, folds: Folds, options: TrainOptions, log: Log
) -> Candidates:
    """The dummy and logistic baselines (when asked for) on the shared folds."""
    config = options.boosting
    candidates = Candidates(data.y)
    if options.baselines:
        for kind in ("dummy", "logistic"):
            prob = cross_validate_baseline(
                kind,
                data.X,
                data.y,
                folds=folds,
                categorical=data.categorical_indices,
                seed=config.seed,
                n_jobs=config.threads(),
            )
            m = candidates.add(kind, prob, options)
            log(f"{kind}: OOF AUC {m['auc']:.4f}, cost {m['cost']:.4f} ({len(folds)} folds)")
    return candidates


def _cross_validate_lightgbm(
    data: TrainingData, *, folds: Folds, options: TrainOptions, log: Log
) -> tuple[LightGBMCandidate, lgb.Dataset]:
    """LightGBM's parameters (size rule, monotone constraints, tuning, imbalance) and its
    calibration, chosen on the shared folds; and the binned training set (for the refit)."""
    y = data.y
    params = size_params(len(y))
    log(f"default parameters by size rule: {size_rule(len(y))}")
    monotone = (
        monotone_params(data.features, categorical=data.categorical_features)
        if options.monotone
        else {}
    )
    constrained = constraint_table(data.features, categorical=data.categorical_features)
    log(
        f"monotone constraints: {len(constrained)} feature(s) constrained"
        if monotone
        else "monotone constraints: off"
    )
    params.update(monotone)
    params.update(options.params)
    binned = binned_dataset(data.X, y, data.categorical_indices, feature_names=list(data.features))
    cv, imbalance, choices, n_trials = _select_lightgbm(
        data, folds=folds, options=options, params=params, binned=binned, log=log
    )
    calibration = choose_calibration(cv.oof_raw, y, folds=folds, seed=options.boosting.seed)
    choices.append(
        Choice(
            name="calibration",
            default="platt",
            chosen=calibration.calibration.method,
            compared=dict(calibration.brier_by_method),
            metric="cross-fitted Brier score",
            reason=calibration.reason,
        )
    )
    log(choices[-1].sentence())
    candidate = LightGBMCandidate(
        cv=cv,
        imbalance=imbalance,
        choices=choices,
        n_trials=n_trials,
        calibration=calibration,
        monotone=bool(monotone),
        constrained=constrained,
    )
    return candidate, binned


def _choose_served(
    data: TrainingData,
    candidates: Candidates,
    lgbm: LightGBMCandidate,
    *,
    folds: Folds,
    options: TrainOptions,
    log: Log,
) -> ServedChoice:
    """The served model (LightGBM, or the scorecard when asked for), its threshold, and
    whether it beats the baselines on AUC and cost."""
    y = data.y
    served = options.served_model
    if served == "scorecard" and "scorecard" not in candidates.oof_probs:
        raise ValueError("served_model 'scorecard' needs the scorecard (scorecard=True)")
    calibration = IDENTITY if served == "scorecard" else lgbm.calibration.calibration
    prob = candidates.oof_probs[served]
    metrics = candidates.metrics[served]
    threshold = choose_threshold(y, prob, cost_fn=options.cost_fn, cost_fp=options.cost_fp)
    beats = all(
        metrics["auc"] > candidates.metrics[k]["auc"]
        and metrics["cost"] < candidates.metrics[k]["cost"]
        for k in ("dummy", "logistic")
        if k in candidates.metrics
    )
    log(
        f"served model {served}, out of fold on {len(folds)} folds: AUC {metrics['auc']:.4f}, "
        f"Brier {metrics['brier']:.5f}, "
        f"cost {metrics['cost']:.4f} at threshold {threshold.threshold:.4f} "
        f"(cost at 0.5: {threshold.at_half.cost:.4f})"
    )
    return ServedChoice(served, calibration, prob, metrics, threshold, beats)


def _refit_lightgbm(
    data: TrainingData, lgbm: LightGBMCandidate, binned: lgb.Dataset
) -> lgb.Booster:
    """LightGBM refitted on every row with the chosen parameters and rounds."""
    return refit(
        data.X,
        data.y,
        categorical=data.categorical_indices,
        params=lgbm.cv.params,
        rounds=lgbm.cv.rounds,
        feature_names=list(data.features),
        binned=binned,
    )


def _evaluate(
    data: TrainingData, booster: lgb.Booster, choice: ServedChoice, *, options: TrainOptions
) -> Refit:
    """The scorecard refitted on every row (when asked for); fairness and bootstrap intervals
    of the served model's out-of-fold decisions; its probabilities on the training rows."""
    y = data.y
    config = options.boosting
    gain = np.asarray(booster.feature_importance(importance_type="gain"), dtype=np.float64)
    points_table: PointsTable | None = None
    if options.scorecard:
        points_table = fit_scorecard(
            data.X,
            y,
            features=data.features,
            categorical=data.categorical_features,
            gain=gain,
            scaling=options.scaling,
            limit=options.scorecard_characteristics,
            n_jobs=config.threads(),
        ).table
    refused = choice.prob >= choice.threshold.threshold
    fairness = fairness_report(y, refused, data.groups, policy=options.fairness)
    intervals = bootstrap_intervals(
        y,
        choice.prob,
        threshold=choice.threshold.threshold,
        cost_fn=options.cost_fn,
        cost_fp=options.cost_fp,
        n_boot=options.n_boot,
        seed=config.seed,
    )
    if choice.served == "scorecard" and points_table is not None:
        train_raw = points_table.bind(data.features).raw_score(data.X)
    else:
        train_raw = np.asarray(booster.predict(data.X, raw_score=True), dtype=np.float64)
    train_prob = choice.calibration.apply(train_raw)
    return Refit(booster, gain, points_table, fairness, intervals, train_prob)


def fit_model(
    data: TrainingData,
    *,
    options: TrainOptions,
    model_name: str = "credit-scoring",
    uses_protected: bool = False,
    log: Log = lambda message: None,
) -> TrainingOutcome:
    """Cross-validate the candidates, choose and calibrate LightGBM, refit, describe it:
    baselines → LightGBM → scorecard → served model and threshold → refit and evaluation →
    bundle metadata and training summary."""
    started = time.monotonic()
    config = options.boosting
    check_training_set(data, n_folds=config.n_folds)  # degenerate or non-finite: refused
    folds = stratified_folds(data.y, n_folds=config.n_folds, seed=config.seed)
    y = data.y
    names = [*(("dummy", "logistic") if options.baselines else ()), "lightgbm"]
    log(
        f"{len(folds)}-fold stratified CV, candidates {', '.join(names)} (LightGBM imbalance "
        f"options: {', '.join(options.imbalance_options)})"
    )
    candidates = _cross_validate_baselines(data, folds=folds, options=options, log=log)
    lgbm, binned = _cross_validate_lightgbm(data, folds=folds, options=options, log=log)
    cv, calibration = lgbm.cv, lgbm.calibration
    lgbm_metrics = candidates.add("lightgbm", calibration.oof_prob, options)
    lgbm_metrics["auc_raw"] = roc_auc(y, cv.oof_raw)
    lgbm_metrics["brier_raw"] = brier_score(y, cv.oof_prob)
    log(
        f"lightgbm [{lgbm.imbalance}]: OOF AUC raw {lgbm_metrics['auc_raw']:.4f}, calibrated "
        f"{lgbm_metrics['auc']:.4f}; Brier raw {lgbm_metrics['brier_raw']:.5f}, calibrated "
        f"{lgbm_metrics['brier']:.5f}; refit rounds {cv.rounds} (fold rounds "
        f"{list(cv.best_rounds)} scaled to {len(y):,} rows)"
    )
    if options.scorecard:
        scorecard_raw = _scorecard_candidate(data, folds=folds, cv=cv, options=options, log=log)
        candidates.add("scorecard", IDENTITY.apply(scorecard_raw), options)
    choice = _choose_served(data, candidates, lgbm, folds=folds, options=options, log=log)
    booster = _refit_lightgbm(data, lgbm, binned)
    del binned  # its memory back before the scorecard's refit
    fitted = _evaluate(data, booster, choice, options=options)
    metadata = _bundle_metadata(
        data, lgbm, choice, fitted, candidates=candidates, options=options, model_name=model_name
    )
    summary = _training_summary(
        data,
        lgbm,
        choice,
        fitted,
        metadata=metadata,
        uses_protected=uses_protected,
        options=options,
        seconds=time.monotonic() - started,
    )
    metadata["metrics"]["reliability"] = summary["reliability"]
    metadata["metrics"]["fairness"] = summary["fairness"]
    card = model_card(summary)
    return TrainingOutcome(
        booster=fitted.booster,
        scorecard=fitted.points_table,
        metadata=metadata,
        model_card=card,
        summary=summary,
        cv=cv,
        calibration=calibration,
        threshold=choice.threshold,
        fairness=fitted.fairness,
        oof_probs=candidates.oof_probs,
        y=y,
        ids=data.ids,
    )


def _bundle_metadata(
    data: TrainingData,
    lgbm: LightGBMCandidate,
    choice: ServedChoice,
    fitted: Refit,
    *,
    candidates: Candidates,
    options: TrainOptions,
    model_name: str,
) -> dict[str, Any]:
    """The bundle's ``metadata.json`` (format :data:`BUNDLE_FORMAT_VERSION`)."""
    y, cv, config = data.y, lgbm.cv, options.boosting
    index = ReasonIndex.build(data.features)
    return {
        "format_version": BUNDLE_FORMAT_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "model_name": model_name,
        "features": list(data.features),
        "categorical_features": list(data.categorical_features),
        "vocabularies": {k: list(v) for k, v in data.vocabularies.items()},
        "feature_set_version": data.feature_set.version,
        "feature_set": data.feature_set.to_json(),
        "history_features": [
            f for f in data.features if f in set(data.feature_set.history_features)
        ],
        "threshold": choice.threshold.threshold,
        "review_band": options.review_band,
        "cost": {"cost_fn": options.cost_fn, "cost_fp": options.cost_fp},
        "served_model": choice.served,
        "calibration": choice.calibration.to_json(),
        "probability_interval": [PROB_MIN, PROB_MAX],
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
                "probability": fitted.train_prob,
                "points": options.scaling.points(fitted.train_prob),
                "oof_probability": choice.prob,
            },
        ),
        "data_fingerprint": data.fingerprint,
        "library_versions": library_versions(),
        "training": {
            "params": {k: v for k, v in cv.params.items() if k != "num_threads"},
            "rounds": cv.rounds,
            "fold_best_rounds": list(cv.best_rounds),
            "fold_fit_rows": list(cv.fit_rows),
            "inner_valid_fraction": INNER_VALID_FRACTION,
            "size_rule": size_rule(len(y)),
            "imbalance": lgbm.imbalance,
            "choices": [c.to_json() for c in lgbm.choices],
            "monotone_constraints": lgbm.constrained if lgbm.monotone else [],
            "tuning_trials": lgbm.n_trials,
            "n_folds": config.n_folds,
            "seed": config.seed,
            "n_rows": len(y),
            "default_rate": float(np.mean(y)),
        },
        "metrics": {
            "candidates": candidates.metrics,
            "threshold": choice.threshold.to_json(),
            "brier_by_method": lgbm.calibration.brier_by_method,
            "lightgbm_calibration": lgbm.calibration.calibration.to_json(),
            "intervals": {k: list(v) for k, v in fitted.intervals.items()},
            "beats_baselines": choice.beats,
        },
    }


def _training_summary(
    data: TrainingData,
    lgbm: LightGBMCandidate,
    choice: ServedChoice,
    fitted: Refit,
    *,
    metadata: dict[str, Any],
    uses_protected: bool,
    options: TrainOptions,
    seconds: float,
) -> dict[str, Any]:
    """What the model card and the training output report."""
    y, cv, config = data.y, lgbm.cv, options.boosting
    return {
        "model_name": metadata["model_name"],
        "created_at": metadata["created_at"],
        "git_commit": metadata["git_commit"],
        "feature_set_version": data.feature_set.version,
        "bundle_format_version": BUNDLE_FORMAT_VERSION,
        "uses_protected": uses_protected,
        "n_rows": len(y),
        "n_folds": config.n_folds,
        "default_rate": float(np.mean(y)),
        "n_features": len(data.features),
        "n_history_features": len(metadata["history_features"]),
        "data_fingerprint": data.fingerprint,
        "candidates": metadata["metrics"]["candidates"],
        "metrics": choice.metrics,
        "served_model": choice.served,
        "intervals": fitted.intervals,
        "threshold": choice.threshold.to_json(),
        "imbalance": lgbm.imbalance,
        "rounds": cv.rounds,
        "fold_best_rounds": list(cv.best_rounds),
        "tuning_trials": lgbm.n_trials,
        "choices": [c.to_json() for c in lgbm.choices],
        "size_rule": size_rule(len(y)),
        "monotone_constraints": lgbm.constrained if lgbm.monotone else [],
        "calibration_method": choice.calibration.method
        if choice.served == "lightgbm"
        else "none (scorecard log-odds)",
        "brier_by_method": lgbm.calibration.brier_by_method,
        "probability_interval": [PROB_MIN, PROB_MAX],
        "scorecard_points": fitted.points_table.rows() if fitted.points_table is not None else [],
        "reliability": reliability_table(y, choice.prob),
        "fairness": fitted.fairness.to_json(),
        "beats_baselines": choice.beats,
        "feature_gain": dict(zip(data.features, (float(g) for g in fitted.gain), strict=True)),
        "fairness_policy": options.fairness.to_json(),
        "seconds": seconds,
    }


__all__ = ["LOGISTIC_C", "TrainOptions", "TrainingOutcome", "candidate_metrics", "fit_model"]
