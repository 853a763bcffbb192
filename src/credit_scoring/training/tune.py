"""Optuna search of LightGBM parameters within a trial and/or time budget.

The objective is the out-of-fold AUC on the training folds (smoother than the business cost,
which is then minimised by the threshold); the TPE sampler is seeded so a given budget in
trials is reproducible. Without a budget the fixed default configuration is used.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from credit_scoring.metrics import roc_auc
from credit_scoring.training.cv import (
    DEFAULT_PARAMS,
    BoostingConfig,
    CVResult,
    binned_dataset,
    cross_validate,
)

Folds = list[tuple[NDArray[np.intp], NDArray[np.intp]]]


@dataclass(frozen=True)
class TuningResult:
    params: dict[str, Any]
    best_auc: float
    n_trials: int
    seconds: float
    best_cv: CVResult | None
    #: The cross-validation of the base parameters (trial 0), for the margin test.
    base_cv: CVResult | None = None


#: The search space, in suggestion order: parameter → (low, high, log scale); integer bounds
#: make an integer parameter. The learning rate is fixed: early stopping picks the rounds.
SEARCH_SPACE: dict[str, tuple[float, float, bool]] = {
    "num_leaves": (7, 63, True),
    "max_depth": (3, 8, False),
    "min_child_samples": (20, 500, True),
    "feature_fraction": (0.2, 1.0, False),
    "bagging_fraction": (0.5, 1.0, False),
    "lambda_l2": (1e-3, 100.0, True),
    "lambda_l1": (1e-3, 10.0, True),
    "min_split_gain": (0.0, 1.0, False),
    "cat_smooth": (1.0, 100.0, True),
}


def suggest_params(trial: Any) -> dict[str, Any]:
    """One point of :data:`SEARCH_SPACE`, suggested by ``trial``."""
    return {
        name: (trial.suggest_int if isinstance(low, int) else trial.suggest_float)(
            name, low, high, log=log
        )
        for name, (low, high, log) in SEARCH_SPACE.items()
    }


def tune(
    X: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    folds: Folds,
    categorical: list[int],
    config: BoostingConfig,
    n_trials: int | None,
    timeout_seconds: float | None,
    base_params: dict[str, Any] | None = None,
    binned: lgb.Dataset | None = None,
    on_trial: Callable[[int, float], None] | None = None,
) -> TuningResult:
    """Search parameters around ``base_params`` (default: :data:`DEFAULT_PARAMS`), which are
    always trial 0, so tuning never returns a configuration worse than the base one.
    ``binned`` is :func:`~credit_scoring.training.cv.binned_dataset` of ``X``/``y`` (built here
    once for every trial when not given)."""
    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    started = time.monotonic()
    results: dict[int, CVResult] = {}
    base = {**DEFAULT_PARAMS, **(base_params or {})}
    if binned is None:
        binned = binned_dataset(X, y, categorical)

    # Only the parameters change from trial to trial.
    evaluate = partial(
        cross_validate, X, y, folds=folds, categorical=categorical, config=config, binned=binned
    )

    def objective(trial: optuna.Trial) -> float:
        cv = evaluate(params={**base, **suggest_params(trial)})
        results[trial.number] = cv
        auc = roc_auc(y, cv.oof_raw)
        if on_trial:
            on_trial(trial.number, auc)
        return auc

    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.seed)
    )
    study.enqueue_trial({k: v for k, v in base.items() if k in SEARCH_SPACE})
    study.optimize(objective, n_trials=n_trials, timeout=timeout_seconds)
    best = study.best_trial
    params = {**base, **best.params}
    return TuningResult(
        params=params,
        best_auc=float(best.value if best.value is not None else np.nan),
        n_trials=len(study.trials),
        seconds=time.monotonic() - started,
        best_cv=results.get(best.number),
        base_cv=results.get(0),
    )
