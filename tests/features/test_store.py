"""Publishing history features to the serving store and reading them back (SQLite, PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.feature_set import read_feature_set, write_feature_set
from credit_scoring.features.publish import publish_history, published_versions
from credit_scoring.runtime.history_store import HistoryStore


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'store' / 'serving.sqlite').as_posix()}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def test_publish_then_every_row_reads_back_exactly(
    sample_features_dir: Path, store_url: str
) -> None:
    result = publish_history(sample_features_dir, store_url)
    feature_set = read_feature_set(sample_features_dir)
    history = pd.read_parquet(sample_features_dir / "history.parquet")
    assert result.version == feature_set.history_version
    assert result.version.startswith(f"{feature_set.version}-")  # definitions, then data
    assert result.row_count == len(history)
    with HistoryStore.open(store_url, feature_set.history_version) as store:
        assert store.columns == feature_set.history_features
        expected = history.drop(columns="SK_ID_CURR").to_numpy(dtype=np.float64)
        # single lookups by SQL, before anything is cached
        for i in (0, 7, len(history) - 1):
            row = store.lookup(int(history["SK_ID_CURR"].iloc[i]))
            assert row is not None
            np.testing.assert_array_equal(row, expected[i])
        assert store.lookup(-1) is None
        ids, matrix = store.load_all()
        np.testing.assert_array_equal(ids, history["SK_ID_CURR"].to_numpy())
        np.testing.assert_array_equal(matrix, expected)
        rows, found = store.lookup_many([-1, int(ids[3]), int(ids[0])])
        assert found.tolist() == [False, True, True]
        assert np.isnan(rows[0]).all()
        np.testing.assert_array_equal(rows[1:], expected[[3, 0]])
        cached = store.lookup(int(ids[5]))
        assert cached is not None
        np.testing.assert_array_equal(cached, expected[5])


def test_unknown_version_is_a_clear_mismatch(sample_features_dir: Path, store_url: str) -> None:
    publish_history(sample_features_dir, store_url)
    with pytest.raises(FeatureSetMismatchError, match=r"deadbeef0000 is not published.*"):
        HistoryStore.open(store_url, "deadbeef0000")


def test_nothing_published_is_a_clear_mismatch(tmp_path: Path) -> None:
    with pytest.raises(FeatureSetMismatchError, match="no history store"):
        HistoryStore.open(f"sqlite:///{(tmp_path / 'empty.sqlite').as_posix()}", "x")


def test_republishing_replaces_the_version_and_a_new_version_becomes_current(
    sample_features_dir: Path, store_url: str, tmp_path: Path
) -> None:
    publish_history(sample_features_dir, store_url)
    publish_history(sample_features_dir, store_url)
    feature_set = read_feature_set(sample_features_dir)
    # A second feature set (one history feature fewer) published next to the first.
    other_dir = tmp_path / "other"
    other_dir.mkdir()
    history = pd.read_parquet(sample_features_dir / "history.parquet").iloc[:, :-1]
    history.to_parquet(other_dir / "history.parquet", index=False)
    from credit_scoring.features.feature_set import FeatureSet, feature_set_version

    dropped = feature_set.history_features[-1]
    model = tuple(n for n in feature_set.model_features if n != dropped)
    other = FeatureSet(
        version=feature_set_version(model, feature_set.categorical_features),
        model_features=model,
        categorical_features=feature_set.categorical_features,
        protected_columns=feature_set.protected_columns,
        history_features=feature_set.history_features[:-1],
        application_features=feature_set.application_features,
    )
    write_feature_set(other_dir, other)
    publish_history(other_dir, store_url)
    versions = {row["version"]: row for row in published_versions(store_url)}
    assert set(versions) >= {feature_set.history_version, other.version}
    assert versions[other.version]["is_current"]
    assert not versions[feature_set.history_version]["is_current"]
    assert versions[feature_set.history_version]["row_count"] == len(history)
    with HistoryStore.open(store_url) as current:
        assert current.version == other.version
        assert len(current.columns) == len(feature_set.history_features) - 1
    with HistoryStore.open(store_url, feature_set.history_version) as old:
        assert old.load_all()[1].shape == (len(history), len(feature_set.history_features))
