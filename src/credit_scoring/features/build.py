"""``features build``: history + application features → train/test tables and feature_set.json.

Reads a validated DATA_DIR (``<table>.parquet`` for the 8 tables, optional ``manifest.json``)
and writes, atomically, FEATURES_DIR with ``history.parquet``, ``train.parquet``,
``test.parquet`` and ``feature_set.json``.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.data.manifest import data_fingerprint
from credit_scoring.errors import DataContractError
from credit_scoring.features.application import (
    APPLICATION_CATEGORICAL_FEATURES,
    APPLICATION_FEATURES,
    APPLICATION_NUMERIC_FEATURES,
    PROTECTED_COLUMNS,
    application_columns,
    application_features,
)
from credit_scoring.features.feature_set import (
    FEATURE_SET_FILE,
    HISTORY_FILE,
    KEY_COLUMN,
    TARGET_COLUMN,
    FeatureSet,
    feature_set_version,
    write_feature_set,
)
from credit_scoring.features.finite import (
    check_finite_arrow,
    check_finite_frame,
    check_input_bounds,
)
from credit_scoring.features.history.engine import Engine, check_table_file, compute_history
from credit_scoring.features.naming import is_history_flag
from credit_scoring.io import atomic_output_dir, file_sha256
from credit_scoring.outputs import claim_output_dir, remove_stale_temporaries

logger = logging.getLogger(__name__)

#: Rows per Parquet row group: readers (DuckDB, Spark, Arrow) read row groups in parallel;
#: pyarrow's default (1Mi rows) made the full-size history file one group, read on one core.
ROW_GROUP_ROWS = 65_536
TRAIN_FILE = "train.parquet"
TEST_FILE = "test.parquet"
MANIFEST_FILE = "manifest.json"

Log = Callable[[str], None]


def select_model_features(
    history_features: tuple[str, ...], *, use_protected_attributes: bool
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(model_features, categorical_features) in model order: application, then history."""
    protected = set() if use_protected_attributes else set(PROTECTED_COLUMNS)
    categorical = tuple(c for c in APPLICATION_CATEGORICAL_FEATURES if c not in protected)
    return APPLICATION_NUMERIC_FEATURES + categorical + history_features, categorical


def feature_table(
    applications: pd.DataFrame,
    history: pd.DataFrame,
    *,
    model_features: tuple[str, ...],
    with_target: bool,
) -> pd.DataFrame:
    """SK_ID_CURR, [TARGET], model features, protected columns for each application row.

    ``history`` is indexed by SK_ID_CURR; clients absent from it get missing aggregates and
    0 in the ``*HAS_HISTORY`` flags.
    """
    ids = applications[KEY_COLUMN].to_numpy(dtype=np.int64)
    app = application_features(application_columns(applications))
    matched = history.reindex(ids)
    columns: dict[str, Any] = {KEY_COLUMN: ids}
    if with_target:
        columns[TARGET_COLUMN] = applications[TARGET_COLUMN].to_numpy(dtype=np.int64)
    for name in model_features:
        if name in app:
            columns[name] = app[name]
        else:
            values = matched[name].to_numpy(dtype=np.float64, na_value=np.nan)
            columns[name] = np.nan_to_num(values, nan=0.0) if is_history_flag(name) else values
    for name in PROTECTED_COLUMNS:
        columns.setdefault(name, app[name])
    return pd.DataFrame(columns, copy=False)


def _write_frame(frame: pd.DataFrame, path: Path) -> None:
    categorical = set(APPLICATION_CATEGORICAL_FEATURES)
    fields = []
    for name in frame.columns:
        if name in categorical:
            fields.append(pa.field(name, pa.string()))
        elif name in (KEY_COLUMN, TARGET_COLUMN):
            fields.append(pa.field(name, pa.int64(), nullable=False))
        else:
            fields.append(pa.field(name, pa.float64()))
    arrow = pa.Table.from_pandas(frame, schema=pa.schema(fields), preserve_index=False)
    pq.write_table(arrow, path, row_group_size=ROW_GROUP_ROWS)


def _data_digest(data_dir: Path, history_path: Path) -> str:
    """The digest of the data the features come from: the loaded data's fingerprint (its
    manifest's per-table hashes), or the history file's SHA-256 without a manifest."""
    if (data_dir / MANIFEST_FILE).is_file():
        with contextlib.suppress(DataContractError):  # not a loader's manifest
            return str(data_fingerprint(data_dir)["digest"])
    return file_sha256(history_path)


def build_features(
    data_dir: Path,
    out_dir: Path,
    *,
    engine: Engine = "duckdb",
    use_protected_attributes: bool = False,
    spark_session: Any = None,
    log: Log | None = None,
) -> FeatureSet:
    """Build the feature tables of DATA_DIR into FEATURES_DIR (atomically); returns the set."""
    say = log or logger.info
    data_dir = Path(data_dir)
    claim_output_dir(out_dir, command="features build", marker=FEATURE_SET_FILE, inputs=[data_dir])
    remove_stale_temporaries(Path(out_dir))
    for name in ("application_train", "application_test"):
        check_table_file(data_dir, name)
    started = time.perf_counter()

    say(f"history features on {engine} …")
    history_arrow = compute_history(data_dir, engine=engine, spark_session=spark_session)
    check_finite_arrow(history_arrow, what=f"{out_dir}/{HISTORY_FILE}")
    history_features = tuple(n for n in history_arrow.column_names if n != KEY_COLUMN)
    say(
        f"history features: {history_arrow.num_rows:,} clients × {len(history_features)} "
        f"features ({time.perf_counter() - started:.1f} s)"
    )
    model_features, categorical = select_model_features(
        history_features, use_protected_attributes=use_protected_attributes
    )
    history = history_arrow.to_pandas().set_index(KEY_COLUMN)

    rows = {"history": history_arrow.num_rows}
    with atomic_output_dir(Path(out_dir)) as tmp:
        pq.write_table(history_arrow, tmp / HISTORY_FILE, row_group_size=ROW_GROUP_ROWS)
        for name, file_name, with_target in (
            ("application_train", TRAIN_FILE, True),
            ("application_test", TEST_FILE, False),
        ):
            applications = pq.read_table(data_dir / f"{name}.parquet").to_pandas()
            check_input_bounds(applications, name, file=f"{data_dir}/{name}.parquet")
            frame = feature_table(
                applications, history, model_features=model_features, with_target=with_target
            )
            check_finite_frame(frame, what=f"{out_dir}/{file_name}")
            _write_frame(frame, tmp / file_name)
            rows[file_name.removesuffix(".parquet")] = len(frame)
            say(f"{file_name}: {len(frame):,} rows × {frame.shape[1]} columns")
        manifest = data_dir / MANIFEST_FILE
        feature_set = FeatureSet(
            data_fingerprint=_data_digest(data_dir, tmp / HISTORY_FILE),
            version=feature_set_version(model_features, categorical),
            model_features=model_features,
            categorical_features=categorical,
            protected_columns=PROTECTED_COLUMNS,
            history_features=history_features,
            application_features=APPLICATION_FEATURES,
            engine=engine,
            rows=rows,
            source_manifest_sha256=file_sha256(manifest) if manifest.is_file() else None,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        write_feature_set(tmp, feature_set)
    say(
        f"feature set {feature_set.version}: {len(model_features)} model features "
        f"written to {out_dir} in {time.perf_counter() - started:.1f} s"
    )
    return feature_set
