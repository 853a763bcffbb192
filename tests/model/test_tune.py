"""Optuna tuning within a trial budget never does worse than the default configuration."""

from __future__ import annotations

from dataclasses import replace

import pytest

from credit_scoring.metrics import roc_auc
from credit_scoring.training.cv import DEFAULT_PARAMS, cross_validate, stratified_folds
from credit_scoring.training.dataset import TrainingData
from credit_scoring.training.train import TrainOptions, fit_model
from credit_scoring.training.tune import tune


def test_tuning_starts_from_the_default_and_keeps_the_best(
    training_data: TrainingData, fast_options: TrainOptions
) -> None:
    config = fast_options.boosting
    folds = stratified_folds(training_data.y, n_folds=config.n_folds, seed=config.seed)
    kwargs = {"folds": folds, "categorical": training_data.categorical_indices, "config": config}
    X, y = training_data.X, training_data.y
    default = cross_validate(X, y, params=fast_options.params, **kwargs)
    result = tune(X, y, n_trials=3, timeout_seconds=None, base_params=fast_options.params, **kwargs)
    assert result.n_trials == 3
    assert result.best_auc >= roc_auc(y, default.oof_raw) - 1e-12
    assert result.best_cv is not None
    assert roc_auc(y, result.best_cv.oof_raw) == pytest.approx(result.best_auc)
    assert set(DEFAULT_PARAMS) <= set(result.params)
    assert result.params["learning_rate"] == fast_options.params["learning_rate"]


def test_a_tuning_budget_is_recorded_in_the_bundle(
    training_data: TrainingData, fast_options: TrainOptions
) -> None:
    outcome = fit_model(
        training_data,
        options=replace(fast_options, tune_trials=2, baselines=False, scorecard=False),
    )
    assert outcome.metadata["training"]["tuning_trials"] == 2
    tuning = next(c for c in outcome.metadata["training"]["choices"] if c["name"] == "tuning")
    assert set(tuning["compared"]) == {"default", "tuned"} and "(SE " in tuning["reason"]
    assert outcome.summary["candidates"].keys() == {"lightgbm"}
