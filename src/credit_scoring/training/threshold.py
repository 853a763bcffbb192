"""The cost-optimal refusal threshold, chosen on out-of-fold probabilities.

Cost per application is ``(cost_fn·FN + cost_fp·FP) / n`` (see :mod:`credit_scoring.metrics`);
an application is refused when its probability of default is at or above the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from credit_scoring.metrics import CostAtThreshold, cost_at_threshold, optimal_threshold


def cost_summary(result: CostAtThreshold) -> dict[str, Any]:
    """Threshold, cost, confusion matrix, approval rate and recall of defaults as plain data."""
    keys = ("threshold", "cost", "tp", "fp", "tn", "fn", "approval_rate", "recall")
    return {key: getattr(result, key) for key in keys}


@dataclass(frozen=True)
class ThresholdReport:
    """The cost-optimal policy and the naive 0.5 policy on the same predictions."""

    optimal: CostAtThreshold
    at_half: CostAtThreshold  # refusing every probability of default ≥ 0.5
    cost_fn: float  # per missed default (approved, then defaulted)
    cost_fp: float  # per good client refused

    @property
    def threshold(self) -> float:
        return self.optimal.threshold

    def to_json(self) -> dict[str, Any]:
        return {
            "cost_fn": self.cost_fn,
            "cost_fp": self.cost_fp,
            "optimal": cost_summary(self.optimal),
            "at_0_5": cost_summary(self.at_half),
        }


def choose_threshold(
    y_true: ArrayLike, y_prob: ArrayLike, *, cost_fn: float, cost_fp: float
) -> ThresholdReport:
    """Exact cost-minimising threshold on ``y_prob`` (probabilities in [0, 1])."""
    optimal = optimal_threshold(y_true, y_prob, cost_fn=cost_fn, cost_fp=cost_fp)
    at_half = cost_at_threshold(y_true, y_prob, 0.5, cost_fn=cost_fn, cost_fp=cost_fp)
    return ThresholdReport(optimal=optimal, at_half=at_half, cost_fn=cost_fn, cost_fp=cost_fp)


def cost_curve(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    cost_fn: float,
    cost_fp: float,
    n_points: int = 201,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cost per application at ``n_points`` thresholds spread over the probability quantiles."""
    yt = np.asarray(y_true, dtype=np.int8)
    yp = np.asarray(y_prob, dtype=np.float64)
    thresholds = np.unique(np.quantile(yp, np.linspace(0.0, 1.0, n_points)))
    costs = np.array(
        [cost_at_threshold(yt, yp, t, cost_fn=cost_fn, cost_fp=cost_fp).cost for t in thresholds]
    )
    return thresholds, costs
