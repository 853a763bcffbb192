"""Plotly figures of monitoring results, drawn by the monitoring report and the dashboard alike
(pure functions: data in, figure out)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

#: Colours of the PSI bands (ok < 0.10 ≤ warn < 0.25 ≤ alert).
BAND_COLOURS = {"ok": "#2e7d32", "warn": "#f9a825", "alert": "#c62828"}
#: The layout every figure shares.
LAYOUT = {"margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "height": 360}


def psi_heatmap(psi: pd.DataFrame, *, max_features: int = 30) -> go.Figure:
    """PSI per feature (rows, worst first) × window (columns), coloured by the 0.10/0.25
    bands (1.0 and above share the darkest colour). Cells of windows too small for their
    bins (band ``low_n``) are left blank."""
    banded = psi.assign(value=psi["value"].where(psi["band"] != "low_n"))
    table = banded.pivot_table(
        index="column_name", columns="window_start", values="value", dropna=False
    )
    worst = table.max(axis=1).fillna(0).sort_values(ascending=False).head(max_features).index
    table = table.loc[list(worst)[::-1]]
    zmax = 1.0
    fig = go.Figure(
        go.Heatmap(
            x=[pd.Timestamp(c).strftime("%Y-%m-%d %H:%M") for c in table.columns],
            y=list(table.index),
            z=table.to_numpy(),
            zmin=0.0,
            zmax=zmax,
            colorscale=[
                [0.0, BAND_COLOURS["ok"]],
                [0.1 / zmax, "#a5d6a7"],
                [0.1 / zmax, BAND_COLOURS["warn"]],
                [0.25 / zmax, "#ffcc80"],
                [0.25 / zmax, BAND_COLOURS["alert"]],
                [1.0, "#7f0000"],
            ],
            colorbar={
                "title": "PSI",
                "tickvals": [0, 0.1, 0.25, 0.5, 1.0],
                "ticktext": ["0", "0.10", "0.25", "0.5", "≥ 1"],
            },
            hovertemplate="%{y}<br>window %{x}<br>PSI %{z:.3f}<extra></extra>",
        )
    )
    fig.update_xaxes(type="category")  # one label per window, even for a single window
    fig.update_layout(
        title=f"PSI by feature and window (worst {len(table)} features)",
        margin=LAYOUT["margin"],
        height=max(360, 22 * len(table) + 120),
    )
    return fig
