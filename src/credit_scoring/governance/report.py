"""The validation report: one self-contained HTML file (Plotly embedded, readable offline).

Every figure comes from rows the model never saw: the out-of-fold predictions training logged
(``oof_predictions.parquet`` on the run), a like-for-like comparison with the champion
(:mod:`credit_scoring.governance.comparison`) and, when a FEATURES_DIR is given, its
unlabelled test population for stability and sensitivity.

Sections: discrimination (AUC, Gini, KS with bootstrap intervals) vs champion and benchmarks;
PD master scale (10 grades) with a Jeffreys test per grade and a traffic light; stability
(PSI of the score and top features); cost curve and threshold; sensitivity (decision rate
when a top feature moves ±1 SD); fairness; lineage; limitations.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from credit_scoring.metrics import ks_statistic, roc_auc

#: PD master scale: upper PD bound of each grade (the last grade is open to 100 %).
MASTER_SCALE_BOUNDS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.10, 0.15, 0.25, 1.0)
#: Jeffreys test p-value bands: below RED the grade's PD is too low (red), below AMBER amber.
JEFFREYS_RED = 0.01
JEFFREYS_AMBER = 0.05
PSI_WARN = 0.10
PSI_ALERT = 0.25


def grade_of(pd_values: NDArray[np.float64]) -> NDArray[np.int64]:
    """Grade 1 (safest) … 10 of each probability on the master scale."""
    return np.searchsorted(np.asarray(MASTER_SCALE_BOUNDS), pd_values, side="left") + 1


def jeffreys_p_value(defaults: int, n: int, mean_pd: float) -> float:
    """One-sided Jeffreys test (ECB/EBA back-testing): P(true default rate ≤ mean PD) under the
    Beta(D + ½, N − D + ½) posterior. Small values: the grade's PD underestimates its defaults."""
    from scipy.stats import beta

    if n == 0:
        return math.nan
    return float(beta.cdf(mean_pd, defaults + 0.5, n - defaults + 0.5))


def traffic_light(p_value: float) -> str:
    if math.isnan(p_value):
        return "grey"
    if p_value < JEFFREYS_RED:
        return "red"
    if p_value < JEFFREYS_AMBER:
        return "amber"
    return "green"


def grade_table(y: NDArray[Any], pd_values: NDArray[np.float64]) -> pd.DataFrame:
    """Per master-scale grade: PD bounds, applications, defaults, observed default rate, mean
    PD, Jeffreys p-value and traffic light (every grade listed, empty ones too)."""
    y = np.asarray(y, dtype=np.int64)
    pd_values = np.asarray(pd_values, dtype=np.float64)
    grades = grade_of(pd_values)
    rows = []
    lower = 0.0
    for g, upper in enumerate(MASTER_SCALE_BOUNDS, start=1):
        mask = grades == g
        n = int(mask.sum())
        d = int(y[mask].sum())
        mean_pd = float(pd_values[mask].mean()) if n else math.nan
        p = jeffreys_p_value(d, n, mean_pd) if n else math.nan
        rows.append(
            {
                "grade": g,
                "pd_lower": lower,
                "pd_upper": upper,
                "applications": n,
                "defaults": d,
                "observed_default_rate": d / n if n else math.nan,
                "mean_pd": mean_pd,
                "jeffreys_p": p,
                "light": traffic_light(p),
            }
        )
        lower = upper
    return pd.DataFrame(rows)


def bootstrap_discrimination(
    y: NDArray[Any], p: NDArray[np.float64], *, n_boot: int = 200, seed: int = 0
) -> dict[str, tuple[float, float, float]]:
    """AUC, Gini and KS with a 95 % percentile bootstrap interval: name → (value, low, high)."""
    y = np.asarray(y, dtype=np.int64)
    p = np.asarray(p, dtype=np.float64)
    rng = np.random.default_rng(seed)
    aucs, kss = [], []
    n = len(y)
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        if y[idx].min() == y[idx].max():
            continue
        aucs.append(roc_auc(y[idx], p[idx]))
        kss.append(ks_statistic(y[idx], p[idx]))
    auc, ks = roc_auc(y, p), ks_statistic(y, p)
    a_lo, a_hi = np.percentile(aucs, [2.5, 97.5]) if aucs else (math.nan, math.nan)
    k_lo, k_hi = np.percentile(kss, [2.5, 97.5]) if kss else (math.nan, math.nan)
    return {
        "AUC": (auc, float(a_lo), float(a_hi)),
        "Gini": (2 * auc - 1, float(2 * a_lo - 1), float(2 * a_hi - 1)),
        "KS": (ks, float(k_lo), float(k_hi)),
    }


