"""Reading stored monitoring results (tidy rows: window × column × segment × metric)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, and_, distinct, func, inspect, select

from credit_scoring.store.records import utc
from credit_scoring.store.tables import monitoring_results

#: Job name of request-counter snapshots (see :mod:`credit_scoring.monitoring.service`).
COUNTER_JOB = "service_counters"


def has_tables(engine: Engine, *names: str) -> bool:
    existing = set(inspect(engine).get_table_names())
    return all(name in existing for name in names)


def read_results(
    engine: Engine,
    *,
    job: str,
    window: str | None = None,
    metrics: Sequence[str] | None = None,
    model_version: str | None = None,
    since: datetime | None = None,
) -> pd.DataFrame:
    """Stored results of ``job`` as a frame (timestamps as UTC pandas timestamps)."""
    r = monitoring_results.c
    statement = select(
        r.window_start,
        r.window_end,
        r.window_size,
        r.model_version,
        r.column_name,
        r.kind,
        r.segment,
        r.metric,
        r.value,
        r.p_value,
        r.band,
        r.n_rows,
        r.computed_at,
    ).where(r.job == job)
    if window is not None:
        statement = statement.where(r.window_size == window)
    if metrics is not None:
        statement = statement.where(r.metric.in_(list(metrics)))
    if model_version is not None:
        statement = statement.where(r.model_version == model_version)
    if since is not None:
        statement = statement.where(r.window_start >= utc(since))
    statement = statement.order_by(r.window_start, r.column_name, r.segment, r.metric)
    with engine.connect() as connection:
        frame = pd.DataFrame(connection.execute(statement).mappings().all())
    if frame.empty:
        return pd.DataFrame(columns=[c.name for c in statement.selected_columns])
    for column in ("window_start", "window_end", "computed_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def read_snapshots(engine: Engine) -> list[tuple[datetime, dict[str, float]]]:
    """Stored request-counter snapshots: ``(taken_at, {status class: cumulative count})``."""
    frame = read_results(engine, job=COUNTER_JOB)
    out: dict[datetime, dict[str, float]] = {}
    for start, segment, value in zip(
        frame["window_start"], frame["segment"], frame["value"], strict=True
    ):
        taken: datetime = pd.Timestamp(start).to_pydatetime()
        out.setdefault(taken, {})[str(segment)] = float(value)
    return sorted(out.items())


def stored_window_sizes(engine: Engine, job: str) -> list[str]:
    """Window widths with stored results of ``job``, most rows first."""
    if not has_tables(engine, "monitoring_results"):
        return []
    r = monitoring_results.c
    statement = (
        select(r.window_size, func.count().label("n"))
        .where(r.job == job)
        .group_by(r.window_size)
        .order_by(func.count().desc())
    )
    with engine.connect() as connection:
        return [str(row[0]) for row in connection.execute(statement)]


def stored_results(
    engine: Engine,
    *,
    job: str,
    window: str | None,
    metrics: Sequence[str] | None = None,
    since: datetime | None = None,
) -> pd.DataFrame:
    """Stored rows of ``job`` (empty when the monitoring tables do not exist yet)."""
    if not has_tables(engine, "monitoring_results"):
        return pd.DataFrame()
    return read_results(engine, job=job, window=window, metrics=metrics, since=since)


def latest_models(engine: Engine, job: str) -> list[str]:
    """Model versions with stored results of ``job``."""
    if not has_tables(engine, "monitoring_results"):
        return []
    r = monitoring_results.c
    statement = select(distinct(r.model_version)).where(and_(r.job == job))
    with engine.connect() as connection:
        return sorted(str(row[0]) for row in connection.execute(statement))
