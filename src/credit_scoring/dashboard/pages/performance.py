"""Performance: realised vs estimated default rate, cost and AUC over time; calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from credit_scoring.dashboard import charts, ui
from credit_scoring.dashboard.performance_view import (
    MIN_OUTCOMES,
    bands_by_score,
    hide_thin_windows,
    outcome_counts,
)
from credit_scoring.store import reads


def _calibration(rows: pd.DataFrame) -> pd.DataFrame:
    """Calibration bins pooled over the windows shown (weighted by outcomes)."""
    bins = rows[rows["segment"].str.startswith("p ")]
    wide = bins.pivot_table(
        index=["segment", "window_start"], columns="metric", values=["value", "n_rows"]
    )
    if wide.empty:
        return pd.DataFrame(columns=["segment", "mean_predicted", "observed_rate", "n"])
    n = wide[("n_rows", "observed_rate")].fillna(0)
    pooled = (
        pd.DataFrame(
            {
                "predicted": wide[("value", "mean_predicted")].fillna(0) * n,
                "observed": wide[("value", "observed_rate")].fillna(0) * n,
                "n": n,
            }
        )
        .groupby(level="segment")
        .sum()
    )
    pooled = pooled[pooled["n"] > 0]
    return pd.DataFrame(
        {
            "segment": pooled.index,
            "mean_predicted": pooled["predicted"] / pooled["n"],
            "observed_rate": pooled["observed"] / pooled["n"],
            "n": pooled["n"].astype(int),
        }
    ).sort_values("mean_predicted")


def render() -> None:
    ui.require_role("viewer")
    st.title("Performance")
    window = ui.window_choice("performance", key="performance_window")
    rows = ui.cached(reads.stored_results, job="performance", window=window) if window else None
    if rows is None or rows.empty:
        ui.empty_state(
            "No performance results yet.",
            "Compute them with `credit-scoring monitor performance --window 1d`.",
        )
        return
    counts = outcome_counts(rows)
    rows = hide_thin_windows(rows)
    main = rows[rows["segment"] == "all"].pivot_table(
        index="window_start", columns="metric", values="value"
    )
    n_outcomes = float(np.nansum(main.get("n_outcomes", pd.Series(dtype=float))))
    cols = st.columns(4)
    latest = main.iloc[-1]
    cols[0].metric("Decisions (latest window)", f"{int(latest.get('n_decisions', 0)):,}")
    cols[1].metric("Approval rate (latest)", ui.percent(latest.get("approval_rate")))
    cols[2].metric(
        "Expected default rate (latest)", ui.percent(latest.get("default_rate_expected"))
    )
    cols[3].metric("Outcomes recorded", f"{int(n_outcomes):,}")
    if n_outcomes == 0:
        ui.empty_state(
            "No outcomes yet: realised performance appears once outcomes are posted "
            "(`POST /v1/outcomes`); the estimates below come from the calibrated probabilities.",
        )
    st.plotly_chart(
        charts.realised_vs_estimated(
            rows,
            [
                ("default_rate_realised", "realised default rate", "solid"),
                ("default_rate_expected_labelled", "expected (same decisions)", "dash"),
                ("default_rate_expected", "expected (all decisions)", "dot"),
            ],
            percent=True,
            window=window,
        ),
        key="default_rate",
    )
    st.plotly_chart(
        charts.realised_vs_estimated(
            rows,
            [
                ("cost_realised", "realised cost / application", "solid"),
                ("cost_expected_labelled", "expected cost (same decisions)", "dash"),
            ],
            window=window,
        ),
        key="cost",
    )
    shown = int((counts["outcomes"] >= MIN_OUTCOMES).sum())
    st.caption(
        f"Realised metrics are shown for windows with at least {MIN_OUTCOMES} outcomes "
        f'({shown} of {len(counts)} windows); the others read "not enough outcomes".'
    )
    with st.expander("Outcomes per window", expanded=shown < len(counts)):
        st.dataframe(counts, hide_index=True)
    if shown == 0:
        if n_outcomes > 0:
            ui.empty_state(
                f"Not enough outcomes: {int(n_outcomes):,} recorded, no window has "
                f"{MIN_OUTCOMES} yet — realised AUC, calibration and band rates wait for them."
            )
        return
    left, right = st.columns(2)
    with left:
        st.plotly_chart(
            charts.realised_vs_estimated(
                rows, [("auc", "AUC", "solid")], y_range=(0.0, 1.0), window=window
            ),
            key="auc",
        )
    with right:
        st.plotly_chart(
            charts.calibration_plot(_calibration(rows), title="Calibration (realised)"),
            key="calibration",
        )
    bands = bands_by_score(
        rows[rows["segment"].str.startswith("score ")].pivot_table(
            index="segment", columns="metric", values="value", aggfunc="mean"
        )
    )
    st.subheader("Default rate by score band (mean over windows)")
    percent = st.column_config.NumberColumn(format="percent")
    st.dataframe(bands, column_config={c: percent for c in bands.columns})


if __name__ == "__main__":
    render()
