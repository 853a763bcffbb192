"""The one scoring function of batch scoring, used unchanged by the local and the Spark engine.

:func:`score_applications` takes raw applications (schema names, one row each), the clients'
history and a loaded bundle, and returns one output row per application. Features come from
the training definition itself (:func:`credit_scoring.features.build.feature_table`: the same
application-feature function and the same history join as the training tables), encoded by the
bundle (:meth:`credit_scoring.model.bundle.Bundle.matrix`), so batch, training and the API agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.build import feature_table
from credit_scoring.features.feature_set import KEY_COLUMN
from credit_scoring.model.bundle import Bundle, Decision

#: Output columns, in order (``reasons`` only when reasons are asked for).
OUTPUT_COLUMNS: tuple[str, ...] = (
    KEY_COLUMN,
    "probability",
    "score",
    "decision",
    "threshold",
    "model_version",
    "history_found",
    "reasons",
)
#: Separator of the reason codes in the ``reasons`` column (e.g. ``R01;R03``).
REASON_SEPARATOR = ";"
_APPROVE = str(Decision.APPROVE)


def output_schema(*, with_reasons: bool) -> pa.Schema:
    """Arrow schema of the output: probability in [0, 1], score in points, reasons as codes."""
    fields = [
        pa.field(KEY_COLUMN, pa.int64(), nullable=False),
        pa.field("probability", pa.float64(), nullable=False),
        pa.field("score", pa.int64(), nullable=False),
        pa.field("decision", pa.string(), nullable=False),
        pa.field("threshold", pa.float64(), nullable=False),
        pa.field("model_version", pa.string(), nullable=False),
        pa.field("history_found", pa.bool_(), nullable=False),
    ]
    if with_reasons:
        fields.append(pa.field("reasons", pa.string()))  # null for approvals
    return pa.schema(fields)


@dataclass(frozen=True)
class HistoryTable:
    """History features of some clients: float64 columns (NaN for missing aggregates) indexed
    by SK_ID_CURR, one row per client that has history."""

    frame: pd.DataFrame

    def __post_init__(self) -> None:
        index = self.frame.index
        # Build the index's hash table now: pandas builds it lazily on first use, and two
        # scoring threads building it at once can see a half-built table ("duplicate labels").
        if not index.is_unique:
            raise FeatureSetMismatchError("the history holds a client id more than once")
        index.get_indexer(index[:1])

    @classmethod
    def from_matrix(
        cls, ids: np.ndarray, matrix: np.ndarray, columns: Sequence[str]
    ) -> HistoryTable:
        """From the history store's form (ids, rows in ``columns`` order)."""
        index = pd.Index(np.asarray(ids, dtype=np.int64), name=KEY_COLUMN)
        return cls(pd.DataFrame(matrix, index=index, columns=list(columns), copy=False))

    @classmethod
    def empty(cls, columns: Sequence[str]) -> HistoryTable:
        return cls.from_matrix(np.empty(0, np.int64), np.empty((0, len(columns))), columns)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.frame.columns)

    def check_covers(self, bundle: Bundle, history_features: Sequence[str]) -> None:
        """Raise :class:`FeatureSetMismatchError` if a history feature of the model is absent."""
        model = set(bundle.features)
        absent = [c for c in history_features if c in model and c not in self.frame.columns]
        if absent:
            raise FeatureSetMismatchError(
                f"the history lacks {len(absent)} feature(s) of the model's feature set "
                f"{bundle.feature_set_version}: {absent[:5]}"
            )


def score_applications(
    frame: pd.DataFrame,
    history: HistoryTable,
    bundle: Bundle,
    *,
    model_version: str,
    with_reasons: bool = True,
    review_band: float | None = None,
    num_threads: int | None = None,
) -> pd.DataFrame:
    """Score raw applications: one output row per row of ``frame``, in the same order.

    ``frame`` holds application columns by schema name (numbers as float/int with NaN for
    missing, categories as strings or None; absent columns count as missing) and a unique
    ``SK_ID_CURR``. Clients absent from ``history`` get missing aggregates and 0 in the
    ``*HAS_HISTORY`` flags, exactly as in training and in the API. Output columns:
    :data:`OUTPUT_COLUMNS` — calibrated probability of default in [0, 1], score points, the
    decision, the threshold, ``model_version``, whether history was found and, when
    ``with_reasons``, the reason codes of adverse decisions (``R01;R03``; null for approvals).
    ``num_threads``: LightGBM threads (its default when None; 1 when the caller runs several
    chunks at once). The results do not depend on it.
    """
    ids = frame[KEY_COLUMN].to_numpy(dtype=np.int64)
    features = feature_table(
        frame, history.frame, model_features=bundle.features, with_target=False
    )
    matrix = bundle.matrix(features)
    scores = bundle.score_matrix(matrix, review_band=review_band, num_threads=num_threads)
    out = {
        KEY_COLUMN: ids,
        "probability": scores.probability,
        "score": np.round(scores.points).astype(np.int64),
        "decision": scores.decision.astype(object),
        "threshold": np.full(len(ids), bundle.threshold),
        "model_version": np.full(len(ids), model_version, dtype=object),
        "history_found": history.frame.index.get_indexer(pd.Index(ids)) >= 0,
    }
    if with_reasons:
        reasons = np.full(len(ids), None, dtype=object)
        adverse = np.flatnonzero(scores.decision != _APPROVE)
        if len(adverse):
            reasons[adverse] = _reason_codes(bundle, matrix[adverse], num_threads=num_threads)
        out["reasons"] = reasons
    return pd.DataFrame(out, copy=False)


def _reason_codes(bundle: Bundle, matrix: np.ndarray, *, num_threads: int | None) -> list[str]:
    """The reason codes of every row (as :meth:`Bundle.reasons_frame`, with chosen threads)."""
    contributions = bundle.contributions_frame(matrix, num_threads=num_threads)
    order, _, count = bundle.top_reason_positions(bundle.grouped_contributions(contributions))
    codes = [group.code for group in bundle.reason_index.groups]
    return [
        REASON_SEPARATOR.join(codes[k] for k in row[:n])
        for row, n in zip(order.tolist(), count.tolist(), strict=True)
    ]
