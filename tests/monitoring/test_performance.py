"""Realised and estimated performance on hand-checkable cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_scoring.monitoring.performance import (
    DecisionOutcomes,
    band_labels,
    expected_cost,
    performance_table,
)
from credit_scoring.monitoring.windows import Windows, WindowSpec

DAY_NS = 86_400 * 1_000_000_000
NAN = np.nan


def value(frame: pd.DataFrame, metric: str, segment: str = "all", window: int = 0) -> float:
    rows = frame[(frame.metric == metric) & (frame.segment == segment)].sort_values("window_start")
    return float(rows.value.iloc[window])


def four_decisions() -> DecisionOutcomes:
    # Threshold 0.5: two approved (0.1, 0.3) and two refused (0.6, 0.9).
    # Outcomes: 0.1 repaid, 0.3 defaulted (FN), 0.6 repaid (FP), 0.9 defaulted (TP).
    return DecisionOutcomes.from_arrays(
        probability=[0.1, 0.3, 0.6, 0.9],
        threshold=0.5,
        decision=["APPROVE", "APPROVE", "REFUSE", "REFUSE"],
        score=[620.0, 545.0, 505.0, 470.0],
        defaulted=[0.0, 1.0, 0.0, 1.0],
    )


def one_window(n: int) -> Windows:
    return Windows.assign(WindowSpec.parse("1d"), np.zeros(n, dtype=np.int64))


def test_realised_metrics_by_hand() -> None:
    frame = performance_table(four_decisions(), one_window(4), cost_fn=10.0, cost_fp=1.0)
    assert value(frame, "n_decisions") == 4 and value(frame, "n_outcomes") == 4
    assert value(frame, "approval_rate") == 0.5
    assert value(frame, "default_rate_realised") == 0.5
    # One FN (10) and one FP (1) over 4 decisions.
    assert value(frame, "cost_realised") == pytest.approx(11 / 4)
    # Defaulters 0.3, 0.9 vs good 0.1, 0.6: 3 of 4 pairs ranked right.
    assert value(frame, "auc") == pytest.approx(0.75)
    assert value(frame, "brier") == pytest.approx((0.01 + 0.49 + 0.36 + 0.01) / 4)


def test_estimated_metrics_by_hand() -> None:
    frame = performance_table(four_decisions(), one_window(4), cost_fn=10.0, cost_fp=1.0)
    assert value(frame, "default_rate_expected") == pytest.approx(0.475)
    # Approved: 10·0.1 + 10·0.3; refused: 1·0.4 + 1·0.1 → 4.5 / 4.
    assert value(frame, "cost_expected") == pytest.approx(4.5 / 4)


def test_outcomes_not_known_yet_only_feed_the_estimates() -> None:
    data = DecisionOutcomes.from_arrays(
        probability=[0.1, 0.3, 0.6, 0.9],
        threshold=0.5,
        decision=["APPROVE", "APPROVE", "REFUSE", "REFUSE"],
        score=[600.0] * 4,
        defaulted=[NAN, 1.0, NAN, 0.0],
    )
    frame = performance_table(data, one_window(4), cost_fn=10.0, cost_fp=1.0)
    assert value(frame, "n_outcomes") == 2
    assert value(frame, "default_rate_realised") == 0.5
    assert value(frame, "default_rate_expected") == pytest.approx(0.475)
    assert value(frame, "default_rate_expected_labelled") == pytest.approx(0.6)
    assert value(frame, "cost_realised") == pytest.approx((10 + 1) / 2)
    assert value(frame, "cost_expected_labelled") == pytest.approx((3.0 + 0.1) / 2)
    assert value(frame, "auc") == 0.0  # the defaulter (0.3) ranks below the good one (0.9)


def test_no_outcomes_gives_empty_realised_values_not_errors() -> None:
    data = DecisionOutcomes.from_arrays(
        probability=[0.2, 0.7],
        threshold=0.5,
        decision=["APPROVE", "REFUSE"],
        score=[540.0, 500.0],
        defaulted=[NAN, NAN],
    )
    frame = performance_table(data, one_window(2), cost_fn=10.0, cost_fp=1.0)
    for metric in ("default_rate_realised", "cost_realised", "auc", "brier"):
        assert np.isnan(value(frame, metric)), metric
    assert value(frame, "default_rate_expected") == pytest.approx(0.45)


def test_default_rate_by_score_band_and_calibration_bins() -> None:
    frame = performance_table(four_decisions(), one_window(4), cost_fn=10.0, cost_fp=1.0)
    assert value(frame, "default_rate_realised", "score < 480") == 1.0
    assert value(frame, "default_rate_realised", "score ≥ 600") == 0.0
    assert value(frame, "default_rate_expected", "score 540–560") == pytest.approx(0.3)
    assert value(frame, "mean_predicted", "p 0.3–0.5") == pytest.approx(0.3)
    assert value(frame, "observed_rate", "p ≥ 0.5") == pytest.approx(0.5)
    assert not (frame.segment == "score 560–580").any()  # empty bands are left out


def test_windows_are_separate() -> None:
    data = four_decisions()
    when = np.asarray([0, 0, DAY_NS, DAY_NS], dtype=np.int64)
    frame = performance_table(
        data, Windows.assign(WindowSpec.parse("1d"), when), cost_fn=10.0, cost_fp=1.0
    )
    assert value(frame, "approval_rate", window=0) == 1.0
    assert value(frame, "approval_rate", window=1) == 0.0
    assert value(frame, "cost_realised", window=0) == pytest.approx(10 / 2)
    assert value(frame, "cost_realised", window=1) == pytest.approx(1 / 2)


def test_expected_cost_matches_the_realised_cost_on_average_when_calibrated() -> None:
    rng = np.random.default_rng(0)
    p = rng.beta(1, 10, size=200_000)
    y = (rng.random(p.size) < p).astype(float)
    refused = p >= 0.12
    data = DecisionOutcomes.from_arrays(
        probability=p,
        threshold=0.12,
        decision=np.where(refused, "REFUSE", "APPROVE"),
        score=np.full(p.size, 550.0),
        defaulted=y,
    )
    frame = performance_table(data, one_window(p.size), cost_fn=10.0, cost_fp=1.0)
    assert value(frame, "cost_expected") == pytest.approx(value(frame, "cost_realised"), rel=0.03)
    assert value(frame, "default_rate_expected") == pytest.approx(
        value(frame, "default_rate_realised"), rel=0.03
    )
    assert expected_cost(np.array([0.2]), np.array([True]), cost_fn=10, cost_fp=1)[0] == 0.8


def test_band_labels_read_as_ranges() -> None:
    assert band_labels([1.0, 2.0]) == ["< 1", "1–2", "≥ 2"]
