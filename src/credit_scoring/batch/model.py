"""The model and the history of a batch run.

The model is loaded like the API loads it (a bundle folder or ``models:/<name>@<alias>``,
checksums verified, no pickle) and keeps the bundle's files as bytes, so the Spark engine can
ship them to executors, which verify the checksums again before loading
(:func:`bundle_from_files`). History comes from a FEATURES_DIR (``history.parquet``) or from
the history store published in the database for the bundle's feature set version.
"""

from __future__ import annotations

import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from credit_scoring.batch.scoring import HistoryTable
from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.feature_set import HISTORY_FILE, KEY_COLUMN, read_feature_set
from credit_scoring.runtime.bundle import CHECKSUMS_FILE, Bundle, load_bundle
from credit_scoring.runtime.history_store import HistoryStore
from credit_scoring.runtime.source import load_source
from credit_scoring.settings import Settings


@dataclass(frozen=True)
class BatchModel:
    """A verified bundle, the version written in every output row, and the bundle's files."""

    bundle: Bundle
    model_version: str
    source: str
    files: dict[str, bytes]

    def history_features(self) -> tuple[str, ...]:
        """The model's history features, as the bundle's feature set lists them."""
        return self.bundle.feature_set.history_features


def load_batch_model(uri: str, settings: Settings) -> BatchModel:
    """Load the bundle ``uri`` names (a folder or a registry reference), as ``serve`` does.

    ``model_version`` is ``<name>/<version>`` for a registry reference, else the bundle's
    content hash (the values the API logs).
    """
    loaded = load_source(uri, settings, with_files=True)
    return BatchModel(loaded.bundle, loaded.model_version, uri, loaded.files)


_EXECUTOR_BUNDLES: dict[bytes, Bundle] = {}
_EXECUTOR_LOCK = threading.Lock()


def bundle_from_files(files: dict[str, bytes]) -> Bundle:
    """A bundle rebuilt from its files' bytes (in a Spark executor), checksums verified.

    Loaded once per process and checksum manifest; the files are written to a private
    temporary folder, read by :func:`~credit_scoring.runtime.bundle.load_bundle`, then removed.
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


def history_for_clients(
    history_path: Path, model: BatchModel, client_ids: NDArray[np.int64], *, workers: int = 1
) -> HistoryTable:
    """The history rows of ``client_ids`` in ``history_path``, with the model's history
    features, read with Arrow: the key column first, then the model's columns of only the
    row groups that hold one of the clients, a slice at a time (matched rows kept), row
    groups decoded on ``workers`` threads."""
    wanted = model.history_features()
    with pq.ParquetFile(history_path) as parquet:
        available = set(parquet.schema_arrow.names)
        HistoryTable.empty(tuple(c for c in wanted if c in available)).check_covers(
            model.bundle, wanted
        )
        keys = np.asarray(parquet.read(columns=[KEY_COLUMN]).column(KEY_COLUMN), dtype=np.int64)
        sizes = [parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups)]
    matched = _is_in(keys, client_ids)
    matrix = np.empty((int(matched.sum()), len(wanted)), dtype=np.float64)
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    # Row group g fills matrix rows from its first match on (file order, as keys[matched]).
    before = np.concatenate([[0], np.cumsum(matched)]).astype(np.int64)

    def fill(group: int) -> None:
        start, filled = int(starts[group]), int(before[starts[group]])
        with pq.ParquetFile(history_path) as parquet:
            for rows in parquet.iter_batches(
                batch_size=_HISTORY_SLICE_ROWS, row_groups=[group], columns=list(wanted),
                use_threads=False,
            ):  # fmt: skip
                keep = np.flatnonzero(matched[start : start + rows.num_rows])
                start += rows.num_rows
                if not len(keep):
                    continue
                kept = rows.take(pa.array(keep))
                into = slice(filled, filled + len(keep))
                filled += len(keep)
                for j, name in enumerate(wanted):
                    matrix[into, j] = kept.column(name).to_numpy(zero_copy_only=False)  # null → NaN

    needed = [g for g in range(len(sizes)) if matched[starts[g] : starts[g + 1]].any()]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="history") as pool:
        list(pool.map(fill, needed))
    return HistoryTable.from_matrix(keys[matched], matrix, wanted)


#: Rows of ``history.parquet`` decoded at a time: memory is reused rather than faulted in.
_HISTORY_SLICE_ROWS = 16_384


def _is_in(values: NDArray[np.int64], wanted: NDArray[np.int64]) -> NDArray[np.bool_]:
    """``np.isin`` by binary search in the sorted ``wanted`` (np.isin sorts through
    np.unique, far slower on a million ids)."""
    ordered = np.sort(wanted)
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(ordered, values), len(ordered) - 1)
    return np.asarray(ordered[positions] == values)


def load_history(
    model: BatchModel,
    client_ids: NDArray[np.int64],
    *,
    history_path: Path | None,
    database_url: str | None,
    workers: int = 1,
) -> HistoryTable:
    """The history of the clients ``client_ids`` from ``history_path`` (a checked
    ``history.parquet``), or else the whole history store published at ``database_url``."""
    if history_path is not None:
        return history_for_clients(history_path, model, client_ids, workers=workers)
    if database_url is None:
        raise ValueError("the history needs a history.parquet or a database URL")
    return history_from_store(database_url, model)


def history_from_store(database_url: str, model: BatchModel) -> HistoryTable:
    """The whole published history store of the model's feature set version."""
    store = HistoryStore.open(database_url, model.bundle.history_version)
    try:
        ids, matrix = store.load_all()
    finally:
        store.close()
    history = HistoryTable.from_matrix(ids, matrix, store.columns)
    history.check_covers(model.bundle, model.history_features())
    return history
