"""Automatic choices replace the default only when they win by more than the noise."""

from __future__ import annotations

import numpy as np

from credit_scoring.training.cv import CVResult
from credit_scoring.training.screens import Choice, beats_by_margin, choose_tuned


def test_a_steady_gain_beats_its_standard_error() -> None:
    wins, mean, se = beats_by_margin(np.array([0.010, 0.012, 0.009, 0.011, 0.010]))
    assert wins and mean > se


def test_a_gain_within_noise_keeps_the_default() -> None:
    # The real-data case: a mean gain of 0.0006 with folds going both ways.
    wins, mean, _se = beats_by_margin(np.array([0.004, -0.003, 0.002, -0.002, 0.002]))
    assert mean > 0 and not wins
    assert not beats_by_margin(np.array([-0.01, -0.02, -0.01]))[0]
    assert not beats_by_margin(np.array([0.05]))[0]  # one fold: no standard error, no win


def _cv(raw: np.ndarray) -> CVResult:
    return CVResult(params={}, oof_raw=raw, best_rounds=(1,), fold_auc=(0.5,))


def test_tuned_parameters_are_kept_only_with_a_margin() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(3000) < 0.2).astype(np.int8)
    signal = y + rng.normal(0, 1.0, y.size)
    folds = [(np.setdiff1d(np.arange(3000), v), v) for v in np.array_split(np.arange(3000), 3)]
    # Better on one fold, as much worse on another: no gain beyond noise.
    shift = np.zeros(y.size)
    shift[folds[1][1]], shift[folds[2][1]] = 0.3, -0.3
    mixed = signal + y * shift
    wins, choice = choose_tuned(y, folds=folds, default_cv=_cv(signal), tuned_cv=_cv(mixed))
    assert not wins and choice.chosen == "default parameters"
    better = y * 0.8 + signal
    wins, choice = choose_tuned(y, folds=folds, default_cv=_cv(signal), tuned_cv=_cv(better))
    assert wins and choice.chosen == "tuned parameters"
    assert isinstance(choice, Choice) and "SE" in choice.sentence()
