"""A self-contained HTML drift report for analysts, from stored drift results.

Rendered offline with plotly and pandas (no Evidently), from the rows ``monitor drift`` stored:
the PSI heatmap (worst features × windows) and the table of warn/alert cells with the KS/chi²
second opinion. Never on a hot path: it only reads stored results.
"""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from credit_scoring.monitoring.charts import psi_heatmap

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3rem 0.6rem; text-align: right; }
th { background: #f5f5f5; } td:nth-child(2), td:nth-child(3) { text-align: left; }
.alert { color: #c62828; font-weight: 600; } .warn { color: #b26a00; font-weight: 600; }
"""


#: Marks a file written by ``monitor report`` (the place it may replace).
REPORT_MARKER = "<meta name='generator' content='credit-scoring monitor report'>"


def is_drift_report(path: Path) -> bool:
    """Whether ``path`` is an earlier ``monitor report`` output (its marker near the top)."""
    try:
        with Path(path).open("rb") as fh:
            return REPORT_MARKER.encode() in fh.read(4096)
    except OSError:
        return False


def alert_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Warn/alert PSI cells with the second opinion's statistic and p-value, worst first."""
    psi = rows[(rows["metric"] == "psi") & rows["band"].isin(["warn", "alert"])]
    tests = rows[rows["metric"].isin(["ks", "chi2"])][
        ["window_start", "column_name", "metric", "value", "p_value"]
    ].rename(columns={"metric": "test", "value": "statistic"})
    table = psi[["window_start", "column_name", "kind", "band", "value", "n_rows"]].merge(
        tests, on=["window_start", "column_name"], how="left"
    )
    return table.rename(columns={"value": "psi", "column_name": "column"}).sort_values(
        ["window_start", "psi"], ascending=[False, False]
    )


def _band_span(band: object) -> str:
    text = html.escape(str(band))
    return f"<span class='{text}'>{text}</span>"


def drift_report_html(rows: pd.DataFrame, *, title: str, max_features: int = 60) -> str:
    """The report as one HTML document (plotly.js embedded, works offline)."""
    psi = rows[rows["metric"] == "psi"]
    windows = psi["window_start"].nunique()
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'>{REPORT_MARKER}",
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Generated {generated}: {psi['column_name'].nunique()} columns over {windows} "
        "window(s). PSI against the training reference bins; bands &lt; 0.10 stable, "
        "0.10–0.25 moderate, ≥ 0.25 major; KS (numeric) or chi² (categorical) as a second "
        "opinion.</p>",
    ]
    if psi.empty:
        parts.append("<p><strong>No drift results stored for this selection.</strong></p>")
    else:
        figure = psi_heatmap(psi, max_features=max_features)
        parts.append(figure.to_html(full_html=False, include_plotlyjs=True))
        table = alert_table(rows)
        parts.append(f"<h2>Alerts ({len(table)})</h2>")
        if table.empty:
            parts.append("<p>No column above the 0.10 PSI band.</p>")
        else:
            text = {c: table[c].astype(str).map(html.escape) for c in ("column", "kind", "test")}
            table = table.assign(window_start=table["window_start"].astype(str), **text)
            parts.append(
                table.to_html(
                    index=False,
                    escape=False,  # text columns are escaped above
                    float_format=lambda v: f"{v:.4g}",
                    formatters={"band": _band_span},
                )
            )
    parts.append("</body></html>")
    return "\n".join(parts)
