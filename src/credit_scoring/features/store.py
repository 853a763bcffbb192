"""The history store: published history features keyed by SK_ID_CURR, versioned by feature set.

Layout (SQLite by default, PostgreSQL through ``DATABASE_URL``):

* ``history_features_<version>``: ``SK_ID_CURR`` (primary key) + one float column per history
  feature (NULL for missing), for every client with history;
* ``feature_sets``: one row per published version — ``version``, ``table_name``, ``columns``
  (JSON list, the column order of rows returned here), ``row_count``, ``published_at``,
  ``is_current``.

Publishing loads a staging table (COPY on PostgreSQL), then, in one transaction, replaces the
version's table with it and marks the version current, so readers never see a half-loaded
table. :class:`HistoryStore` reads one version: single lookups by SQL, or the whole table in
memory (:meth:`HistoryStore.load_all`) for microsecond lookups in the API.
"""

from __future__ import annotations

import io
import itertools
import json
import logging
import math
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import sqlalchemy as sa
from numpy.typing import NDArray

from credit_scoring.errors import DataContractError, FeatureSetMismatchError
from credit_scoring.features.build import HISTORY_FILE
from credit_scoring.features.feature_set import KEY_COLUMN, read_feature_set

logger = logging.getLogger(__name__)

FEATURE_SETS_TABLE = "feature_sets"
HISTORY_TABLE_PREFIX = "history_features_"
_BATCH_ROWS = 20_000


def history_table_name(version: str) -> str:
    return f"{HISTORY_TABLE_PREFIX}{version}"


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def redacted(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def create_db_engine(url: str) -> sa.Engine:
    """A SQLAlchemy engine for ``url`` (the SQLite file's folder is created if needed)."""
    url = normalize_database_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url)


def _feature_sets_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        FEATURE_SETS_TABLE,
        metadata,
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
    )


def _history_table(metadata: sa.MetaData, name: str, columns: Sequence[str]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column(KEY_COLUMN, sa.BigInteger, primary_key=True, autoincrement=False),
        *(sa.Column(c, sa.Double) for c in columns),
    )


@dataclass(frozen=True)
class PublishResult:
    version: str
    table_name: str
    row_count: int
    n_columns: int
    database_url: str


def publish_history(
    features_dir: Path, database_url: str, *, log: Callable[[str], None] | None = None
) -> PublishResult:
    """Publish ``FEATURES_DIR/history.parquet`` as the current history store version."""
    say = log or logger.info
    features_dir = Path(features_dir)
    feature_set = read_feature_set(features_dir)
    history = pq.read_table(features_dir / HISTORY_FILE)
    columns = list(feature_set.history_features)
    if history.column_names != [KEY_COLUMN, *columns]:
        raise DataContractError(
            f"{HISTORY_FILE}: columns do not match feature_set.json history_features "
            f"(version {feature_set.version}); rebuild the features"
        )
    engine = create_db_engine(database_url)
    version = feature_set.version
    final = history_table_name(version)
    staging = f"{final}_staging_{uuid.uuid4().hex[:8]}"
    metadata = sa.MetaData()
    feature_sets = _feature_sets_table(metadata)
    staging_table = _history_table(metadata, staging, columns)
    final_table = _history_table(sa.MetaData(), final, columns)
    try:
        with engine.begin() as conn:
            feature_sets.create(conn, checkfirst=True)
            staging_table.create(conn)
        say(f"loading {history.num_rows:,} rows × {len(columns)} features into {staging}")
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                _copy_into_postgres(conn, staging, history)
            else:
                _insert_rows(conn, staging_table, history)
        with engine.begin() as conn:
            final_table.drop(conn, checkfirst=True)
            conn.exec_driver_sql(f'ALTER TABLE "{staging}" RENAME TO "{final}"')
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f'ALTER INDEX "{staging}_pkey" RENAME TO "{final}_pkey"')
            conn.execute(sa.update(feature_sets).values(is_current=False))
            conn.execute(sa.delete(feature_sets).where(feature_sets.c.version == version))
            conn.execute(
                sa.insert(feature_sets).values(
                    version=version,
                    table_name=final,
                    columns=json.dumps(columns),
                    row_count=history.num_rows,
                    published_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    is_current=True,
                )
            )
    except BaseException:
        with engine.begin() as conn:
            staging_table.drop(conn, checkfirst=True)
        raise
    finally:
        engine.dispose()
    say(f"published feature set {version} as {final} ({history.num_rows:,} clients)")
    return PublishResult(version, final, history.num_rows, len(columns), redacted(database_url))


def _copy_into_postgres(conn: sa.Connection, table_name: str, history: pa.Table) -> None:
    """Bulk load with ``COPY … FROM STDIN (FORMAT CSV)``; empty fields are NULL."""
    raw = conn.connection.driver_connection
    assert raw is not None
    options = pacsv.WriteOptions(include_header=False, batch_size=_BATCH_ROWS)
    with (
        raw.cursor() as cursor,
        cursor.copy(f'COPY "{table_name}" FROM STDIN (FORMAT CSV)') as copy,
    ):
        for batch in history.to_batches(max_chunksize=_BATCH_ROWS * 5):
            buffer = io.BytesIO()
            pacsv.write_csv(pa.Table.from_batches([batch]), buffer, write_options=options)
            copy.write(buffer.getvalue())


