"""The history store: published history features keyed by SK_ID_CURR, versioned by feature set
and data.

A version is :attr:`FeatureSet.history_version` — the feature set version (definitions) and the
fingerprint of the data they were built from — so publishing the features of another dataset
adds a version and never replaces the one a registered model was trained with (each model
records its version and is served with it).

Layout (SQLite by default, PostgreSQL through ``DATABASE_URL``):

* ``history_features_<version>``: ``SK_ID_CURR`` (primary key) and ``features``, the client's
  history row packed as little-endian float64 (NaN for missing) in the order of the version's
  ``columns``;
* ``feature_sets``: one row per published version — ``version``, ``table_name``, ``columns``
  (JSON list of feature names, the order of the packed values), ``row_format``, ``row_count``,
  ``published_at``, ``is_current``.

Packed rows keep every transfer fixed-width: a publish is one binary ``COPY`` on PostgreSQL
built by NumPy, and :meth:`HistoryStore.load_all` reads the whole table with one query straight
into a NumPy matrix — no per-value parsing in Python or in the database.

Publishing (:mod:`credit_scoring.features.publish`) loads a staging table, then, in one
transaction, replaces the version's table with it and marks the version current, so readers
never see a half-loaded table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.feature_set import KEY_COLUMN
from credit_scoring.features.history_layout import ROW_DTYPE, ROW_FORMAT
from credit_scoring.store.engine import create_db_engine, redact_database_url
from credit_scoring.store.tables import HISTORY_FEATURES_COLUMN as FEATURES_COLUMN
from credit_scoring.store.tables import feature_sets


def _current_of(conn: sa.Connection, table: sa.Table, feature_set_version: str) -> Any:
    """The current version of ``feature_set_version``'s features (for bundles that predate
    history versions and record only their feature set), or None."""
    row = conn.execute(sa.select(table).where(table.c.is_current.is_(True))).first()
    if row is not None and str(row.version).startswith(f"{feature_set_version}-"):
        return row
    return None


class HistoryStore:
    """Read access to one published version of the history features.

    Rows are float64 arrays in :attr:`columns` order (NaN for missing aggregates).
    """

    def __init__(
        self, engine: sa.Engine, *, version: str, table_name: str, columns: Sequence[str]
    ) -> None:
        self._engine = engine
        self.version = version
        self.table_name = table_name
        self.columns: tuple[str, ...] = tuple(columns)
        self._ids: NDArray[np.int64] | None = None
        self._matrix: NDArray[np.float64] | None = None
        self._index: dict[int, int] | None = None
        self._lookup_sql = sa.text(
            f'SELECT "{FEATURES_COLUMN}" FROM "{table_name}" WHERE "{KEY_COLUMN}" = :client_id'
        )

    @classmethod
    def open(cls, database_url: str, version: str | None = None) -> HistoryStore:
        """Open ``version`` (the current one if None); unknown versions raise
        :class:`FeatureSetMismatchError` naming the published ones."""
        engine = create_db_engine(database_url)
        table = feature_sets
        nothing_published = FeatureSetMismatchError(
            f"no history store published at {redact_database_url(database_url)}; run "
            "`credit-scoring features publish FEATURES_DIR` first"
        )
        try:
            if not sa.inspect(engine).has_table(feature_sets.name):
                raise nothing_published
            with engine.connect() as conn:
                query = sa.select(table)
                query = query.where(
                    table.c.version == version if version else table.c.is_current.is_(True)
                )
                row = conn.execute(query).first()
                if row is None and version and "-" not in version:
                    row = _current_of(conn, table, version)
                if row is None:
                    known = [r[0] for r in conn.execute(sa.select(table.c.version))]
                    if not known:  # the registry exists (migrations) but is empty
                        raise nothing_published
                    raise FeatureSetMismatchError(
                        f"feature set {version or '(current)'} is not published at "
                        f"{redact_database_url(database_url)}; published versions: {known}"
                    )
            if row.row_format != ROW_FORMAT:
                raise FeatureSetMismatchError(
                    f"history store version {row.version} has row format {row.row_format!r}; "
                    f"this code reads {ROW_FORMAT!r}"
                )
        except BaseException:
            engine.dispose()
            raise
        return cls(
            engine, version=row.version, table_name=row.table_name, columns=json.loads(row.columns)
        )

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> HistoryStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def loaded(self) -> bool:
        return self._matrix is not None

    def _unpack(self, packed: bytes) -> NDArray[np.float64]:
        row = np.frombuffer(packed, dtype=ROW_DTYPE)
        if row.shape != (len(self.columns),):
            raise FeatureSetMismatchError(
                f"{self.table_name}: a row holds {row.size} values, expected {len(self.columns)}"
            )
        return row.astype(np.float64)

    def lookup(self, client_id: int) -> NDArray[np.float64] | None:
        """The client's history row, or None when the client has no history."""
        if self._index is not None and self._matrix is not None:
            i = self._index.get(int(client_id))
            return None if i is None else self._matrix[i]
        with self._engine.connect() as conn:
            packed = conn.execute(self._lookup_sql, {"client_id": int(client_id)}).scalar()
        return None if packed is None else self._unpack(bytes(packed))

    def lookup_many(
        self, client_ids: Iterable[int]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(rows, found): one row per id (NaN rows for clients without history)."""
        ids = np.fromiter((int(i) for i in client_ids), dtype=np.int64)
        all_ids, matrix = self.load_all()
        rows = np.full((len(ids), len(self.columns)), math.nan)
        found = np.zeros(len(ids), dtype=bool)
        if len(all_ids):
            pos = np.minimum(np.searchsorted(all_ids, ids), len(all_ids) - 1)
            found = all_ids[pos] == ids
            rows[found] = matrix[pos[found]]
        return rows, found

    def load_all(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Every (SK_ID_CURR, row) of this version in memory, sorted by SK_ID_CURR.

        One query; later lookups are answered from memory. The matrix is read-only.
        """
        if self._ids is None or self._matrix is None:
            if self._engine.dialect.name == "postgresql":
                ids, matrix = self._load_postgres()
            else:
                ids, matrix = self._load_generic()
            if matrix.flags.writeable:
                matrix.flags.writeable = False  # rows handed out by lookup() are views
            self._ids, self._matrix = ids, matrix
            self._index = {k: i for i, k in enumerate(ids.tolist())}
        return self._ids, self._matrix

    def _select_all(self) -> str:
        return (
            f'SELECT "{KEY_COLUMN}", "{FEATURES_COLUMN}" FROM "{self.table_name}" '
            f'ORDER BY "{KEY_COLUMN}"'
        )

    def _load_generic(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        with self._engine.connect() as conn:
            result = conn.exec_driver_sql(self._select_all()).all()
        ids = np.fromiter((r[0] for r in result), dtype=np.int64, count=len(result))
        packed = b"".join(bytes(r[1]) for r in result)
        return ids, self._as_matrix(packed, len(result))

    def _as_matrix(self, packed: bytes, n_rows: int) -> NDArray[np.float64]:
        width = len(self.columns)
        if len(packed) != n_rows * width * ROW_DTYPE.itemsize:
            raise FeatureSetMismatchError(
                f"{self.table_name}: rows do not hold {width} values each"
            )
        # Read-only view of the bytes (load_all marks the matrix read-only anyway).
        return np.frombuffer(packed, dtype=ROW_DTYPE).reshape(n_rows, width)

    def _load_postgres(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """One ordered query with binary results (raw bytea, no hex decoding)."""
        with self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            with raw.cursor(binary=True) as cursor:
                result = cursor.execute(self._select_all()).fetchall()
        ids = np.fromiter((r[0] for r in result), dtype=np.int64, count=len(result))
        return ids, self._as_matrix(b"".join(r[1] for r in result), len(result))


def load_history(database_url: str, version: str) -> HistoryStore:
    """The published history of ``version``, loaded whole into memory.

    The store's connection pool is released at once; lookups are then answered from memory.
    """
    store = HistoryStore.open(database_url, version)
    try:
        store.load_all()
    finally:
        store.close()
    return store
