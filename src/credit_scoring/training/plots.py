"""Training plots (PNG), drawn with matplotlib's object API on the Agg canvas (no pyplot,
no global backend switch): ROC curve, cost vs threshold, reliability, feature importance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from numpy.typing import NDArray
from sklearn.metrics import roc_curve

from credit_scoring.training.calibration import reliability_table


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return path


def roc_plot(
    path: Path, y_true: NDArray[np.int8], probs: Mapping[str, NDArray[np.float64]]
) -> Path:
    """ROC curves of every candidate's out-of-fold probabilities."""
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    for name, prob in probs.items():
        fpr, tpr, _ = roc_curve(y_true, prob)
        ax.plot(fpr, tpr, label=name)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set(xlabel="false-positive rate", ylabel="true-positive rate", title="ROC (out of fold)")
    ax.legend(loc="lower right")
    return _save(fig, path)


def cost_plot(
    path: Path,
    thresholds: NDArray[np.float64],
    costs: NDArray[np.float64],
    *,
    chosen: float,
) -> Path:
    """Cost per application against the refusal threshold, with the chosen threshold."""
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    ax.plot(thresholds, costs)
    ax.axvline(chosen, color="red", linestyle="--", label=f"threshold {chosen:.3f}")
    ax.set(xlabel="threshold (calibrated probability)", ylabel="cost per application")
    ax.set_title("Business cost vs threshold")
    ax.legend()
    return _save(fig, path)


def calibration_plot(
    path: Path, y_true: NDArray[np.int8], probs: Mapping[str, NDArray[np.float64]]
) -> Path:
    """Reliability diagram: mean predicted vs observed default rate by decile."""
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    top = 0.0
    for name, prob in probs.items():
        rows = reliability_table(y_true, prob)
        x = [r["mean_predicted"] for r in rows]
        y = [r["observed_rate"] for r in rows]
        top = max(top, *x, *y)
        ax.plot(x, y, marker="o", label=name)
    ax.plot([0, top], [0, top], color="grey", linestyle=":")
    ax.set(xlabel="mean predicted probability", ylabel="observed default rate")
    ax.set_title("Calibration (out of fold)")
    ax.legend()
    return _save(fig, path)


def importance_plot(
    path: Path, features: Sequence[str], gain: NDArray[np.float64], *, top: int = 25
) -> Path:
    """The ``top`` features by total split gain."""
    order = np.argsort(-np.asarray(gain))[:top][::-1]
    fig = Figure(figsize=(7, max(3.0, 0.28 * len(order) + 1)))
    ax = fig.add_subplot()
    ax.barh([features[i] for i in order], np.asarray(gain)[order])
    ax.set(xlabel="total gain", title="Feature importance (LightGBM gain)")
    return _save(fig, path)
