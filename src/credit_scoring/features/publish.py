"""Publishing the history features into the history store (the table layout and the reader are
in :mod:`credit_scoring.runtime.history_store`).

Publishing loads a staging table, then, in one transaction, replaces the version's table with
it and marks the version current, so readers never see a half-loaded table.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
from numpy.typing import NDArray

from credit_scoring.errors import DataContractError
from credit_scoring.features.feature_set import HISTORY_FILE, KEY_COLUMN, read_feature_set
from credit_scoring.features.finite import check_finite_arrow
from credit_scoring.features.history_layout import ROW_DTYPE, ROW_FORMAT, history_table_name
from credit_scoring.store.engine import create_db_engine, redact_database_url
from credit_scoring.store.migrate import upgrade_database
from credit_scoring.store.tables import HISTORY_FEATURES_COLUMN as FEATURES_COLUMN
from credit_scoring.store.tables import feature_sets, history_table

logger = logging.getLogger(__name__)

_BATCH_ROWS = 20_000
_PG_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
_PG_COPY_TRAILER = b"\xff\xff"


@dataclass(frozen=True)
class PublishResult:
    version: str
    table_name: str
    row_count: int
    n_columns: int
    database_url: str


def _batches(history: pa.Table) -> Iterator[tuple[NDArray[np.int64], NDArray[np.float64]]]:
    """(ids, rows) in batches; NULLs become NaN."""
    for batch in history.to_batches(max_chunksize=_BATCH_ROWS):
        ids = batch.column(0).to_numpy().astype(np.int64, copy=False)
        rows = np.empty((batch.num_rows, batch.num_columns - 1), dtype=ROW_DTYPE)
        for j in range(1, batch.num_columns):
            column = batch.column(j).cast(pa.float64())
            rows[:, j - 1] = column.to_numpy(zero_copy_only=False)
        yield ids, rows


def _pg_record_dtype(n_columns: int) -> np.dtype:
    """One binary COPY tuple: 2 fields, int8 key, bytea of ``n_columns`` doubles."""
    return np.dtype(
        [
            ("n_fields", ">i2"),
            ("key_len", ">i4"),
            ("key", ">i8"),
            ("row_len", ">i4"),
            ("row", ROW_DTYPE, (n_columns,)),
        ]
    )


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
    check_finite_arrow(history, what=f"{features_dir / HISTORY_FILE}")
    upgrade_database(database_url)  # the registry table comes with the migrations
    engine = create_db_engine(database_url)
    # Definitions and data: features of other data are published beside, never over, these.
    version = feature_set.history_version
    final = history_table_name(version)
    staging = f"{final}_s{uuid.uuid4().hex[:6]}"
    staging_table = history_table(staging)
    final_table = history_table(final)
    try:
        with engine.begin() as conn:
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
                    row_format=ROW_FORMAT,
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
    return PublishResult(
        version, final, history.num_rows, len(columns), redact_database_url(database_url)
    )


def _copy_into_postgres(conn: sa.Connection, table_name: str, history: pa.Table) -> None:
    """One ``COPY … FROM STDIN (FORMAT BINARY)``; the fixed-width tuples are built by NumPy."""
    raw = conn.connection.driver_connection
    assert raw is not None
    n_columns = history.num_columns - 1
    dtype = _pg_record_dtype(n_columns)
    sql = f'COPY "{table_name}" ("{KEY_COLUMN}", "{FEATURES_COLUMN}") FROM STDIN (FORMAT BINARY)'
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(_PG_COPY_HEADER)
        for ids, rows in _batches(history):
            records = np.empty(len(ids), dtype=dtype)
            records["n_fields"] = 2
            records["key_len"] = 8
            records["key"] = ids
            records["row_len"] = 8 * n_columns
            records["row"] = rows
            copy.write(records.tobytes())
        copy.write(_PG_COPY_TRAILER)


def _insert_rows(conn: sa.Connection, table: sa.Table, history: pa.Table) -> None:
    """Batched executemany (SQLite and other databases without COPY)."""
    insert = table.insert()
    for ids, rows in _batches(history):
        conn.execute(
            insert,
            [
                {KEY_COLUMN: k, FEATURES_COLUMN: r.tobytes()}
                for k, r in zip(ids.tolist(), rows, strict=True)
            ],
        )


def published_versions(database_url: str) -> list[dict[str, Any]]:
    """Rows of ``feature_sets`` (newest first); empty if nothing was published."""
    engine = create_db_engine(database_url)
    try:
        if not sa.inspect(engine).has_table(feature_sets.name):
            return []
        table = feature_sets
        with engine.connect() as conn:
            rows = conn.execute(sa.select(table).order_by(table.c.published_at.desc()))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()
