"""Reading a loaded data folder (``credit-scoring data load … --out DATA_DIR``) back.

Every reader first checks that the folder holds a manifest written with the current schema
version, so later stages never run on raw or stale data. Tables come back with the contract's
types: INT columns as int64, FLOAT columns as float64 with missing values as NaN (pandas) or
null (Arrow), categorical columns as strings (object dtype in pandas, missing as None).

For DuckDB or Ibis, :func:`parquet_paths` lists the files, e.g.
``ibis.duckdb.connect().read_parquet(parquet_paths(data_dir)["bureau"])``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.data.manifest import Manifest, read_manifest
from credit_scoring.errors import DataContractError
from credit_scoring.io import file_sha256
from credit_scoring.schema import SCHEMA_VERSION, TABLES, table


def checked_manifest(data_dir: Path) -> Manifest:
    """The folder's manifest, after checking its schema version and that every file exists."""
    data_dir = Path(data_dir)
    manifest = read_manifest(data_dir)
    if manifest.schema_version != SCHEMA_VERSION:
        raise DataContractError(
            f"{data_dir} was loaded with data contract {manifest.schema_version}, this code "
            f"expects {SCHEMA_VERSION}: load the sources again with `credit-scoring data load`"
        )
    missing = [n for n in TABLES if not (data_dir / f"{n}.parquet").is_file()]
    if missing or set(manifest.tables) != set(TABLES):
        raise DataContractError(
            f"{data_dir} is incomplete: missing {', '.join(missing) or 'manifest entries'} "
            "(load it again with `credit-scoring data load`)"
        )
    return manifest


def parquet_paths(data_dir: Path) -> dict[str, Path]:
    """``{table name: DATA_DIR/<table>.parquet}`` for every table of a checked data folder."""
    checked_manifest(data_dir)
    return {name: Path(data_dir) / f"{name}.parquet" for name in TABLES}


def read_arrow(data_dir: Path, name: str, *, columns: Sequence[str] | None = None) -> pa.Table:
    """One table as Arrow, with exactly the contract's schema (or the ``columns`` asked for)."""
    contract = table(name)
    unknown = [c for c in columns or () if not contract.has_column(c)]
    if unknown:
        raise DataContractError(f"{name} has no column(s) {', '.join(unknown)}")
    path = parquet_paths(data_dir)[name]
    return pq.read_table(path, columns=list(columns) if columns is not None else None)


def read_table(data_dir: Path, name: str, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One table as pandas (int64 / float64 with NaN / object strings), rows in file order."""
    return read_arrow(data_dir, name, columns=columns).to_pandas()


def verify_data_dir(data_dir: Path) -> Manifest:
    """Check every Parquet file against the SHA-256 recorded in the manifest.

    Reads every byte (about a second per GB); raises :class:`DataContractError` naming the
    files that changed since the load.
    """
    manifest = checked_manifest(data_dir)
    changed = [
        entry.parquet_file
        for entry in manifest.tables.values()
        if file_sha256(Path(data_dir) / entry.parquet_file) != entry.parquet_sha256
    ]
    if changed:
        raise DataContractError(
            f"{data_dir}: {', '.join(changed)} changed since the load (SHA-256 differs from "
            "the manifest); load the sources again"
        )
    return manifest
