"""Service health per window: volume, latency percentiles and error rates.

Volume and latency come from the decision log (``latency_ms``: time from request received to
decision made durable, in milliseconds). Only answered decisions are logged there, so error
rates come from the API's own request counters instead: each ``monitor service
--metrics-url …`` run stores a snapshot of ``credit_scoring_http_requests_total`` summed by
status class (2xx/4xx/5xx), and the requests of a window are the increments between
consecutive snapshots that end in it (a counter that went down means the API restarted: its
new value is the increment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from prometheus_client.parser import text_string_to_metric_families

from credit_scoring.monitoring.windows import Windows, WindowSpec, to_ns

RESULT_COLUMNS = ("window_start", "window_end", "segment", "metric", "value", "n_rows")
PERCENTILES = (50.0, 95.0, 99.0)
STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")
REQUEST_COUNTER = "credit_scoring_http_requests_total"
#: Routes whose requests count for error rates (probes and /metrics are left out).
API_ROUTE_PREFIX = "/v1/"


def latency_table(
    latency_ms: NDArray[np.float64],
    windows: Windows,
    *,
    history_found: NDArray[np.bool_] | None = None,
    review: NDArray[np.bool_] | None = None,
) -> pd.DataFrame:
    """Per window: ``n_decisions``, ``decisions_per_hour``, latency ``p50/p95/p99/max/mean``
    (milliseconds) and, when given, the share of clients without history and of REVIEW."""
    nw = len(windows)
    counts = windows.counts()
    order = np.argsort(windows.codes, kind="stable")
    chunks = np.split(latency_ms[order], np.cumsum(counts)[:-1]) if nw else []
    hours = windows.spec.width.total_seconds() / 3600.0
    values: dict[str, NDArray[np.float64]] = {
        "n_decisions": counts.astype(np.float64),
        "decisions_per_hour": counts / hours,
    }
    for q in PERCENTILES:
        values[f"latency_p{q:g}_ms"] = np.asarray(
            [np.percentile(c, q) if c.size else np.nan for c in chunks], dtype=np.float64
        )
    values["latency_max_ms"] = np.asarray([c.max() if c.size else np.nan for c in chunks])
    values["latency_mean_ms"] = np.asarray([c.mean() if c.size else np.nan for c in chunks])
    with np.errstate(invalid="ignore", divide="ignore"):
        if history_found is not None:
            missing = np.bincount(windows.codes, weights=~history_found * 1.0, minlength=nw)
            values["no_history_rate"] = missing / counts
        if review is not None:
            reviewed = np.bincount(windows.codes, weights=review * 1.0, minlength=nw)
            values["review_rate"] = reviewed / counts
    return _tidy(windows, {("all", k): (v, counts) for k, v in values.items()})


def _tidy(
    windows: Windows,
    values: Mapping[tuple[str, str], tuple[NDArray[np.float64], NDArray[np.int64]]],
) -> pd.DataFrame:
    bounds = windows.bounds()
    nw = len(windows)
    starts = np.asarray([b[0] for b in bounds], dtype=object)
    ends = np.asarray([b[1] for b in bounds], dtype=object)
    keys = list(values)
    return pd.DataFrame(
        {
            "window_start": np.tile(starts, len(keys)),
            "window_end": np.tile(ends, len(keys)),
            "segment": np.repeat([k[0] for k in keys], nw),
            "metric": np.repeat([k[1] for k in keys], nw),
            "value": np.concatenate([values[k][0] for k in keys]) if keys else [],
            "n_rows": np.concatenate([values[k][1] for k in keys]).astype(np.int64) if keys else [],
        },
        columns=list(RESULT_COLUMNS),
    )


# -- request counters ----------------------------------------------------------------------


@dataclass(frozen=True)
class CounterSnapshot:
    """Cumulative API requests by status class at ``taken_at`` (since the API started)."""

    taken_at: datetime
    by_class: Mapping[str, float]

    @property
    def total(self) -> float:
        return float(sum(self.by_class.values()))


def parse_request_counters(metrics_text: str) -> dict[str, float]:
    """Requests to ``/v1/…`` routes by status class, from a Prometheus exposition text."""
    out = dict.fromkeys(STATUS_CLASSES, 0.0)
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name != REQUEST_COUNTER:
                continue
            route = sample.labels.get("route", "")
            status = sample.labels.get("status", "")
            if not route.startswith(API_ROUTE_PREFIX) or not status[:1].isdigit():
                continue
            key = f"{status[0]}xx"
            if key in out:
                out[key] += float(sample.value)
    return out


def error_table(snapshots: Iterable[CounterSnapshot], spec: WindowSpec) -> pd.DataFrame:
    """Per window with requests: ``requests``, ``errors_4xx``, ``errors_5xx`` and the two
    error rates, from the increments between consecutive snapshots (see the module doc)."""
    ordered = sorted(snapshots, key=lambda s: s.taken_at)
    increments: list[tuple[int, dict[str, float]]] = []
    previous: CounterSnapshot | None = None
    for snap in ordered:
        restarted = previous is None or any(
            snap.by_class.get(k, 0.0) < previous.by_class.get(k, 0.0) for k in STATUS_CLASSES
        )
        delta = {
            k: snap.by_class.get(k, 0.0)
            - (0.0 if restarted or previous is None else previous.by_class.get(k, 0.0))
            for k in STATUS_CLASSES
        }
        increments.append((to_ns(snap.taken_at), delta))
        previous = snap
    if not increments:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    windows = Windows.assign(spec, np.asarray([t for t, _ in increments], dtype=np.int64))
    nw = len(windows)

    def total_of(keys: tuple[str, ...]) -> NDArray[np.float64]:
        weights = np.asarray([sum(d[k] for k in keys) for _, d in increments], dtype=np.float64)
        return np.bincount(windows.codes, weights=weights, minlength=nw).astype(np.float64)

    requests = total_of(STATUS_CLASSES)
    e4, e5 = total_of(("4xx",)), total_of(("5xx",))
    n = requests.astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {
            ("all", "requests"): (requests, n),
            ("all", "errors_4xx"): (e4, n),
            ("all", "errors_5xx"): (e5, n),
            ("all", "error_rate_4xx"): (np.where(requests > 0, e4 / requests, np.nan), n),
            ("all", "error_rate_5xx"): (np.where(requests > 0, e5 / requests, np.nan), n),
        }
    return _tidy(windows, values)
