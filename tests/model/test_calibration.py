"""Calibration maps improve a miscalibrated score, stay monotone and survive JSON exactly."""

from __future__ import annotations

import json

import numpy as np
import pytest

from credit_scoring.metrics import brier_score, roc_auc
from credit_scoring.model.calibration import (
    Calibration,
    choose_calibration,
    cross_fitted,
    fit_isotonic,
    fit_platt,
    reliability_table,
)
from credit_scoring.model.cv import stratified_folds


@pytest.fixture(scope="module")
def miscalibrated() -> tuple[np.ndarray, np.ndarray]:
    """True log-odds z; the "model" reports 2·z + 1.5 (overconfident and shifted)."""
    rng = np.random.default_rng(0)
    z = rng.normal(-2.0, 1.0, 20_000)
    y = (rng.random(z.size) < 1 / (1 + np.exp(-z))).astype(np.int8)
    return 2.0 * z + 1.5, y


@pytest.mark.parametrize("fit", [fit_platt, fit_isotonic])
def test_calibration_improves_brier_of_a_miscalibrated_score(fit, miscalibrated) -> None:
    raw, y = miscalibrated
    before = brier_score(y, 1 / (1 + np.exp(-raw)))
    folds = stratified_folds(y, n_folds=5, seed=0)
    method = "platt" if fit is fit_platt else "isotonic"
    after = brier_score(y, cross_fitted(method, raw, y, folds=folds))
    assert after < 0.95 * before


def test_platt_recovers_the_generating_map(miscalibrated) -> None:
    raw, y = miscalibrated
    cal = fit_platt(raw, y)
    # true z = (raw - 1.5) / 2 → a = 0.5, b = -0.75
    assert cal.a == pytest.approx(0.5, abs=0.05)
    assert cal.b == pytest.approx(-0.75, abs=0.1)


@pytest.mark.parametrize("fit", [fit_platt, fit_isotonic])
def test_calibration_is_monotone_and_keeps_probabilities_in_unit_interval(
    fit, miscalibrated
) -> None:
    raw, y = miscalibrated
    cal = fit(raw, y)
    grid = np.linspace(-30, 30, 2001)
    prob = cal.apply(grid)
    assert np.all(np.diff(prob) >= 0)
    assert prob.min() >= 0.0 and prob.max() <= 1.0
    assert roc_auc(y, cal.apply(raw)) >= roc_auc(y, raw) - 0.005


@pytest.mark.parametrize("fit", [fit_platt, fit_isotonic])
def test_calibration_is_stored_as_numbers_and_reapplied_identically(fit, miscalibrated) -> None:
    raw, y = miscalibrated
    cal = fit(raw, y)
    payload = json.loads(json.dumps(cal.to_json()))
    assert all(isinstance(v, (str, float, list)) for v in payload.values())
    again = Calibration.from_json(payload)
    assert np.array_equal(again.apply(raw), cal.apply(raw))
    assert again.apply_one(float(raw[3])) == pytest.approx(float(cal.apply(raw[3:4])[0]), abs=0)


def test_choice_reports_both_methods_and_picks_the_lower_brier(miscalibrated) -> None:
    raw, y = miscalibrated
    folds = stratified_folds(y, n_folds=3, seed=0)
    choice = choose_calibration(raw, y, folds=folds)
    assert set(choice.brier_by_method) == {"platt", "isotonic"}
    best = min(choice.brier_by_method.values())
    assert choice.brier_by_method[choice.calibration.method] == best
    assert brier_score(y, choice.oof_prob) == pytest.approx(best)


def test_reliability_table_matches_observed_rates() -> None:
    y = np.array([0, 0, 0, 1, 0, 1, 1, 1])
    p = np.array([0.1, 0.1, 0.2, 0.2, 0.7, 0.7, 0.9, 0.9])
    rows = reliability_table(y, p, n_bins=2)
    assert [r["observed_rate"] for r in rows] == [0.25, 0.75]
    assert rows[0]["mean_predicted"] == pytest.approx(0.15)


def test_platt_on_an_array_is_bit_equal_to_the_single_value_path() -> None:
    # A batch (score-batch, the API's batch) must give the single-request probability exactly.
    cal = Calibration(method="platt", a=0.93, b=-0.41)
    raw = np.random.default_rng(7).normal(-2.5, 1.5, 20_000)
    raw[:3] = (-800.0, 0.0, 40.0)
    arrays = cal.apply(raw)
    singles = np.array([cal.apply_one(float(r)) for r in raw])
    assert np.array_equal(arrays.view(np.int64), singles.view(np.int64))
    assert cal.apply(raw.reshape(100, 200)).shape == (100, 200)
