"""The one scoring path of batch scoring, used unchanged by the local and the Spark engine.

:class:`ApplicationScorer` holds a loaded bundle, the clients' history and the run's options,
and turns raw applications (schema names, one row each: Arrow columns in the local engine,
pandas frames in Spark's ``mapInPandas`` through :func:`score_applications`) into one output
row per application, as an Arrow batch. Model rows are built by the API's own builder
(``OnlineFeatureBuilder.rows_from_columns`` of :mod:`credit_scoring.runtime.online`: the
application-feature function of training, the history join and the vocabulary encoding), so
a file scored in batch gets exactly the answers the API gives for the same applications.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from numpy.typing import NDArray

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.application import APPLICATION_INPUT_COLUMNS, application_columns
from credit_scoring.features.feature_set import KEY_COLUMN
from credit_scoring.runtime.bundle import Bundle, Decision
from credit_scoring.runtime.counter_offer import CounterOffer, CounterOfferPolicy
from credit_scoring.runtime.scorer import Scorer
from credit_scoring.schema import APPLICATION_TEST, Column, Kind

#: The output columns of every run, in order, with their Arrow types (never null).
_DECISION_TYPES = {
    KEY_COLUMN: pa.int64(),
    "probability": pa.float64(),
    "score": pa.int64(),
    "decision": pa.string(),
    "threshold": pa.float64(),
    "model_version": pa.string(),
    "history_found": pa.bool_(),
}
#: Output columns, in order (``reasons`` only when reasons are asked for).
OUTPUT_COLUMNS: tuple[str, ...] = (*_DECISION_TYPES, "reasons")
#: Separator of the reason codes in the ``reasons`` column (e.g. ``R01;R03``).
REASON_SEPARATOR = ";"
_APPROVE = str(Decision.APPROVE)
_DECISIONS = (_APPROVE, *(str(d) for d in Decision if d is not Decision.APPROVE))
_DECISION_LABELS = pa.array(_DECISIONS, pa.string())


#: Output columns of the counter-offer and their types (null for approvals and when no amount
#: is approved).
_COUNTER_OFFER_TYPES = {
    "counter_offer_amount": pa.float64(),
    "counter_offer_annuity": pa.float64(),
    "counter_offer_probability": pa.float64(),
    "counter_offer_points": pa.int64(),
}
COUNTER_OFFER_COLUMNS: tuple[str, ...] = tuple(_COUNTER_OFFER_TYPES)


def output_schema(*, with_reasons: bool, with_offers: bool = False) -> pa.Schema:
    """Arrow schema of the output: probability in [0, 1], score in points, reasons as codes,
    and (``with_offers``) the counter-offer of each REFUSE/REVIEW decision."""
    fields = [pa.field(name, kind, nullable=False) for name, kind in _DECISION_TYPES.items()]
    if with_reasons:
        fields.append(pa.field("reasons", pa.string()))  # null for approvals
    if with_offers:
        fields += [pa.field(name, kind) for name, kind in _COUNTER_OFFER_TYPES.items()]
    return pa.schema(fields)


@dataclass(frozen=True)
class ScoringOptions:
    """What a run asks beyond the bundle's decisions: the reason codes (``with_reasons``), a
    REVIEW band other than the bundle's (``review_band``, a probability half-width) and
    counter-offers (``counter_offers``, with their columns)."""

    with_reasons: bool = True
    review_band: float | None = None
    counter_offers: CounterOfferPolicy | None = None

    @property
    def schema(self) -> pa.Schema:
        """The output schema of a run with these options."""
        with_offers = self.counter_offers is not None
        return output_schema(with_reasons=self.with_reasons, with_offers=with_offers)


@dataclass(frozen=True)
class HistoryTable:
    """History features of some clients: ``matrix`` row ``i`` (float64, NaN for missing
    aggregates, in ``columns`` order) belongs to client ``ids[i]``; one row per client."""

    ids: NDArray[np.int64]
    matrix: NDArray[np.float64]
    columns: tuple[str, ...]
    # ids sorted, and the matrix row of each: lookups by binary search (NumPy, no GIL held).
    _sorted_ids: NDArray[np.int64] = field(init=False, repr=False, compare=False)
    _sorted_rows: NDArray[np.intp] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ids = np.asarray(self.ids, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        if (sorted_ids[1:] == sorted_ids[:-1]).any():
            raise FeatureSetMismatchError("the history holds a client id more than once")
        object.__setattr__(self, "_sorted_ids", sorted_ids)
        object.__setattr__(self, "_sorted_rows", order)
        if self.matrix.shape != (len(ids), len(self.columns)):
            raise FeatureSetMismatchError(
                f"history matrix of shape {self.matrix.shape} for {len(ids)} clients × "
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

    def lookup(self, client_id: int) -> NDArray[np.float64] | None:
        """The client's history row, or None when the client has no history."""
        rows, found = self.lookup_many(np.array([client_id], dtype=np.int64))
        return rows[0] if found[0] else None

    def lookup_many(
        self, client_ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(one history row per client, found): rows of clients without history are NaN."""
        client_ids = np.asarray(client_ids, dtype=np.int64)
        rows = np.full((len(client_ids), len(self.columns)), np.nan)
        if not len(self):
            return rows, np.zeros(len(client_ids), dtype=bool)
        slots = np.searchsorted(self._sorted_ids, client_ids)
        np.minimum(slots, len(self) - 1, out=slots)
        found = self._sorted_ids[slots] == client_ids
        rows[found] = self.matrix[self._sorted_rows[slots[found]]]
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


class ApplicationScorer:
    """The runtime's :class:`~credit_scoring.runtime.scorer.Scorer` (one bundle, one history)
    with a run's options, writing Arrow output rows.

    Built once per run; chunks may be scored concurrently from several threads. Every method
    returns one output row per input application, in input order, with the columns of
    :func:`output_schema`.
    """

    def __init__(
        self,
        bundle: Bundle,
        history: HistoryTable,
        *,
        model_version: str,
        options: ScoringOptions = ScoringOptions(),
        num_threads: int | None = None,
    ) -> None:
        self.scorer = Scorer(
            bundle, history, review_band=options.review_band, num_threads=num_threads,
            counter_offers=options.counter_offers,
        )  # fmt: skip
        self.bundle = bundle
        self.with_reasons = options.with_reasons
        self.with_offers = options.counter_offers is not None
        self.schema = options.schema
        self._model_version = pa.scalar(model_version, pa.string())

    def score_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Score applications given as a pandas frame (see :func:`score_applications`)."""
        ids = frame[KEY_COLUMN].to_numpy(dtype=np.int64)
        return self.score_columns(ids, application_columns(frame)).to_pandas()

    def score_columns(self, ids: NDArray[np.int64], columns: Mapping[str, Any]) -> pa.RecordBatch:
        """Score applications given as the column input of
        :meth:`OnlineFeatureBuilder.rows_from_columns` (``ids`` are their client ids)."""
        n = len(ids)
        scored = self.scorer.score_columns(ids, columns, with_reasons=self.with_reasons)
        scores = scored.scores
        arrays: list[pa.Array] = [
            pa.array(scored.ids, pa.int64()),
            pa.array(scores.probability, pa.float64()),
            pa.array(scored.score, pa.int64()),
            _decision_array(scores.decision),
            pa.array(np.full(n, self.bundle.threshold), pa.float64()),
            pa.repeat(self._model_version, n),
            pa.array(scored.history_found, pa.bool_()),
        ]
        if self.with_reasons:
            reasons: list[str | None] = [None] * n
            codes = self.scorer.reason_code_lists(scored)
            for position, row in zip(scored.adverse.tolist(), codes, strict=True):
                reasons[position] = REASON_SEPARATOR.join(row)
            arrays.append(pa.array(reasons, pa.string()))
        if self.with_offers:
            arrays += _offer_arrays(scored.offers, n)
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)


