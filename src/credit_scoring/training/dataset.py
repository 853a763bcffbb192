"""Read a FEATURES_DIR (written by ``credit-scoring features build``) into a training matrix.

The matrix follows ``FeatureSet.model_features``: numeric features as float64 (NaN missing),
categorical features as vocabulary codes (``0 … k-1`` known, ``k`` unseen, NaN missing) with
vocabularies fitted here, on the training rows, and stored in the bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from credit_scoring.errors import DataContractError, FeatureSetMismatchError
from credit_scoring.features.encoding import Vocabulary, fit_vocabularies
from credit_scoring.features.feature_set import (
    KEY_COLUMN,
    TARGET_COLUMN,
    FeatureSet,
    read_feature_set,
)
from credit_scoring.features.matrix import feature_matrix
from credit_scoring.io import file_sha256, read_json

TRAIN_FILE = "train.parquet"
MANIFEST_FILE = "manifest.json"
#: Columns read for the fairness report when present (age band from AGE_YEARS or DAYS_BIRTH).
FAIRNESS_COLUMNS = ("CODE_GENDER", "NAME_FAMILY_STATUS", "AGE_YEARS", "DAYS_BIRTH")


@dataclass(frozen=True)
class TrainingData:
    """The labelled training matrix and what describes it.

    ``X`` is ``(n, p)`` float64 in ``features`` order; ``y`` the 0/1 default label;
    ``groups`` holds the protected attributes and age of each row (never a model input
    unless listed in ``features``).
    """

    feature_set: FeatureSet
    features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    vocabularies: dict[str, Vocabulary]
    X: NDArray[np.float64]
    y: NDArray[np.int8]
    ids: NDArray[np.int64]
    groups: pd.DataFrame
    fingerprint: dict[str, Any] = field(default_factory=dict)

    @property
    def categorical_indices(self) -> list[int]:
        categorical = set(self.categorical_features)
        return [j for j, name in enumerate(self.features) if name in categorical]

    def subset(self, features: tuple[str, ...]) -> TrainingData:
        """The same rows restricted to ``features`` (kept in model order)."""
        unknown = sorted(set(features) - set(self.features))
        if unknown:
            raise FeatureSetMismatchError(f"unknown feature(s) {unknown[:5]}")
        wanted = set(features)
        keep = [j for j, name in enumerate(self.features) if name in wanted]
        names = tuple(self.features[j] for j in keep)
        categorical = tuple(c for c in self.categorical_features if c in wanted)
        return TrainingData(
            feature_set=self.feature_set,
            features=names,
            categorical_features=categorical,
            vocabularies={c: self.vocabularies[c] for c in categorical},
            X=np.ascontiguousarray(self.X[:, keep]),
            y=self.y,
            ids=self.ids,
            groups=self.groups,
            fingerprint=self.fingerprint,
        )


def source_tables(data_dir: Path, feature_set: FeatureSet) -> dict[str, dict[str, Any]]:
    """Rows and SHA-256 of each source table, from ``DATA_DIR/manifest.json`` (the loader's).

    Refuses a manifest other than the one the features were built from.
    """
    path = Path(data_dir) / MANIFEST_FILE
    if not path.is_file():
        raise DataContractError(f"no {MANIFEST_FILE} in {data_dir} (run `data load`)")
    actual = file_sha256(path)
    expected = feature_set.source_manifest_sha256
    if expected is not None and actual != expected:
        raise FeatureSetMismatchError(
            f"{path} (SHA-256 {actual[:12]}…) is not the manifest feature set "
            f"{feature_set.version} was built from ({expected[:12]}…)"
        )
    tables = read_json(path).get("tables", {})
    return {
        name: {
            "rows": entry.get("rows"),
            "parquet_sha256": entry.get("parquet_sha256"),
            "source_sha256": entry.get("source_sha256"),
        }
        for name, entry in tables.items()
    }


def data_fingerprint(
    features_dir: Path, feature_set: FeatureSet, *, data_dir: Path | None = None
) -> dict[str, Any]:
    """Provenance of a training table: feature-table rows, source manifest hash, the training
    file's hash and, when ``data_dir`` is given, rows and hashes of every source table."""
    fingerprint: dict[str, Any] = {
        "feature_set_version": feature_set.version,
        "history_version": feature_set.history_version,
        "engine": feature_set.engine,
        "rows": dict(feature_set.rows),
        "source_manifest_sha256": feature_set.source_manifest_sha256,
        "train_parquet_sha256": file_sha256(Path(features_dir) / TRAIN_FILE),
    }
    if data_dir is not None:
        fingerprint["tables"] = source_tables(data_dir, feature_set)
    return fingerprint


def check_labels(y: pd.Series, *, path: Path) -> NDArray[np.int8]:
    """The TARGET column as int8, refusing anything but 0/1 and single-class tables."""
    values = pd.to_numeric(y, errors="coerce")
    bad = y[values.isna() | ~values.isin([0, 1])]
    if len(bad):
        raise DataContractError(
            f"{path}: column {TARGET_COLUMN} must be 0/1 without missing values; "
            f"found {list(bad.astype(str).unique()[:5])} in {len(bad)} row(s)"
        )
    labels = values.to_numpy(dtype=np.int8)
    if labels.min() == labels.max():
        raise DataContractError(
            f"{path}: column {TARGET_COLUMN} has a single class ({int(labels[0])}); "
            "training needs both defaulters (1) and repaid loans (0)"
        )
    return labels


def load_training_data(
    features_dir: Path, *, use_protected_attributes: bool = False, data_dir: Path | None = None
) -> TrainingData:
    """Read ``FEATURES_DIR/train.parquet`` and ``feature_set.json`` into a :class:`TrainingData`.

    ``data_dir`` (the DATA_DIR the features were built from) adds each source table's rows and
    hashes to the fingerprint. Refuses a feature set that lists a protected column as a model
    input unless ``use_protected_attributes`` is set.
    """
    features_dir = Path(features_dir)
    feature_set = read_feature_set(features_dir)
    path = features_dir / TRAIN_FILE
    if not path.is_file():
        raise DataContractError(f"no {TRAIN_FILE} in {features_dir} (run `features build`)")
    protected_inputs = [c for c in feature_set.protected_columns if c in feature_set.model_features]
    if protected_inputs and not use_protected_attributes:
        raise FeatureSetMismatchError(
            f"feature set {feature_set.version} uses protected column(s) {protected_inputs} as "
            "model inputs but use_protected_attributes is off; rebuild the features without them"
        )
    frame = pd.read_parquet(path)
    for column in (KEY_COLUMN, TARGET_COLUMN):
        if column not in frame.columns:
            raise DataContractError(f"{path}: missing column {column}")
    y = check_labels(frame[TARGET_COLUMN], path=path)
    categorical = feature_set.categorical_features
    vocabularies = fit_vocabularies(frame, categorical)
    X = feature_matrix(frame, feature_set, vocabularies)
    group_columns = [c for c in (*feature_set.protected_columns, *FAIRNESS_COLUMNS)]
    groups = frame[[c for c in dict.fromkeys(group_columns) if c in frame.columns]].copy()
    groups.index = pd.RangeIndex(len(frame))
    return TrainingData(
        feature_set=feature_set,
        features=tuple(feature_set.model_features),
        categorical_features=tuple(categorical),
        vocabularies=vocabularies,
        X=np.ascontiguousarray(X),
        y=y,
        ids=frame[KEY_COLUMN].to_numpy(dtype=np.int64),
        groups=groups,
        fingerprint=data_fingerprint(features_dir, feature_set, data_dir=data_dir),
    )
