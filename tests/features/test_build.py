"""``features build``: feature tables, feature_set.json and its version."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from credit_scoring.errors import DataContractError, FeatureSetMismatchError
from credit_scoring.features.application import PROTECTED_COLUMNS
from credit_scoring.features.build import build_features
from credit_scoring.features.feature_set import (
    FeatureSet,
    feature_set_version,
    read_feature_set,
)
from credit_scoring.features.naming import is_history_flag
from credit_scoring.io import read_json, write_json


@pytest.fixture(scope="module")
def tiny_features(tiny_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tiny_features") / "features"
    build_features(tiny_data_dir, out)
    return out


def test_build_writes_the_four_outputs(tiny_features: Path) -> None:
    assert sorted(p.name for p in tiny_features.iterdir()) == [
        "feature_set.json",
        "history.parquet",
        "test.parquet",
        "train.parquet",
    ]
    assert not list(tiny_features.parent.glob(".features.tmp-*"))


def test_train_table_has_key_target_model_features_then_protected(tiny_features: Path) -> None:
    feature_set = read_feature_set(tiny_features)
    train = pd.read_parquet(tiny_features / "train.parquet")
    expected = ["SK_ID_CURR", "TARGET", *feature_set.model_features, *PROTECTED_COLUMNS]
    assert train.columns.tolist() == expected
    assert train["SK_ID_CURR"].tolist() == [1, 2, 3]
    assert train["TARGET"].tolist() == [0, 1, 0]
    assert not set(PROTECTED_COLUMNS) & set(feature_set.model_features)
    test = pd.read_parquet(tiny_features / "test.parquet")
    assert test.columns.tolist() == ["SK_ID_CURR", *feature_set.model_features, *PROTECTED_COLUMNS]
    assert feature_set.rows == {"history": 2, "train": 3, "test": 3}


def test_client_without_history_gets_zero_flags_and_missing_aggregates(
    tiny_features: Path,
) -> None:
    feature_set = read_feature_set(tiny_features)
    train = pd.read_parquet(tiny_features / "train.parquet").set_index("SK_ID_CURR")
    flags = [n for n in feature_set.history_features if is_history_flag(n)]
    aggregates = [n for n in feature_set.history_features if not is_history_flag(n)]
    assert (train.loc[3, flags] == 0.0).all()
    assert train.loc[3, aggregates].isna().all()
    assert train.loc[1, "BUREAU_HAS_HISTORY"] == 1.0
    assert train.loc[1, "BUREAU_COUNT"] == 2.0
    assert train.loc[2, "DAYS_EMPLOYED_ANOM"] == 1.0 and math.isnan(train.loc[2, "DAYS_EMPLOYED"])


def test_feature_set_json_describes_the_tables(tiny_features: Path, tiny_data_dir: Path) -> None:
    payload = read_json(tiny_features / "feature_set.json")
    feature_set = FeatureSet.from_json(payload)
    assert feature_set.engine == "duckdb"
    assert set(feature_set.categorical_features) <= set(feature_set.model_features)
    assert feature_set.history_features == tuple(
        pd.read_parquet(tiny_features / "history.parquet").columns[1:]
    )
    assert feature_set.source_manifest_sha256 is None  # the tiny DATA_DIR has no manifest
    assert payload["created_at"].endswith("+00:00")
    train = pd.read_parquet(tiny_features / "train.parquet")
    for name in feature_set.categorical_features:
        assert train[name].dtype == object
    for name in feature_set.numeric_features:
        assert train[name].dtype == "float64", name


def test_same_definitions_give_the_same_version_and_a_changed_list_a_new_one(
    tiny_data_dir: Path, tiny_features: Path, tmp_path: Path
) -> None:
    # Rebuild from a copy of the data that has a manifest: same version, fingerprint recorded.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for source in tiny_data_dir.glob("*.parquet"):
        (data_dir / source.name).symlink_to(source)
    write_json(data_dir / "manifest.json", {"tables": {}})
    first = read_feature_set(tiny_features)
    second = build_features(data_dir, tmp_path / "again")
    assert first.version == second.version
    assert first.source_manifest_sha256 is None
    assert second.source_manifest_sha256 is not None
    assert len(second.source_manifest_sha256) == 64
    assert len(first.version) == 12
    dropped = first.model_features[:-1]
    assert feature_set_version(dropped, first.categorical_features) != first.version
    reordered = (first.model_features[1], first.model_features[0], *first.model_features[2:])
    assert feature_set_version(reordered, first.categorical_features) != first.version
    as_categorical = (*first.categorical_features, first.model_features[0])
    assert feature_set_version(first.model_features, as_categorical) != first.version
    assert (
        feature_set_version(
            first.model_features, first.categorical_features, definitions_version="other"
        )
        != first.version
    )


def test_protected_attributes_become_model_inputs_only_when_configured(
    tiny_data_dir: Path, tiny_features: Path, tmp_path: Path
) -> None:
    default = read_feature_set(tiny_features)
    with_protected = build_features(
        tiny_data_dir, tmp_path / "protected", use_protected_attributes=True
    )
    assert set(PROTECTED_COLUMNS) <= set(with_protected.categorical_features)
    assert with_protected.version != default.version


def test_a_tampered_feature_list_is_refused(tiny_features: Path, tmp_path: Path) -> None:
    payload = read_json(tiny_features / "feature_set.json")
    payload["model_features"] = payload["model_features"][:-1]
    write_json(tmp_path / "feature_set.json", payload)
    with pytest.raises(FeatureSetMismatchError, match="does not match"):
        read_feature_set(tmp_path)


def test_wrong_column_type_fails_clearly_and_leaves_no_output(
    tiny_data_dir: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    data_dir = tmp_path / "data"
    data_dir.mkdir()
    for source in tiny_data_dir.glob("*.parquet"):
        (data_dir / source.name).symlink_to(source)
    bureau = pq.read_table(tiny_data_dir / "bureau.parquet")
    index = bureau.schema.get_field_index("DAYS_CREDIT")
    broken = bureau.set_column(index, "DAYS_CREDIT", bureau["DAYS_CREDIT"].cast(pa.string()))
    (data_dir / "bureau.parquet").unlink()
    pq.write_table(broken, data_dir / "bureau.parquet")
    with pytest.raises(DataContractError, match=r"bureau.*DAYS_CREDIT.*expected int64"):
        build_features(data_dir, tmp_path / "features")
    assert not (tmp_path / "features").exists()
