"""Fairness report: decisions and errors by sex and by age band (fairlearn ``MetricFrame``).

For each group: number of applications, approval rate, observed default rate, true-positive
rate (share of defaulters refused) and false-positive rate (share of good clients refused),
and the adverse-impact ratio (AIR): the group's approval rate over the reference group's.

Only disparities that mean something are flagged (:class:`FairnessPolicy`):

- a group smaller than ``min_share`` of the rows or ``min_count`` applications is reported
  but never judged: it is neither flagged nor the reference (one ``CODE_GENDER = XNA``
  applicant approved would otherwise become the yardstick of everyone else);
- the reference is the largest judged group (or a configured one, when judged);
- each ratio has a percentile bootstrap interval (rows resampled within each group), and a
  group is flagged only when the whole interval lies below 0.8 (the "four-fifths rule").

Training, the model card and the dashboard all read the rows this module writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame
from numpy.typing import NDArray

ADVERSE_IMPACT_LIMIT = 0.8


@dataclass(frozen=True)
class FairnessPolicy:
    """Who is judged and how: minimum group size (share of rows and applications), the
    reference group per attribute (default: the largest judged group), the bootstrap."""

    min_share: float = 0.01
    min_count: int = 30
    reference: Mapping[str, str] = field(default_factory=dict)
    n_boot: int = 200
    level: float = 0.95
    seed: int = 0

    def judged(self, count: int, total: int) -> bool:
        return count >= self.min_count and count >= self.min_share * total

    def to_json(self) -> dict[str, Any]:
        return {
            "min_share": self.min_share,
            "min_count": self.min_count,
            "reference": dict(self.reference),
            "n_boot": self.n_boot,
            "level": self.level,
        }


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
    policy: FairnessPolicy = field(default_factory=FairnessPolicy)

    @property
    def flagged(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["flagged"]]

    def to_json(self) -> dict[str, Any]:
        return {
            "adverse_impact_limit": ADVERSE_IMPACT_LIMIT,
            "policy": self.policy.to_json(),
            "rows": self.rows,
        }


def _ratio_interval(
    approved: NDArray[np.bool_],
    labels: NDArray[Any],
    group: str,
    reference: str,
    policy: FairnessPolicy,
) -> tuple[float, float]:
    """Percentile bootstrap interval of approval(group) / approval(reference)."""
    rng = np.random.default_rng(policy.seed)
    a = approved[labels == group].astype(np.float64)
    r = approved[labels == reference].astype(np.float64)
    ratios = []
    for _ in range(policy.n_boot):
        ra = a[rng.integers(0, len(a), len(a))].mean()
        rr = r[rng.integers(0, len(r), len(r))].mean()
        ratios.append(ra / rr if rr > 0 else np.nan)
    draws = np.asarray(ratios)
    draws = draws[np.isfinite(draws)]
    if not len(draws):
        return float("nan"), float("nan")
    tail = (1.0 - policy.level) / 2.0 * 100.0
    return float(np.percentile(draws, tail)), float(np.percentile(draws, 100.0 - tail))


def group_metrics(
    y_true: NDArray[np.int8],
    refused: NDArray[np.bool_],
    sensitive: pd.Series,
    *,
    policy: FairnessPolicy | None = None,
) -> list[dict[str, Any]]:
    """Per-group metrics of refusal decisions for one sensitive attribute (see the module
    docstring for who is judged, the reference and when a group is flagged)."""
    policy = policy or FairnessPolicy()
    labels = sensitive.astype(str).to_numpy()
    frame = MetricFrame(
        metrics=_METRICS,
        y_true=np.asarray(y_true, dtype=np.int8),
        y_pred=np.asarray(refused, dtype=np.int8),
        sensitive_features=labels,
    )
    by_group = frame.by_group
    total = len(labels)
    name = str(sensitive.name)
    counts = {str(g): int(v) for g, v in by_group["count"].items()}
    judged = {g for g, c in counts.items() if policy.judged(c, total)}
    configured = policy.reference.get(name)
    if configured is not None and configured in judged:
        reference: str | None = configured
    else:
        # The largest judged group (ties: the first in sorted order, as MetricFrame lists them).
        reference = max(sorted(judged), key=lambda g: counts[g]) if judged else None
    approved = ~np.asarray(refused, dtype=bool)
    ref_rate = float(by_group.loc[reference, "approval_rate"]) if reference is not None else 0.0
    rows = []
    for group, values in by_group.iterrows():
        group = str(group)
        is_judged = group in judged and reference is not None
        ratio = float(values["approval_rate"]) / ref_rate if ref_rate > 0 else float("nan")
        lower, upper = (float("nan"), float("nan"))
        if is_judged and group != reference and ref_rate > 0:
            lower, upper = _ratio_interval(approved, labels, group, str(reference), policy)
        rows.append(
            {
                "attribute": name,
                "group": group,
                "count": int(values["count"]),
                "approval_rate": float(values["approval_rate"]),
                "default_rate": float(values["default_rate"]),
                "tpr": float(values["tpr"]),
                "fpr": float(values["fpr"]),
                "reference": reference,
                "judged": is_judged,
                "adverse_impact_ratio": ratio,
                "air_lower": lower,
                "air_upper": upper,
                "flagged": bool(is_judged and upper < ADVERSE_IMPACT_LIMIT),
            }
        )
    return rows


def fairness_report(
    y_true: NDArray[np.int8],
    refused: NDArray[np.bool_],
    groups: pd.DataFrame,
    *,
    attributes: Mapping[str, str] | None = None,
    policy: FairnessPolicy | None = None,
) -> FairnessReport:
    """Report for ``CODE_GENDER`` (when present) and the age band of each row.

    ``refused`` is the decision at the chosen threshold (True = refused); ``groups`` holds the
    sensitive columns row-aligned with ``y_true``.
    """
    policy = policy or FairnessPolicy()
    rows: list[dict[str, Any]] = []
    columns = dict(attributes or {"CODE_GENDER": "CODE_GENDER"})
    for column, name in columns.items():
        if column in groups.columns:
            sensitive = groups[column].astype("string").fillna("missing").rename(name)
            rows.extend(group_metrics(y_true, refused, sensitive, policy=policy))
    band = age_band(groups)
    if band is not None:
        rows.extend(group_metrics(y_true, refused, band, policy=policy))
    return FairnessReport(rows, policy)
