"""``score-batch``: a whole application file scored with one model, locally or on Spark.

Local engine: the checked file is read in chunks, and chunks are scored by
:func:`~credit_scoring.batch.scoring.score_applications` on a pool of threads (one per core;
pandas/NumPy and LightGBM release the GIL), written in input order as they complete. Spark
engine: :mod:`credit_scoring.batch.spark`. Both write through
:class:`~credit_scoring.batch.output.AtomicTableWriter`.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from credit_scoring.batch.inputs import ApplicationFile, open_applications
from credit_scoring.batch.model import (
    BatchModel,
    check_features_dir,
    history_from_parquet,
    history_from_store,
)
from credit_scoring.batch.output import AtomicTableWriter, output_format
from credit_scoring.batch.scoring import HistoryTable, output_schema, score_applications
from credit_scoring.data.contract import Problem
from credit_scoring.data.loader import default_threads

logger = logging.getLogger(__name__)

Engine = Literal["local", "spark"]
ENGINES: tuple[Engine, ...] = ("local", "spark")
DEFAULT_CHUNK_ROWS = 20_000
Log = Callable[[str], None]


@dataclass
class BatchResult:
    """What a batch run did: rows scored, decisions and history matches, timings (seconds)."""

    output_path: Path
    rows: int
    engine: Engine
    model_version: str
    history_source: str
    with_reasons: bool
    decisions: dict[str, int] = field(default_factory=dict)
    history_found: int = 0
    warnings: list[Problem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


class _Tally:
    def __init__(self) -> None:
        self.decisions: Counter[str] = Counter()
        self.history_found = 0

    def add(self, frame: pd.DataFrame) -> None:
        self.decisions.update(frame["decision"].tolist())
        self.history_found += int(frame["history_found"].sum())


def score_batch(
    input_path: Path,
    out_path: Path,
    *,
    model: BatchModel,
    features_dir: Path | None = None,
    database_url: str | None = None,
    engine: Engine = "local",
    with_reasons: bool = True,
    review_band: float | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    workers: int | None = None,
    spark_session: Any = None,
    log: Log | None = None,
) -> BatchResult:
    """Score every application of ``input_path`` into ``out_path`` (CSV or Parquet, atomic).

    History: ``features_dir`` (its ``history.parquet``; the folder's feature set must be the
    model's) or else the history store published at ``database_url`` for the model's feature
    set. ``engine="spark"`` runs on ``spark_session``. Raises
    :class:`~credit_scoring.errors.DataContractError` for an input that breaks the contract
    (nothing is written) and :class:`~credit_scoring.errors.FeatureSetMismatchError` when the
    history does not match the model.
    """
    say = log or logger.info
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if features_dir is None and database_url is None:
        raise ValueError("score_batch needs features_dir or database_url for the history")
    output_format(out_path)  # refuse an unknown extension before any work
    started = time.perf_counter()
    seconds: dict[str, float] = {}
    history_path = check_features_dir(features_dir, model) if features_dir is not None else None
    source = str(history_path) if history_path is not None else "history store"
    with open_applications(input_path, threads=workers) as applications:
        seconds["read_and_check"] = time.perf_counter() - started
        for problem in applications.warnings:
            say(f"warning: {problem}")
        say(f"{applications.rows:,} applications checked ({seconds['read_and_check']:.2f} s)")
        mark = time.perf_counter()
        history: HistoryTable | None = None
        if history_path is None:
            assert database_url is not None
            history = history_from_store(database_url, model)
        elif engine == "local":
            history = history_from_parquet(
                history_path, model, con=applications.con, applications=applications.relation()
            )
        seconds["history"] = time.perf_counter() - mark
        mark = time.perf_counter()
        schema = output_schema(with_reasons=with_reasons)
        tally = _Tally()
        with AtomicTableWriter(out_path, schema) as writer:
            if engine == "local":
                assert history is not None
                _score_local(
                    applications, history, model, writer, tally,
                    with_reasons=with_reasons, review_band=review_band,
                    chunk_rows=chunk_rows, workers=workers or default_threads(),
                )  # fmt: skip
            else:
                _score_spark(
                    applications, model, writer, tally, spark=spark_session,
                    history_path=history_path, history=history,
                    with_reasons=with_reasons, review_band=review_band, chunk_rows=chunk_rows,
                )  # fmt: skip
        seconds["score_and_write"] = time.perf_counter() - mark
        seconds["total"] = time.perf_counter() - started
        return BatchResult(
            output_path=Path(out_path),
            rows=writer.rows,
            engine=engine,
            model_version=model.model_version,
            history_source=source,
            with_reasons=with_reasons,
            decisions=dict(tally.decisions),
            history_found=tally.history_found,
            warnings=list(applications.warnings),
            seconds=seconds,
        )


def _score_local(
    applications: ApplicationFile,
    history: HistoryTable,
    model: BatchModel,
    writer: AtomicTableWriter,
    tally: _Tally,
    *,
    with_reasons: bool,
    review_band: float | None,
    chunk_rows: int,
    workers: int,
) -> None:
    def score(batch: pa.RecordBatch) -> pd.DataFrame:
        return score_applications(
            batch.to_pandas(),
            history,
            model.bundle,
            model_version=model.model_version,
            with_reasons=with_reasons,
            review_band=review_band,
            num_threads=1 if workers > 1 else None,  # the pool already uses every core
        )

    def drain(pending: deque[Future[pd.DataFrame]], keep: int) -> None:
        while len(pending) > keep:
            frame = pending.popleft().result()
            writer.write(frame)
            tally.add(frame)

    pending: deque[Future[pd.DataFrame]] = deque()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="score-batch") as pool:
        for batch in applications.batches(chunk_rows):
            pending.append(pool.submit(score, batch))
            drain(pending, workers)  # at most `workers` chunks in flight: bounded memory
        drain(pending, 0)


def _score_spark(
    applications: ApplicationFile,
    model: BatchModel,
    writer: AtomicTableWriter,
    tally: _Tally,
    *,
    spark: Any,
    history_path: Path | None,
    history: HistoryTable | None,
    with_reasons: bool,
    review_band: float | None,
    chunk_rows: int,
) -> None:
    from credit_scoring.batch.spark import score_on_spark
    from credit_scoring.features.history.engine import spark_session_or_local

    spark = spark or spark_session_or_local()
    with tempfile.TemporaryDirectory(prefix=".score-batch-spark-", dir=writer.path.parent) as tmp:
        result = score_on_spark(
            applications,
            model,
            spark=spark,
            scratch_dir=Path(tmp),
            history_path=history_path,
            history=history,
            with_reasons=with_reasons,
            review_band=review_band,
        )
    for batch in result.to_batches(max_chunksize=chunk_rows):
        frame = batch.to_pandas()
        writer.write(frame)
        tally.add(frame)
