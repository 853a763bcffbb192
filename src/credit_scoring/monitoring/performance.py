"""Model performance per window: realised (once outcomes arrive) and estimated (before).

Inputs are aligned arrays, one value per logged decision: calibrated probability of default in
[0, 1], the threshold it was decided with, the decision, the score points and the observed
outcome (1 defaulted, 0 repaid, NaN not known yet). A decision counts as refused when
``probability >= threshold`` (the policy the business cost is defined on, REVIEW included).

Realised (decisions with an outcome): default rate, AUC, Brier score, business cost
``(cost_fn·FN + cost_fp·FP) / n``, default rate by score band, and calibration (mean
predicted vs observed default rate per probability bin).

Estimated (every decision, no outcome needed): the expected default rate ``mean(p)`` and the
expected cost ``mean(cost_fn·p·[approved] + cost_fp·(1-p)·[refused])`` — what the realised
values should be if the calibrated probabilities are right. They are also given over the
decisions that have an outcome (``*_expected_labelled``) to compare like with like.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from credit_scoring.metrics import roc_auc
from credit_scoring.monitoring.windows import Windows

#: Score band edges in points: 20 points apart, i.e. one doubling of the odds (PDO 20).
SCORE_BAND_EDGES: tuple[float, ...] = (480.0, 500.0, 520.0, 540.0, 560.0, 580.0, 600.0)
#: Probability bins of the calibration table (fixed, so windows compare with each other).
CALIBRATION_EDGES: tuple[float, ...] = (0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30, 0.50)
#: Segment of the whole window (as opposed to a score band or calibration bin).
ALL = "all"
RESULT_COLUMNS = ("window_start", "window_end", "segment", "metric", "value", "n_rows")


@dataclass(frozen=True)
class DecisionOutcomes:
    """One entry per logged decision (see the module docstring for units)."""

    probability: NDArray[np.float64]
    threshold: NDArray[np.float64]
    approved: NDArray[np.bool_]
    score: NDArray[np.float64]
    defaulted: NDArray[np.float64]  # 1.0, 0.0 or NaN (no outcome yet)

    @classmethod
    def from_arrays(
        cls,
        *,
        probability: ArrayLike,
        threshold: ArrayLike,
        decision: ArrayLike,
        score: ArrayLike,
        defaulted: ArrayLike,
    ) -> DecisionOutcomes:
        p = np.asarray(probability, dtype=np.float64)
        return cls(
            probability=p,
            threshold=np.broadcast_to(np.asarray(threshold, dtype=np.float64), p.shape),
            approved=np.asarray(decision, dtype=object) == "APPROVE",
            score=np.asarray(score, dtype=np.float64),
            defaulted=np.asarray(defaulted, dtype=np.float64),
        )

    def __len__(self) -> int:
        return int(self.probability.size)

    @property
    def refused(self) -> NDArray[np.bool_]:
        return self.probability >= self.threshold


def band_labels(edges: Sequence[float], *, unit: str = "", fmt: str = "{:g}") -> list[str]:
    """Readable labels of the ``len(edges) + 1`` right-open bins cut at ``edges``."""
    e = [fmt.format(x) for x in edges]
    labels = [f"{unit}< {e[0]}"]
    labels += [f"{unit}{lo}–{hi}" for lo, hi in itertools.pairwise(e)]
    labels.append(f"{unit}≥ {e[-1]}")
    return labels


def expected_cost(
    probability: NDArray[np.float64],
    refused: NDArray[np.bool_],
    *,
    cost_fn: float,
    cost_fp: float,
) -> NDArray[np.float64]:
    """Expected cost of each decision: an approved client defaults with probability ``p``
    (cost ``cost_fn``); a refused one would have repaid with probability ``1 - p``.

    Given outcomes (1 defaulted, 0 repaid) in place of probabilities, it is the realised cost:
    ``cost_fn`` per approved defaulter (FN), ``cost_fp`` per refused good client (FP), else 0.
    """
    return np.where(refused, cost_fp * (1.0 - probability), cost_fn * probability)


def _sum_by(
    codes: NDArray[np.intp], n: int, weights: NDArray[np.float64] | None = None
) -> NDArray[np.float64]:
    return np.bincount(codes, weights=weights, minlength=n).astype(np.float64)


def _ratio(num: NDArray[np.float64], den: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def performance_table(
    data: DecisionOutcomes,
    windows: Windows,
    *,
    cost_fn: float,
    cost_fp: float,
    score_edges: Sequence[float] = SCORE_BAND_EDGES,
    calibration_edges: Sequence[float] = CALIBRATION_EDGES,
) -> pd.DataFrame:
    """Tidy rows (:data:`RESULT_COLUMNS`): window × segment × metric.

    Segment ``all`` carries ``n_decisions``, ``n_outcomes``, ``approval_rate``,
    ``default_rate_expected``, ``default_rate_expected_labelled``, ``default_rate_realised``,
    ``cost_expected``, ``cost_expected_labelled``, ``cost_realised``, ``auc`` and ``brier``;
    segments ``score …`` the expected and realised default rate per score band; segments
    ``p …`` the calibration table (``mean_predicted``, ``observed_rate``).
    ``n_rows`` is the number of decisions (or of outcomes, for realised metrics) behind a value.
    """
    nw = len(windows)
    codes = windows.codes
    p = data.probability
    labelled = ~np.isnan(data.defaulted)
    y = np.where(labelled, data.defaulted, 0.0)
    refused = data.refused
    lab = labelled.astype(np.float64)

    n_dec = _sum_by(codes, nw)
    n_out = _sum_by(codes, nw, lab)
    exp_cost = expected_cost(p, refused, cost_fn=cost_fn, cost_fp=cost_fp)
    real_cost = expected_cost(y, refused, cost_fn=cost_fn, cost_fp=cost_fp) * lab
    auc = np.full(nw, np.nan)
    for w in range(nw):
        rows = (codes == w) & labelled
        yw = y[rows]
        if yw.size and 0 < yw.sum() < yw.size:
            auc[w] = roc_auc(yw, p[rows])
    metrics: list[tuple[str, NDArray[np.float64], NDArray[np.float64]]] = [
        ("n_decisions", n_dec, n_dec),
        ("n_outcomes", n_out, n_dec),
        (
            "approval_rate",
            _ratio(_sum_by(codes, nw, data.approved.astype(np.float64)), n_dec),
            n_dec,
        ),
        ("default_rate_expected", _ratio(_sum_by(codes, nw, p), n_dec), n_dec),
        ("default_rate_expected_labelled", _ratio(_sum_by(codes, nw, p * lab), n_out), n_out),
        ("default_rate_realised", _ratio(_sum_by(codes, nw, y * lab), n_out), n_out),
        ("cost_expected", _ratio(_sum_by(codes, nw, exp_cost), n_dec), n_dec),
        ("cost_expected_labelled", _ratio(_sum_by(codes, nw, exp_cost * lab), n_out), n_out),
        ("cost_realised", _ratio(_sum_by(codes, nw, real_cost), n_out), n_out),
        ("auc", auc, n_out),
        ("brier", _ratio(_sum_by(codes, nw, (p - y) ** 2 * lab), n_out), n_out),
    ]
    rows = [(ALL, name, value, count) for name, value, count in metrics]
    rows += _by_bins(
        "score ",
        np.searchsorted(np.asarray(score_edges), data.score, side="right"),
        band_labels(score_edges),
        codes,
        nw,
        p=p,
        y=y,
        lab=lab,
        names=("default_rate_expected", "default_rate_realised"),
    )
    rows += _by_bins(
        "p ",
        np.searchsorted(np.asarray(calibration_edges), p, side="right"),
        band_labels(calibration_edges),
        codes,
        nw,
        p=p * lab,
        y=y,
        lab=lab,
        names=("mean_predicted", "observed_rate"),
        over_labelled=True,
    )
    bounds = windows.bounds()
    starts = [b[0] for b in bounds]
    ends = [b[1] for b in bounds]
    return pd.DataFrame(
        {
            "window_start": np.tile(np.asarray(starts, dtype=object), len(rows)),
            "window_end": np.tile(np.asarray(ends, dtype=object), len(rows)),
            "segment": np.repeat([r[0] for r in rows], nw),
            "metric": np.repeat([r[1] for r in rows], nw),
            "value": np.concatenate([r[2] for r in rows]) if rows else np.empty(0),
            "n_rows": np.concatenate([r[3] for r in rows]).astype(np.int64)
            if rows
            else np.empty(0, dtype=np.int64),
        },
        columns=list(RESULT_COLUMNS),
    )


def _by_bins(
    prefix: str,
    bins: NDArray[np.intp],
    labels: list[str],
    codes: NDArray[np.intp],
    nw: int,
    *,
    p: NDArray[np.float64],
    y: NDArray[np.float64],
    lab: NDArray[np.float64],
    names: tuple[str, str],
    over_labelled: bool = False,
) -> list[tuple[str, str, NDArray[np.float64], NDArray[np.float64]]]:
    """Predicted and observed rates per (window, bin); empty bins are left out."""
    nb = len(labels)
    flat = codes * nb + bins
    n_all = _sum_by(flat, nw * nb).reshape(nw, nb)
    n_lab = _sum_by(flat, nw * nb, lab).reshape(nw, nb)
    predicted = _sum_by(flat, nw * nb, p).reshape(nw, nb)
    observed = _sum_by(flat, nw * nb, y * lab).reshape(nw, nb)
    n_predicted = n_lab if over_labelled else n_all
    rows = []
    for b, label in enumerate(labels):
        if n_all[:, b].sum() == 0:
            continue
        segment = prefix + label
        rows.append(
            (segment, names[0], _ratio(predicted[:, b], n_predicted[:, b]), n_predicted[:, b])
        )
        rows.append((segment, names[1], _ratio(observed[:, b], n_lab[:, b]), n_lab[:, b]))
    return rows
