"""Fitting the probability calibration out of fold (the map itself, applied when scoring, is
:class:`credit_scoring.runtime.calibration.Calibration`).

Platt is the default; the flexible map is chosen only when it beats Platt by more than the
noise (:func:`choose_calibration`: a paired bootstrap of the Brier difference).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression

from credit_scoring.metrics import brier_score
from credit_scoring.runtime.calibration import PROB_MAX, PROB_MIN, Calibration, Method

Folds = list[tuple[NDArray[np.intp], NDArray[np.intp]]]

#: The smallest Platt slope kept: the map must be strictly increasing.
_MIN_SLOPE = 1e-6


def fit_platt(
    raw: NDArray[np.float64], y: NDArray[np.int8], *, iterations: int = 50
) -> Calibration:
    """Logistic regression of the label on the raw score (Newton's method, two parameters).

    A slope that is not positive (a score with no signal) is replaced by the smallest positive
    one, so the map stays strictly increasing.
    """
    x = np.asarray(raw, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = expit(a * x + b)
        w = np.maximum(p * (1.0 - p), 1e-12)
        g = np.array([np.sum((p - t) * x), np.sum(p - t)])
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        h += np.eye(2) * 1e-9
        step = np.linalg.solve(h, g)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return Calibration("platt", a=max(a, _MIN_SLOPE), b=b)


def fit_isotonic(raw: NDArray[np.float64], y: NDArray[np.int8]) -> Calibration:
    """Isotonic regression turned into a strictly increasing map (see the module docstring)."""
    x = np.asarray(raw, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    model = IsotonicRegression(increasing=True, out_of_bounds="clip")
    fitted = model.fit_transform(x, t)
    order = np.argsort(x, kind="stable")
    xs, fs = x[order], fitted[order]
    # One knot per constant block: its mean raw score and the logit of its default rate.
    starts = np.flatnonzero(np.r_[True, np.diff(fs) != 0])
    counts = np.diff(np.r_[starts, len(xs)])
    knot_x = np.add.reduceat(xs, starts) / counts
    # A block's default rate with half an event added (a block of 40 rows without a default
    # is "about 1 %", not "never"): knots stay finite and the ends are not pinned at 0 or 1.
    events = fs[starts] * counts
    rate = np.clip((events + 0.5) / (counts + 1.0), PROB_MIN, PROB_MAX)
    knot_z = np.log(rate / (1.0 - rate))
    # Keep a knot only above the last one kept (smoothing may bend a small block back).
    keep_x: list[float] = []
    keep_z: list[float] = []
    for kx, kz in zip(knot_x.tolist(), knot_z.tolist(), strict=True):
        if not keep_x or (kx > keep_x[-1] and kz > keep_z[-1]):
            keep_x.append(kx)
            keep_z.append(kz)
    slope = fit_platt(x, y).a
    return Calibration("isotonic", a=slope, x=tuple(keep_x), z=tuple(keep_z))


def fit_calibration(method: Method, raw: NDArray[np.float64], y: NDArray[np.int8]) -> Calibration:
    return fit_platt(raw, y) if method == "platt" else fit_isotonic(raw, y)


def cross_fitted(
    method: Method, raw: NDArray[np.float64], y: NDArray[np.int8], *, folds: Folds
) -> NDArray[np.float64]:
    """Calibrated probabilities where each row's map was fitted on the other folds only."""
    out = np.empty(len(raw), dtype=np.float64)
    for train_idx, valid_idx in folds:
        out[valid_idx] = fit_calibration(method, raw[train_idx], y[train_idx]).apply(raw[valid_idx])
    return out


def paired_bootstrap(
    loss_a: NDArray[np.float64],
    loss_b: NDArray[np.float64],
    *,
    n_boot: int = 200,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float, float]:
    """Mean of ``loss_b − loss_a`` per row and its percentile bootstrap interval (rows
    resampled together, so the comparison is paired)."""
    diff = np.asarray(loss_b, dtype=np.float64) - np.asarray(loss_a, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n = len(diff)
    means = np.array([diff[rng.integers(0, n, n)].mean() for _ in range(n_boot)])
    tail = (1.0 - level) / 2.0 * 100.0
    return (
        float(diff.mean()),
        float(np.percentile(means, tail)),
        float(np.percentile(means, 100.0 - tail)),
    )


@dataclass(frozen=True)
class CalibrationChoice:
    """The chosen map (fitted on every OOF score), the OOF probabilities it gives, the
    cross-fitted Brier score of each method and why the map was chosen."""

    calibration: Calibration
    oof_prob: NDArray[np.float64]
    brier_by_method: dict[str, float]
    reason: str = ""


def choose_calibration(
    raw: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    folds: Folds,
    methods: tuple[Method, ...] = ("platt", "isotonic"),
    n_boot: int = 200,
    seed: int = 0,
) -> CalibrationChoice:
    """Platt, unless another method's cross-fitted Brier score is lower by more than the noise:
    the 95 % paired-bootstrap interval of (other − Platt) must lie entirely below 0.

    The methods are compared on cross-fitted probabilities (each fold's map fitted on the other
    folds). The returned OOF probabilities are the chosen map — fitted on every OOF score —
    applied to every OOF score: one strictly increasing map, so the calibrated OOF AUC is the
    raw OOF AUC (per-fold maps would reorder rows across folds).
    """
    results = {m: cross_fitted(m, raw, y, folds=folds) for m in methods}
    briers: dict[str, float] = {m: brier_score(y, p) for m, p in results.items()}
    best: Method = "platt" if "platt" in results else min(methods, key=lambda m: briers[m])
    reason = "platt (default)" if best == "platt" else f"{best} (lowest Brier, no Platt)"
    if "platt" in results:
        loss_platt = (results["platt"] - y) ** 2
        for method in methods:
            if method == "platt":
                continue
            mean, lower, upper = paired_bootstrap(
                loss_platt, (results[method] - y) ** 2, n_boot=n_boot, seed=seed
            )
            wins = upper < 0.0 and briers[method] < briers[best]
            verdict = "lower beyond noise, chosen" if wins else "not lower beyond noise"
            reason += (
                f"; {method} − platt Brier {mean:+.6f} (95 % CI {lower:+.6f} … {upper:+.6f}):"
                f" {verdict}"
            )
            if wins:
                best = method
    calibration = fit_calibration(best, raw, y)
    return CalibrationChoice(
        calibration=calibration,
        oof_prob=calibration.apply(raw),
        brier_by_method=briers,
        reason=reason,
    )


def reliability_table(
    y_true: NDArray[np.int8], y_prob: NDArray[np.float64], *, n_bins: int = 10
) -> list[dict[str, float]]:
    """Mean predicted vs observed default rate per probability decile (equal-count bins)."""
    order = np.argsort(y_prob, kind="stable")
    rows = []
    for chunk in np.array_split(order, n_bins):
        if len(chunk) == 0:
            continue
        rows.append(
            {
                "n": float(len(chunk)),
                "prob_min": float(y_prob[chunk].min()),
                "prob_max": float(y_prob[chunk].max()),
                "mean_predicted": float(y_prob[chunk].mean()),
                "observed_rate": float(np.mean(y_true[chunk])),
            }
        )
    return rows
