"""The batch path of the online builder: ``rows`` equals ``row`` bit for bit, application by
application (with and without history, unknown categories, missing and extreme fields)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from credit_scoring.features.application import APPLICATION_INPUT_COLUMNS
from credit_scoring.features.encoding import fit_vocabularies
from credit_scoring.features.feature_set import FeatureSet, read_feature_set
from credit_scoring.features.matrix import feature_matrix
from credit_scoring.features.publish import publish_history
from credit_scoring.runtime.history_store import HistoryStore
from credit_scoring.runtime.online import OnlineFeatureBuilder


def raw_applications(data_dir: Path, name: str) -> list[dict[str, Any]]:
    """Raw applications as the API receives them: Python scalars, None for missing."""
    frame = pd.read_parquet(data_dir / f"{name}.parquet")
    records = frame[["SK_ID_CURR", *APPLICATION_INPUT_COLUMNS]].to_dict("records")
    return [
        {k: None if v is None or (isinstance(v, float) and math.isnan(v)) else v
         for k, v in record.items()}
        for record in records
    ]  # fmt: skip


@pytest.fixture(scope="module")
def feature_set(sample_features_dir: Path) -> FeatureSet:
    return read_feature_set(sample_features_dir)


@pytest.fixture(scope="module")
def vocabularies(sample_features_dir: Path, feature_set: FeatureSet) -> dict[str, Any]:
    train = pd.read_parquet(sample_features_dir / "train.parquet")
    vocabularies = fit_vocabularies(train, feature_set.categorical_features)
    # One category left out of a vocabulary, so unseen categories are exercised too.
    vocabularies["ORGANIZATION_TYPE"] = vocabularies["ORGANIZATION_TYPE"][1:]
    return vocabularies


@pytest.fixture(scope="module")
def store(
    sample_features_dir: Path, feature_set: FeatureSet, tmp_path_factory: pytest.TempPathFactory
) -> HistoryStore:
    url = f"sqlite:///{(tmp_path_factory.mktemp('rows') / 'store.sqlite').as_posix()}"
    publish_history(sample_features_dir, url)
    store = HistoryStore.open(url, feature_set.version)
    store.load_all()
    store.close()
    return store


def _awkward(applications: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Variants the API accepts: fields omitted or null, unknown categories, zero and huge
    amounts (divisions by zero), the employment sentinel, a client without history."""
    base = applications[0]
    dropped = {"EXT_SOURCE_1", "AMT_ANNUITY", "OCCUPATION_TYPE", "OWN_CAR_AGE"}
    omitted = {k: v for k, v in base.items() if k not in dropped}
    return [
        omitted,
        {**base, "EXT_SOURCE_1": None, "EXT_SOURCE_2": None, "EXT_SOURCE_3": None},
        {**base, "ORGANIZATION_TYPE": "Space agency", "NAME_TYPE_SUITE": "Robot"},
        {**base, "AMT_INCOME_TOTAL": 0.0, "AMT_ANNUITY": 0.0, "CNT_FAM_MEMBERS": 0.0},
        {**base, "AMT_CREDIT": 1e308, "AMT_GOODS_PRICE": 0.0, "CNT_CHILDREN": 2**62 + 1},
        {**base, "DAYS_EMPLOYED": 365243, "DAYS_BIRTH": -(2**62)},
        {**base, "SK_ID_CURR": 987_654_321},
    ]


def test_rows_equal_row_for_each_application(
    sample_data_dir: Path,
    feature_set: FeatureSet,
    vocabularies: dict[str, Any],
    store: HistoryStore,
) -> None:
    applications = raw_applications(sample_data_dir, "application_test")[:400]
    applications += _awkward(applications)
    builder = OnlineFeatureBuilder(feature_set, vocabularies, store.columns)
    history_rows, found = store.lookup_many(a["SK_ID_CURR"] for a in applications)

    batch = builder.rows(applications, history_rows, found)

    assert batch.shape == (len(applications), len(feature_set.model_features))
    for i, application in enumerate(applications):
        alone = builder.row(application, store.lookup(application["SK_ID_CURR"]))
        assert alone.tobytes() == batch[i].tobytes(), application["SK_ID_CURR"]  # bit for bit
    assert 0 < found.sum() < len(applications)  # clients with and without history
    organisation = feature_set.model_features.index("ORGANIZATION_TYPE")
    unseen = float(len(vocabularies["ORGANIZATION_TYPE"]))
    assert batch[-5, organisation] == unseen
    flags = [j for j, n in enumerate(feature_set.model_features) if n.endswith("HAS_HISTORY")]
    assert (batch[-1, flags] == 0.0).all()


def test_rows_equal_the_offline_matrix(
    sample_data_dir: Path,
    sample_features_dir: Path,
    feature_set: FeatureSet,
    vocabularies: dict[str, Any],
    store: HistoryStore,
) -> None:
    offline_frame = pd.read_parquet(sample_features_dir / "train.parquet")
    offline = feature_matrix(offline_frame, feature_set, vocabularies)
    applications = raw_applications(sample_data_dir, "application_train")[:300]
    assert [a["SK_ID_CURR"] for a in applications] == offline_frame["SK_ID_CURR"][:300].tolist()
    builder = OnlineFeatureBuilder(feature_set, vocabularies, store.columns)

    batch = builder.rows(applications, *store.lookup_many(a["SK_ID_CURR"] for a in applications))

    np.testing.assert_array_equal(batch, offline[:300])


def test_an_empty_batch_has_no_rows(
    feature_set: FeatureSet, vocabularies: dict[str, Any], store: HistoryStore
) -> None:
    builder = OnlineFeatureBuilder(feature_set, vocabularies, store.columns)
    rows = builder.rows([], np.empty((0, len(store.columns))), np.zeros(0, dtype=bool))
    assert rows.shape == (0, len(feature_set.model_features))


def test_history_is_taken_only_where_found(
    sample_data_dir: Path,
    feature_set: FeatureSet,
    vocabularies: dict[str, Any],
    store: HistoryStore,
) -> None:
    """A row marked not found ignores whatever its history row holds."""
    application = raw_applications(sample_data_dir, "application_test")[0]
    builder = OnlineFeatureBuilder(feature_set, vocabularies, store.columns)
    junk = np.full((2, len(store.columns)), 7.0)
    rows = builder.rows([application, application], junk, np.array([True, False]))
    positions = [j for j, n in enumerate(feature_set.model_features) if n in set(store.columns)]
    flags = [j for j in positions if feature_set.model_features[j].endswith("HAS_HISTORY")]
    assert (rows[0, positions] == 7.0).all()
    assert all(math.isnan(rows[1, j]) for j in positions if j not in flags)
    assert (rows[1, flags] == 0.0).all()
    assert rows[1].tobytes() == builder.row(application, None).tobytes()