def _offer_arrays(offers: Mapping[int, CounterOffer | None], n: int) -> list[pa.Array]:
    """The counter-offer columns (null where there is none)."""
    values = np.full((3, n), np.nan)
    points = np.zeros(n, dtype=np.int64)
    has = np.zeros(n, dtype=bool)
    for i, offer in offers.items():
        if offer is not None:
            has[i] = True
            annuity = np.nan if offer.annuity is None else offer.annuity
            values[:, i] = (offer.amount, annuity, offer.probability)
            points[i] = offer.points
    mask = ~has
    return [
        pa.array(values[0], pa.float64(), mask=mask),
        pa.array(values[1], pa.float64(), mask=mask | np.isnan(values[1])),
        pa.array(values[2], pa.float64(), mask=mask),
        pa.array(points, pa.int64(), mask=mask),
    ]


def _decision_array(decision: NDArray[np.str_]) -> pa.Array:
    """Decisions as Arrow strings, taken from the three labels (no string per row)."""
    codes = np.zeros(len(decision), dtype=np.int8)
    for code, label in enumerate(_DECISIONS[1:], start=1):
        codes[decision == label] = code
    return _DECISION_LABELS.take(pa.array(codes))


def score_applications(
    frame: pd.DataFrame,
    history: HistoryTable,
    bundle: Bundle,
    *,
    model_version: str,
    options: ScoringOptions = ScoringOptions(),
    num_threads: int | None = None,
) -> pd.DataFrame:
    """Score raw applications: one output row per row of ``frame``, in the same order.

    ``frame`` holds application columns by schema name (numbers as float/int with NaN for
    missing, categories as strings or None; absent columns count as missing) and a unique
    ``SK_ID_CURR``. Clients absent from ``history`` get missing aggregates and 0 in the
    ``*HAS_HISTORY`` flags, exactly as in training and in the API. Output columns:
    :data:`OUTPUT_COLUMNS` — calibrated probability of default in [0, 1], score points, the
    decision, the threshold, ``model_version``, whether history was found and, when
    ``options.with_reasons``, the reason codes of adverse decisions (``R01;R03``; null for
    approvals), then the counter-offer columns when ``options`` asks for counter-offers.
    ``num_threads``: LightGBM threads (its default when None; 1 when the caller runs several
    chunks at once). The results do not depend on it.
    """
    scorer = ApplicationScorer(
        bundle, history, model_version=model_version, options=options, num_threads=num_threads
    )
    return scorer.score_frame(frame)


