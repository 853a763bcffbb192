"""Service metrics: latency percentiles, volumes and error rates from request counters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from credit_scoring.monitoring.service import (
    CounterSnapshot,
    error_table,
    latency_table,
    parse_request_counters,
)
from credit_scoring.monitoring.windows import Windows, WindowSpec

HOUR_NS = 3600 * 1_000_000_000


def metric(frame: pd.DataFrame, name: str) -> list[float]:
    return frame[frame.metric == name].sort_values("window_start").value.tolist()


def test_latency_percentiles_and_volume_per_window() -> None:
    latency = np.r_[np.arange(1.0, 101.0), np.full(10, 7.0)]
    when = np.r_[np.zeros(100), np.full(10, 2 * HOUR_NS)].astype(np.int64)
    windows = Windows.assign(WindowSpec.parse("1h"), when)
    frame = latency_table(latency, windows, history_found=np.r_[np.ones(100), np.zeros(10)] > 0)
    assert metric(frame, "n_decisions") == [100, 10]
    assert metric(frame, "decisions_per_hour") == [100, 10]
    assert metric(frame, "latency_p50_ms") == pytest.approx([50.5, 7.0])
    assert metric(frame, "latency_p99_ms")[0] == pytest.approx(np.percentile(latency[:100], 99))
    assert metric(frame, "latency_max_ms") == [100.0, 7.0]
    assert metric(frame, "no_history_rate") == [0.0, 1.0]


METRICS_TEXT = """\
# HELP credit_scoring_http_requests_total HTTP requests answered.
# TYPE credit_scoring_http_requests_total counter
credit_scoring_http_requests_total{method="POST",route="/v1/scores",status="200"} 90.0
credit_scoring_http_requests_total{method="POST",route="/v1/scores",status="422"} 6.0
credit_scoring_http_requests_total{method="POST",route="/v1/scores/batch",status="503"} 4.0
credit_scoring_http_requests_total{method="GET",route="/health/ready",status="503"} 50.0
"""


def test_request_counters_are_summed_by_status_class_for_api_routes_only() -> None:
    counters = parse_request_counters(METRICS_TEXT)
    assert counters == {"2xx": 90.0, "3xx": 0.0, "4xx": 6.0, "5xx": 4.0}


def test_error_rates_come_from_counter_increments_and_survive_a_restart() -> None:
    t0 = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    snaps = [
        CounterSnapshot(t0, {"2xx": 90, "4xx": 6, "5xx": 4}),
        CounterSnapshot(t0 + timedelta(hours=1), {"2xx": 180, "4xx": 6, "5xx": 14}),
        # Restart: counters start again from zero.
        CounterSnapshot(t0 + timedelta(hours=2), {"2xx": 50, "4xx": 0, "5xx": 0}),
    ]
    frame = error_table(snaps, WindowSpec.parse("1h"))
    assert metric(frame, "requests") == [100, 100, 50]
    assert metric(frame, "error_rate_5xx") == pytest.approx([0.04, 0.10, 0.0])
    assert metric(frame, "error_rate_4xx") == pytest.approx([0.06, 0.0, 0.0])
    assert error_table([], WindowSpec.parse("1h")).empty
