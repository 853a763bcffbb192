"""Out-of-fold predictions never come from a model whose rounds were chosen on the rows it
scores; the refit's rounds are a stable function of the folds'; defaults follow the row count."""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np
import pytest

from credit_scoring.training import cv as cv_module
from credit_scoring.training.cv import (
    DEFAULT_PARAMS,
    BoostingConfig,
    CVResult,
    cross_validate,
    inner_split,
    size_params,
    stratified_folds,
)
from credit_scoring.training.dataset import TrainingData

CONFIG = BoostingConfig(max_rounds=60, early_stopping_rounds=10, n_folds=3, seed=3, num_threads=1)


def _record_used_rows(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, set[int]]]:
    """Every LightGBM fit of the CV, with the rows it fitted on and the rows that stopped it."""
    calls: list[dict[str, set[int]]] = []
    real_train, real_cv = lgb.train, lgb.cv

    def rows(dataset: lgb.Dataset) -> set[int]:
        return set(np.asarray(dataset.used_indices, dtype=np.int64).tolist())

    def train(params: Any, train_set: lgb.Dataset, *args: Any, **kwargs: Any) -> lgb.Booster:
        stop = set().union(*(rows(v) for v in kwargs.get("valid_sets") or []))
        calls.append({"fit": rows(train_set), "stop": stop})
        return real_train(params, train_set, *args, **kwargs)

    def cv(params: Any, train_set: lgb.Dataset, *args: Any, **kwargs: Any) -> Any:
        calls.append({"fit": rows(train_set), "stop": rows(train_set)})
        return real_cv(params, train_set, *args, **kwargs)

    monkeypatch.setattr(cv_module.lgb, "train", train)
    monkeypatch.setattr(cv_module.lgb, "cv", cv)
    return calls


@pytest.mark.parametrize("inner_cv_rows", [0, 10**9], ids=["inner split", "inner folds"])
def test_oof_rounds_never_see_the_scored_fold(
    training_data: TrainingData, monkeypatch: pytest.MonkeyPatch, inner_cv_rows: int
) -> None:
    monkeypatch.setattr(cv_module, "INNER_CV_ROWS", inner_cv_rows)
    calls = _record_used_rows(monkeypatch)
    X, y = training_data.X, training_data.y
    folds = stratified_folds(y, n_folds=CONFIG.n_folds, seed=CONFIG.seed)
    result = cross_validate(
        X, y, folds=folds, categorical=training_data.categorical_indices,
        params={"learning_rate": 0.2}, config=CONFIG,
    )  # fmt: skip
    assert not np.isnan(result.oof_raw).any()
    assert len(calls) >= len(folds)
    for train_idx, valid_idx in folds:
        scored = set(valid_idx.tolist())
        fold_calls = [c for c in calls if c["fit"] <= set(train_idx.tolist())]
        assert fold_calls, "no fit found on this fold's training rows"
        for call in calls:
            if call["fit"] <= set(train_idx.tolist()):
                assert not (call["stop"] & scored), "early stopping saw the scored fold"
    # Every fit is on one fold's training rows: none ever contains rows it later scores.
    for call in calls:
        assert any(call["fit"] <= set(t.tolist()) for t, _ in folds)


def test_inner_split_is_stratified_disjoint_and_within_the_training_rows() -> None:
    y = np.r_[np.ones(100), np.zeros(900)].astype(np.int8)
    train_idx = np.arange(0, 1000, 2)
    fit_idx, stop_idx = inner_split(train_idx, y, fraction=0.15, seed=0)
    assert set(fit_idx) | set(stop_idx) == set(train_idx)
    assert not set(fit_idx) & set(stop_idx)
    assert len(stop_idx) == pytest.approx(75, abs=1)
    assert y[stop_idx].mean() == pytest.approx(y[train_idx].mean(), abs=0.01)


def test_refit_rounds_are_the_mean_of_fold_rounds_scaled_to_all_rows() -> None:
    result = CVResult(
        params={},
        oof_raw=np.zeros(1000),
        best_rounds=(100, 200, 150),
        fold_auc=(0.7, 0.7, 0.7),
        fit_rows=(500, 500, 400),
        max_rounds=2000,
    )
    # 100·2 + 200·2 + 150·2.5 = 975 → mean 325
    assert result.rounds == 325
    capped = CVResult(
        params={}, oof_raw=np.zeros(1000), best_rounds=(900,), fold_auc=(0.7,),
        fit_rows=(100,), max_rounds=2000,
    )  # fmt: skip
    assert capped.rounds == 2000


def test_small_tables_get_a_lower_learning_rate_and_stronger_regularisation() -> None:
    small, medium, full = size_params(1_000), size_params(42_796), size_params(307_511)
    assert full == DEFAULT_PARAMS
    assert small["learning_rate"] < medium["learning_rate"] < full["learning_rate"]
    assert small["lambda_l2"] > full["lambda_l2"]
    assert small["num_leaves"] <= medium["num_leaves"] <= full["num_leaves"]


def test_the_default_configuration_on_small_data_stops_in_stable_rounds(
    make_frame: Any, write_features: Any, tmp_path: Any
) -> None:
    from credit_scoring.training.dataset import load_training_data
    from credit_scoring.training.train import TrainOptions, fit_model

    data = load_training_data(write_features(tmp_path / "f", make_frame(1500, 5)))
    options = TrainOptions(
        boosting=BoostingConfig(n_folds=3, num_threads=1), scorecard=False, n_boot=10
    )
    outcome = fit_model(data, options=options)
    rounds = outcome.cv.best_rounds
    assert max(rounds) <= 2 * min(rounds), rounds
    candidates = outcome.summary["candidates"]
    assert candidates["lightgbm"]["auc"] >= candidates["logistic"]["auc"] - 0.02
