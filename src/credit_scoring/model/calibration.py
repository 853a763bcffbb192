"""Probability calibration fitted out of fold and stored as plain numbers.

The map takes the model's raw score (log-odds) to a calibrated probability of default in
[0, 1]. Two methods: Platt (``p = 1 / (1 + exp(-(a·raw + b)))``, two numbers) and isotonic
(a monotone piecewise-linear map given by its breakpoints, applied with ``numpy.interp`` and
clipped at both ends). No fitted estimator is ever pickled; the same numbers are reapplied
identically when a bundle is loaded.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sklearn.isotonic import IsotonicRegression

from credit_scoring.errors import BundleIntegrityError
from credit_scoring.metrics import brier_score

Method = Literal["platt", "isotonic"]
Folds = list[tuple[NDArray[np.intp], NDArray[np.intp]]]


@dataclass(frozen=True)
class Calibration:
    """A fitted calibration map from raw log-odds to probability of default."""

    method: Method
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    y: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        # numpy copies for the isotonic path, built once (the map is applied per request).
        object.__setattr__(self, "_x", np.asarray(self.x, dtype=np.float64))
        object.__setattr__(self, "_y", np.asarray(self.y, dtype=np.float64))

    def apply(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities of an array of raw scores."""
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "platt":
            # The exponential is libm's, value by value, as in apply_one: NumPy's vectorised
            # exp may differ in the last bit, and a batch must give the API's probabilities.
            z = self.a * raw + self.b
            exp = math.exp
            e = np.fromiter(
                (exp(-v) if v > -700 else math.inf for v in z.ravel().tolist()),
                dtype=np.float64,
                count=z.size,
            ).reshape(z.shape)
            return 1.0 / (1.0 + e)
        return np.interp(raw, self._x, self._y)  # type: ignore[attr-defined]

    def apply_one(self, raw: float) -> float:
        """Calibrated probability of a single raw score (no array allocation for Platt)."""
        if self.method == "platt":
            z = self.a * raw + self.b
            return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0
        return float(np.interp(raw, self._x, self._y))  # type: ignore[attr-defined]

    def to_json(self) -> dict[str, Any]:
        if self.method == "platt":
            return {"method": "platt", "a": self.a, "b": self.b}
        return {"method": "isotonic", "x": list(self.x), "y": list(self.y)}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Calibration:
        method = payload.get("method")
        if method == "platt":
            return cls("platt", a=float(payload["a"]), b=float(payload["b"]))
        if method == "isotonic":
            x = tuple(float(v) for v in payload["x"])
            y = tuple(float(v) for v in payload["y"])
            if len(x) != len(y) or not x:
                raise BundleIntegrityError("isotonic calibration needs as many x as y breakpoints")
            return cls("isotonic", x=x, y=y)
        raise BundleIntegrityError(f"unknown calibration method {method!r}")


def fit_platt(
    raw: NDArray[np.float64], y: NDArray[np.int8], *, iterations: int = 50
) -> Calibration:
    """Logistic regression of the label on the raw score (Newton's method, two parameters)."""
    x = np.asarray(raw, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    a, b = 1.0, 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(a * x + b)))
        w = np.maximum(p * (1.0 - p), 1e-12)
        g = np.array([np.sum((p - t) * x), np.sum(p - t)])
        h = np.array([[np.sum(w * x * x), np.sum(w * x)], [np.sum(w * x), np.sum(w)]])
        h += np.eye(2) * 1e-9
        step = np.linalg.solve(h, g)
        a, b = a - float(step[0]), b - float(step[1])
        if float(np.max(np.abs(step))) < 1e-10:
            break
    return Calibration("platt", a=a, b=b)


def fit_isotonic(raw: NDArray[np.float64], y: NDArray[np.int8]) -> Calibration:
    """Monotone (non-decreasing) map fitted by isotonic regression, kept as breakpoints."""
    model = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    model.fit(np.asarray(raw, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return Calibration(
        "isotonic",
        x=tuple(float(v) for v in model.X_thresholds_),
        y=tuple(float(v) for v in model.y_thresholds_),
    )


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


@dataclass(frozen=True)
class CalibrationChoice:
    """The chosen map (fitted on every OOF score) and the cross-fitted OOF probabilities."""

    calibration: Calibration
    oof_prob: NDArray[np.float64]
    brier_by_method: dict[str, float]


def choose_calibration(
    raw: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    folds: Folds,
    methods: tuple[Method, ...] = ("platt", "isotonic"),
) -> CalibrationChoice:
    """The method with the lowest cross-fitted Brier score (Platt wins ties)."""
    results = {m: cross_fitted(m, raw, y, folds=folds) for m in methods}
    briers: dict[str, float] = {m: brier_score(y, p) for m, p in results.items()}
    best = min(methods, key=lambda m: (briers[m], m != "platt"))
    return CalibrationChoice(
        calibration=fit_calibration(best, raw, y), oof_prob=results[best], brier_by_method=briers
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
