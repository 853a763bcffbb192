"""The model card (Markdown): intended use, data, metrics with bootstrap confidence
intervals, threshold and cost, calibration, fairness, limitations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credit_scoring.metrics import brier_score, cost_at_threshold, ks_statistic, roc_auc


def bootstrap_intervals(
    y_true: NDArray[np.int8],
    y_prob: NDArray[np.float64],
    *,
    threshold: float,
    cost_fn: float,
    cost_fp: float,
    n_boot: int = 200,
    seed: int = 42,
    level: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap intervals of AUC, KS, Brier and cost (OOF predictions)."""
    rng = np.random.default_rng(seed)
    n = len(y_true)
    draws: dict[str, list[float]] = {"auc": [], "ks": [], "brier": [], "cost": []}
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        yt, yp = y_true[idx], y_prob[idx]
        if yt.min() == yt.max():
            continue
        draws["auc"].append(roc_auc(yt, yp))
        draws["ks"].append(ks_statistic(yt, yp))
        draws["brier"].append(brier_score(yt, yp))
        draws["cost"].append(
            cost_at_threshold(yt, yp, threshold, cost_fn=cost_fn, cost_fp=cost_fp).cost
        )
    tail = (1.0 - level) / 2.0 * 100.0
    return {
        k: (float(np.percentile(v, tail)), float(np.percentile(v, 100.0 - tail)))
        for k, v in draws.items()
        if v
    }


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        return "n/a" if np.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def model_card(summary: Mapping[str, Any]) -> str:
    """Render the card from the training summary (see ``train.training_summary``)."""
    candidates = summary["candidates"]
    ci = summary["intervals"]
    thr = summary["threshold"]
    opt, half = thr["optimal"], thr["at_0_5"]
    fingerprint = summary["data_fingerprint"]
    rows_by_table = fingerprint.get("rows", {})
    metric_rows = [
        [name, m["auc"], m["gini"], m["ks"], m["brier"], m["cost"], m["threshold"]]
        for name, m in candidates.items()
    ]
    ci_rows = [[k, summary["metrics"][k], lo, hi] for k, (lo, hi) in ci.items()]
    reliability = [
        [int(r["n"]), r["mean_predicted"], r["observed_rate"]] for r in summary["reliability"]
    ]
    fairness = [
        [
            r["attribute"],
            r["group"],
            r["count"],
            r["approval_rate"],
            r["default_rate"],
            r["tpr"],
            r["fpr"],
            r["adverse_impact_ratio"],
            "**yes**" if r["flagged"] else "no",
        ]
        for r in summary["fairness"]["rows"]
    ]
    flagged = [r for r in summary["fairness"]["rows"] if r["flagged"]]
    by_method = ", ".join(f"{k} {v:.5f}" for k, v in summary["brier_by_method"].items())
    parts = [
        f"# Model card — {summary['model_name']}",
        f"Created {summary['created_at']} · git commit `{summary.get('git_commit') or 'unknown'}`"
        f" · feature set `{summary['feature_set_version']}` · bundle format "
        f"{summary['bundle_format_version']}",
        "## Intended use",
        "Estimates the probability that an applicant for a consumer loan defaults, to support "
        "approve / refuse decisions with adverse-action reasons. Credit scoring is high-risk "
        "under the EU AI Act: every decision must be logged with the model version, inputs, "
        "output and reasons, and refusals near the threshold should be reviewed by a person. "
        "Not for pricing, collections, marketing or any decision about people other than "
        "loan applicants. Sex and marital status are "
        + (
            "**model inputs** (use_protected_attributes is on)."
            if summary["uses_protected"]
            else "not model inputs; they serve the fairness report only."
        ),
        "## Data",
        f"{summary['n_rows']:,} labelled applications, default rate "
        f"{summary['default_rate']:.4f}; {summary['n_features']} model features "
        f"({summary['n_history_features']} from credit history). Source rows per table: "
        + (", ".join(f"{k} {v:,}" for k, v in rows_by_table.items()) or "not recorded")
        + f". Source manifest SHA-256 `{fingerprint.get('source_manifest_sha256') or 'n/a'}`, "
        f"training table SHA-256 `{fingerprint.get('train_parquet_sha256', 'n/a')}`.",
        f"## Metrics (stratified {summary['n_folds']}-fold CV, out-of-fold predictions)",
        _table(["candidate", "AUC", "Gini", "KS", "Brier", "cost/app", "threshold"], metric_rows),
        f"Chosen LightGBM: imbalance handling `{summary['imbalance']}`, "
        f"{summary['rounds']} boosting rounds, tuning trials {summary['tuning_trials']}.",
        "95 % bootstrap intervals of the chosen model (calibrated OOF probabilities):",
        _table(["metric", "value", "lower", "upper"], ci_rows),
        "## Decision threshold and cost",
        f"Cost per application = ({thr['cost_fn']:g}·missed defaults + {thr['cost_fp']:g}·"
        f"refused good clients) / n. Refuse when the calibrated probability ≥ "
        f"**{opt['threshold']:.4f}**.",
        _table(
            ["policy", "threshold", "cost/app", "TP", "FP", "TN", "FN", "approval", "recall"],
            [
                [
                    "cost-optimal",
                    opt["threshold"],
                    opt["cost"],
                    opt["tp"],
                    opt["fp"],
                    opt["tn"],
                    opt["fn"],
                    opt["approval_rate"],
                    opt["recall"],
                ],
                [
                    "at 0.5",
                    half["threshold"],
                    half["cost"],
                    half["tp"],
                    half["fp"],
                    half["tn"],
                    half["fn"],
                    half["approval_rate"],
                    half["recall"],
                ],
            ],
        ),
        "## Calibration",
        f"Method `{summary['calibration_method']}` fitted on out-of-fold scores (cross-fitted "
        f"Brier by method: {by_method}). "
        "Reliability by decile:",
        _table(["n", "mean predicted", "observed"], reliability),
        "## Fairness (at the chosen threshold, out of fold)",
        _table(
            ["attribute", "group", "n", "approval", "default rate", "TPR", "FPR", "AIR", "flag"],
            fairness,
        ),
        (
            f"**{len(flagged)} group(s) below the 0.8 adverse-impact ratio** — review before use."
            if flagged
            else "No group below the 0.8 adverse-impact ratio."
        ),
        "## Known limitations",
        "- Trained on historical approved applications only (no reject inference); the "
        "population served may differ.\n"
        "- Cross-validated metrics are estimates; small groups in the fairness table have wide "
        "uncertainty.\n"
        "- Reasons are grouped SHAP contributions (path-dependent TreeSHAP): they explain the "
        "model, not causes.\n"
        "- Monitor drift of inputs and scores against the reference bins stored in the bundle.",
    ]
    return "\n\n".join(parts) + "\n"
