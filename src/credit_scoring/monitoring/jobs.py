"""Monitoring jobs: read a range of logged decisions, compute per window, store tidy rows.

* :func:`drift_job` — PSI + KS/chi² of every model feature and of the outputs (probability,
  score points) against the bundle's reference bins, over the decisions of that bundle.
* :func:`performance_job` — realised and estimated performance (all models by default).
* :func:`service_job` — volume and latency from the log; error rates from request-counter
  snapshots of the API (``metrics_text``), when given.
* :func:`review_job` — the review queue and the reviews (queue size and age, override rate,
  default rates of overridden vs confirmed decisions), a snapshot stored in the window it is
  taken in (:mod:`credit_scoring.monitoring.review`).

Each takes an engine and plain values and returns a :class:`JobResult`; :func:`monitor` is
the settings-level entry the CLI calls (engine, migrations, bundle loading).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import Engine

from credit_scoring.monitoring.drift import (
    BandThreshold,
    DriftCalculator,
    PValueThreshold,
    reference_columns,
)
from credit_scoring.monitoring.performance import DecisionOutcomes, performance_table
from credit_scoring.monitoring.review import review_rows
from credit_scoring.monitoring.service import (
    CounterSnapshot,
    error_table,
    latency_table,
    parse_request_counters,
)
from credit_scoring.monitoring.store import RunRecord, snapshot_rows, write_results
from credit_scoring.monitoring.windows import Windows, WindowSpec
from credit_scoring.store.reads import (
    ALL_MODELS,
    COUNTER_JOB,
    DecisionSelection,
    read_decisions,
    read_snapshots,
)
from credit_scoring.store.reviews import review_summary

Job = Literal["drift", "performance", "service", "review"]
JOBS: tuple[Job, ...] = ("drift", "performance", "service", "review")
#: Model outputs compared with the bundle's output references: reference name → log column.
OUTPUT_COLUMNS = {"probability": "probability", "points": "score"}


@dataclass(frozen=True)
class JobResult:
    """What a job computed (``rows``, tidy) and wrote (``n_written``, ``run_id``)."""

    job: str
    window: str
    model_version: str
    n_decisions: int
    rows: pd.DataFrame
    seconds: float
    run_id: str | None = None
    n_written: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_windows(self) -> int:
        return int(self.rows["window_start"].nunique()) if len(self.rows) else 0

    def alerts(self) -> pd.DataFrame:
        """Rows in the warn or alert band (drift), worst first."""
        if "band" not in self.rows.columns or self.rows.empty:
            return self.rows.iloc[0:0]
        flagged = self.rows[self.rows["band"].isin(["warn", "alert"])]
        return flagged.sort_values(["band", "value"], ascending=[True, False])


@dataclass(frozen=True)
class _JobRun:
    """One job over ``selection`` per ``window``, timed from its start; stores its results
    when given an ``engine`` (``None``: computed only)."""

    job: str
    window: WindowSpec
    selection: DecisionSelection
    engine: Engine | None
    started: float = field(default_factory=time.perf_counter)

    def finish(
        self,
        rows: pd.DataFrame,
        *,
        n_decisions: int,
        model_version: str | None = None,
        notes: Sequence[str] = (),
        **parameters: Any,
    ) -> JobResult:
        """The job's result, stored with its provenance (the selection and ``parameters``);
        ``model_version`` defaults to the selected one (or every model)."""
        selection = self.selection
        if model_version is None:
            model_version = selection.model_version or ALL_MODELS
        run = RunRecord.start(
            self.job,
            self.window.label,
            model_version,
            {
                "since": selection.since.isoformat() if selection.since else None,
                "until": selection.until.isoformat() if selection.until else None,
                "bundle_checksum": selection.bundle_checksum,
                "model_version": selection.model_version,
                **parameters,
            },
        )
        written = 0
        if self.engine is not None:
            written = write_results(self.engine, run, rows, n_decisions=n_decisions)
        return JobResult(
            job=run.job,
            window=run.window,
            model_version=run.model_version,
            n_decisions=n_decisions,
            rows=rows,
            seconds=time.perf_counter() - self.started,
            run_id=run.run_id if self.engine is not None else None,
            n_written=written,
            notes=tuple(notes),
        )


def drift_job(
    engine: Engine,
    *,
    reference_bins: Mapping[str, Any],
    features: Sequence[str],
    window: WindowSpec,
    selection: DecisionSelection,
    psi_threshold: BandThreshold | None = None,
    test_threshold: PValueThreshold | None = None,
    store: bool = True,
) -> JobResult:
    """Drift of every feature and output of ``reference_bins`` over the selected decisions.

    ``features`` is the bundle's feature order (the layout of the logged model rows);
    categorical features are compared as vocabulary codes, exactly as the reference was built.
    """
    run = _JobRun("drift", window, selection, engine if store else None)
    logged = read_decisions(engine, selection, n_features=len(features))
    reference = reference_columns(reference_bins)
    thresholds: dict[str, Any] = {}
    if psi_threshold is not None:
        thresholds["psi"] = psi_threshold
    if test_threshold is not None:
        thresholds["ks"] = thresholds["chi2"] = test_threshold
    calculator = DriftCalculator(thresholds=thresholds).fit(reference)
    windows = Windows.assign(window, logged.created_ns)
    assert logged.features is not None and logged.feature_rows is not None
    frames = [
        calculator.calculate_matrix(logged.features, features, windows.subset(logged.feature_rows))
    ]
    outputs: dict[str, NDArray[np.float64]] = {
        f"output:{ref}": getattr(logged, column)
        for ref, column in OUTPUT_COLUMNS.items()
        if f"output:{ref}" in reference
    }
    if outputs:
        frames.append(calculator.calculate(outputs, windows))
    rows = pd.concat(frames, ignore_index=True)
    notes = []
    missing_rows = len(logged) - len(logged.feature_rows)
    if missing_rows:
        notes.append(
            f"{missing_rows} decision(s) were logged without a model row of {len(features)} "
            "values; their features are not in the feature drift"
        )
    unknown = sorted(set(features) - set(reference))
    if unknown:
        notes.append(f"no reference bins for {len(unknown)} feature(s): {unknown[:5]}")
    return run.finish(
        rows,
        n_decisions=len(logged),
        model_version=logged.main_model_version() if len(logged) else ALL_MODELS,
        notes=notes,
        n_features=len(features),
    )


def performance_job(
    engine: Engine,
    *,
    window: WindowSpec,
    selection: DecisionSelection,
    cost_fn: float,
    cost_fp: float,
    store: bool = True,
) -> JobResult:
    """Realised and estimated performance per window of the selected decisions."""
    run = _JobRun("performance", window, selection, engine if store else None)
    logged = read_decisions(engine, selection, with_outcomes=True)
    assert logged.defaulted is not None
    data = DecisionOutcomes.from_arrays(
        probability=logged.probability,
        threshold=logged.threshold,
        decision=logged.decision,
        score=logged.score,
        defaulted=logged.defaulted,
    )
    rows = performance_table(
        data, Windows.assign(window, logged.created_ns), cost_fn=cost_fn, cost_fp=cost_fp
    )
    notes = [] if np.any(~np.isnan(logged.defaulted)) else ["no outcomes recorded yet"]
    return run.finish(rows, n_decisions=len(logged), notes=notes, cost_fn=cost_fn, cost_fp=cost_fp)


def service_job(
    engine: Engine,
    *,
    window: WindowSpec,
    selection: DecisionSelection,
    metrics_text: str | None = None,
    store: bool = True,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> JobResult:
    """Volume and latency per window; error rates from the request-counter snapshots.

    ``metrics_text`` (the API's ``/metrics`` exposition) adds a snapshot taken now before
    error rates are computed from every stored snapshot.
    """
    run = _JobRun("service", window, selection, engine if store else None)
    logged = read_decisions(engine, selection)
    windows = Windows.assign(window, logged.created_ns)
    frames = [
        latency_table(
            logged.latency_ms,
            windows,
            history_found=logged.history_found,
            review=logged.decision == "REVIEW",
        )
    ]
    notes = []
    if metrics_text is not None:
        taken = now()
        counters = parse_request_counters(metrics_text)
        snapshot_run = RunRecord.start(COUNTER_JOB, "", ALL_MODELS, {"status_classes": "2-5xx"})
        if store:
            write_results(engine, snapshot_run, snapshot_rows(taken, counters), n_decisions=0)
    snapshots = [CounterSnapshot(t, c) for t, c in read_snapshots(engine)]
    if snapshots:
        frames.append(error_table(snapshots, window))
    else:
        notes.append("no request-counter snapshot yet: error rates need --metrics-url")
    rows = (
        pd.concat([f for f in frames if len(f)], ignore_index=True)
        if any(len(f) for f in frames)
        else frames[0]
    )
    return run.finish(rows, n_decisions=len(logged), notes=notes)


def review_job(
    engine: Engine,
    *,
    window: WindowSpec,
    store: bool = True,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> JobResult:
    """The review queue and the reviews as of ``now``, stored as the rows of the window
    ``now`` falls in (a later run in that window replaces them)."""
    run = _JobRun("review", window, DecisionSelection(), engine if store else None)
    taken = now()
    summary = review_summary(engine, now=taken)
    start = window.floor(taken)
    rows = review_rows(summary, window_start=start, window_end=start + window.width)
    waiting, reviewed = int(summary["queue_size"]), int(summary["reviews"])
    notes = [] if waiting or reviewed else ["no REVIEW decision in the log yet"]
    return run.finish(rows, n_decisions=waiting + reviewed, notes=notes, taken_at=taken.isoformat())
