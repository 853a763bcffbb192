"""Batch scoring: a whole application file scored with one model, locally or on Spark.

:class:`ApplicationScorer` is the one scoring path (raw applications + history + bundle →
decisions; :func:`score_applications` is its pandas form for Spark); :func:`score_batch`
runs it over a checked input file with the local or the Spark engine and writes the output
atomically.
"""

from credit_scoring.batch.model import BatchModel, load_batch_model
from credit_scoring.batch.run import BatchResult, score_batch
from credit_scoring.batch.scoring import (
    OUTPUT_COLUMNS,
    ApplicationScorer,
    HistoryTable,
    score_applications,
)

__all__ = [
    "OUTPUT_COLUMNS",
    "ApplicationScorer",
    "BatchModel",
    "BatchResult",
    "HistoryTable",
    "load_batch_model",
    "score_applications",
    "score_batch",
]
