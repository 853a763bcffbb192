"""Reading logged decisions as aligned numpy arrays (monitoring jobs, the drift benchmark).

Reads select only the columns a job needs, filter by time in SQL (on the
``(created_at, request_id)`` index) and turn rows into numpy arrays partition by partition;
model rows (``features``, float64 in the bundle's feature order) become one matrix.
Timestamps are read as text on SQLite (parsed by pandas in one vectorised call) and as epoch
seconds on PostgreSQL, never as one Python datetime per row.
"""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import (
    Engine,
    Float,
    String,
    cast,
    extract,
    func,
    select,
    type_coerce,
)
from sqlalchemy.sql.elements import ColumnElement

from credit_scoring.store.records import utc
from credit_scoring.store.tables import decisions, outcomes

#: ``model_version`` of results computed over every model's decisions.
ALL_MODELS = "*"
_PARTITION = 50_000


@dataclass(frozen=True)
class DecisionSelection:
    """Which decisions a job reads: ``since`` inclusive, ``until`` exclusive (UTC), and
    optionally one bundle (by checksum) or one model version."""

    since: datetime | None = None
    until: datetime | None = None
    bundle_checksum: str | None = None
    model_version: str | None = None

    def where(self) -> list[ColumnElement[bool]]:
        c = decisions.c
        clauses: list[ColumnElement[bool]] = []
        if self.since is not None:
            clauses.append(c.created_at >= utc(self.since))
        if self.until is not None:
            clauses.append(c.created_at < utc(self.until))
        if self.bundle_checksum is not None:
            clauses.append(c.bundle_checksum == self.bundle_checksum)
        if self.model_version is not None:
            clauses.append(c.model_version == self.model_version)
        return clauses


@dataclass(frozen=True)
class LoggedDecisions:
    """Logged decisions as aligned arrays (one entry per decision, in time order).

    ``created_ns``: nanoseconds since the epoch (UTC); ``probability`` in [0, 1]; ``score``
    in points; ``latency_ms`` in milliseconds; ``defaulted`` 1/0/NaN (no outcome) when read
    with outcomes. ``features`` holds the model rows of the decisions listed in
    ``feature_rows`` (those logged with a row of the expected width).
    """

    created_ns: NDArray[np.int64]
    probability: NDArray[np.float64]
    threshold: NDArray[np.float64]
    score: NDArray[np.float64]
    decision: NDArray[np.object_]
    latency_ms: NDArray[np.float64]
    history_found: NDArray[np.bool_]
    model_version: NDArray[np.object_]
    defaulted: NDArray[np.float64] | None = None
    features: NDArray[np.float64] | None = None
    feature_rows: NDArray[np.intp] | None = None

    def __len__(self) -> int:
        return int(self.created_ns.size)

    def main_model_version(self) -> str:
        """The most frequent model version (``ALL_MODELS`` when there is no decision)."""
        if not len(self):
            return ALL_MODELS
        values, counts = np.unique(self.model_version.astype(str), return_counts=True)
        return str(values[int(np.argmax(counts))])


def _epoch_column(engine: Engine) -> ColumnElement[Any]:
    if engine.dialect.name == "postgresql":
        return cast(extract("epoch", decisions.c.created_at), Float).label("t")
    return type_coerce(decisions.c.created_at, String()).label("t")


