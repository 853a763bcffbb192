"""Automatic choices made only on evidence: every option is cross-validated on all folds and
replaces the default only when it beats it by more than the noise (one standard error of the
per-fold paired difference). Each choice is returned with what was compared and why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

from credit_scoring.metrics import optimal_threshold, roc_auc
from credit_scoring.training.cv import BoostingConfig, CVResult, cross_validate

Folds = list[tuple[NDArray[np.intp], NDArray[np.intp]]]
Log = Callable[[str], None]


@dataclass(frozen=True)
class Choice:
    """One automatic choice: the default, the options compared, the one chosen and why."""

    name: str
    default: str
    chosen: str
    compared: dict[str, float] = field(default_factory=dict)
    metric: str = ""
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        keys = ("name", "default", "chosen", "metric", "compared", "reason")
        return {key: getattr(self, key) for key in keys}

    def sentence(self) -> str:
        shown = ", ".join(f"{k} {v:.4f}" for k, v in self.compared.items())
        head = f"{self.name}: {self.chosen}"
        return (
            f"{head} — compared {shown} ({self.metric}); {self.reason}"
            if shown
            else (f"{head} — {self.reason}")
        )


def fold_costs(
    cv: CVResult, y: NDArray[np.int8], folds: Folds, *, cost_fn: float, cost_fp: float
) -> NDArray[np.float64]:
    """Cost per application at each fold's own cost-optimal threshold."""
    return np.array(
        [
            optimal_threshold(y[valid], cv.oof_prob[valid], cost_fn=cost_fn, cost_fp=cost_fp).cost
            for _, valid in folds
        ]
    )


def fold_aucs(cv: CVResult, y: NDArray[np.int8], folds: Folds) -> NDArray[np.float64]:
    return np.array([roc_auc(y[valid], cv.oof_raw[valid]) for _, valid in folds])


def beats_by_margin(gain_per_fold: NDArray[np.float64]) -> tuple[bool, float, float]:
    """``(wins, mean, standard error)`` of a per-fold paired gain (positive = better):
    wins when the mean exceeds one standard error (and is positive)."""
    gain = np.asarray(gain_per_fold, dtype=np.float64)
    mean = float(gain.mean())
    se = float(gain.std(ddof=1) / np.sqrt(len(gain))) if len(gain) > 1 else float("inf")
    return bool(mean > 0.0 and mean > se), mean, se


def choose_imbalance(
    X: NDArray[np.float64],
    y: NDArray[np.int8],
    *,
    folds: Folds,
    categorical: list[int],
    params: dict[str, Any],
    config: BoostingConfig,
    options: tuple[str, ...],
    binned: lgb.Dataset,
    cost_fn: float,
    cost_fp: float,
    default_cv: CVResult | None = None,
    log: Log = lambda message: None,
) -> tuple[CVResult, str, Choice]:
    """``none`` (the default) or ``balanced`` (``scale_pos_weight`` = negatives / positives),
    both cross-validated on every fold; ``balanced`` only when its per-fold cost is lower by
    more than one standard error."""
    positives = int(y.sum())
    ratio = (len(y) - positives) / max(positives, 1)
    results: dict[str, CVResult] = {}
    costs: dict[str, NDArray[np.float64]] = {}
    for option in options:
        if option == "none" and default_cv is not None:
            cv = default_cv
        else:
            cv = cross_validate(
                X,
                y,
                folds=folds,
                categorical=categorical,
                params=params,
                config=config,
                scale_pos_weight=ratio if option == "balanced" else 1.0,
                binned=binned,
            )
        results[option] = cv
        costs[option] = fold_costs(cv, y, folds, cost_fn=cost_fn, cost_fp=cost_fp)
        log(
            f"lightgbm [{option}] on {len(folds)} folds: OOF AUC {roc_auc(y, cv.oof_raw):.4f}, "
            f"mean fold cost {costs[option].mean():.4f}, rounds {list(cv.best_rounds)}"
        )
    default = "none" if "none" in options else options[0]
    chosen, reason = default, "the only option"
    for option in options:
        if option == default:
            continue
        wins, mean, se = beats_by_margin(costs[default] - costs[option])
        verdict = (
            "lower by more than its standard error, chosen"
            if wins
            else "not lower beyond noise, default kept"
        )
        reason = f"{option} − {default} mean fold cost {-mean:+.4f} (SE {se:.4f}): {verdict}"
        if wins:
            chosen = option
    choice = Choice(
        name="imbalance",
        default=default,
        chosen=chosen,
        compared={k: float(v.mean()) for k, v in costs.items()},
        metric="mean cost per application over all folds",
        reason=reason,
    )
    return results[chosen], chosen, choice


def choose_tuned(
    y: NDArray[np.int8], *, folds: Folds, default_cv: CVResult, tuned_cv: CVResult
) -> tuple[bool, Choice]:
    """Keep the tuned parameters only when their fold AUC beats the default's by more than
    one standard error of the paired per-fold difference."""
    base, tuned = fold_aucs(default_cv, y, folds), fold_aucs(tuned_cv, y, folds)
    wins, mean, se = beats_by_margin(tuned - base)
    return wins, Choice(
        name="tuning",
        default="default parameters",
        chosen="tuned parameters" if wins else "default parameters",
        compared={"default": float(base.mean()), "tuned": float(tuned.mean())},
        metric="mean fold AUC",
        reason=f"tuned − default {mean:+.4f} (SE {se:.4f}): "
        + ("more than its standard error, chosen" if wins else "within noise, default kept"),
    )