def psi(expected: NDArray[Any], actual: NDArray[Any], *, bins: int = 10) -> float:
    """Population stability index of ``actual`` against deciles of ``expected`` (missing values
    form their own bin; empty bins get a small floor)."""
    e = np.asarray(expected, dtype=np.float64)
    a = np.asarray(actual, dtype=np.float64)
    finite = e[np.isfinite(e)]
    if finite.size == 0 or a.size == 0:
        return math.nan
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1))[1:-1])

    def shares(x: NDArray[np.float64]) -> NDArray[np.float64]:
        missing = ~np.isfinite(x)
        counts = np.bincount(
            np.searchsorted(edges, x[~missing], side="right"), minlength=len(edges) + 1
        ).astype(float)
        counts = np.append(counts, missing.sum())
        return np.maximum(counts / max(x.size, 1), 1e-4)

    pe, pa = shares(e), shares(a)
    return float(np.sum((pa - pe) * np.log(pa / pe)))


@dataclass(frozen=True)
class Comparison:
    """Candidate vs champion on the same rows, or why no numeric comparison is claimed."""

    champion: str | None
    method: str
    note: str
    y: NDArray[Any] | None = None
    candidate: NDArray[np.float64] | None = None
    champion_probs: NDArray[np.float64] | None = None


@dataclass
class ReportInputs:
    model_name: str
    version: str
    served_model: str
    y: NDArray[Any]
    probs: NDArray[np.float64]
    benchmarks: dict[str, NDArray[np.float64]]
    threshold: float
    cost_fn: float
    cost_fp: float
    comparison: Comparison
    fairness_rows: list[dict[str, Any]]
    lineage: dict[str, Any]
    stability: pd.DataFrame | None = None
    stability_note: str = ""
    sensitivity: pd.DataFrame | None = None
    sensitivity_note: str = ""
    limitations: list[str] = field(default_factory=list)
    n_boot: int = 200


def _fmt(value: Any, digits: int = 4) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        return f"{value:.{digits}f}"
    return html.escape(str(value))


def _table(frame: pd.DataFrame, *, digits: int = 4, light_column: str | None = None) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            if column == light_column:
                cells.append(f'<td class="light {value}">{html.escape(str(value))}</td>')
            else:
                cells.append(f"<td>{_fmt(value, digits)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure_html(fig: Any, *, first: bool) -> str:
    import plotly.io as pio

    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs="inline" if first else False,
            config={"displayModeBar": False},
            default_height="360px",
        )
    )


def _discrimination(inputs: ReportInputs) -> tuple[pd.DataFrame, list[str]]:
    rows = []
    notes = []
    series: dict[str, NDArray[np.float64]] = {
        f"candidate v{inputs.version} ({inputs.served_model})": inputs.probs,
        **{f"benchmark: {k}": v for k, v in inputs.benchmarks.items()},
    }
    for name, probs in series.items():
        m = bootstrap_discrimination(inputs.y, probs, n_boot=inputs.n_boot)
        rows.append(
            {
                "model (out-of-fold, same rows)": name,
                "rows": len(inputs.y),
                **{f"{k}": v[0] for k, v in m.items()},
                **{f"{k} 95 % CI": f"{v[1]:.4f} … {v[2]:.4f}" for k, v in m.items()},
            }
        )
    c = inputs.comparison
    if c.y is not None and c.candidate is not None and c.champion_probs is not None:
        for name, probs in (
            (f"candidate v{inputs.version} on the comparison rows", c.candidate),
            (f"champion v{c.champion} on the same rows", c.champion_probs),
        ):
            m = bootstrap_discrimination(c.y, probs, n_boot=inputs.n_boot)
            rows.append(
                {
                    "model (out-of-fold, same rows)": name,
                    "rows": len(c.y),
                    **{f"{k}": v[0] for k, v in m.items()},
                    **{f"{k} 95 % CI": f"{v[1]:.4f} … {v[2]:.4f}" for k, v in m.items()},
                }
            )
    notes.append(f"Champion comparison ({c.method}): {c.note}")
    frame = pd.DataFrame(rows)
    ordered = ["model (out-of-fold, same rows)", "rows"]
    for k in ("AUC", "Gini", "KS"):
        ordered += [k, f"{k} 95 % CI"]
    return frame[ordered], notes


