"""Service: latency percentiles, volume and error rates over time."""

from __future__ import annotations

import streamlit as st

from credit_scoring.dashboard import charts, ui
from credit_scoring.store import reads


def render() -> None:
    ui.require_role("viewer")
    st.title("Service")
    filters, latency = ui.decisions_over_time(reads.latency_over_time)
    total = int(latency["decisions"].sum())
    cols = st.columns(4)
    cols[0].metric("Decisions", f"{total:,}")
    cols[1].metric("Worst p50", f"{latency['p50_ms'].max():.1f} ms")
    cols[2].metric("Worst p99", f"{latency['p99_ms'].max():.1f} ms")
    cols[3].metric("Max", f"{latency['max_ms'].max():.1f} ms")
    st.plotly_chart(charts.latency_lines(latency, granularity=filters.granularity), key="latency")
    st.caption(
        "Latency: request received → decision made durable, as logged by the API; "
        "percentiles interpolated from a histogram aggregated in SQL (to within one bin)."
    )
    window = ui.window_choice("service", key="service_window")
    errors = (
        ui.cached(
            reads.stored_results,
            job="service",
            window=window,
            metrics=["error_rate_4xx", "error_rate_5xx", "requests"],
            since=filters.since,
        )
        if window
        else None
    )
    if errors is None or errors.empty or not (errors["metric"] == "error_rate_5xx").any():
        ui.empty_state(
            "No error rates yet: only answered decisions are in the decision log.",
            "Snapshot the API's request counters with `credit-scoring monitor service "
            "--metrics-url http://127.0.0.1:8000/metrics` (e.g. every few minutes).",
        )
        return
    st.plotly_chart(charts.error_rate_lines(errors, window=window), key="errors")
    requests = errors[errors["metric"] == "requests"]
    st.caption(f"{int(requests['value'].sum()):,} API requests in windows of {window}.")


if __name__ == "__main__":
    render()
