"""Overview: volume, approval rate and score distribution over time."""

from __future__ import annotations

import streamlit as st

from credit_scoring.dashboard import charts, ui
from credit_scoring.store import reads


def render() -> None:
    ui.require_role("viewer")
    st.title("Overview")
    filters, volume = ui.decisions_over_time(reads.volume_over_time)
    summary = ui.cached(reads.log_summary)
    total = int(volume["decisions"].sum())
    cols = st.columns(4)
    cols[0].metric("Decisions", f"{total:,}")
    cols[1].metric("Approval rate", ui.percent(volume["approved"].sum() / total))
    cols[2].metric(
        "Mean probability of default",
        ui.percent((volume["mean_probability"] * volume["decisions"]).sum() / total),
    )
    cols[3].metric("Outcomes recorded", f"{summary['outcomes']:,}")
    st.plotly_chart(
        charts.volume_and_approval(volume, granularity=filters.granularity), key="volume"
    )
    distribution = ui.cached(
        reads.score_distribution, granularity=filters.granularity, since=filters.since
    )
    st.plotly_chart(
        charts.score_heatmap(distribution, granularity=filters.granularity), key="scores"
    )
    no_history = volume["no_history"].sum() / total
    st.caption(
        f"First decision {summary['first']:%Y-%m-%d %H:%M} UTC, last "
        f"{summary['last']:%Y-%m-%d %H:%M} UTC; {no_history:.1%} of clients had no credit "
        "history."
    )


if __name__ == "__main__":
    render()
