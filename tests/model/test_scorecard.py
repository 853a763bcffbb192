"""Score points: 600 at 50:1 good:bad odds, 20 points to double the odds."""

from __future__ import annotations

import numpy as np
import pytest

from credit_scoring.runtime.scorecard import ScoreScaling


def test_fifty_to_one_odds_score_600() -> None:
    assert ScoreScaling().points_one(1 / 51) == pytest.approx(600.0)


def test_average_default_rate_scores_about_557() -> None:
    assert ScoreScaling().points_one(0.0807) == pytest.approx(557.3, abs=0.5)


def test_doubling_the_odds_adds_pdo_points() -> None:
    scaling = ScoreScaling(base_points=500, base_odds=20, pdo=40)
    odds = 20.0
    p1, p2 = 1 / (1 + odds), 1 / (1 + 2 * odds)
    assert scaling.points_one(p1) == pytest.approx(500.0)
    assert scaling.points_one(p2) - scaling.points_one(p1) == pytest.approx(40.0)


def test_points_fall_as_the_probability_of_default_rises_and_stay_finite() -> None:
    prob = np.linspace(0.0, 1.0, 1001)
    points = ScoreScaling().points(prob)
    assert np.all(np.isfinite(points))
    assert np.all(np.diff(points) < 0)
    assert ScoreScaling().points_one(0.3) == pytest.approx(float(ScoreScaling().points(0.3)))


def test_points_of_an_array_are_bit_equal_to_the_single_value_path() -> None:
    scaling = ScoreScaling()
    prob = np.random.default_rng(3).uniform(0.0, 1.0, 20_000)
    prob[:2] = (0.0, 1.0)
    singles = np.array([scaling.points_one(float(p)) for p in prob])
    assert np.array_equal(scaling.points(prob).view(np.int64), singles.view(np.int64))
