"""The people in the loop as monitoring results: a snapshot of the review queue and reviews.

:func:`credit_scoring.store.reviews.review_summary` (what the dashboard's Review page shows)
is taken at run time and stored as one window's rows, segment ``all``: the queue
(``queue_size``, ``oldest_age_hours``, ``median_age_hours``: hours the REVIEW decisions
without a review have waited), the reviews (``reviews``: decisions reviewed, ``overrides``,
``override_rate`` in [0, 1]: final decisions on the other side of the model's) and, among
reviewed decisions with an outcome, ``default_rate_overridden`` and ``default_rate_confirmed``
with their counts. The snapshot covers every decision and review up to then; its window is
the one the run falls in, so a later run in the same window replaces it and the stored rows
are the history of the queue, one point per window.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import pandas as pd

RESULT_COLUMNS = ("window_start", "window_end", "segment", "metric", "value", "n_rows")
#: Stored metrics, in order, and the count behind each (its ``n_rows``).
REVIEW_METRICS: dict[str, str] = {
    "queue_size": "queue_size",
    "oldest_age_hours": "queue_size",
    "median_age_hours": "queue_size",
    "reviews": "reviews",
    "overrides": "reviews",
    "override_rate": "reviews",
    "overridden_with_outcome": "overridden_with_outcome",
    "default_rate_overridden": "overridden_with_outcome",
    "confirmed_with_outcome": "confirmed_with_outcome",
    "default_rate_confirmed": "confirmed_with_outcome",
}


def review_rows(
    summary: Mapping[str, Any], *, window_start: datetime, window_end: datetime
) -> pd.DataFrame:
    """Tidy rows (:data:`RESULT_COLUMNS`) of one review summary, as the window's values
    (NaN where undefined: the ages of an empty queue, rates without reviews or outcomes)."""
    return pd.DataFrame(
        {
            "window_start": [window_start] * len(REVIEW_METRICS),
            "window_end": [window_end] * len(REVIEW_METRICS),
            "segment": ["all"] * len(REVIEW_METRICS),
            "metric": list(REVIEW_METRICS),
            "value": [float(summary[metric]) for metric in REVIEW_METRICS],
            "n_rows": [int(summary[count]) for count in REVIEW_METRICS.values()],
        },
        columns=list(RESULT_COLUMNS),
    )
