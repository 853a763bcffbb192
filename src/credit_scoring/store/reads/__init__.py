"""Reads of the database that the dashboard, monitoring and the simulator share, instead of
SQL of their own: functions taking an engine and returning typed rows, arrays or DataFrames.

* :mod:`.log` — aggregates over the decision log (volume, scores, latency, realised cost);
* :mod:`.decisions` — logged decisions as aligned numpy arrays (monitoring jobs);
* :mod:`.results` — stored monitoring results.
"""

from credit_scoring.store.reads.decisions import (
    ALL_MODELS,
    DecisionSelection,
    LoggedDecisions,
    count_decisions,
    read_decisions,
)
from credit_scoring.store.reads.log import (
    GRANULARITIES,
    LATENCY_EDGES_MS,
    SCORE_BAND_POINTS,
    Granularity,
    auto_granularity,
    histogram_quantile,
    latency_over_time,
    log_summary,
    realised_cost_curve,
    score_distribution,
    volume_over_time,
)
from credit_scoring.store.reads.results import (
    COUNTER_JOB,
    has_tables,
    latest_models,
    read_results,
    read_snapshots,
    stored_results,
    stored_window_sizes,
)

__all__ = [
    "ALL_MODELS",
    "COUNTER_JOB",
    "GRANULARITIES",
    "LATENCY_EDGES_MS",
    "SCORE_BAND_POINTS",
    "DecisionSelection",
    "Granularity",
    "LoggedDecisions",
    "auto_granularity",
    "count_decisions",
    "has_tables",
    "histogram_quantile",
    "latency_over_time",
    "latest_models",
    "log_summary",
    "read_decisions",
    "read_results",
    "read_snapshots",
    "realised_cost_curve",
    "score_distribution",
    "stored_results",
    "stored_window_sizes",
    "volume_over_time",
]
