"""Online (one raw application + store lookup) equals offline (feature table) for each client."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.application import APPLICATION_INPUT_COLUMNS
from credit_scoring.features.encoding import fit_vocabularies
from credit_scoring.features.feature_set import read_feature_set
from credit_scoring.features.matrix import feature_matrix
from credit_scoring.features.publish import publish_history
from credit_scoring.runtime.history_store import HistoryStore
from credit_scoring.runtime.online import OnlineFeatureBuilder, build_feature_row


def raw_applications(data_dir: Path, name: str) -> list[dict[str, Any]]:
    """Raw applications as the API receives them: Python scalars, None for missing."""
    frame = pq.read_table(data_dir / f"{name}.parquet").to_pandas()
    records = frame[["SK_ID_CURR", *APPLICATION_INPUT_COLUMNS]].to_dict("records")
    return [
        {
            k: None if v is None or (isinstance(v, float) and math.isnan(v)) else v
            for k, v in record.items()
        }
        for record in records
    ]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{(tmp_path / 'serving.sqlite').as_posix()}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.mark.parametrize("table_name", ["application_train", "application_test"])
def test_online_rows_equal_the_offline_matrix(
    sample_data_dir: Path, sample_features_dir: Path, store_url: str, table_name: str
) -> None:
    feature_set = read_feature_set(sample_features_dir)
    train = pd.read_parquet(sample_features_dir / "train.parquet")
    vocabularies = fit_vocabularies(train, feature_set.categorical_features)
    # Drop one category from a vocabulary so unseen categories are exercised too.
    vocabularies["ORGANIZATION_TYPE"] = vocabularies["ORGANIZATION_TYPE"][1:]
    file_name = "train.parquet" if table_name == "application_train" else "test.parquet"
    offline_frame = pd.read_parquet(sample_features_dir / file_name)
    offline = feature_matrix(offline_frame, feature_set, vocabularies)

    publish_history(sample_features_dir, store_url)
    applications = raw_applications(sample_data_dir, table_name)[:300]
    with HistoryStore.open(store_url, feature_set.version) as store:
        builder = OnlineFeatureBuilder(feature_set, vocabularies, store.columns)
        with_history = 0
        for i, application in enumerate(applications):
            history_row = store.lookup(application["SK_ID_CURR"])  # SQL, one client
            with_history += history_row is not None
            online = builder.row(application, history_row)
            assert offline_frame["SK_ID_CURR"].iloc[i] == application["SK_ID_CURR"]
            np.testing.assert_array_equal(
                online, offline[i], err_msg=str(application["SK_ID_CURR"])
            )
    assert 0 < with_history < len(applications)  # both kinds of client were compared


def test_one_shot_helper_and_missing_vocabulary(
    sample_features_dir: Path, sample_data_dir: Path
) -> None:
    feature_set = read_feature_set(sample_features_dir)
    train = pd.read_parquet(sample_features_dir / "train.parquet")
    vocabularies = fit_vocabularies(train, feature_set.categorical_features)
    application = raw_applications(sample_data_dir, "application_train")[0]
    row = build_feature_row(application, None, feature_set=feature_set, vocabularies=vocabularies)
    assert row.shape == (len(feature_set.model_features),)
    flags = [i for i, n in enumerate(feature_set.model_features) if n.endswith("HAS_HISTORY")]
    assert (row[flags] == 0.0).all()
    del vocabularies["NAME_CONTRACT_TYPE"]
    with pytest.raises(FeatureSetMismatchError, match="NAME_CONTRACT_TYPE"):
        OnlineFeatureBuilder(feature_set, vocabularies)
