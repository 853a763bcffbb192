"""The history store's tables, shared by the publisher (:mod:`credit_scoring.features.publish`)
and the reader (:class:`credit_scoring.runtime.history_store.HistoryStore`).

* ``history_features_<version>``: ``SK_ID_CURR`` (primary key) and ``features``, the client's
  history row packed as little-endian float64 (NaN for missing) in the order of the version's
  ``columns``;
* ``feature_sets``: one row per published version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import sqlalchemy as sa

from credit_scoring.dburl import normalise_database_url
from credit_scoring.features.feature_set import KEY_COLUMN

FEATURE_SETS_TABLE = "feature_sets"
HISTORY_TABLE_PREFIX = "history_features_"
FEATURES_COLUMN = "features"
ROW_FORMAT = "float64-le"  # packed row: little-endian IEEE doubles, NaN = missing
ROW_DTYPE = np.dtype("<f8")


def history_table_name(version: str) -> str:
    """``history_features_<feature set>_<data>``: with its staging suffix and ``_pkey`` within
    PostgreSQL's 63-character names."""
    return f"{HISTORY_TABLE_PREFIX}{version.replace('-', '_')}"


def create_db_engine(url: str) -> sa.Engine:
    """A SQLAlchemy engine for ``url`` (the SQLite file's folder is created if needed)."""
    url = normalise_database_url(url)
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    return sa.create_engine(url)


def feature_sets_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        FEATURE_SETS_TABLE,
        metadata,
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("table_name", sa.String(128), nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("row_format", sa.String(32), nullable=False),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("published_at", sa.String(40), nullable=False),
        sa.Column("is_current", sa.Boolean, nullable=False),
    )


def history_table(metadata: sa.MetaData, name: str) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column(KEY_COLUMN, sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column(FEATURES_COLUMN, sa.LargeBinary, nullable=False),
    )
