"""The HTML drift report: heatmap, alerts with their band, escaped text, empty selection."""

from __future__ import annotations

import numpy as np
import pandas as pd

from credit_scoring.monitoring.drift import DriftCalculator, ReferenceColumn
from credit_scoring.monitoring.report import alert_table, drift_report_html
from credit_scoring.monitoring.windows import Windows, WindowSpec
from credit_scoring.runtime.reference import numeric_reference

NASTY = "<script>alert(1)</script>"


def drift_rows() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    reference = {
        name: ReferenceColumn.from_json(name, numeric_reference(rng.normal(size=5000)),
                                        n_reference=5000)
        for name in ("stable", NASTY)
    }  # fmt: skip
    windows = Windows.assign(WindowSpec.parse("1d"), np.zeros(2000, dtype=np.int64))
    rows = (
        DriftCalculator()
        .fit(reference)
        .calculate({"stable": rng.normal(size=2000), NASTY: rng.normal(1.0, size=2000)}, windows)
    )
    return rows.rename(columns={"column": "column_name"})


def test_the_report_lists_the_shifted_column_as_an_alert_escaped() -> None:
    rows = drift_rows()
    table = alert_table(rows)
    assert table["column"].tolist() == [NASTY] and table["band"].tolist() == ["alert"]
    document = drift_report_html(rows, title="Drift <test>")
    assert "<h2>Alerts (1)</h2>" in document and "class='alert'" in document
    assert NASTY not in document and "&lt;script&gt;" in document
    assert "Drift &lt;test&gt;" in document and "plotly" in document


def test_an_empty_selection_still_gives_a_document() -> None:
    document = drift_report_html(drift_rows().iloc[0:0], title="empty")
    assert "No drift results stored" in document and document.endswith("</html>")
