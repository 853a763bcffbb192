"""What the Model page shows, read from the bundle: metrics, cost curve, calibration,
feature importance, fairness table and model card (pure functions of the bundle)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.runtime.bundle import CARD_FILE, Bundle


def candidate_metrics(bundle: Bundle) -> pd.DataFrame:
    """Out-of-fold metrics of every candidate (rows) as trained."""
    candidates = bundle.metadata.get("metrics", {}).get("candidates", {})
    frame = pd.DataFrame(candidates).T
    columns = [c for c in ("auc", "gini", "ks", "brier", "cost", "threshold", "approval_rate",
                           "recall") if c in frame.columns]  # fmt: skip
    return frame[columns] if columns else frame


def reliability(bundle: Bundle) -> pd.DataFrame:
    """Training calibration (out-of-fold): mean predicted vs observed per probability decile."""
    return pd.DataFrame(bundle.metadata.get("metrics", {}).get("reliability", []))


def cost_curve(bundle: Bundle) -> tuple[pd.DataFrame, str]:
    """The training cost-vs-threshold curve and what it is.

    A curve stored in the bundle (``metrics.cost_curve`` with ``thresholds``/``costs``) is used
    as is; otherwise it is rebuilt coarsely from the out-of-fold reliability deciles (each
    decile refused or approved as a whole, at its lower edge), which bundles always carry.
    """
    metrics = bundle.metadata.get("metrics", {})
    stored = metrics.get("cost_curve")
    if isinstance(stored, dict) and stored.get("thresholds"):
        curve = pd.DataFrame({"threshold": stored["thresholds"], "cost": stored["costs"]})
        return curve, "training (out-of-fold)"
    table = reliability(bundle)
    if table.empty:
        return pd.DataFrame(columns=["threshold", "cost"]), "not available"
    cost = bundle.metadata.get("cost", {})
    cost_fn, cost_fp = float(cost.get("cost_fn", 10.0)), float(cost.get("cost_fp", 1.0))
    n = table["n"].to_numpy(dtype=float)
    bad = table["observed_rate"].to_numpy(dtype=float) * n
    good = n - bad
    total, total_bad = n.sum(), bad.sum()
    thresholds = np.r_[table["prob_min"].to_numpy(dtype=float), table["prob_max"].max() + 1e-9]
    refused_bad = np.r_[np.cumsum(bad[::-1])[::-1], 0.0]
    refused_good = np.r_[np.cumsum(good[::-1])[::-1], 0.0]
    costs = (cost_fn * (total_bad - refused_bad) + cost_fp * refused_good) / total
    curve = pd.DataFrame({"threshold": thresholds, "cost": costs})
    return curve, "training, coarse (out-of-fold deciles)"


def feature_importance(bundle: Bundle) -> pd.Series:
    """Total gain of each feature in the booster."""
    gain = bundle.booster.feature_importance(importance_type="gain")
    return pd.Series(np.asarray(gain, dtype=float), index=list(bundle.features), name="gain")


def fairness_table(bundle: Bundle) -> pd.DataFrame:
    rows = bundle.metadata.get("metrics", {}).get("fairness", {}).get("rows", [])
    frame = pd.DataFrame(rows)
    # The rows training wrote (training/fairness.py): flags, reference and intervals are not
    # recomputed here, so the page says what the card and the training output say.
    first = [c for c in ("attribute", "group", "count", "approval_rate", "reference",
                         "adverse_impact_ratio", "air_lower", "air_upper", "judged",
                         "flagged") if c in frame.columns]  # fmt: skip
    return frame[first + [c for c in frame.columns if c not in first]]


def model_card(bundle: Bundle) -> str:
    path = bundle.path / CARD_FILE
    return path.read_text(encoding="utf-8") if path.is_file() else ""


def summary(bundle: Bundle) -> dict[str, Any]:
    """Identity and policy of the model."""
    meta = bundle.metadata
    chosen = meta.get("metrics", {}).get("candidates", {}).get("lightgbm", {})
    return {
        "model": meta.get("model_name", "?"),
        "created": meta.get("created_at", "?"),
        "feature set": bundle.feature_set_version,
        "features": len(bundle.features),
        "threshold": bundle.threshold,
        "review band": bundle.review_band,
        "AUC (OOF)": chosen.get("auc"),
        "cost per application (OOF)": chosen.get("cost"),
        "training rows": meta.get("training", {}).get("n_rows"),
        "default rate (training)": meta.get("training", {}).get("default_rate"),
    }
