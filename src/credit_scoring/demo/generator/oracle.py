"""What a model could at best achieve on the population: the oracle's metrics.

The oracle ranks and decides with the true PD. Its AUC, Brier score and business cost (per
application, at the cost-optimal threshold searched on the same clients) are measured on the
realised TARGET, and so is the AUC of the application part of the true logit alone — the
ceiling of a model that ignores the history tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from credit_scoring.metrics import brier_score, cost_at_threshold, optimal_threshold, roc_auc


def split_metrics(
    y_true: np.ndarray,
    true_pd: np.ndarray,
    logit_application: np.ndarray,
    *,
    cost_fn: float,
    cost_fp: float,
) -> dict[str, Any]:
    """Oracle metrics on one split (AUCs are ``None`` when the split has a single class)."""
    n = int(y_true.size)
    if n == 0:
        return {"clients": 0}
    defaults = int(y_true.sum())
    rate = defaults / n
    both_classes = 0 < defaults < n
    best = optimal_threshold(y_true, true_pd, cost_fn=cost_fn, cost_fp=cost_fp)
    bayes = cost_at_threshold(
        y_true, true_pd, cost_fp / (cost_fn + cost_fp), cost_fn=cost_fn, cost_fp=cost_fp
    )
    return {
        "clients": n,
        "defaults": defaults,
        "default_rate": rate,
        "oracle_auc": roc_auc(y_true, true_pd) if both_classes else None,
        "oracle_brier": brier_score(y_true, true_pd),
        "oracle_cost": best.cost,
        "oracle_threshold": best.threshold,
        "oracle_approval_rate": best.approval_rate,
        "oracle_cost_at_bayes_threshold": bayes.cost,
        "application_only_auc": roc_auc(y_true, logit_application) if both_classes else None,
        "constant_brier": rate * (1.0 - rate),
        "approve_all_cost": cost_fn * rate,
        "mean_true_pd": float(np.mean(true_pd)),
    }


def oracle_report(
    truth: Mapping[str, np.ndarray],
    *,
    rows: Mapping[str, int],
    cost_fn: float,
    cost_fp: float,
) -> dict[str, Any]:
    """Metrics of the train and test clients, row counts and rows per client."""
    test = truth["test"]
    report: dict[str, Any] = {"cost_fn": cost_fn, "cost_fp": cost_fp}
    for split, mask in (("train", ~test), ("test", test)):
        report[split] = split_metrics(
            truth["TARGET"][mask], truth["TRUE_PD"][mask], truth["LOGIT_APPLICATION"][mask],
            cost_fn=cost_fn, cost_fp=cost_fp,
        )  # fmt: skip
    clients = int(test.size)
    report["clients"] = {"train": int((~test).sum()), "test": int(test.sum())}
    report["rows"] = dict(rows)
    per_client = {
        name: count / clients
        for name, count in rows.items()
        if name not in {"application_train", "application_test", "bureau_balance"}
    }
    per_client["bureau_balance_per_bureau_credit"] = (
        rows["bureau_balance"] / rows["bureau"] if rows["bureau"] else 0.0
    )
    report["rows_per_client"] = per_client
    return report
