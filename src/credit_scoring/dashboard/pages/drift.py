"""Drift: PSI per feature × window as a heatmap, and the alerts with their band."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from credit_scoring.dashboard import charts, ui
from credit_scoring.store import reads


def render() -> None:
    ui.require_role("viewer")
    st.title("Drift")
    st.caption(
        "PSI of every model feature and of the model outputs against the training reference "
        "bins (bands: < 0.10 stable, 0.10–0.25 moderate, ≥ 0.25 major), with KS (numeric) "
        "or chi² (categorical) as a second opinion."
    )
    window = ui.window_choice("drift", key="drift_window")
    rows = ui.cached(reads.stored_results, job="drift", window=window) if window else None
    if rows is None or rows.empty:
        ui.empty_state(
            "No drift results yet.",
            "Compute them with `credit-scoring monitor drift --window 1d` (after some "
            "decisions are logged).",
        )
        return
    with st.sidebar:
        top = st.slider("Features in the heatmap", 5, 60, 30, key="drift_top")
    psi = rows[rows["metric"] == "psi"]
    latest = psi["window_start"].max()
    current = psi[psi["window_start"] == latest]
    cols = st.columns(4)
    cols[0].metric("Windows", f"{psi['window_start'].nunique()}")
    cols[1].metric("Columns monitored", f"{psi['column_name'].nunique()}")
    cols[2].metric("Major shifts (latest)", int((current["band"] == "alert").sum()))
    cols[3].metric("Moderate shifts (latest)", int((current["band"] == "warn").sum()))
    st.plotly_chart(charts.psi_heatmap(psi, max_features=top), key="psi")
    low_n = int((psi["band"] == "low_n").sum())
    if low_n:
        st.caption(
            f"{low_n} column × window cell(s) (blank in the heatmap) had fewer than 20 rows "
            "per reference bin: their PSI is mostly sampling noise and is not banded (see the "
            "second opinion)."
        )
    st.subheader("Alerts")
    alerts = psi[psi["band"].isin(["warn", "alert"])]
    if alerts.empty:
        st.success("No feature above the 0.10 PSI band in any window.")
        return
    tests = rows[rows["metric"].isin(["ks", "chi2"])][
        ["window_start", "column_name", "metric", "value", "p_value"]
    ].rename(columns={"metric": "test", "value": "statistic"})
    table = alerts[["window_start", "column_name", "kind", "band", "value", "n_rows"]].merge(
        tests, on=["window_start", "column_name"], how="left"
    )
    table = table.rename(columns={"value": "psi", "column_name": "column"}).sort_values(
        ["window_start", "psi"], ascending=[False, False]
    )
    table["window_start"] = pd.to_datetime(table["window_start"]).dt.strftime("%Y-%m-%d %H:%M")
    # Formatting through column settings, not a pandas Styler (which imports matplotlib).
    number = st.column_config.NumberColumn
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "psi": number("PSI", format="%.3f"),
            "statistic": number("statistic", format="%.3g"),
            "p_value": number("p-value", format="%.2g"),
            "n_rows": number("rows", format="%d"),
        },
    )


if __name__ == "__main__":
    render()
