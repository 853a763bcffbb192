"""Calibration maps improve a miscalibrated score, are strictly increasing (no ties, the AUC
cannot move), never say 0 or 1, are chosen over Platt only beyond noise, and survive JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from credit_scoring.errors import BundleIntegrityError
from credit_scoring.metrics import brier_score, roc_auc
from credit_scoring.runtime.calibration import PROB_MAX, PROB_MIN, Calibration
from credit_scoring.training.calibration import (
    choose_calibration,
    cross_fitted,
    fit_isotonic,
    fit_platt,
    reliability_table,
)
from credit_scoring.training.cv import stratified_folds


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
def test_calibration_is_strictly_increasing_and_never_says_zero_or_one(fit, miscalibrated) -> None:
    raw, y = miscalibrated
    cal = fit(raw, y)
    grid = np.linspace(-12, 12, 4001)
    prob = cal.apply(grid)
    assert np.all(np.diff(cal.log_odds(grid)) > 0)
    inside = (prob > PROB_MIN) & (prob < PROB_MAX)
    assert np.all(np.diff(prob[inside]) > 0)
    extremes = np.array([-1e6, -800.0, -50.0, 50.0, 800.0, 1e6])
    for values in (cal.apply(extremes), [cal.apply_one(float(v)) for v in extremes]):
        assert min(values) >= PROB_MIN and max(values) <= PROB_MAX
        assert 0.0 not in list(values) and 1.0 not in list(values)


def test_isotonic_ties_cannot_change_the_auc() -> None:
    # A plain isotonic step map puts thousands of rows on a few dozen levels; this one must
    # keep every distinct raw score distinct and the AUC identical.
    rng = np.random.default_rng(3)
    raw = rng.normal(-2.5, 1.0, 30_000)
    y = (rng.random(raw.size) < 1 / (1 + np.exp(-raw))).astype(np.int8)
    cal = fit_isotonic(raw, y)
    prob = cal.apply(raw)
    assert len(np.unique(prob)) == len(np.unique(raw))
    assert roc_auc(y, prob) == pytest.approx(roc_auc(y, raw), abs=1e-12)
    assert prob.min() > 0.0 and prob.max() < 1.0


def test_isotonic_blocks_without_defaults_do_not_give_zero() -> None:
    raw = np.arange(200, dtype=np.float64)
    y = (raw >= 150).astype(np.int8)  # rows below 150 never default, above always do
    cal = fit_isotonic(raw, y)
    prob = cal.apply(raw)
    assert prob.min() >= PROB_MIN and prob.max() <= PROB_MAX
    assert np.all(np.diff(cal.log_odds(raw)) > 0)


@pytest.mark.parametrize("fit", [fit_platt, fit_isotonic])
def test_one_row_gets_exactly_its_array_probability(fit, miscalibrated) -> None:
    raw, y = miscalibrated
    cal = fit(raw, y)
    values = np.r_[raw[:500], [-1e6, -701.0, 0.0, 701.0, 1e6]]
    batch = cal.apply(values)
    assert [cal.apply_one(float(v)) for v in values] == batch.tolist()


@pytest.mark.parametrize("fit", [fit_platt, fit_isotonic])
def test_calibration_is_stored_as_numbers_and_reapplied_identically(fit, miscalibrated) -> None:
    raw, y = miscalibrated
    cal = fit(raw, y)
    payload = json.loads(json.dumps(cal.to_json()))
    assert all(isinstance(v, (str, float, list)) for v in payload.values())
    again = Calibration.from_json(payload)
    assert np.array_equal(again.apply(raw), cal.apply(raw))
    assert again.apply_one(float(raw[3])) == float(cal.apply(raw[3:4])[0])


def test_a_map_that_is_not_strictly_increasing_is_refused() -> None:
    with pytest.raises(BundleIntegrityError, match="strictly increase"):
        Calibration.from_json({"method": "isotonic", "a": 1.0, "x": [0.0, 1.0], "z": [-1.0, -1.0]})
    with pytest.raises(BundleIntegrityError, match="positive"):
        Calibration.from_json({"method": "platt", "a": 0.0, "b": 0.0})


def test_platt_is_kept_when_isotonic_is_not_better_beyond_noise(miscalibrated) -> None:
    raw, y = miscalibrated  # a logistic truth: Platt is right, isotonic only adds noise
    folds = stratified_folds(y, n_folds=3, seed=0)
    choice = choose_calibration(raw, y, folds=folds)
    assert set(choice.brier_by_method) == {"platt", "isotonic"}
    assert choice.calibration.method == "platt"
    assert "not lower beyond noise" in choice.reason
    # One map for every OOF row: the calibrated OOF AUC is the raw OOF AUC.
    assert roc_auc(y, choice.oof_prob) == pytest.approx(roc_auc(y, raw), abs=1e-12)


def test_isotonic_is_chosen_when_it_beats_platt_beyond_noise() -> None:
    rng = np.random.default_rng(1)
    raw = rng.uniform(-4, 4, 40_000)
    true_p = np.where(raw < 0, 0.02, 0.02 + 0.9 * (raw / 4) ** 3)  # far from logistic
    y = (rng.random(raw.size) < true_p).astype(np.int8)
    folds = stratified_folds(y, n_folds=3, seed=0)
    choice = choose_calibration(raw, y, folds=folds)
    assert choice.calibration.method == "isotonic"
    assert choice.brier_by_method["isotonic"] < choice.brier_by_method["platt"]
    assert "chosen" in choice.reason
    assert roc_auc(y, choice.oof_prob) == pytest.approx(roc_auc(y, raw), abs=1e-12)


def test_reliability_table_has_equal_count_bins(miscalibrated) -> None:
    raw, y = miscalibrated
    prob = fit_platt(raw, y).apply(raw)
    table = reliability_table(y, prob, n_bins=10)
    assert len(table) == 10
    assert sum(r["n"] for r in table) == len(y)
    assert all(r["prob_min"] <= r["mean_predicted"] <= r["prob_max"] for r in table)


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