def _insert_rows(conn: sa.Connection, table: sa.Table, history: pa.Table) -> None:
    """Batched executemany (SQLite and other databases without COPY)."""
    names = [c.name for c in table.columns]
    placeholders = ", ".join("?" if conn.dialect.paramstyle == "qmark" else "%s" for _ in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({placeholders})'
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        for batch in history.to_batches(max_chunksize=_BATCH_ROWS):
            cursor.executemany(sql, zip(*(col.to_pylist() for col in batch.columns), strict=True))
    finally:
        cursor.close()


def published_versions(database_url: str) -> list[dict[str, Any]]:
    """Rows of ``feature_sets`` (newest first); empty if nothing was published."""
    engine = create_db_engine(database_url)
    try:
        if not sa.inspect(engine).has_table(FEATURE_SETS_TABLE):
            return []
        table = _feature_sets_table(sa.MetaData())
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.published_at.desc()))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


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
        quoted = ", ".join(f'"{c}"' for c in self.columns)
        self._lookup_sql = sa.text(
            f'SELECT {quoted} FROM "{table_name}" WHERE "{KEY_COLUMN}" = :client_id'
        )

    @classmethod
    def open(cls, database_url: str, version: str | None = None) -> HistoryStore:
        """Open ``version`` (the current one if None); unknown versions raise
        :class:`FeatureSetMismatchError` naming the published ones."""
        engine = create_db_engine(database_url)
        table = _feature_sets_table(sa.MetaData())
        try:
            if not sa.inspect(engine).has_table(FEATURE_SETS_TABLE):
                raise FeatureSetMismatchError(
                    f"no history store published at {redacted(database_url)}; run "
                    "`credit-scoring features publish FEATURES_DIR` first"
                )
            with engine.connect() as conn:
                query = sa.select(table)
                query = query.where(
                    table.c.version == version if version else table.c.is_current.is_(True)
                )
                row = conn.execute(query).first()
                if row is None:
                    known = [r[0] for r in conn.execute(sa.select(table.c.version))]
                    raise FeatureSetMismatchError(
                        f"feature set {version or '(current)'} is not published at "
                        f"{redacted(database_url)}; published versions: {known}"
                    )
        except BaseException:
            engine.dispose()
            raise
        return cls(
            engine,
            version=row.version,
            table_name=row.table_name,
            columns=json.loads(row.columns),
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

    def lookup(self, client_id: int) -> NDArray[np.float64] | None:
        """The client's history row, or None when the client has no history."""
        if self._index is not None and self._matrix is not None:
            i = self._index.get(int(client_id))
            return None if i is None else self._matrix[i]
        with self._engine.connect() as conn:
            row = conn.execute(self._lookup_sql, {"client_id": int(client_id)}).first()
        if row is None:
            return None
        return np.array([math.nan if v is None else v for v in row], dtype=np.float64)

    def lookup_many(
        self, client_ids: Iterable[int]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(rows, found): one row per id (NaN rows for clients without history)."""
        ids = np.fromiter((int(i) for i in client_ids), dtype=np.int64)
        if self._ids is None or self._matrix is None:
            self.load_all()
        assert self._ids is not None and self._matrix is not None
        rows = np.full((len(ids), len(self.columns)), np.nan)
        found = np.zeros(len(ids), dtype=bool)
        if len(self._ids):
            pos = np.minimum(np.searchsorted(self._ids, ids), len(self._ids) - 1)
            found = self._ids[pos] == ids
            rows[found] = self._matrix[pos[found]]
        return rows, found

    def load_all(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Every (SK_ID_CURR, row) of this version in memory, sorted by SK_ID_CURR.

        Later lookups are answered from memory. One query; NULLs become NaN.
        """
        if self._ids is None or self._matrix is None:
            if self._engine.dialect.name == "postgresql":
                ids, matrix = self._load_postgres()
            else:
                ids, matrix = self._load_generic()
            matrix.flags.writeable = False  # rows handed out by lookup() are views
            self._ids, self._matrix = ids, matrix
            self._index = {int(k): i for i, k in enumerate(ids.tolist())}
        return self._ids, self._matrix

    def _select_filled(self, fill: str) -> str:
        # Missing values travel as +inf (never a feature value) so every field is a float.
        cols = ", ".join(f'COALESCE("{c}", {fill})' for c in self.columns)
        return f'SELECT "{KEY_COLUMN}", {cols} FROM "{self.table_name}" ORDER BY "{KEY_COLUMN}"'

    def _load_generic(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        k = len(self.columns) + 1
        with self._engine.connect() as conn:
            result = conn.exec_driver_sql(self._select_filled("9e999"))
            flat = np.fromiter(itertools.chain.from_iterable(result), dtype=np.float64).reshape(
                -1, k
            )
        ids = flat[:, 0].astype(np.int64)
        matrix = np.ascontiguousarray(flat[:, 1:])
        matrix[np.isinf(matrix)] = np.nan
        return ids, matrix

    def _load_postgres(self) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Binary COPY with fixed-width fields, parsed by NumPy without a Python loop."""
        sql = self._select_filled("'Infinity'::float8")
        chunks: list[bytes] = []
        with self._engine.connect() as conn:
            raw = conn.connection.driver_connection
            assert raw is not None
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT BINARY)") as copy,
            ):
                chunks.extend(bytes(data) for data in copy)
        data = b"".join(chunks)
        header = 11 + 4 + 4  # signature, flags, header-extension length (0)
        fields = [("n_fields", ">i2"), ("id_len", ">i4"), ("id", ">i8")]
        for j in range(len(self.columns)):
            fields += [(f"l{j}", ">i4"), (f"v{j}", ">f8")]
        records = np.frombuffer(
            data,
            dtype=np.dtype(fields),
            offset=header,
            count=(len(data) - header - 2) // np.dtype(fields).itemsize,
        )
        ids = records["id"].astype(np.int64)
        matrix = np.empty((len(records), len(self.columns)), dtype=np.float64)
        for j in range(len(self.columns)):
            matrix[:, j] = records[f"v{j}"]
        matrix[np.isinf(matrix)] = np.nan
        return ids, matrix
