"""The one scoring function of batch scoring, used unchanged by the local and the Spark engine.

:func:`score_applications` takes raw applications (schema names, one row each), the clients'
history and a loaded bundle, and returns one output row per application. Model rows are built
by the API's own builder (``OnlineFeatureBuilder.rows_from_columns`` of
:mod:`credit_scoring.features.online`: the application-feature function of training, the
history join and the vocabulary encoding), so a file scored in batch gets exactly the answers
the API gives for the same applications.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.build import application_columns
from credit_scoring.features.feature_set import KEY_COLUMN, FeatureSet
from credit_scoring.features.naming import history_source
from credit_scoring.features.online import OnlineFeatureBuilder
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


def bundle_feature_set(bundle: Bundle) -> FeatureSet:
    """The feature set a bundle was trained on (its metadata's copy, or rebuilt from its
    feature lists for bundles that predate it)."""
    stored = bundle.metadata.get("feature_set")
    if isinstance(stored, dict):
        return FeatureSet.from_json(stored)
    listed = bundle.metadata.get("history_features")
    history = (
        tuple(str(c) for c in listed)
        if isinstance(listed, list)
        else tuple(f for f in bundle.features if history_source(f) is not None)
    )
    return FeatureSet(
        version=bundle.feature_set_version,
        model_features=bundle.features,
        categorical_features=bundle.categorical_features,
        protected_columns=(),
        history_features=history,
        application_features=tuple(f for f in bundle.features if f not in set(history)),
    )


@dataclass(frozen=True)
class HistoryTable:
    """History features of some clients: ``matrix`` row ``i`` (float64, NaN for missing
    aggregates, in ``columns`` order) belongs to client ``ids[i]``; one row per client."""

    ids: NDArray[np.int64]
    matrix: NDArray[np.float64]
    columns: tuple[str, ...]
    _index: pd.Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = pd.Index(np.asarray(self.ids, dtype=np.int64))
        if not index.is_unique:
            raise FeatureSetMismatchError("the history holds a client id more than once")
        # Build the hash table now: pandas builds it lazily on first use, and scoring threads
        # building it at once can see a half-built table.
        index.get_indexer(index[:1])
        object.__setattr__(self, "_index", index)
        if self.matrix.shape != (len(index), len(self.columns)):
            raise FeatureSetMismatchError(
                f"history matrix of shape {self.matrix.shape} for {len(index)} clients × "
                f"{len(self.columns)} features"
            )

    @classmethod
    def from_matrix(
        cls, ids: NDArray[np.int64], matrix: NDArray[np.float64], columns: Sequence[str]
    ) -> HistoryTable:
        """From the history store's form (ids, rows in ``columns`` order)."""
        rows = np.ascontiguousarray(matrix, dtype=np.float64).reshape(len(ids), len(columns))
        return cls(np.asarray(ids, dtype=np.int64), rows, tuple(columns))

    @classmethod
    def empty(cls, columns: Sequence[str]) -> HistoryTable:
        return cls.from_matrix(np.empty(0, np.int64), np.empty((0, len(columns))), columns)

    def __len__(self) -> int:
        return len(self.ids)

    def rows_for(
        self, client_ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(one history row per client, found): rows of clients without history are NaN."""
        positions = self._index.get_indexer(pd.Index(client_ids))
        found = positions >= 0
        if not len(self):
            return np.full((len(client_ids), len(self.columns)), np.nan), found
        rows = self.matrix[np.where(found, positions, 0)]
        rows[~found] = np.nan
        return rows, found

    def check_covers(self, bundle: Bundle, history_features: Sequence[str]) -> None:
        """Raise :class:`FeatureSetMismatchError` if a history feature of the model is absent."""
        model = set(bundle.features)
        have = set(self.columns)
        absent = [c for c in history_features if c in model and c not in have]
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
    builder = OnlineFeatureBuilder(bundle_feature_set(bundle), bundle.vocabularies, history.columns)
    history_rows, found = history.rows_for(ids)
    matrix = builder.rows_from_columns(application_columns(frame), history_rows, found)
    scores = bundle.score_matrix(matrix, review_band=review_band, num_threads=num_threads)
    out = {
        KEY_COLUMN: ids,
        "probability": scores.probability,
        "score": np.round(scores.points).astype(np.int64),
        "decision": scores.decision.astype(object),
        "threshold": np.full(len(ids), bundle.threshold),
        "model_version": np.full(len(ids), model_version, dtype=object),
        "history_found": found,
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
