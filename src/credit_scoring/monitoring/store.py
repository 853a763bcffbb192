"""Storing monitoring results as tidy rows, and the provenance of each job run.

Results go to ``monitoring_results`` (one row per window × column × segment × metric) and
``monitoring_runs`` (one row per job run). Writing a job's windows again replaces them, in
one transaction, so re-running a job is idempotent. Both tables are declared in
:mod:`credit_scoring.store.tables` (migration ``0002``); reads are in
:mod:`credit_scoring.store.reads`.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, delete, insert

from credit_scoring.store.records import utc
from credit_scoring.store.tables import monitoring_results, monitoring_runs


@dataclass(frozen=True)
class RunRecord:
    """Provenance of one job run."""

    run_id: str
    job: str
    window: str
    model_version: str
    started_at: datetime
    parameters: Mapping[str, Any]

    @classmethod
    def start(
        cls, job: str, window: str, model_version: str, parameters: Mapping[str, Any]
    ) -> RunRecord:
        return cls(str(uuid.uuid4()), job, window, model_version, datetime.now(UTC), parameters)


def _as_utc(value: Any) -> datetime:
    stamp: datetime = pd.Timestamp(value).to_pydatetime()
    return utc(stamp)


def _none_if_nan(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def write_results(engine: Engine, run: RunRecord, rows: pd.DataFrame, *, n_decisions: int) -> int:
    """Replace the run's windows for its job/window/model with ``rows``; returns rows written.

    ``rows`` has ``window_start``, ``window_end``, ``metric``, ``value``, ``n_rows`` and
    optionally ``column``, ``kind``, ``segment``, ``p_value``, ``band``.
    """
    now = datetime.now(UTC)
    records = []
    starts: set[datetime] = set()
    names = ["window_start", "window_end", "column", "kind", "segment", "metric", "value"]
    names += ["p_value", "band", "n_rows"]
    columns: dict[str, list[Any]] = {
        k: rows[k].tolist() if k in rows.columns else [None] * len(rows) for k in names
    }
    for i in range(len(rows)):
        start = _as_utc(columns["window_start"][i])
        starts.add(start)
        records.append(
            {
                "run_id": run.run_id,
                "job": run.job,
                "window_size": run.window,
                "window_start": start,
                "window_end": _as_utc(columns["window_end"][i]),
                "model_version": run.model_version,
                "column_name": columns["column"][i] or "",
                "kind": columns["kind"][i] or "",
                "segment": columns["segment"][i] or "all",
                "metric": columns["metric"][i],
                "value": _none_if_nan(columns["value"][i]),
                "p_value": _none_if_nan(columns["p_value"][i]),
                "band": columns["band"][i],
                "n_rows": int(columns["n_rows"][i] or 0),
                "computed_at": now,
            }
        )
    r = monitoring_results.c
    with engine.begin() as connection:
        if starts:
            connection.execute(
                delete(monitoring_results).where(
                    and_(
                        r.job == run.job,
                        r.window_size == run.window,
                        r.model_version == run.model_version,
                        r.window_start.in_(sorted(starts)),
                    )
                )
            )
        if records:
            connection.execute(insert(monitoring_results), records)
        connection.execute(
            insert(monitoring_runs).values(
                run_id=run.run_id,
                job=run.job,
                window_size=run.window,
                model_version=run.model_version,
                started_at=run.started_at,
                finished_at=now,
                n_decisions=n_decisions,
                n_results=len(records),
                parameters=dict(run.parameters),
            )
        )
    return len(records)


def snapshot_rows(taken_at: datetime, by_class: Mapping[str, float]) -> pd.DataFrame:
    """Rows storing one request-counter snapshot."""
    return pd.DataFrame(
        {
            "window_start": [taken_at] * len(by_class),
            "window_end": [taken_at] * len(by_class),
            "segment": list(by_class),
            "metric": ["requests_cumulative"] * len(by_class),
            "value": [float(v) for v in by_class.values()],
            "n_rows": [int(v) for v in by_class.values()],
        }
    )
