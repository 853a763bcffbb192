"""The Spark engine: the same scoring function over ``mapInPandas``.

The checked applications are staged as Parquet (with their position in the input file), read
by Spark and left-joined with the history (``history.parquet`` read by Spark, or the store's
rows handed to Spark); each pandas batch is scored by
:func:`credit_scoring.batch.scoring.score_applications` in the executors. The bundle travels
as its files' bytes in a broadcast variable and is loaded in each executor process after its
checksums are verified, never as a pickled booster. Results are collected as Arrow and put
back in input order.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.batch.inputs import ApplicationFile
from credit_scoring.batch.model import BatchModel, bundle_from_files
from credit_scoring.batch.scoring import HistoryTable, ScoringOptions, score_applications
from credit_scoring.features.feature_set import KEY_COLUMN
from credit_scoring.schema import table

POSITION = "_position"
FOUND = "_history_found"
_SPARK_TYPES = {
    pa.int64(): "long",
    pa.float64(): "double",
    pa.string(): "string",
    pa.bool_(): "boolean",
}


def _ddl(schema: pa.Schema) -> str:
    return ", ".join(f"`{f.name}` {_SPARK_TYPES[f.type]}" for f in schema)


def use_this_interpreter_locally(spark: Any) -> None:
    """On a local master, run the Python workers with this interpreter (where this package is
    installed) unless ``PYSPARK_PYTHON`` says otherwise; PySpark's default is whatever
    ``python3`` is first on the PATH. On a cluster the executors' Python must have the package
    (e.g. the same image, or its wheel shipped with ``--py-files``)."""
    context = spark.sparkContext
    if str(context.master).startswith("local") and "PYSPARK_PYTHON" not in os.environ:
        context.pythonExec = sys.executable


def make_scorer(
    files: Any,
    *,
    application_columns: Sequence[str],
    history_columns: Sequence[str],
    model_version: str,
    options: ScoringOptions,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The ``mapInPandas`` function: joined batches in, scored rows (with positions) out.

    ``files`` is a broadcast variable holding the bundle's files (name → bytes).
    """
    app_columns = list(application_columns)
    hist_columns = list(history_columns)

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        bundle = bundle_from_files(files.value)
        for batch in batches:
            found = batch[FOUND].notna().to_numpy()  # True where joined, null elsewhere
            ids = batch[KEY_COLUMN].to_numpy(dtype=np.int64)
            rows = batch.loc[found, hist_columns].to_numpy(dtype=np.float64, na_value=np.nan)
            history = HistoryTable.from_matrix(ids[found], rows, hist_columns)
            out = score_applications(
                batch[app_columns],
                history,
                bundle,
                model_version=model_version,
                options=options,
                num_threads=1,  # one task per core
            )
            out[POSITION] = batch[POSITION].to_numpy(dtype=np.int64)
            yield out

    return score


def score_on_spark(
    applications: ApplicationFile,
    model: BatchModel,
    *,
    spark: Any,
    scratch_dir: Path,
    history_path: Path | None = None,
    history: HistoryTable | None = None,
    options: ScoringOptions = ScoringOptions(),
) -> pa.Table:
    """Score every application on ``spark``; returns the output rows in input order.

    History comes from ``history_path`` (``history.parquet``, read by Spark) or ``history``
    (rows already in memory, e.g. from the database store).
    """
    from pyspark.sql.functions import lit

    use_this_interpreter_locally(spark)
    wanted = list(model.history_features())
    staged = applications.write_parquet(scratch_dir / "applications.parquet", position=POSITION)
    apps = spark.read.parquet(str(staged))
    if history_path is not None:
        hist = spark.read.parquet(str(history_path)).select(KEY_COLUMN, *wanted)
    elif history is not None:
        # Handed over as Arrow (columnar), not as pandas rows.
        columns = {KEY_COLUMN: pa.array(history.ids)}
        position = {name: j for j, name in enumerate(history.columns)}
        for name in wanted:
            columns[name] = pa.array(history.matrix[:, position[name]])
        hist = spark.createDataFrame(pa.table(columns))
    else:
        raise ValueError("score_on_spark needs history_path or history")
    hist = hist.withColumn(FOUND, lit(True))
    joined = apps.join(hist, on=KEY_COLUMN, how="left")
    schema = options.schema.append(pa.field(POSITION, pa.int64()))
    scorer = make_scorer(
        spark.sparkContext.broadcast(model.files),
        application_columns=table("application_test").column_names,
        history_columns=wanted,
        model_version=model.model_version,
        options=options,
    )
    result = joined.mapInPandas(scorer, schema=_ddl(schema)).toArrow()
    order = pc.sort_indices(result, sort_keys=[(POSITION, "ascending")])
    return result.take(order).drop_columns([POSITION])
