"""What the Performance page shows of the stored performance rows (pure functions).

A realised metric of a window with few outcomes is noise (one outcome gives a 0 % or 100 %
default rate and no AUC): such values are hidden and the window is labelled "not enough
outcomes", with its count. Score bands are ordered by score, not as text.
"""

from __future__ import annotations

import math
import re

import pandas as pd

#: Fewest outcomes in a window for its realised metrics to be shown.
MIN_OUTCOMES = 30
#: Metrics computed from the decisions with an outcome (hidden below :data:`MIN_OUTCOMES`).
REALISED_METRICS = (
    "default_rate_realised",
    "default_rate_expected_labelled",
    "cost_realised",
    "cost_expected_labelled",
    "auc",
    "brier",
)
NOT_ENOUGH = "not enough outcomes"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def hide_thin_windows(rows: pd.DataFrame, *, min_outcomes: int = MIN_OUTCOMES) -> pd.DataFrame:
    """``rows`` with realised metrics set to NaN where fewer than ``min_outcomes`` outcomes
    stand behind them (``n_rows`` of a realised metric counts outcomes)."""
    thin = rows["metric"].isin(REALISED_METRICS) & (rows["n_rows"] < min_outcomes)
    return rows.assign(value=rows["value"].mask(thin))


def outcome_counts(rows: pd.DataFrame, *, min_outcomes: int = MIN_OUTCOMES) -> pd.DataFrame:
    """Per window: decisions, outcomes and whether realised metrics are shown."""
    main = rows[rows["segment"] == "all"].pivot_table(
        index="window_start", columns="metric", values="value", aggfunc="first"
    )
    decisions = main.get("n_decisions", pd.Series(0.0, index=main.index)).fillna(0)
    outcomes = main.get("n_outcomes", pd.Series(0.0, index=main.index)).fillna(0)
    return pd.DataFrame(
        {
            "window_start": main.index,
            "decisions": decisions.astype(int).to_numpy(),
            "outcomes": outcomes.astype(int).to_numpy(),
            "realised metrics": [
                "shown" if n >= min_outcomes else f"{NOT_ENOUGH} (< {min_outcomes})"
                for n in outcomes
            ],
        }
    )


def band_lower_edge(segment: str) -> float:
    """The lower edge of a band label (``score < 480`` → −∞, ``score 480–500`` → 480,
    ``score ≥ 600`` → 600): the key that sorts bands by score."""
    numbers = _NUMBER.findall(segment)
    if not numbers:
        return math.inf
    if "<" in segment:
        return -math.inf
    return float(numbers[0])


def bands_by_score(bands: pd.DataFrame) -> pd.DataFrame:
    """A table indexed by band label, rows sorted by score (lowest band first)."""
    order = sorted(bands.index, key=band_lower_edge)
    return bands.loc[order]


def points_delta(probability: float, threshold: float) -> str:
    """The distance to the threshold in percentage points (``-4.9 pp vs threshold 10.0%``)."""
    delta = 100.0 * (probability - threshold)
    sign = "+" if delta >= 0 else "-"  # ASCII: Streamlit reads the arrow from it
    return f"{sign}{abs(delta):.1f} pp vs threshold {threshold:.1%}"
