"""Plotly figures of the dashboard (pure functions: data in, figure out); the drift heatmap,
shared with the monitoring report, is :mod:`credit_scoring.monitoring.charts`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from credit_scoring.monitoring.charts import BAND_COLOURS, LAYOUT, psi_heatmap
from credit_scoring.monitoring.windows import WindowSpec

__all__ = ["BAND_COLOURS", "psi_heatmap"]

#: Tick labels per time-bucket width (never finer than the bucket).
TICK_FORMATS = {
    "second": "%H:%M:%S", "minute": "%H:%M", "hour": "%d %b %H:%M", "day": "%d %b",
    "week": "%d %b %Y",
}  # fmt: skip
BUCKET_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 7 * 86_400}
MAX_TICKS = 10
#: The narrowest time axis, in buckets.
MIN_BUCKETS = 10


def _figure(title: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title=title, **LAYOUT)
    return fig


def time_axis(fig: go.Figure, buckets: pd.Series, granularity: str) -> go.Figure:
    """Fit a date x-axis to time buckets of ``granularity`` (see :func:`_fit_time_axis`)."""
    return _fit_time_axis(
        fig,
        buckets,
        pd.Timedelta(seconds=BUCKET_SECONDS[granularity]),
        TICK_FORMATS[granularity],
        f"time (UTC, per {granularity})",
    )


def window_axis(fig: go.Figure, starts: pd.Series, window: str) -> go.Figure:
    """Fit a date x-axis to the starts of monitoring windows of width ``window`` (``15m``,
    ``1d`` …; see :func:`_fit_time_axis`): one window reads as one window."""
    width = pd.Timedelta(WindowSpec.parse(window).width)
    # Labels at the window's resolution: below an hour by the minute, below a day by the hour,
    # up to a week by the day, longer ones with the year.
    resolution = (
        "minute" if width < pd.Timedelta(hours=1)
        else "hour" if width < pd.Timedelta(days=1)
        else "day" if width <= pd.Timedelta(weeks=1)
        else "week"
    )  # fmt: skip
    return _fit_time_axis(
        fig, starts, width, TICK_FORMATS[resolution], f"window start (UTC, windows of {window})"
    )


def _fit_time_axis(
    fig: go.Figure, times: pd.Series, width: pd.Timedelta, tickformat: str, title: str
) -> go.Figure:
    """A date x-axis for points or bars ``width`` apart: at least :data:`MIN_BUCKETS` widths
    wide (a short history sits at the right end, the last one being the latest), half a width
    of margin on each side, ticks on whole widths (at most :data:`MAX_TICKS`) labelled with
    ``tickformat``, bars one width wide. One bucket reads as one narrow bar of its own time,
    never as a sub-millisecond axis or a full-width block."""
    times = pd.to_datetime(pd.Series(times), utc=True).dropna()
    if times.empty:
        return fig
    last = times.max()
    first = min(times.min(), last - (MIN_BUCKETS - 1) * width)
    n = round((last - first) / width) + 1
    step = max(1, int(np.ceil(n / MAX_TICKS)))
    naive = [(t - width / 2).tz_localize(None) for t in (first, last + width)]
    fig.update_xaxes(
        type="date",
        range=naive,
        tick0=last.tz_localize(None),
        dtick=step * width / pd.Timedelta(milliseconds=1),
        tickformat=tickformat,
        title_text=title,
    )
    fig.update_traces(width=0.9 * width / pd.Timedelta(milliseconds=1), selector={"type": "bar"})
    return fig


def probability_gauge(
    probability: float, threshold: float, *, review_band: float = 0.0
) -> go.Figure:
    """The probability of default (%) on a gauge, the refusal threshold as a red line."""
    top = max(0.5, min(1.0, 2.0 * max(probability, threshold)))
    steps = [{"range": [0, 100 * threshold], "color": "#e8f5e9"},
             {"range": [100 * threshold, 100 * top], "color": "#ffebee"}]  # fmt: skip
    if review_band > 0:
        steps.append(
            {
                "range": [100 * max(threshold - review_band, 0), 100 * (threshold + review_band)],
                "color": "#fff8e1",
            }
        )
    fig = go.Figure(
        go.Indicator(
            mode="gauge+number",
            value=100 * probability,
            number={"suffix": " %", "valueformat": ".1f"},
            title={"text": "Probability of default"},
            gauge={
                "axis": {"range": [0, 100 * top], "ticksuffix": " %"},
                "bar": {"color": "#37474f"},
                "steps": steps,
                "threshold": {"line": {"color": "#c62828", "width": 4}, "value": 100 * threshold},
            },
        )
    )
    fig.update_layout(margin={"l": 30, "r": 30, "t": 60, "b": 10}, height=280)
    return fig


def volume_and_approval(volume: pd.DataFrame, *, granularity: str = "day") -> go.Figure:
    """Decisions per bucket (bars, by decision) and the approval rate (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    for column, name, colour in (
        ("approved", "approved", "#2e7d32"),
        ("review", "review", "#f9a825"),
        ("refused", "refused", "#c62828"),
    ):
        if volume[column].sum() > 0:
            fig.add_bar(x=volume["bucket"], y=volume[column], name=name, marker_color=colour)
    fig.add_scatter(
        x=volume["bucket"],
        y=volume["approval_rate"],
        name="approval rate",
        mode="lines+markers",
        line={"color": "#1565c0"},
        secondary_y=True,
    )
    fig.update_layout(barmode="stack", title="Decisions and approval rate", **LAYOUT)
    fig.update_yaxes(title_text="decisions", secondary_y=False)
    fig.update_yaxes(
        title_text="approval rate", tickformat=".0%", range=[0, 1], dtick=0.2, secondary_y=True
    )
    return time_axis(fig, volume["bucket"], granularity)


def score_heatmap(distribution: pd.DataFrame, *, granularity: str = "day") -> go.Figure:
    """Share of each bucket's decisions per score band (columns sum to 100%)."""
    table = distribution.pivot_table(
        index="band", columns="bucket", values="decisions", aggfunc="sum", fill_value=0
    )
    # Every bucket from the first to the last (one without decisions stays blank), so the
    # cells are placed by start and width: one bucket is one bucket wide, not a hairline.
    width = pd.Timedelta(seconds=BUCKET_SECONDS[granularity])
    starts = pd.to_datetime(pd.Series(table.columns), utc=True)
    grid = pd.date_range(starts.min(), starts.max(), freq=width) if len(starts) else starts
    table.columns = starts
    table = table.reindex(columns=grid)
    shares = table / table.sum(axis=0)
    fig = _figure("Score distribution over time (share of decisions per band)")
    fig.add_heatmap(
        x0=grid[0].tz_localize(None) if len(grid) else None,
        dx=width / pd.Timedelta(milliseconds=1),
        y=[f"{int(b)}–{int(b) + 20}" for b in table.index],
        z=shares.to_numpy(),
        zmin=0.0,
        zmax=max(float(np.nanmax(shares.to_numpy(), initial=0.0)), 0.01),
        colorscale="Blues",
        colorbar={"title": "share", "tickformat": ".0%"},
        hovertemplate="%{x}<br>score %{y}<br>%{z:.1%}<extra></extra>",
    )
    fig.update_yaxes(title_text="score points")
    return time_axis(fig, pd.Series(grid), granularity)


def latency_lines(latency: pd.DataFrame, *, granularity: str = "hour") -> go.Figure:
    fig = _figure("Latency percentiles (ms)")
    for column, colour in (("p50_ms", "#2e7d32"), ("p95_ms", "#f9a825"), ("p99_ms", "#c62828")):
        fig.add_scatter(
            x=latency["bucket"], y=latency[column], name=column.removesuffix("_ms"),
            mode="lines+markers", line={"color": colour},
        )  # fmt: skip
    fig.update_yaxes(title_text="ms", rangemode="tozero")
    return time_axis(fig, latency["bucket"], granularity)


def error_rate_lines(errors: pd.DataFrame, *, window: str | None = None) -> go.Figure:
    """Error rates per window from stored service rows (``error_rate_4xx``/``_5xx``);
    ``window``, their width, fits the time axis to them."""
    fig = _figure("Error rates (from the API's request counters)")
    for metric, colour in (("error_rate_5xx", "#c62828"), ("error_rate_4xx", "#f9a825")):
        part = errors[errors["metric"] == metric]
        fig.add_scatter(x=part["window_start"], y=part["value"], name=metric.removeprefix(
            "error_rate_"), mode="lines+markers", line={"color": colour})  # fmt: skip
    rates = errors.loc[errors["metric"].str.startswith("error_rate_"), "value"]
    top = float(np.nanmax(rates)) if rates.notna().any() else 0.0
    fig.update_yaxes(tickformat=".1%", range=[0, max(0.02, 1.2 * top)])
    return fig if window is None else window_axis(fig, errors["window_start"], window)


def realised_vs_estimated(
    perf: pd.DataFrame,
    metrics: Sequence[tuple[str, str, str]],
    *,
    percent: bool = False,
    y_range: tuple[float, float] | None = None,
    window: str | None = None,
) -> go.Figure:
    """Lines over windows: each ``(metric, label, dash)`` of the ``all`` segment (missing
    values — e.g. windows with too few outcomes — leave gaps); ``y_range`` fixes the axis to
    the metric's domain (AUC: 0–1); ``window``, the windows' width, fits the time axis."""
    rows = perf[perf["segment"] == "all"]
    fig = _figure(" vs ".join(label for _, label, _ in metrics))
    for metric, label, dash in metrics:
        part = rows[rows["metric"] == metric]
        fig.add_scatter(
            x=part["window_start"], y=part["value"], name=label, mode="lines+markers",
            line={"dash": dash},
        )  # fmt: skip
    if percent:
        fig.update_yaxes(tickformat=".1%")
    if y_range is not None:
        fig.update_yaxes(range=list(y_range))
    return fig if window is None else window_axis(fig, rows["window_start"], window)


def calibration_plot(table: pd.DataFrame, *, title: str = "Calibration") -> go.Figure:
    """Observed vs mean predicted default rate per bin, against the diagonal."""
    fig = _figure(title)
    top = float(np.nanmax([table["mean_predicted"].max(), table["observed_rate"].max(), 0.05]))
    fig.add_scatter(x=[0, top], y=[0, top], name="perfect", mode="lines",
                    line={"dash": "dot", "color": "grey"})  # fmt: skip
    fig.add_scatter(
        x=table["mean_predicted"], y=table["observed_rate"], name="observed",
        mode="lines+markers", text=table.get("n"),
        hovertemplate="predicted %{x:.3f}<br>observed %{y:.3f}<br>n %{text}<extra></extra>",
    )  # fmt: skip
    fig.update_xaxes(title_text="mean predicted probability of default", tickformat=".0%")
    fig.update_yaxes(title_text="observed default rate", tickformat=".0%")
    return fig


def cost_curve_plot(curves: dict[str, pd.DataFrame], *, threshold: float) -> go.Figure:
    """Business cost per application against the refusal threshold; the chosen threshold."""
    fig = _figure("Business cost vs threshold")
    for name, curve in curves.items():
        fig.add_scatter(x=curve["threshold"], y=curve["cost"], name=name, mode="lines")
    fig.add_vline(x=threshold, line_dash="dash", line_color="#c62828",
                  annotation_text=f"threshold {threshold:.3f}")  # fmt: skip
    fig.update_xaxes(title_text="threshold (probability of default)", range=[0, 0.6])
    fig.update_yaxes(title_text="cost per application")
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.25})
    return fig


def importance_bars(importance: pd.Series, *, top: int = 20) -> go.Figure:
    """Total gain of the ``top`` features, largest at the top."""
    best = importance.sort_values(ascending=False).head(top)[::-1]
    fig = _figure(f"Feature importance (gain, top {len(best)})")
    fig.add_bar(x=best.to_numpy(), y=list(best.index), orientation="h", marker_color="#1565c0")
    fig.update_layout(height=max(360, 20 * len(best) + 100))
    return fig
