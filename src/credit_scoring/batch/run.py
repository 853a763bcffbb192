"""``score-batch``: a whole application file scored with one model, locally or on Spark.

Local engine (:mod:`credit_scoring.batch.local`): a typed Parquet file is read straight from
Arrow in chunks, each chunk screened against the data contract
(:mod:`credit_scoring.batch.arrow_checks`) and scored on a pool of threads as it is read; a
file whose screen flags anything, a CSV file or a Parquet file of other types is staged and
checked in full in DuckDB (:func:`~credit_scoring.batch.inputs.open_applications`) before its
chunks are scored. Spark engine: :mod:`credit_scoring.batch.spark`. Both write through
:class:`~credit_scoring.batch.output.AtomicTableWriter`, so a failed check or run leaves
nothing behind.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.batch.arrow_checks import ScreenFlaggedError
from credit_scoring.batch.inputs import open_applications, open_parquet_applications, source_format
from credit_scoring.batch.local import score_chunks
from credit_scoring.batch.model import BatchModel, check_features_dir, load_history
from credit_scoring.batch.output import AtomicTableWriter, claim_batch_output, output_format
from credit_scoring.batch.scoring import ApplicationScorer, ScoringOptions, output_schema
from credit_scoring.data.loader import default_threads
from credit_scoring.errors import DataContractError
from credit_scoring.spark_session import spark_session_or_local

if TYPE_CHECKING:
    from credit_scoring.batch.inputs import ApplicationFile
    from credit_scoring.batch.scoring import HistoryTable
    from credit_scoring.data.contract import Problem
    from credit_scoring.runtime.counter_offer import CounterOfferPolicy

logger = logging.getLogger(__name__)

Engine = Literal["local", "spark"]
ENGINES: tuple[Engine, ...] = ("local", "spark")
DEFAULT_CHUNK_ROWS = 20_000
#: A small file is cut into at least this many chunks per thread (but chunks of at least
#: MIN_CHUNK_ROWS), so that no thread is left scoring the last chunk alone.
CHUNKS_PER_THREAD = 4
MIN_CHUNK_ROWS = 4_096
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


class _Output:
    """The atomic output of a run and the tally of what was written to it."""

    def __init__(self, writer: AtomicTableWriter) -> None:
        self.writer = writer
        self.decisions: Counter[str] = Counter()
        self.history_found = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self.writer.write_batch(batch)
        counts = pc.value_counts(batch.column("decision")).to_pylist()
        self.decisions.update({c["values"]: c["counts"] for c in counts})
        self.history_found += int(pc.sum(batch.column("history_found")).as_py() or 0)


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
    counter_offers: CounterOfferPolicy | None = None,
) -> BatchResult:
    """Score every application of ``input_path`` into ``out_path`` (CSV or Parquet, atomic).

    History: ``features_dir`` (its ``history.parquet``; the folder's feature set must be the
    model's) or else the history store published at ``database_url`` for the model's feature
    set. ``engine="spark"`` runs on ``spark_session``. Locally, ``workers`` threads (default:
    every core) score chunks of at most ``chunk_rows`` applications (a small file is cut finer,
    so that every thread gets several chunks). Raises
    :class:`~credit_scoring.errors.DataContractError` for an input that breaks the contract
    (nothing is written) and :class:`~credit_scoring.errors.FeatureSetMismatchError` when the
    history does not match the model. ``counter_offers`` adds the counter-offer columns
    (local engine only).
    """
    say = log or logger.info
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; expected one of {', '.join(ENGINES)}")
    if features_dir is None and database_url is None:
        raise ValueError("score_batch needs features_dir or database_url for the history")
    check_batch_paths(input_path, out_path, features_dir=features_dir)  # before any work
    started = time.perf_counter()
    history_path = check_features_dir(features_dir, model) if features_dir is not None else None
    options = ScoringOptions(
        with_reasons=with_reasons,
        review_band=review_band,
        counter_offers=counter_offers if engine == "local" else None,
    )
    run = _Run(
        out_path=Path(out_path), model=model, engine=engine, options=options,
        chunk_rows=chunk_rows, workers=workers or default_threads(), history_path=history_path,
        database_url=database_url, say=say, started=started,
    )  # fmt: skip
    if engine == "local":
        result = run.screened_parquet(Path(input_path))
        if result is not None:
            return result
    return run.checked_in_full(Path(input_path), spark_session)


def check_batch_paths(
    input_path: Path, out_path: Path, *, features_dir: Path | None = None
) -> None:
    """Refuse, before any work (the model is not loaded yet), an input that is not a readable
    application file and an ``--out`` that is not ``score-batch``'s to write: an input, an
    existing file it did not write, an unknown extension or an unwritable folder."""
    input_path = Path(input_path)
    source_format(input_path)
    if not input_path.is_file():
        what = "is a folder" if input_path.is_dir() else "does not exist"
        raise DataContractError(f"{input_path} {what}; expected an application file")
    output_format(out_path)
    inputs = [input_path] if features_dir is None else [input_path, Path(features_dir)]
    claim_batch_output(
        Path(out_path),
        inputs=inputs,
        column_sets=[
            output_schema(with_reasons=r, with_offers=o).names
            for r in (True, False)
            for o in (True, False)
        ],
    )


@dataclass
class _Run:
    """One ``score_batch`` call: its options, the history once loaded, and its timings."""

    out_path: Path
    model: BatchModel
    engine: Engine
    options: ScoringOptions
    chunk_rows: int
    workers: int
    history_path: Path | None
    database_url: str | None
    say: Log
    started: float
    seconds: dict[str, float] = field(default_factory=dict)
    _history: HistoryTable | None = None

    @property
    def history_source(self) -> str:
        return str(self.history_path) if self.history_path is not None else "history store"

    def history(self, client_ids: np.ndarray) -> HistoryTable:
        """The history of the input's clients ``client_ids`` (the whole store when it comes
        from the database), loaded once per run."""
        if self._history is None:
            mark = time.perf_counter()
            self._history = load_history(
                self.model,
                client_ids,
                history_path=self.history_path,
                database_url=self.database_url,
                workers=self.workers,
            )
            self.seconds["history"] = time.perf_counter() - mark
        return self._history

    def chunk_size(self, rows: int) -> int:
        """Rows per chunk for a file of ``rows`` applications: at most ``chunk_rows``."""
        per_thread = -(-rows // (self.workers * CHUNKS_PER_THREAD))
        return max(1, min(self.chunk_rows, max(MIN_CHUNK_ROWS, per_thread)))

    def scorer(self, history: HistoryTable) -> ApplicationScorer:
        return ApplicationScorer(
            self.model.bundle, history, model_version=self.model.model_version,
            options=self.options,
            num_threads=1 if self.workers > 1 else None,  # the pool already uses every core
        )  # fmt: skip

    def screened_parquet(self, input_path: Path) -> BatchResult | None:
        """Score a typed Parquet file screened chunk by chunk; None when it must be checked
        in full (its types need the staging, or the screen flagged a chunk)."""
        applications = open_parquet_applications(input_path)
        if applications is None:
            return None
        self.seconds["read_and_check"] = time.perf_counter() - self.started
        for problem in applications.warnings:
            self.say(f"warning: {problem}")
        self.say(f"{applications.rows:,} applications to score, screened against the contract")
        scorer = self.scorer(self.history(applications.ids))
        mark = time.perf_counter()
        try:
            with AtomicTableWriter(self.out_path, scorer.schema) as writer:
                output = _Output(writer)
                score_chunks(
                    applications.batches(self.chunk_size(applications.rows)), scorer,
                    output.write, workers=self.workers, screen=applications.screen,
                )  # fmt: skip
        except ScreenFlaggedError as flagged:
            self.say(f"{flagged}: checking the whole file")
            return None
        self.seconds["score_and_write"] = time.perf_counter() - mark
        return self._result(output, applications.warnings)

    def checked_in_full(self, input_path: Path, spark_session: Any) -> BatchResult:
        """Stage and check the file in DuckDB, then score it on the run's engine."""
        mark = time.perf_counter()
        with open_applications(input_path, threads=self.workers) as applications:
            self.seconds["read_and_check"] = time.perf_counter() - mark
            for problem in applications.warnings:
                self.say(f"warning: {problem}")
            self.say(
                f"{applications.rows:,} applications checked "
                f"({self.seconds['read_and_check']:.2f} s)"
            )
            schema = self.options.schema
            if self.engine == "local":
                scorer = self.scorer(self.history(applications.client_ids()))
                mark = time.perf_counter()
                with AtomicTableWriter(self.out_path, schema) as writer:
                    output = _Output(writer)
                    score_chunks(
                        applications.batches(self.chunk_size(applications.rows)), scorer,
                        output.write, workers=self.workers,
                    )  # fmt: skip
            else:
                history = None if self.history_path is not None else self.history(np.empty(0))
                mark = time.perf_counter()
                with AtomicTableWriter(self.out_path, schema) as writer:
                    output = _Output(writer)
                    _score_spark(
                        applications, self.model, output, spark=spark_session,
                        history_path=self.history_path, history=history, options=self.options,
                        chunk_rows=self.chunk_rows,
                    )  # fmt: skip
            self.seconds["score_and_write"] = time.perf_counter() - mark
            return self._result(output, applications.warnings)

    def _result(self, output: _Output, warnings: list[Problem]) -> BatchResult:
        self.seconds["total"] = time.perf_counter() - self.started
        return BatchResult(
            output_path=self.out_path,
            rows=output.writer.rows,
            engine=self.engine,
            model_version=self.model.model_version,
            history_source=self.history_source,
            with_reasons=self.options.with_reasons,
            decisions=dict(output.decisions),
            history_found=output.history_found,
            warnings=list(warnings),
            seconds=dict(self.seconds),
        )


def _score_spark(
    applications: ApplicationFile,
    model: BatchModel,
    output: _Output,
    *,
    spark: Any,
    history_path: Path | None,
    history: HistoryTable | None,
    options: ScoringOptions,
    chunk_rows: int,
) -> None:
    from credit_scoring.batch.spark import score_on_spark  # PySpark only for a Spark run

    spark = spark or spark_session_or_local()
    with tempfile.TemporaryDirectory(
        prefix=".score-batch-spark-", dir=output.writer.path.parent
    ) as tmp:
        result = score_on_spark(
            applications,
            model,
            spark=spark,
            scratch_dir=Path(tmp),
            history_path=history_path,
            history=history,
            options=options,
        )
    schema = output.writer.schema
    for batch in result.to_batches(max_chunksize=chunk_rows):
        output.write(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