def render_report(inputs: ReportInputs) -> str:
    """The report as one HTML document (Plotly's JavaScript inlined once)."""
    import plotly.graph_objects as go

    from credit_scoring.training.threshold import cost_curve

    parts: list[str] = []
    first = True

    def figure(fig: Any) -> str:
        nonlocal first
        out = _figure_html(fig, first=first)
        first = False
        return out

    title = f"Validation report — {inputs.model_name} v{inputs.version}"
    disc, notes = _discrimination(inputs)
    parts.append("<h2>1. Discrimination</h2>")
    parts.append(
        "<p>All figures are out-of-fold: every row was scored by a model that did not train or "
        "early-stop on it. Intervals: 95 % percentile bootstrap "
        f"({inputs.n_boot} resamples).</p>"
    )
    parts.append(_table(disc))
    parts += [f"<p class='note'>{html.escape(n)}</p>" for n in notes]
    roc = go.Figure()
    for name, probs in {"candidate": inputs.probs, **inputs.benchmarks}.items():
        fpr, tpr = _roc_points(inputs.y, probs)
        roc.add_trace(go.Scatter(x=fpr, y=tpr, mode="lines", name=name))
    roc.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="chance", line={"dash": "dot"}))
    roc.update_layout(title="ROC (out-of-fold)", xaxis_title="FPR", yaxis_title="TPR")
    parts.append(figure(roc))

    grades = grade_table(inputs.y, inputs.probs)
    parts.append("<h2>2. PD master scale and calibration by grade</h2>")
    parts.append(
        "<p>Ten grades with fixed PD bounds. Jeffreys test per grade: p = P(true default rate ≤ "
        f"mean PD | defaults); red below {JEFFREYS_RED}, amber below {JEFFREYS_AMBER} (the "
        "grade's PD underestimates its defaults).</p>"
    )
    parts.append(_table(grades, light_column="light"))
    cal = go.Figure()
    nonempty = grades[grades["applications"] > 0]
    cal.add_trace(go.Bar(x=nonempty["grade"], y=nonempty["observed_default_rate"], name="observed"))
    cal.add_trace(
        go.Scatter(x=nonempty["grade"], y=nonempty["mean_pd"], mode="lines+markers", name="mean PD")
    )
    cal.update_layout(title="Observed default rate vs mean PD by grade", xaxis_title="grade")
    parts.append(figure(cal))

    parts.append("<h2>3. Stability</h2>")
    if inputs.stability is not None and len(inputs.stability):
        parts.append(
            f"<p>PSI against the training population: below {PSI_WARN} stable, from "
            f"{PSI_ALERT} a major shift. {html.escape(inputs.stability_note)}</p>"
        )
        parts.append(_table(inputs.stability))
    else:
        parts.append(f"<p class='note'>Not computed: {html.escape(inputs.stability_note)}</p>")

    thresholds, costs = cost_curve(
        inputs.y, inputs.probs, cost_fn=inputs.cost_fn, cost_fp=inputs.cost_fp
    )
    parts.append("<h2>4. Cost curve and threshold</h2>")
    parts.append(
        f"<p>Cost per application with a missed default costing {inputs.cost_fn:g} and a refused "
        f"good client {inputs.cost_fp:g}; the bundle's threshold is {inputs.threshold:.4f}.</p>"
    )
    cc = go.Figure(go.Scatter(x=thresholds, y=costs, mode="lines", name="cost"))
    cc.add_vline(x=inputs.threshold, line_dash="dash", annotation_text="threshold")
    cc.update_layout(title="Cost vs threshold (out-of-fold)", xaxis_title="threshold (PD)")
    parts.append(figure(cc))

    parts.append("<h2>5. Sensitivity</h2>")
    if inputs.sensitivity is not None and len(inputs.sensitivity):
        parts.append(
            "<p>Share of applications refused when one top feature moves by ±1 standard "
            f"deviation (others unchanged). {html.escape(inputs.sensitivity_note)}</p>"
        )
        parts.append(_table(inputs.sensitivity))
    else:
        parts.append(f"<p class='note'>Not computed: {html.escape(inputs.sensitivity_note)}</p>")

    parts.append("<h2>6. Fairness</h2>")
    if inputs.fairness_rows:
        keep = [
            "attribute", "group", "count", "approval_rate", "default_rate", "reference",
            "judged", "adverse_impact_ratio", "air_lower", "air_upper", "flagged",
        ]  # fmt: skip
        frame = pd.DataFrame(inputs.fairness_rows)
        parts.append(_table(frame[[c for c in keep if c in frame.columns]]))
    else:
        parts.append("<p class='note'>No fairness rows (no protected attributes given).</p>")

    parts.append("<h2>7. Lineage</h2>")
    parts.append(
        _table(pd.DataFrame([{"item": k, "value": str(v)} for k, v in inputs.lineage.items()]))
    )
    parts.append("<h2>8. Limitations</h2><ul>")
    parts += [f"<li>{html.escape(item)}</li>" for item in inputs.limitations]
    parts.append("</ul>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
        "table{border-collapse:collapse;font-size:13px;margin:0.5em 0}"
        "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
        "th{background:#f2f2f2}.note{color:#555;font-style:italic}"
        ".light.green{background:#c8efc8}.light.amber{background:#ffe2a8}"
        ".light.red{background:#f7b4b4}.light.grey{background:#eee}"
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body><h1>{html.escape(title)}</h1>"
        + "".join(parts)
        + "</body></html>"
    )


