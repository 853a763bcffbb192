"""Monotone constraints: the documented table, the trained model and its reasons move in the
known direction of each constrained feature."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from credit_scoring.runtime.bundle import Bundle
from credit_scoring.training.monotone import constraint_table, direction, monotone_constraints
from credit_scoring.training.train import TrainingOutcome, TrainOptions, fit_model


@pytest.mark.parametrize(
    ("feature", "expected"),
    [
        ("EXT_SOURCE_2", -1),
        ("EXT_SOURCE_MEAN", -1),
        ("EXT_SOURCE_STD", 0),
        ("INST_DPD_MEAN", 1),
        ("INST_DPD_MAX_LAST_1Y", 1),
        ("POS_SK_DPD_DEF_MAX", 1),
        ("BUREAU_AMT_CREDIT_SUM_OVERDUE_SUM", 1),
        ("INST_PAID_RATIO_MEAN", -1),
        ("INST_PAID_DIFF_MEAN", 0),
        ("AMT_CREDIT", 0),
    ],
)
def test_the_table_gives_each_known_feature_its_direction(feature: str, expected: int) -> None:
    assert direction(feature) == expected


def test_categorical_features_are_never_constrained() -> None:
    assert monotone_constraints(["EXT_SOURCE_1", "X"], categorical=["EXT_SOURCE_1"]) == [0, 0]
    rows = constraint_table(["EXT_SOURCE_1", "INST_DPD_MEAN", "AGE_YEARS"])
    assert [(r["feature"], r["direction"]) for r in rows] == [
        ("EXT_SOURCE_1", -1),
        ("INST_DPD_MEAN", 1),
    ]


def _sweep(bundle: Bundle, feature: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores and the feature's contributions as it sweeps its range, others fixed."""
    j = bundle.features.index(feature)
    grid = np.linspace(np.nanmin(rows[:, j]), np.nanmax(rows[:, j]), 25)
    raws, contribs = [], []
    for row in rows:
        sweep = np.repeat(row[None, :], len(grid), axis=0)
        sweep[:, j] = grid
        raws.append(bundle.score_frame(sweep).raw_score)
        contribs.append(bundle.contributions_frame(sweep)[:, j])
    return np.array(raws), np.array(contribs)


@pytest.mark.parametrize(
    ("feature", "sign"),
    [("EXT_SOURCE_MEAN", -1), ("INST_DPD_MEAN", 1), ("BUREAU_OVERDUE_COUNT", 1)],
)
def test_model_and_reasons_move_in_the_known_direction(
    bundle: Bundle, training_data, feature: str, sign: int
) -> None:
    assert any(r["feature"] == feature for r in bundle.metadata["training"]["monotone_constraints"])
    raws, contribs = _sweep(bundle, feature, training_data.X[:40])
    # Non-decreasing in the risk direction, row by row: the score and the feature's own
    # contribution (so a reason never cites, e.g., a high external score as a risk).
    assert np.all(np.diff(sign * raws, axis=1) >= -1e-12)
    assert np.all(np.diff(sign * contribs, axis=1) >= -1e-12)


def test_without_constraints_the_contributions_can_go_the_wrong_way(
    training_data, fast_options: TrainOptions, bundle: Bundle
) -> None:
    # The check above must be able to fail: unconstrained, some row's contribution of an
    # external score rises somewhere with the score (the generating signal has interactions).
    outcome: TrainingOutcome = fit_model(
        training_data,
        options=replace(fast_options, monotone=False, scorecard=False, baselines=False),
    )
    assert "monotone_constraints" not in outcome.cv.params
    j = training_data.features.index("EXT_SOURCE_MEAN")
    X = training_data.X[:40]
    grid = np.linspace(np.nanmin(X[:, j]), np.nanmax(X[:, j]), 25)
    wrong = 0
    for row in X:
        sweep = np.repeat(row[None, :], len(grid), axis=0)
        sweep[:, j] = grid
        contrib = outcome.booster.predict(sweep, pred_contrib=True)[:, j]
        wrong += int(np.any(np.diff(contrib) > 1e-9))
    assert wrong > 0
