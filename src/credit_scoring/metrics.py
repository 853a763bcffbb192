"""Business-cost and ranking metrics shared by the generator (oracle), training and monitoring.

Cost of a decision policy per application: ``(cost_fn·FN + cost_fp·FP) / n``, where a false
negative is a defaulter who was approved and a false positive a good client who was refused.
A client is refused when ``y_prob >= threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Default business costs: approving a defaulter costs ten refused good clients.
COST_FN = 10.0
COST_FP = 1.0


@dataclass(frozen=True)
class CostAtThreshold:
    """Confusion counts and business cost of refusing every ``y_prob >= threshold``."""

    threshold: float
    cost: float  # per application, in units of one wrongly refused good client
    tp: int
    fp: int
    tn: int
    fn: int

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.tn + self.fn

    @property
    def approval_rate(self) -> float:
        return (self.tn + self.fn) / self.n if self.n else float("nan")

    @property
    def recall(self) -> float:
        """Share of defaulters refused."""
        positives = self.tp + self.fn
        return self.tp / positives if positives else float("nan")


def _as_arrays(
    y_true: ArrayLike, y_prob: ArrayLike
) -> tuple[NDArray[np.int8], NDArray[np.float64]]:
    yt = np.asarray(y_true).astype(np.int8, copy=False).ravel()
    yp = np.asarray(y_prob, dtype=np.float64).ravel()
    if yt.shape != yp.shape:
        raise ValueError(f"y_true has {yt.size} values but y_prob has {yp.size}")
    if yt.size == 0:
        raise ValueError("cannot evaluate an empty set of predictions")
    if np.isnan(yp).any():
        raise ValueError("y_prob contains NaN")
    return yt, yp


def cost_at_threshold(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    threshold: float,
    *,
    cost_fn: float = COST_FN,
    cost_fp: float = COST_FP,
) -> CostAtThreshold:
    """Business cost per application when every ``y_prob >= threshold`` is refused."""
    yt, yp = _as_arrays(y_true, y_prob)
    refused = yp >= threshold
    tp = int(np.sum(refused & (yt == 1)))
    fp = int(np.sum(refused & (yt == 0)))
    fn = int(np.sum(~refused & (yt == 1)))
    tn = int(yt.size - tp - fp - fn)
    cost = (cost_fn * fn + cost_fp * fp) / yt.size
    return CostAtThreshold(float(threshold), float(cost), tp, fp, tn, fn)


def optimal_threshold(
    y_true: ArrayLike,
    y_prob: ArrayLike,
    *,
    cost_fn: float = COST_FN,
    cost_fp: float = COST_FP,
) -> CostAtThreshold:
    """The threshold minimising the business cost, searched over every distinct ``y_prob``.

    Exact in O(n log n): sort by probability, and for each candidate threshold count the
    defaulters and good clients at or above it with cumulative sums. Ties in probability
    are decided together, as :func:`cost_at_threshold` would decide them. Refusing nobody
    (threshold above every probability) is one of the candidates.
    """
    yt, yp = _as_arrays(y_true, y_prob)
    order = np.argsort(-yp, kind="stable")
    p_sorted = yp[order]
    y_sorted = yt[order]
    # Last index of each run of equal probabilities: thresholds refuse whole runs.
    run_ends = np.flatnonzero(np.r_[p_sorted[1:] != p_sorted[:-1], True])
    tp = np.cumsum(y_sorted, dtype=np.int64)[run_ends]
    refused = run_ends + 1
    fp = refused - tp
    positives = int(yt.sum())
    fn = positives - tp
    costs = (cost_fn * fn + cost_fp * fp) / yt.size
    best = int(np.argmin(costs))
    cost_none = cost_fn * positives / yt.size
    if cost_none <= costs[best]:
        return CostAtThreshold(float(np.nextafter(p_sorted[0], np.inf)), cost_none, 0, 0,
                               int(yt.size - positives), positives)  # fmt: skip
    tp_b, fp_b = int(tp[best]), int(fp[best])
    return CostAtThreshold(
        threshold=float(p_sorted[run_ends[best]]),
        cost=float(costs[best]),
        tp=tp_b,
        fp=fp_b,
        tn=int(yt.size - positives - fp_b),
        fn=positives - tp_b,
    )


def roc_auc(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Area under the ROC curve (probability a defaulter ranks above a good client)."""
    yt, yp = _as_arrays(y_true, y_prob)
    n_pos = int(yt.sum())
    n_neg = int(yt.size - n_pos)
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC is undefined when only one class is present")
    # Mann–Whitney U with average ranks for ties (equal to sklearn's roc_auc_score).
    _, inverse, counts = np.unique(yp, return_inverse=True, return_counts=True)
    average_rank = np.cumsum(counts) - (counts - 1) / 2.0
    rank_sum = float(average_rank[inverse][yt == 1].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)


def brier_score(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Mean squared error of the probabilities against the 0/1 outcomes."""
    yt, yp = _as_arrays(y_true, y_prob)
    return float(np.mean((yp - yt) ** 2))


def ks_statistic(y_true: ArrayLike, y_prob: ArrayLike) -> float:
    """Kolmogorov–Smirnov distance between the score distributions of defaulters and others."""
    yt, yp = _as_arrays(y_true, y_prob)
    order = np.argsort(yp, kind="stable")
    ys = yt[order]
    pos = max(int(ys.sum()), 1)
    neg = max(int(ys.size - ys.sum()), 1)
    cdf_pos = np.cumsum(ys) / pos
    cdf_neg = np.cumsum(1 - ys) / neg
    return float(np.max(np.abs(cdf_pos - cdf_neg)))