def arrow_application_columns(batch: pa.RecordBatch) -> dict[str, Any]:
    """Raw application columns of an Arrow batch in the form :func:`application_features`
    takes (the Arrow twin of :func:`~credit_scoring.features.build.application_columns`).

    Numbers become float64 with NaN for missing (integer columns read from floats lose the
    sign of a zero, as a cast to an integer type does); text becomes object arrays of
    ``str``/``None`` built from the column's distinct values, so each value is one shared
    string object rather than one per row. Absent columns are left out (they count as
    missing).
    """
    present = set(batch.schema.names)
    out: dict[str, Any] = {}
    for column in _application_input_columns():
        if column.name not in present:
            continue
        values = batch.column(column.name)
        if column.is_categorical:
            out[column.name] = _text_objects(values)
        else:
            numbers = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
            if column.kind is Kind.INT and pa.types.is_floating(values.type):
                numbers = numbers + 0.0  # -0.0 → 0.0, as CAST(… AS BIGINT) gives
            out[column.name] = numbers
    return out


def client_ids(batch: pa.RecordBatch) -> NDArray[np.int64]:
    """The ``SK_ID_CURR`` column of an Arrow batch as int64."""
    return np.asarray(batch.column(KEY_COLUMN).to_numpy(), dtype=np.int64)


@cache
def _application_input_columns() -> tuple[Column, ...]:
    return tuple(APPLICATION_TEST.column(name) for name in APPLICATION_INPUT_COLUMNS)


def _text_objects(values: pa.Array) -> NDArray[np.object_]:
    """An Arrow text column as an object array of ``str``/``None`` (one object per distinct
    value)."""
    encoded = values if pa.types.is_dictionary(values.type) else values.dictionary_encode()
    distinct = encoded.dictionary.to_numpy(zero_copy_only=False)
    lookup = np.empty(len(distinct) + 1, dtype=object)
    lookup[:-1] = distinct
    lookup[-1] = None  # missing values point past the distinct ones
    indices = encoded.indices
    if not indices.null_count:
        return lookup[indices.to_numpy()]
    positions = indices.to_numpy(zero_copy_only=False)  # float, NaN where missing
    return lookup[np.where(np.isnan(positions), len(distinct), positions).astype(np.intp)]
