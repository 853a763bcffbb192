"""Aggregates over the decision log, for the dashboard's pages.

Everything is aggregated in the database (``GROUP BY`` time bucket) so a page reads a few
hundred rows whatever the size of the log; the pages cache the results (``st.cache_data`` with
a TTL). The engine is read-only (``store.engine.create_db_engine(url, read_only=True)``):
SQLite is opened with ``mode=ro`` and PostgreSQL sessions default to read-only transactions
(give the dashboard a read-only role as well).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import (
    Engine,
    Integer,
    case,
    cast,
    func,
    literal_column,
    select,
)
from sqlalchemy.sql.elements import ColumnElement

from credit_scoring.store.reads.results import has_tables
from credit_scoring.store.records import utc
from credit_scoring.store.tables import decisions, outcomes

Granularity = Literal["second", "minute", "hour", "day", "week"]
GRANULARITIES: tuple[Granularity, ...] = ("second", "minute", "hour", "day", "week")
#: Width of each bucket in seconds (a week starts on Monday).
BUCKET_SECONDS: dict[Granularity, int] = {
    "second": 1, "minute": 60, "hour": 3600, "day": 86_400, "week": 7 * 86_400,
}  # fmt: skip
#: The automatic choice keeps at most this many buckets on a time axis.
MAX_BUCKETS = 120
#: Upper edges (ms) of the latency histogram the percentiles are interpolated from.
LATENCY_EDGES_MS: tuple[float, ...] = (
    0.5, 1, 1.5, 2, 3, 4, 5, 7.5, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000, 2000, 5000,
)  # fmt: skip
SCORE_BAND_POINTS = 20


# -- time buckets --------------------------------------------------------------------------


def _bucket(engine: Engine, granularity: Granularity) -> ColumnElement[Any]:
    """The start of the UTC second/minute/hour/day/week (Monday) of each decision, as text or
    timestamp."""
    created = decisions.c.created_at
    if engine.dialect.name == "postgresql":
        return func.date_trunc(granularity, created.op("AT TIME ZONE")(literal_column("'UTC'")))
    text = func.substr(created, 1, 19)
    if granularity == "second":
        return text
    if granularity == "minute":
        return func.substr(text, 1, 16).concat(":00")
    if granularity == "hour":
        return func.substr(text, 1, 13).concat(":00:00")
    if granularity == "day":
        return func.date(text)
    return func.date(text, "weekday 0", "-6 days")


def auto_granularity(
    first: datetime | None, last: datetime | None, *, max_buckets: int = MAX_BUCKETS
) -> Granularity:
    """The finest bucket that keeps the span ``first``–``last`` within ``max_buckets`` buckets
    (a demo's first minute → seconds, a week → hours, a year → weeks)."""
    if first is None or last is None:
        return "hour"
    span = max((last - first).total_seconds(), 0.0)
    for granularity in GRANULARITIES:
        if span / BUCKET_SECONDS[granularity] < max_buckets:
            return granularity
    return "week"


def _since(since: datetime | None) -> list[ColumnElement[bool]]:
    return [] if since is None else [decisions.c.created_at >= utc(since)]


def _frame(engine: Engine, statement: Any) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(statement)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def _as_time(frame: pd.DataFrame, column: str = "bucket") -> pd.DataFrame:
    if not frame.empty:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


# -- the decision log ----------------------------------------------------------------------


def log_summary(engine: Engine) -> dict[str, Any]:
    """Decisions and outcomes in the log, and the first/last decision time (UTC)."""
    if not has_tables(engine, "decisions", "outcomes"):
        return {"decisions": 0, "outcomes": 0, "first": None, "last": None}
    with engine.connect() as connection:
        n, first, last = connection.execute(
            select(func.count(), func.min(decisions.c.created_at), func.max(decisions.c.created_at))
        ).one()
        n_outcomes = connection.execute(select(func.count()).select_from(outcomes)).scalar_one()
    return {
        "decisions": int(n),
        "outcomes": int(n_outcomes),
        "first": None if first is None else utc(pd.Timestamp(first).to_pydatetime()),
        "last": None if last is None else utc(pd.Timestamp(last).to_pydatetime()),
    }


def volume_over_time(
    engine: Engine, *, granularity: Granularity, since: datetime | None = None
) -> pd.DataFrame:
    """Per bucket: decisions, approvals, refusals, reviews, mean probability and score, and
    decisions without client history."""
    c = decisions.c
    bucket = _bucket(engine, granularity).label("bucket")

    def count_of(condition: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.sum(case((condition, 1), else_=0))

    statement = (
        select(
            bucket,
            func.count().label("decisions"),
            count_of(c.decision == "APPROVE").label("approved"),
            count_of(c.decision == "REFUSE").label("refused"),
            count_of(c.decision == "REVIEW").label("review"),
            func.avg(c.probability).label("mean_probability"),
            func.avg(c.score).label("mean_score"),
            count_of(c.history_found.is_(False)).label("no_history"),
        )
        .where(*_since(since))
        .group_by(literal_column("bucket"))
        .order_by(literal_column("bucket"))
    )
    frame = _as_time(_frame(engine, statement))
    if not frame.empty:
        frame["approval_rate"] = frame["approved"] / frame["decisions"]
    return frame


def score_distribution(
    engine: Engine,
    *,
    granularity: Granularity,
    since: datetime | None = None,
    band_points: int = SCORE_BAND_POINTS,
) -> pd.DataFrame:
    """Decisions per bucket and score band (``band`` = lower edge in points)."""
    band = (cast(func.floor(decisions.c.score / float(band_points)), Integer) * band_points).label(
        "band"
    )
    bucket = _bucket(engine, granularity).label("bucket")
    statement = (
        select(bucket, band, func.count().label("decisions"))
        .where(*_since(since))
        .group_by(literal_column("bucket"), literal_column("band"))
        .order_by(literal_column("bucket"), literal_column("band"))
    )
    return _as_time(_frame(engine, statement))


def latency_over_time(
    engine: Engine, *, granularity: Granularity, since: datetime | None = None
) -> pd.DataFrame:
    """Per bucket: decisions and latency p50/p95/p99 (ms), interpolated from a latency
    histogram aggregated in SQL (exact to within one histogram bin), and the maximum."""
    latency = decisions.c.latency_ms
    bin_index = case(
        *[(latency < edge, i) for i, edge in enumerate(LATENCY_EDGES_MS)],
        else_=len(LATENCY_EDGES_MS),
    ).label("bin")
    bucket = _bucket(engine, granularity).label("bucket")
    statement = (
        select(bucket, bin_index, func.count().label("n"), func.max(latency).label("max_ms"))
        .where(*_since(since))
        .group_by(literal_column("bucket"), literal_column("bin"))
        .order_by(literal_column("bucket"), literal_column("bin"))
    )
    histogram = _as_time(_frame(engine, statement))
    rows = []
    for bucket_start, part in histogram.groupby("bucket", sort=True):
        counts = np.zeros(len(LATENCY_EDGES_MS) + 1)
        counts[part["bin"].to_numpy(dtype=int)] = part["n"].to_numpy(dtype=float)
        top = float(part["max_ms"].max())
        row: dict[str, Any] = {"bucket": bucket_start, "decisions": int(counts.sum())}
        for q in (50, 95, 99):
            row[f"p{q}_ms"] = histogram_quantile(counts, q / 100.0, top=top)
        row["max_ms"] = top
        rows.append(row)
    return pd.DataFrame(rows, columns=["bucket", "decisions", "p50_ms", "p95_ms", "p99_ms",
                                       "max_ms"])  # fmt: skip


def histogram_quantile(
    counts: NDArray[np.float64], q: float, *, top: float, edges: Sequence[float] = LATENCY_EDGES_MS
) -> float:
    """The ``q`` quantile of values counted in bins ``[0, e0), [e0, e1) … [e_last, top]``,
    interpolated linearly inside its bin."""
    total = counts.sum()
    if total <= 0:
        return float("nan")
    lows = np.r_[0.0, edges]
    highs = np.r_[edges, max(top, edges[-1])]
    cumulative = np.cumsum(counts)
    target = q * total
    b = int(np.searchsorted(cumulative, target, side="left"))
    before = cumulative[b - 1] if b > 0 else 0.0
    share = (target - before) / counts[b] if counts[b] else 0.0
    high = min(highs[b], top) if b < len(edges) else highs[b]
    return float(lows[b] + share * (high - lows[b]))


def realised_cost_curve(
    engine: Engine,
    *,
    cost_fn: float,
    cost_fp: float,
    since: datetime | None = None,
    resolution: float = 0.005,
) -> pd.DataFrame:
    """Business cost per decision with an outcome if every ``probability ≥ threshold`` were
    refused, for thresholds on a ``resolution`` grid (counts aggregated in SQL)."""
    p = decisions.c.probability
    cell = cast(func.floor(p / resolution), Integer).label("cell")
    defaulted = case((outcomes.c.defaulted.is_(True), 1), else_=0)
    statement = (
        select(cell, func.count().label("n"), func.sum(defaulted).label("bad"))
        .select_from(decisions.join(outcomes, outcomes.c.request_id == decisions.c.request_id))
        .where(*_since(since))
        .group_by(literal_column("cell"))
        .order_by(literal_column("cell"))
    )
    cells = _frame(engine, statement)
    if cells.empty:
        return pd.DataFrame(columns=["threshold", "cost"])
    n = cells["n"].to_numpy(dtype=float)
    bad = cells["bad"].to_numpy(dtype=float)
    total, total_bad = n.sum(), bad.sum()
    # Threshold at the lower edge of each cell: that cell and every higher one are refused.
    refused_bad = np.cumsum(bad[::-1])[::-1]
    refused_good = np.cumsum((n - bad)[::-1])[::-1]
    cost = (cost_fn * (total_bad - refused_bad) + cost_fp * refused_good) / total
    thresholds = cells["cell"].to_numpy(dtype=float) * resolution
    return pd.DataFrame({"threshold": thresholds, "cost": cost})
