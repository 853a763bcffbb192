"""The dashboard's fairness table shows the rows training wrote: the same reference, intervals
and flags as the training output and the model card (nothing recomputed)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from credit_scoring.dashboard.model_info import fairness_table
from credit_scoring.training.fairness import fairness_report


def test_the_table_is_the_training_report_with_reference_and_intervals_first() -> None:
    names = ["F"] * 600 + ["M"] * 300 + ["XNA"]
    refused = np.array([False] * 444 + [True] * 156 + [False] * 224 + [True] * 76 + [False])
    report = fairness_report(
        np.zeros(len(names), dtype=np.int8), refused, pd.DataFrame({"CODE_GENDER": names})
    )
    bundle: Any = SimpleNamespace(metadata={"metrics": {"fairness": report.to_json()}})
    table = fairness_table(bundle)
    assert list(table.columns[:10]) == [
        "attribute", "group", "count", "approval_rate", "reference", "adverse_impact_ratio",
        "air_lower", "air_upper", "judged", "flagged",
    ]  # fmt: skip
    xna = table[table["group"] == "XNA"].iloc[0]
    assert not xna["judged"] and not xna["flagged"]
    assert set(table["reference"]) == {"F"}
    assert table["flagged"].tolist() == [r["flagged"] for r in report.rows]