def _to_ns(values: list[Any], *, postgres: bool) -> NDArray[np.int64]:
    if not values:
        return np.empty(0, dtype=np.int64)
    if postgres:
        seconds = np.asarray(values, dtype=np.float64)
        return np.rint(seconds * 1e6).astype(np.int64) * 1000
    stamps = pd.to_datetime(pd.Series(values, dtype="string"), format="ISO8601", utc=True)
    return stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: fetching 300,000 rows allocates millions of
    tuples, which triggers repeated full collections (~25% of the read time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def count_decisions(engine: Engine, selection: DecisionSelection) -> int:
    statement = select(func.count()).select_from(decisions).where(*selection.where())
    with engine.connect() as connection:
        return int(connection.execute(statement).scalar_one())


def read_decisions(
    engine: Engine,
    selection: DecisionSelection,
    *,
    n_features: int | None = None,
    with_outcomes: bool = False,
) -> LoggedDecisions:
    """The selected decisions, in storage order (not necessarily time order); their model
    rows when ``n_features`` is given (rows of another width, or none, are left out of
    ``features``), their outcomes when ``with_outcomes``.

    SQLAlchemy builds and binds the query; rows are then fetched from the driver's cursor
    in partitions, without one Row object per decision (3× faster on 300,000 decisions).
    """
    c = decisions.c
    columns: list[Any] = [
        _epoch_column(engine),
        c.probability,
        c.threshold,
        c.score,
        c.decision,
        c.latency_ms,
        c.history_found,
        c.model_version,
    ]
    if with_outcomes:
        columns.append(outcomes.c.defaulted)
    if n_features is not None:
        columns.append(c.features)
    source = decisions.outerjoin(outcomes, outcomes.c.request_id == c.request_id)
    statement = (
        select(*columns)
        .select_from(source if with_outcomes else decisions)
        .where(*selection.where())
    )
    postgres = engine.dialect.name == "postgresql"
    parts: dict[str, list[Any]] = {k: [] for k in ("t", "p", "thr", "s", "d", "lat", "h", "m")}
    outcome_parts: list[NDArray[np.float64]] = []
    matrices: list[NDArray[np.float64]] = []
    feature_rows: list[NDArray[np.intp]] = []
    width = 8 * (n_features or 0)
    offset = 0
    with engine.connect() as connection, _collector_paused():
        cursor = connection.execute(statement).cursor
        while partition := cursor.fetchmany(_PARTITION):
            cols = list(zip(*partition, strict=True))
            for key, values in zip(parts, cols[:8], strict=True):
                parts[key].append(values)
            position = 8
            if with_outcomes:
                outcome_parts.append(
                    np.asarray(
                        [math.nan if v is None else float(v) for v in cols[position]],
                        dtype=np.float64,
                    )
                )
                position += 1
            if n_features is not None:
                blobs = cols[position]
                good = [b is not None and len(b) == width for b in blobs]
                keep = np.flatnonzero(good)
                if keep.size:
                    kept = blobs if keep.size == len(blobs) else [blobs[i] for i in keep]
                    joined = b"".join(b if isinstance(b, bytes) else bytes(b) for b in kept)
                    matrices.append(
                        np.frombuffer(joined, dtype="<f8").reshape(keep.size, n_features)
                    )
                    feature_rows.append(keep + offset)
            offset += len(partition)

    def flat(key: str) -> list[Any]:
        return [v for chunk in parts[key] for v in chunk]

    features = None
    rows = None
    if n_features is not None:
        features = (
            np.concatenate(matrices).astype(np.float64, copy=False)
            if matrices
            else np.empty((0, n_features))
        )
        rows = np.concatenate(feature_rows) if feature_rows else np.empty(0, dtype=np.intp)
    return LoggedDecisions(
        created_ns=_to_ns(flat("t"), postgres=postgres),
        probability=np.asarray(flat("p"), dtype=np.float64),
        threshold=np.asarray(flat("thr"), dtype=np.float64),
        score=np.asarray(flat("s"), dtype=np.float64),
        decision=np.asarray(flat("d"), dtype=object),
        latency_ms=np.asarray(flat("lat"), dtype=np.float64),
        history_found=np.asarray(flat("h"), dtype=bool),
        model_version=np.asarray(flat("m"), dtype=object),
        defaulted=np.concatenate(outcome_parts)
        if outcome_parts
        else (np.empty(0) if with_outcomes else None),
        features=features,
        feature_rows=rows,
    )
