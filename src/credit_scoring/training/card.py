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


def _interval(row: Mapping[str, Any]) -> str:
    lower, upper = row.get("air_lower", float("nan")), row.get("air_upper", float("nan"))
    if np.isnan(lower) or np.isnan(upper):
        return "—"
    return f"{lower:.3f} … {upper:.3f}"


def _fairness_flag(row: Mapping[str, Any]) -> str:
    if row["flagged"]:
        return "**yes**"
    if row.get("reference") == row["group"]:
        return "reference"
    return "no" if row.get("judged", True) else "too small to judge"


def model_card(summary: Mapping[str, Any]) -> str:
    """Render the card from the training summary (see ``train.training_summary``)."""
    candidates = summary["candidates"]
    ci = summary["intervals"]
    thr = summary["threshold"]
    opt, half = thr["optimal"], thr["at_0_5"]
    fingerprint = summary["data_fingerprint"]
    source_tables = fingerprint.get("tables") or {}
    if source_tables:
        rows_text = "Source rows per table (data manifest): " + ", ".join(
            f"{k} {v['rows']:,}" for k, v in source_tables.items() if v.get("rows") is not None
        )
    else:
        rows_text = "Source rows per table: not recorded (trained without `--data-dir`); " + (
            "feature-table rows: "
            + ", ".join(f"{k} {v:,}" for k, v in fingerprint.get("rows", {}).items())
        )
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
            _interval(r),
            _fairness_flag(r),
        ]
        for r in summary["fairness"]["rows"]
    ]
    policy = summary["fairness"].get("policy", {})
    lgbm = candidates.get("lightgbm", {})
    choices = [[c["name"], c["chosen"], c["default"], c["reason"]] for c in summary["choices"]]
    monotone = [
        [m["feature"], f"{m['direction']:+d}", m["why"]] for m in summary["monotone_constraints"]
    ]
    points = [
        [r["characteristic"], r["bin"], f"{r['points']:.2f}"] for r in summary["scorecard_points"]
    ]
    lo, hi = summary["probability_interval"]
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
        f"({summary['n_history_features']} from credit history). "
        + rows_text
        + f". Source manifest SHA-256 `{fingerprint.get('source_manifest_sha256') or 'n/a'}`, "
        f"training table SHA-256 `{fingerprint.get('train_parquet_sha256', 'n/a')}`.",
        f"## Metrics (stratified {summary['n_folds']}-fold CV, out-of-fold predictions)",
        _table(["candidate", "AUC", "Gini", "KS", "Brier", "cost/app", "threshold"], metric_rows),
        f"Served model: **{summary['served_model']}**. LightGBM out-of-fold AUC raw "
        f"{_fmt(lgbm.get('auc_raw', float('nan')))}, calibrated "
        f"{_fmt(lgbm.get('auc', float('nan')))}"
        f" (calibration is strictly increasing: it cannot change the ranking); Brier raw "
        f"{_fmt(lgbm.get('brier_raw', float('nan')), 5)}, calibrated "
        f"{_fmt(lgbm.get('brier', float('nan')), 5)}. Each fold's rounds were early-stopped on "
        "an inner split of its training rows, never on the rows it scored. LightGBM: imbalance "
        f"handling `{summary['imbalance']}`, {summary['rounds']} boosting rounds for the refit "
        f"(fold rounds {summary['fold_best_rounds']} scaled to all rows), tuning trials "
        f"{summary['tuning_trials']}; defaults by size rule: {summary['size_rule']}. "
        f"Probabilities lie in [{lo:g}, {hi:g}]: never 0 or 1.",
        "95 % bootstrap intervals of the served model (out-of-fold probabilities):",
        _table(["metric", "value", "lower", "upper"], ci_rows),
        "## Automatic choices",
        "Each option was cross-validated on every fold and replaces the default only when it "
        "beats it by more than the noise.",
        _table(["choice", "chosen", "default", "why"], choices),
        "## Monotone constraints",
        (
            "LightGBM is constrained to move in the known direction of these features (+1: more "
            "is riskier, −1: more is safer):\n\n"
            + _table(["feature", "direction", "why"], monotone)
            if monotone
            else "No monotone constraint."
        ),
        "## Scorecard",
        (
            "Weight-of-evidence logistic scorecard with optimal monotonic binning (the challenger"
            " a regulator can read; score = sum of the points, probability of default = "
            "1 / (1 + exp((score − offset) / factor)) on the score scale above):\n\n"
            + _table(["characteristic", "bin", "points"], points)
            if points
            else "No scorecard was trained."
        ),
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
        f"Brier of LightGBM by method: {by_method}). "
        "Reliability by decile:",
        _table(["n", "mean predicted", "observed"], reliability),
        "## Fairness (at the chosen threshold, out of fold)",
        "The adverse-impact ratio (AIR) is a group's approval rate over the reference "
        "group's (the largest judged group, or a configured one). Groups smaller than "
        f"{policy.get('min_share', 0.01):.0%} of the rows or {policy.get('min_count', 30)} "
        "applications are reported but not judged. A judged group is flagged only when its "
        "whole 95 % bootstrap interval lies below 0.8.",
        _table(
            [
                "attribute",
                "group",
                "n",
                "approval",
                "default rate",
                "TPR",
                "FPR",
                "AIR",
                "AIR 95 % CI",
                "flag",
            ],
            fairness,
        ),
        (
            f"**{len(flagged)} group(s) clearly below the 0.8 adverse-impact ratio** — review "
            "before use."
            if flagged
            else "No judged group is clearly below the 0.8 adverse-impact ratio."
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
