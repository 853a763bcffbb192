"""Fairness report: decisions and errors by sex and by age band (fairlearn ``MetricFrame``).

For each group: number of applications, approval rate, observed default rate, true-positive
rate (share of defaulters refused) and false-positive rate (share of good clients refused),
and the adverse-impact ratio: the group's approval rate over the highest group approval rate.
A ratio below 0.8 (the "four-fifths rule") is flagged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from numpy.typing import NDArray

ADVERSE_IMPACT_LIMIT = 0.8
#: Age bands in years: [lower, upper) with labels.
AGE_BANDS: tuple[tuple[float, float, str], ...] = (
    (0.0, 25.0, "<25"),
    (25.0, 35.0, "25-34"),
    (35.0, 45.0, "35-44"),
    (45.0, 55.0, "45-54"),
    (55.0, 65.0, "55-64"),
    (65.0, float("inf"), "65+"),
)
_DAYS_PER_YEAR = 365.25


def age_band(groups: pd.DataFrame) -> pd.Series | None:
    """Age band of each row from ``AGE_YEARS`` or ``DAYS_BIRTH`` (negative days); None if absent."""
    if "AGE_YEARS" in groups.columns:
        years = pd.to_numeric(groups["AGE_YEARS"], errors="coerce").to_numpy(dtype=np.float64)
    elif "DAYS_BIRTH" in groups.columns:
        days = pd.to_numeric(groups["DAYS_BIRTH"], errors="coerce").to_numpy(dtype=np.float64)
        years = -days / _DAYS_PER_YEAR
    else:
        return None
    labels = np.full(len(years), "unknown", dtype=object)
    for lower, upper, label in AGE_BANDS:
        labels[(years >= lower) & (years < upper)] = label
    return pd.Series(labels, index=groups.index, name="AGE_BAND")


def _approval_rate(y_true: NDArray[Any], y_pred: NDArray[Any]) -> float:
    return float(1.0 - np.mean(y_pred))


def _default_rate(y_true: NDArray[Any], y_pred: NDArray[Any]) -> float:
    return float(np.mean(y_true))


def _rate(y_true: NDArray[Any], y_pred: NDArray[Any], label: int) -> float:
    mask = np.asarray(y_true) == label
    return float(np.mean(np.asarray(y_pred)[mask])) if mask.any() else float("nan")


def _tpr(y_true: NDArray[Any], y_pred: NDArray[Any]) -> float:
    return _rate(y_true, y_pred, 1)


def _fpr(y_true: NDArray[Any], y_pred: NDArray[Any]) -> float:
    return _rate(y_true, y_pred, 0)


def _count(y_true: NDArray[Any], y_pred: NDArray[Any]) -> float:
    return float(len(y_true))


_METRICS = {
    "count": _count,
    "approval_rate": _approval_rate,
    "default_rate": _default_rate,
    "tpr": _tpr,
    "fpr": _fpr,
}


@dataclass(frozen=True)
class FairnessReport:
    """Tidy rows: one per (attribute, group), plus the flagged rows."""

    rows: list[dict[str, Any]]

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["flagged"]]

    def to_json(self) -> dict[str, Any]:
        return {"adverse_impact_limit": ADVERSE_IMPACT_LIMIT, "rows": self.rows}


def group_metrics(
    y_true: NDArray[np.int8], refused: NDArray[np.bool_], sensitive: pd.Series
) -> list[dict[str, Any]]:
    """Per-group metrics of refusal decisions for one sensitive attribute."""
    frame = MetricFrame(
        metrics=_METRICS,
        y_true=np.asarray(y_true, dtype=np.int8),
        y_pred=np.asarray(refused, dtype=np.int8),
        sensitive_features=sensitive.astype(str).to_numpy(),
    )
    by_group = frame.by_group
    best = float(by_group["approval_rate"].max())
    rows = []
    for group, values in by_group.iterrows():
        ratio = float(values["approval_rate"]) / best if best > 0 else float("nan")
        rows.append(
            {
                "attribute": str(sensitive.name),
                "group": str(group),
                "count": int(values["count"]),
                "approval_rate": float(values["approval_rate"]),
                "default_rate": float(values["default_rate"]),
                "tpr": float(values["tpr"]),
                "fpr": float(values["fpr"]),
                "adverse_impact_ratio": ratio,
                "flagged": bool(ratio < ADVERSE_IMPACT_LIMIT),
            }
        )
    return rows


def fairness_report(
    y_true: NDArray[np.int8],
    refused: NDArray[np.bool_],
    groups: pd.DataFrame,
    *,
    attributes: Mapping[str, str] | None = None,
) -> FairnessReport:
    """Report for ``CODE_GENDER`` (when present) and the age band of each row.

    ``refused`` is the decision at the chosen threshold (True = refused); ``groups`` holds the
    sensitive columns row-aligned with ``y_true``.
    """
    rows: list[dict[str, Any]] = []
    columns = dict(attributes or {"CODE_GENDER": "CODE_GENDER"})
    for column, name in columns.items():
        if column in groups.columns:
            sensitive = groups[column].astype("string").fillna("missing").rename(name)
            rows.extend(group_metrics(y_true, refused, sensitive))
    band = age_band(groups)
    if band is not None:
        rows.extend(group_metrics(y_true, refused, band))
    return FairnessReport(rows)
