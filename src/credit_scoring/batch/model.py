"""The model and the history of a batch run.

The model is loaded like the API loads it (a bundle folder or ``models:/<name>@<alias>``,
checksums verified, no pickle) and keeps the bundle's files as bytes, so the Spark engine can
ship them to executors, which verify the checksums again before loading
(:func:`bundle_from_files`). History comes from a FEATURES_DIR (``history.parquet``) or from
the history store published in the database for the bundle's feature set version.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from credit_scoring.batch.scoring import HistoryTable, bundle_feature_set
from credit_scoring.data.contract import quote_ident, quote_literal
from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.build import HISTORY_FILE
from credit_scoring.features.feature_set import KEY_COLUMN, read_feature_set
from credit_scoring.features.store import HistoryStore
from credit_scoring.io import read_json
from credit_scoring.model.bundle import CHECKSUMS_FILE, Bundle, load_bundle
from credit_scoring.settings import Settings

REGISTRY_PREFIX = "models:/"


@dataclass(frozen=True)
class BatchModel:
    """A verified bundle, the version written in every output row, and the bundle's files."""

    bundle: Bundle
    model_version: str
    source: str
    files: dict[str, bytes]

    @property
    def checksum_manifest(self) -> bytes:
        return self.files[CHECKSUMS_FILE]

    def history_features(self) -> tuple[str, ...]:
        """The model's history features, as the bundle's feature set lists them."""
        return bundle_feature_set(self.bundle).history_features


def bundle_files(bundle_dir: Path) -> dict[str, bytes]:
    """Every file the checksum manifest lists, and the manifest itself, as bytes."""
    listed = read_json(bundle_dir / CHECKSUMS_FILE)["files"]
    names = [*listed, CHECKSUMS_FILE]
    return {name: (bundle_dir / name).read_bytes() for name in names}


def load_batch_model(uri: str, settings: Settings) -> BatchModel:
    """Load the bundle ``uri`` names (a folder or a registry reference), as ``serve`` does.

    ``model_version`` is ``<name>/<version>`` for a registry reference, else the bundle's
    content hash (the values the API logs).
    """
    from credit_scoring.serving.scorer import model_identity

    identity = model_identity(uri, settings)
    download_dir: Path | None = None
    try:
        if uri.startswith(REGISTRY_PREFIX):
            settings.home.mkdir(parents=True, exist_ok=True)
            download_dir = Path(tempfile.mkdtemp(prefix=".batch-download-", dir=settings.home))
        bundle = load_bundle(uri, settings=settings, download_dir=download_dir)
        model_id = bundle.model_id  # read now: a downloaded folder is removed below
        files = bundle_files(bundle.path)
    finally:
        if download_dir is not None:
            shutil.rmtree(download_dir, ignore_errors=True)
    version = identity if uri.startswith(REGISTRY_PREFIX) else model_id
    return BatchModel(bundle, version, uri, files)


_EXECUTOR_BUNDLES: dict[bytes, Bundle] = {}
_EXECUTOR_LOCK = threading.Lock()


def bundle_from_files(files: dict[str, bytes]) -> Bundle:
    """A bundle rebuilt from its files' bytes (in a Spark executor), checksums verified.

    Loaded once per process and checksum manifest; the files are written to a private
    temporary folder, read by :func:`~credit_scoring.model.bundle.load_bundle`, then removed.
    """
    key = files[CHECKSUMS_FILE]
    with _EXECUTOR_LOCK:
        bundle = _EXECUTOR_BUNDLES.get(key)
        if bundle is None:
            with tempfile.TemporaryDirectory(prefix="credit-scoring-bundle-") as folder:
                for name, data in files.items():
                    (Path(folder) / Path(name).name).write_bytes(data)
                bundle = load_bundle(Path(folder))
                _ = bundle.model_id
            _EXECUTOR_BUNDLES[key] = bundle
    return bundle


# -- history ----------------------------------------------------------------------------------


def check_features_dir(features_dir: Path, model: BatchModel) -> Path:
    """``FEATURES_DIR/history.parquet`` after checking the folder's feature set is the model's."""
    features_dir = Path(features_dir)
    feature_set = read_feature_set(features_dir)
    if feature_set.version != model.bundle.feature_set_version:
        raise FeatureSetMismatchError(
            f"{features_dir} holds feature set {feature_set.version}; the model was trained on "
            f"{model.bundle.feature_set_version} (build the features the model was trained on)"
        )
    path = features_dir / HISTORY_FILE
    if not path.is_file():
        raise FeatureSetMismatchError(f"{features_dir}: no {HISTORY_FILE}")
    return path


def history_from_parquet(
    history_path: Path,
    model: BatchModel,
    *,
    con: duckdb.DuckDBPyConnection,
    applications: str,
) -> HistoryTable:
    """The history rows of the clients in DuckDB table ``applications`` (a semi-join in
    DuckDB reads only them), with the model's history features."""
    wanted = model.history_features()
    available = duckdb_columns(con, history_path)
    history = HistoryTable.empty(tuple(c for c in wanted if c in available))
    history.check_covers(model.bundle, wanted)
    selected = ", ".join(f"h.{quote_ident(c)}" for c in (KEY_COLUMN, *wanted))
    con.complete()  # no result of an earlier statement left open
    arrow = con.sql(
        f"SELECT {selected} FROM read_parquet({quote_literal(str(history_path))}) AS h "
        f"SEMI JOIN {quote_ident(applications)} AS a USING ({quote_ident(KEY_COLUMN)})"
    ).to_arrow_table()
    ids = arrow.column(KEY_COLUMN).to_numpy()
    matrix = np.empty((arrow.num_rows, len(wanted)), dtype=np.float64)
    for j, name in enumerate(wanted):
        matrix[:, j] = arrow.column(name).cast(pa.float64()).to_numpy()  # null → NaN
    return HistoryTable.from_matrix(ids, matrix, wanted)


def duckdb_columns(con: duckdb.DuckDBPyConnection, parquet_path: Path) -> set[str]:
    rows = con.execute(
        f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(parquet_path))})"
    ).fetchall()
    return {str(r[0]) for r in rows}


def history_from_store(database_url: str, model: BatchModel) -> HistoryTable:
    """The whole published history store of the model's feature set version."""
    store = HistoryStore.open(database_url, model.bundle.feature_set_version)
    try:
        ids, matrix = store.load_all()
    finally:
        store.close()
    history = HistoryTable.from_matrix(ids, matrix, store.columns)
    history.check_covers(model.bundle, model.history_features())
    return history
