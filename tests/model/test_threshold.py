"""The threshold minimises the business cost exactly; the 0.5 policy is reported beside it."""

from __future__ import annotations

import numpy as np
import pytest

from credit_scoring.metrics import cost_at_threshold
from credit_scoring.training.threshold import choose_threshold, cost_curve


def test_threshold_refuses_exactly_the_rows_whose_expected_loss_is_larger() -> None:
    # 10 applications, 4 defaults; every policy refuses the rows above a threshold.
    y_true = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 1])
    y_prob = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    report = choose_threshold(y_true, y_prob, cost_fn=10, cost_fp=1)
    # Refusing down to 0.05 catches every default at the price of 6 good clients: 6/10.
    # Refusing down to 0.6 misses one default (10) and refuses one good (1): 11/10.
    assert report.threshold == pytest.approx(0.05)
    assert report.optimal.cost == pytest.approx(0.6)
    assert (report.optimal.tp, report.optimal.fp, report.optimal.fn) == (4, 6, 0)
    assert report.optimal.approval_rate == pytest.approx(0.0)
    assert report.optimal.recall == pytest.approx(1.0)


def test_cost_at_one_half_is_reported_with_its_confusion_matrix() -> None:
    y_true = np.array([1, 1, 0, 1, 0, 0, 0, 0, 0, 1])
    y_prob = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05])
    report = choose_threshold(y_true, y_prob, cost_fn=10, cost_fp=1)
    half = report.at_half
    # refused: 0.9, 0.8, 0.7, 0.6, 0.5 → TP 3, FP 2; missed: 0.05 → FN 1
    assert (half.tp, half.fp, half.tn, half.fn) == (3, 2, 4, 1)
    assert half.cost == pytest.approx((10 * 1 + 2) / 10)
    assert report.to_json()["at_0_5"]["cost"] == pytest.approx(1.2)


def test_cheaper_misses_raise_the_threshold() -> None:
    rng = np.random.default_rng(1)
    y_prob = rng.random(2000)
    y_true = (rng.random(2000) < y_prob).astype(int)
    strict = choose_threshold(y_true, y_prob, cost_fn=10, cost_fp=1).threshold
    lenient = choose_threshold(y_true, y_prob, cost_fn=1, cost_fp=1).threshold
    assert lenient > strict
    # With calibrated probabilities the optimum is near cost_fp / (cost_fp + cost_fn).
    assert strict == pytest.approx(1 / 11, abs=0.05)
    assert lenient == pytest.approx(0.5, abs=0.05)


def test_cost_curve_minimum_is_never_below_the_exact_optimum() -> None:
    rng = np.random.default_rng(2)
    y_prob = rng.random(500)
    y_true = (rng.random(500) < y_prob * 0.5).astype(int)
    best = choose_threshold(y_true, y_prob, cost_fn=10, cost_fp=1).optimal
    thresholds, costs = cost_curve(y_true, y_prob, cost_fn=10, cost_fp=1)
    assert costs.min() >= best.cost - 1e-12
    j = int(np.argmin(costs))
    assert costs[j] == pytest.approx(cost_at_threshold(y_true, y_prob, thresholds[j]).cost)