def _roc_points(y: NDArray[Any], p: NDArray[np.float64]) -> tuple[list[float], list[float]]:
    y = np.asarray(y, dtype=np.int64)
    order = np.argsort(-np.asarray(p), kind="stable")
    ys = y[order]
    tps = np.cumsum(ys)
    fps = np.cumsum(1 - ys)
    step = max(1, len(ys) // 400)
    idx = np.r_[np.arange(0, len(ys), step), len(ys) - 1]
    tpr = tps[idx] / max(int(ys.sum()), 1)
    fpr = fps[idx] / max(int((1 - ys).sum()), 1)
    return [0.0, *fpr.tolist()], [0.0, *tpr.tolist()]


def stability_table(
    train_scores: NDArray[np.float64],
    new_scores: NDArray[np.float64],
    train_features: Mapping[str, NDArray[Any]],
    new_features: Mapping[str, NDArray[Any]],
) -> pd.DataFrame:
    """PSI of the score and of each given feature (training vs the new population)."""
    rows = [{"variable": "score (PD)", "psi": psi(train_scores, new_scores)}]
    for name, values in train_features.items():
        rows.append({"variable": name, "psi": psi(values, new_features[name])})
    frame = pd.DataFrame(rows)
    frame["band"] = [
        "stable" if v < PSI_WARN else "moderate" if v < PSI_ALERT else "major"
        for v in frame["psi"].fillna(0.0)
    ]
    return frame


def sensitivity_table(
    base_refusal: float, shifted: Sequence[tuple[str, float, float]]
) -> pd.DataFrame:
    """Rows (feature, refusal rate at −1 SD, at +1 SD) against the base refusal rate."""
    return pd.DataFrame(
        [
            {
                "feature": name,
                "refused at −1 SD": lo,
                "refused (as is)": base_refusal,
                "refused at +1 SD": hi,
                "largest move (points)": 100 * max(abs(lo - base_refusal), abs(hi - base_refusal)),
            }
            for name, lo, hi in shifted
        ]
    )
