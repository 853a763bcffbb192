"""One vectorised function for offline columns and online scalars, with domain features."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from credit_scoring.features.application import (
    AMOUNT_FEATURE_INPUTS,
    AMOUNT_FEATURES,
    AMOUNT_INPUTS,
    APPLICATION_CATEGORICAL_FEATURES,
    APPLICATION_FEATURES,
    APPLICATION_INPUT_COLUMNS,
    APPLICATION_NUMERIC_FEATURES,
    amount_features,
    application_columns,
    application_features,
)
from credit_scoring.schema import DAYS_SENTINEL


def scalar_row(record: dict[str, Any]) -> dict[str, Any]:
    """A raw application as the API sees it: Python scalars, None for missing."""
    return {
        k: None if v is None or (isinstance(v, float) and math.isnan(v)) else v
        for k, v in record.items()
    }


@pytest.fixture(scope="module")
def applications(sample_data_dir: Path) -> pd.DataFrame:
    return pq.read_table(sample_data_dir / "application_train.parquet").to_pandas()


def test_columns_and_scalars_give_bit_identical_features(applications: pd.DataFrame) -> None:
    columns = application_features(application_columns(applications))
    assert tuple(columns) == APPLICATION_FEATURES
    for i, record in enumerate(applications.head(200).to_dict("records")):
        one = application_features(scalar_row(record))
        assert tuple(one) == APPLICATION_FEATURES
        for name in APPLICATION_NUMERIC_FEATURES:
            offline, online = columns[name][i], one[name]
            assert isinstance(online, float), name
            assert offline == online or (math.isnan(offline) and math.isnan(online)), name
        for name in APPLICATION_CATEGORICAL_FEATURES:
            assert columns[name][i] == one[name], name


def test_one_element_arrays_and_zero_d_arrays_are_accepted(applications: pd.DataFrame) -> None:
    record = scalar_row(applications.iloc[0].to_dict())
    as_scalars = application_features(record)
    as_0d = application_features(
        {k: np.asarray(v if v is not None else np.nan) for k, v in record.items()}
    )
    as_1 = application_features(
        {
            k: np.asarray([v], dtype=object if isinstance(v, str) else None)
            for k, v in record.items()
        }
    )
    for name in APPLICATION_NUMERIC_FEATURES:
        expected = as_scalars[name]
        for got in (as_0d[name], as_1[name][0]):
            assert got == expected or (math.isnan(got) and math.isnan(expected)), name


def test_domain_ratios_ages_and_employment_sentinel() -> None:
    out = application_features(
        {
            "AMT_INCOME_TOTAL": 100_000.0,
            "AMT_CREDIT": 250_000.0,
            "AMT_ANNUITY": 12_500.0,
            "AMT_GOODS_PRICE": 200_000.0,
            "CNT_FAM_MEMBERS": 2.0,
            "CNT_CHILDREN": 1,
            "DAYS_BIRTH": -36525 // 2,
            "DAYS_EMPLOYED": DAYS_SENTINEL,
            "EXT_SOURCE_1": 0.2,
            "EXT_SOURCE_2": None,
            "EXT_SOURCE_3": 0.6,
            "FLAG_DOCUMENT_3": 1,
            "NAME_CONTRACT_TYPE": "Cash loans",
        }
    )
    assert out["CREDIT_INCOME_RATIO"] == 2.5
    assert out["ANNUITY_INCOME_RATIO"] == 0.125
    assert out["CREDIT_ANNUITY_RATIO"] == 20.0
    assert out["GOODS_CREDIT_RATIO"] == 0.8
    assert out["INCOME_PER_FAMILY_MEMBER"] == 50_000.0
    assert out["CHILDREN_FAMILY_RATIO"] == 0.5
    assert out["AGE_YEARS"] == pytest.approx(50.0, abs=0.01)
    assert math.isnan(out["DAYS_EMPLOYED"]) and math.isnan(out["EMPLOYED_YEARS"])
    assert out["DAYS_EMPLOYED_ANOM"] == 1.0
    assert out["EXT_SOURCE_MEAN"] == pytest.approx(0.4)
    assert out["EXT_SOURCE_MIN"] == 0.2 and out["EXT_SOURCE_MAX"] == 0.6
    assert out["EXT_SOURCE_STD"] == pytest.approx(0.2)  # population std of {0.2, 0.6}
    assert math.isnan(out["EXT_SOURCE_PROD"])
    assert out["EXT_SOURCE_MISSING_COUNT"] == 1.0
    assert out["NAME_CONTRACT_TYPE"] == "Cash loans"
    assert out["CODE_GENDER"] is None  # absent fields count as missing


def test_division_by_zero_gives_missing_never_infinite() -> None:
    n = 4
    columns: dict[str, Any] = {
        "AMT_INCOME_TOTAL": np.array([0.0, 0.0, np.nan, 1.0]),
        "AMT_CREDIT": np.array([0.0, 5.0, 5.0, 0.0]),
        "AMT_ANNUITY": np.zeros(n),
        "CNT_FAM_MEMBERS": np.zeros(n),
        "DAYS_BIRTH": np.zeros(n),
        "OBS_30_CNT_SOCIAL_CIRCLE": np.zeros(n),
    }
    out = application_features(columns)
    for name in APPLICATION_NUMERIC_FEATURES:
        assert not np.isinf(np.asarray(out[name], dtype=np.float64)).any(), name
    assert np.isnan(out["CREDIT_INCOME_RATIO"][:3]).all()
    assert out["CREDIT_INCOME_RATIO"][3] == 0.0
    one = application_features({k: float(v[1]) for k, v in columns.items()})
    assert math.isnan(one["CREDIT_INCOME_RATIO"]) and math.isnan(one["CREDIT_ANNUITY_RATIO"])


def test_ext_source_statistics_with_none_present_are_missing() -> None:
    out = application_features({"EXT_SOURCE_1": np.array([np.nan, 0.5])})
    assert np.isnan(out["EXT_SOURCE_MEAN"][0]) and np.isnan(out["EXT_SOURCE_STD"][0])
    assert np.isnan(out["EXT_SOURCE_MIN"][0])
    assert out["EXT_SOURCE_MISSING_COUNT"].tolist() == [3.0, 2.0]
    assert out["EXT_SOURCE_MEAN"][1] == 0.5 and out["EXT_SOURCE_STD"][1] == 0.0


def test_amount_features_are_those_of_application_features_to_the_bit(
    applications: pd.DataFrame,
) -> None:
    """Counter-offers recompute only these: on real rows, at the requested and at scaled
    amounts, they equal what the whole feature function gives."""
    for factor in (1.0, 0.37, 3.0):
        frame = applications.copy()
        for name in AMOUNT_INPUTS:
            frame[name] = frame[name] * factor
        columns = application_columns(frame)
        whole = application_features(columns)
        amounts = amount_features({name: columns[name] for name in AMOUNT_FEATURE_INPUTS})
        assert tuple(amounts) == AMOUNT_FEATURES
        for name in AMOUNT_FEATURES:
            np.testing.assert_array_equal(amounts[name], whole[name], err_msg=name)


def test_no_feature_but_the_amount_features_moves_with_the_amounts() -> None:
    """Inputs differing only in the amounts (random values, many rows) differ in every amount
    feature and in no other feature."""
    rng = np.random.default_rng(0)
    n = 64
    numeric = [c for c in APPLICATION_INPUT_COLUMNS if c not in APPLICATION_CATEGORICAL_FEATURES]
    base = {name: rng.uniform(1.0, 2.0, n) for name in numeric}
    scaled = dict(base)
    for name in AMOUNT_INPUTS:
        scaled[name] = base[name] * rng.uniform(0.3, 0.9, n)
    before, after = application_features(base), application_features(scaled)
    moved = {
        name
        for name in APPLICATION_NUMERIC_FEATURES
        if not np.array_equal(before[name], after[name], equal_nan=True)
    }
    assert moved == set(AMOUNT_FEATURES)
