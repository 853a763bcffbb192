"""The manifest of a loaded data folder and the data fingerprint derived from it.

``DATA_DIR/manifest.json`` records where every table came from (source file, its SHA-256),
what was written (Parquet file, its SHA-256, rows, columns), what the contract flagged without
rejecting (warnings, unknown categories, soft-range counts, orphans per relation) and with which
library versions. :func:`data_fingerprint` is the part a trained model records: the schema
version and, per table, the row count and the hash of the Parquet file it was trained from.
"""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from credit_scoring.errors import DataContractError
from credit_scoring.io import read_json, write_json

MANIFEST_NAME = "manifest.json"
#: Version of the manifest layout itself (bump when fields change meaning).
MANIFEST_FORMAT_VERSION = 1

SourceFormat = Literal["csv", "csv.gz", "csv.zip", "parquet"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TableEntry(_Frozen):
    """One loaded table: its source, the Parquet file written and what the checks found."""

    source_file: str
    source_format: SourceFormat
    source_bytes: int
    source_sha256: str
    parquet_file: str
    parquet_bytes: int
    parquet_sha256: str
    rows: int
    columns: int
    warnings: list[str]
    #: column → {value outside the vocabulary: rows}
    unknown_categories: dict[str, dict[str, int]]
    #: column → rows outside the soft range (hard-range violations are errors)
    soft_range_violations: dict[str, int]


class RelationEntry(_Frozen):
    """Orphans of one foreign key: child rows whose key is absent from the referenced table.

    ``ref_table == "application"`` means application_train ∪ application_test.
    """

    table: str
    columns: list[str]
    ref_table: str
    ref_columns: list[str]
    orphans_allowed: bool
    orphan_rows: int


class Manifest(_Frozen):
    """Everything recorded about one load (``DATA_DIR/manifest.json``)."""

    format_version: int = MANIFEST_FORMAT_VERSION
    schema_version: str
    created_at: datetime
    source_dir: str
    libraries: dict[str, str]
    tables: dict[str, TableEntry]
    relations: list[RelationEntry]
    #: table → rows whose SK_ID_CURR differs from that of their previous application
    client_mismatches: dict[str, int]
    #: clients (SK_ID_CURR) present in both application_train and application_test
    application_overlap: int

    def fingerprint(self) -> dict[str, Any]:
        """Schema version, rows and Parquet SHA-256 per table, and one digest over them all."""
        tables = {
            name: {"rows": entry.rows, "sha256": entry.parquet_sha256}
            for name, entry in sorted(self.tables.items())
        }
        canonical = json.dumps(
            {"schema_version": self.schema_version, "tables": tables}, sort_keys=True
        )
        return {
            "schema_version": self.schema_version,
            "digest": hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
            "tables": tables,
        }


def library_versions() -> dict[str, str]:
    """Versions of the libraries that read and wrote the data (provenance)."""
    versions = {"python": platform.python_version()}
    for package in ("credit-scoring", "duckdb", "pyarrow", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def write_manifest(data_dir: Path, manifest: Manifest) -> Path:
    """Atomically write ``data_dir/manifest.json``; returns its path."""
    path = Path(data_dir) / MANIFEST_NAME
    write_json(path, manifest.model_dump(mode="json"))
    return path


def read_manifest(data_dir: Path) -> Manifest:
    """Read and validate ``data_dir/manifest.json``.

    Raises :class:`DataContractError` when the folder was not written by ``data load`` or the
    manifest is malformed.
    """
    path = Path(data_dir) / MANIFEST_NAME
    if not path.is_file():
        raise DataContractError(
            f"{data_dir} is not a loaded data folder: {MANIFEST_NAME} is missing "
            "(create it with `credit-scoring data load SRC_DIR --out DATA_DIR`)"
        )
    try:
        return Manifest.model_validate(read_json(path))
    except (ValidationError, ValueError) as exc:
        raise DataContractError(f"{path} is not a valid data manifest: {exc}") from exc


def data_fingerprint(data_dir: Path) -> dict[str, Any]:
    """The data fingerprint a trained model records: see :meth:`Manifest.fingerprint`.

    Example: ``{"schema_version": "1.0", "digest": "…", "tables": {"bureau": {"rows": 5023,
    "sha256": "…"}, …}}``.
    """
    return read_manifest(data_dir).fingerprint()
