"""Charts that read right: time axes at the bucket's resolution (one bucket too), realised
metrics only with enough outcomes, AUC on 0–1, score bands in score order, "pp" deltas."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from credit_scoring.dashboard import charts
from credit_scoring.dashboard.performance_view import (
    NOT_ENOUGH,
    band_lower_edge,
    bands_by_score,
    hide_thin_windows,
    outcome_counts,
    points_delta,
)
from credit_scoring.store import reads

T0 = datetime(2026, 12, 4, 10, 0, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("span", "expected"),
    [
        (timedelta(0), "second"),
        (timedelta(seconds=50), "second"),
        (timedelta(minutes=30), "minute"),
        (timedelta(days=3), "hour"),
        (timedelta(days=60), "day"),
        (timedelta(days=3 * 365), "week"),
    ],
)
def test_the_automatic_bucket_fits_the_span(span: timedelta, expected: str) -> None:
    assert reads.auto_granularity(T0, T0 + span) == expected


def _volume(buckets: list[datetime]) -> pd.DataFrame:
    n = len(buckets)
    return pd.DataFrame(
        {
            "bucket": pd.to_datetime(buckets, utc=True),
            "decisions": [10] * n,
            "approved": [8] * n,
            "refused": [1] * n,
            "review": [1] * n,
            "approval_rate": [0.8] * n,
        }
    )


def test_one_bucket_is_one_narrow_bar_on_an_axis_of_minutes_never_milliseconds() -> None:
    fig = charts.volume_and_approval(_volume([T0]), granularity="minute")
    axis = fig.layout.xaxis
    low, high = (pd.Timestamp(v) for v in axis.range)
    assert high - low == charts.MIN_BUCKETS * timedelta(minutes=1)
    assert high == pd.Timestamp(T0).tz_localize(None) + timedelta(seconds=30)  # latest right
    assert axis.dtick == 60_000 and axis.tickformat == "%H:%M"
    bars = [t for t in fig.data if t.type == "bar"]
    assert bars and all(b.width == pytest.approx(0.9 * 60_000) for b in bars)


def test_one_bucket_of_scores_is_a_cell_one_bucket_wide_shares_on_zero_to_one() -> None:
    distribution = pd.DataFrame(
        {"bucket": pd.to_datetime([T0, T0], utc=True), "band": [560, 580], "decisions": [3, 1]}
    )
    fig = charts.score_heatmap(distribution, granularity="second")
    heat = fig.data[0]
    assert heat.dx == 1000 and pd.Timestamp(heat.x0) == pd.Timestamp(T0).tz_localize(None)
    assert heat.zmin == 0.0 and heat.zmax == pytest.approx(0.75)
    assert np.asarray(heat.z)[:, 0].tolist() == [0.75, 0.25]


def test_score_buckets_without_decisions_stay_blank_cells() -> None:
    buckets = [T0, T0 + timedelta(minutes=3)]
    distribution = pd.DataFrame(
        {"bucket": pd.to_datetime(buckets, utc=True), "band": [560, 560], "decisions": [2, 5]}
    )
    z = np.asarray(charts.score_heatmap(distribution, granularity="minute").data[0].z)
    assert z.shape == (1, 4) and z[0, 0] == 1.0 and z[0, 3] == 1.0
    assert np.isnan(z[0, 1]) and np.isnan(z[0, 2])


def test_many_buckets_get_at_most_ten_ticks_on_whole_buckets() -> None:
    buckets = [T0 + timedelta(seconds=s) for s in range(0, 95)]
    fig = charts.latency_lines(
        pd.DataFrame({"bucket": buckets, "p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": 3.0}),
        granularity="second",
    )
    axis = fig.layout.xaxis
    assert axis.dtick == 10_000  # 95 one-second buckets → a tick every 10 s
    low, high = (pd.Timestamp(v) for v in axis.range)
    assert (high - low) / pd.Timedelta(milliseconds=axis.dtick) < 11


def _perf(outcomes: list[int]) -> pd.DataFrame:
    rows = []
    for w, n in enumerate(outcomes):
        start = pd.Timestamp(T0) + pd.Timedelta(days=w)
        for metric, value, count in (
            ("n_decisions", 100.0, 100),
            ("n_outcomes", float(n), 100),
            ("default_rate_realised", 0.0 if n == 1 else 0.08, n),
            ("auc", np.nan if n < 2 else 0.7, n),
            ("default_rate_expected", 0.08, 100),
        ):
            rows.append(("all", start, metric, value, count))
    return pd.DataFrame(rows, columns=["segment", "window_start", "metric", "value", "n_rows"])


def test_a_window_with_one_outcome_shows_no_realised_rate() -> None:
    rows = hide_thin_windows(_perf([1, 500]), min_outcomes=30)
    realised = rows[rows["metric"] == "default_rate_realised"]["value"].tolist()
    assert np.isnan(realised[0]) and realised[1] == pytest.approx(0.08)
    expected = rows[rows["metric"] == "default_rate_expected"]["value"].tolist()
    assert expected == [0.08, 0.08]  # estimates need no outcomes
    counts = outcome_counts(_perf([1, 500]), min_outcomes=30)
    assert counts["outcomes"].tolist() == [1, 500]
    assert counts["realised metrics"].iloc[0].startswith(NOT_ENOUGH)
    assert counts["realised metrics"].iloc[1] == "shown"


def test_the_auc_axis_stays_in_its_domain() -> None:
    fig = charts.realised_vs_estimated(_perf([500]), [("auc", "AUC", "solid")], y_range=(0, 1))
    assert tuple(fig.layout.yaxis.range) == (0, 1)


def test_score_bands_sort_by_score_not_as_text() -> None:
    labels = ["score 580–600", "score ≥ 600", "score < 480", "score 480–500"]
    table = pd.DataFrame({"rate": [0.1, 0.05, 0.3, 0.2]}, index=labels)
    assert list(bands_by_score(table).index) == [
        "score < 480", "score 480–500", "score 580–600", "score ≥ 600",
    ]  # fmt: skip
    assert band_lower_edge("score < 480") < band_lower_edge("score 480–500")


def test_probability_deltas_are_percentage_points() -> None:
    assert points_delta(0.051, 0.10) == "-4.9 pp vs threshold 10.0%"
    assert points_delta(0.15, 0.10).startswith("+5.0 pp")


@pytest.mark.parametrize(
    ("window", "width", "tickformat"),
    [("1m", timedelta(minutes=1), "%H:%M"), ("15m", timedelta(minutes=15), "%H:%M"),
     ("1h", timedelta(hours=1), "%d %b %H:%M"), ("1d", timedelta(days=1), "%d %b"),
     ("7d", timedelta(days=7), "%d %b"), ("2w", timedelta(weeks=2), "%d %b %Y")],
)  # fmt: skip
def test_one_monitoring_window_gets_an_axis_of_windows_never_milliseconds(
    window: str, width: timedelta, tickformat: str
) -> None:
    errors = pd.DataFrame(
        {
            "window_start": pd.to_datetime([T0, T0], utc=True),
            "metric": ["error_rate_5xx", "error_rate_4xx"],
            "value": [0.0, 0.01],
        }
    )
    for fig in (
        charts.error_rate_lines(errors, window=window),
        charts.realised_vs_estimated(_perf([500]).assign(window_start=pd.Timestamp(T0)),
                                     [("auc", "AUC", "solid")], y_range=(0, 1), window=window),
    ):  # fmt: skip
        axis = fig.layout.xaxis
        low, high = (pd.Timestamp(v) for v in axis.range)
        assert high - low == charts.MIN_BUCKETS * width
        assert axis.dtick == width / timedelta(milliseconds=1)
        assert axis.tickformat == tickformat
