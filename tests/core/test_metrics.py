"""Business cost, optimal threshold and ranking metrics on cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from credit_scoring.metrics import (
    brier_score,
    cost_at_threshold,
    ks_statistic,
    optimal_threshold,
    roc_auc,
)


def test_cost_counts_missed_defaults_ten_times_a_wrong_refusal() -> None:
    y_true = [1, 1, 0, 0, 0]
    y_prob = [0.9, 0.2, 0.8, 0.1, 0.3]
    result = cost_at_threshold(y_true, y_prob, 0.5)
    # refused: 0.9 (TP), 0.8 (FP); approved defaulter 0.2 (FN)
    assert (result.tp, result.fp, result.fn, result.tn) == (1, 1, 1, 2)
    assert result.cost == pytest.approx((10 * 1 + 1 * 1) / 5)
    assert result.approval_rate == pytest.approx(3 / 5)
    assert result.recall == pytest.approx(0.5)


def test_optimal_threshold_matches_brute_force_search() -> None:
    rng = np.random.default_rng(0)
    y_prob = np.round(rng.random(400), 2)  # many ties
    y_true = (rng.random(400) < y_prob * 0.3).astype(int)
    best = optimal_threshold(y_true, y_prob, cost_fn=10, cost_fp=1)
    candidates = [*np.unique(y_prob), 1.01]
    brute = min(cost_at_threshold(y_true, y_prob, t).cost for t in candidates)
    assert best.cost == pytest.approx(brute)
    again = cost_at_threshold(y_true, y_prob, best.threshold)
    assert again.cost == pytest.approx(best.cost)
    assert (again.tp, again.fp) == (best.tp, best.fp)


def test_refusing_nobody_wins_when_defaults_are_cheap() -> None:
    best = optimal_threshold([0, 1, 0, 0], [0.9, 0.1, 0.8, 0.7], cost_fn=1, cost_fp=1)
    assert best.tp + best.fp == 0
    assert best.cost == pytest.approx(0.25)


def test_ranking_metrics_on_a_perfect_and_a_useless_score() -> None:
    y = np.array([0, 0, 1, 1])
    assert roc_auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ks_statistic(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert roc_auc(y, [0.5, 0.5, 0.5, 0.5]) == 0.5
    assert brier_score(y, [0.0, 0.0, 1.0, 1.0]) == 0.0
    assert brier_score(y, [0.5] * 4) == pytest.approx(0.25)


def test_mismatched_lengths_are_rejected() -> None:
    with pytest.raises(ValueError, match="3 values"):
        roc_auc([0, 1, 1], [0.1, 0.2])


def test_auc_equals_sklearn_with_many_ties() -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(1)
    y_prob = np.round(rng.random(2000), 2)
    y_true = (rng.random(2000) < y_prob).astype(int)
    assert roc_auc(y_true, y_prob) == pytest.approx(roc_auc_score(y_true, y_prob), abs=1e-12)


def test_auc_of_a_single_class_is_an_error() -> None:
    with pytest.raises(ValueError, match="one class"):
        roc_auc([0, 0, 0], [0.1, 0.2, 0.3])
