"""Application features for one request (the online path) and for a whole table (offline).

Times ``application_features`` on one raw application given as Python scalars — what the API
does per request — call by call, and reports the median and p99 in µs (target: median ≤ 50 µs).
Also reports the complete model row (``OnlineFeatureBuilder.row``: application features,
vocabulary codes, history row placement) and the column path on a Kaggle-sized table.

    .venv/bin/python benchmarks/bench_application_features.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Any

import numpy as np

from credit_scoring.features.application import (
    APPLICATION_CATEGORICAL_FEATURES,
    APPLICATION_INPUT_COLUMNS,
    APPLICATION_NUMERIC_FEATURES,
    PROTECTED_COLUMNS,
    application_features,
)
from credit_scoring.features.feature_set import FeatureSet, feature_set_version
from credit_scoring.runtime.online import OnlineFeatureBuilder
from credit_scoring.schema import APPLICATION_TEST

TARGET_MEDIAN_US = 50.0
# A typical applicant (values in the ranges of the real data); other fields take 0 or their
# first category, a few are missing as they often are.
TYPICAL: dict[str, Any] = {
    "AMT_INCOME_TOTAL": 157_500.0,
    "AMT_CREDIT": 599_778.0,
    "AMT_ANNUITY": 27_076.5,
    "AMT_GOODS_PRICE": 517_500.0,
    "CNT_CHILDREN": 1,
    "CNT_FAM_MEMBERS": 3.0,
    "DAYS_BIRTH": -14_208,
    "DAYS_EMPLOYED": -2_310,
    "DAYS_REGISTRATION": -5_020.0,
    "DAYS_ID_PUBLISH": -3_801,
    "DAYS_LAST_PHONE_CHANGE": -1_122.0,
    "REGION_POPULATION_RELATIVE": 0.0188,
    "REGION_RATING_CLIENT": 2,
    "REGION_RATING_CLIENT_W_CITY": 2,
    "HOUR_APPR_PROCESS_START": 11,
    "EXT_SOURCE_1": None,
    "EXT_SOURCE_2": 0.5659,
    "EXT_SOURCE_3": 0.5298,
    "OWN_CAR_AGE": None,
    "OCCUPATION_TYPE": None,
    "FLAG_DOCUMENT_3": 1,
    "FLAG_MOBIL": 1,
    "FLAG_EMP_PHONE": 1,
    "FLAG_CONT_MOBILE": 1,
}


def typical_application() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in APPLICATION_TEST.columns:
        if column.name == "SK_ID_CURR":
            continue
        if column.name in TYPICAL:
            out[column.name] = TYPICAL[column.name]
        elif column.is_categorical:
            out[column.name] = column.categories[0]
        elif column.nullable:
            out[column.name] = None
        else:
            out[column.name] = 0
    return out


def time_calls(fn: Any, n: int) -> list[float]:
    """Per-call wall times in µs."""
    clock = time.perf_counter_ns
    times = []
    for _ in range(n):
        start = clock()
        fn()
        times.append((clock() - start) / 1000.0)
    return times


def model_row_builder(n_history: int) -> tuple[OnlineFeatureBuilder, np.ndarray]:
    categorical = tuple(c for c in APPLICATION_CATEGORICAL_FEATURES if c not in PROTECTED_COLUMNS)
    names = [f"BUREAU_FEATURE_{i:03d}" for i in range(n_history - 1)]
    history = (*names, "BUREAU_HAS_HISTORY")
    model = APPLICATION_NUMERIC_FEATURES + categorical + history
    feature_set = FeatureSet(
        version=feature_set_version(model, categorical),
        model_features=model,
        categorical_features=categorical,
        protected_columns=PROTECTED_COLUMNS,
        history_features=history,
        application_features=APPLICATION_NUMERIC_FEATURES + APPLICATION_CATEGORICAL_FEATURES,
    )
    vocabularies = {c: APPLICATION_TEST.column(c).categories for c in categorical}
    history_row = np.linspace(0.0, 1.0, n_history)
    return OnlineFeatureBuilder(feature_set, vocabularies), history_row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, smaller table")
    args = parser.parse_args()
    calls = 20_000 if args.quick else 200_000
    rows = 30_000 if args.quick else 307_511

    application = typical_application()
    assert set(application) == set(APPLICATION_INPUT_COLUMNS)
    for _ in range(2_000):  # warm-up
        application_features(application)
    single = time_calls(lambda: application_features(application), calls)

    builder, history_row = model_row_builder(222)
    row = builder.row(application, history_row)
    assert np.isfinite(row[: len(APPLICATION_NUMERIC_FEATURES)]).sum() > 50
    full_row = time_calls(lambda: builder.row(application, history_row), calls // 4)

    columns: dict[str, Any] = {}
    for name, value in application.items():
        if APPLICATION_TEST.column(name).is_categorical:
            columns[name] = np.full(rows, value, dtype=object)
        else:
            columns[name] = np.full(rows, np.nan if value is None else float(value))
    started = time.perf_counter()
    application_features(columns)
    table_seconds = time.perf_counter() - started

    med = statistics.median(single)
    p99 = float(np.percentile(single, 99))
    print(f"application features, one request ({calls:,} calls):")
    print(
        f"  median {med:.1f} µs   p99 {p99:.1f} µs   (target: median ≤ {TARGET_MEDIAN_US:.0f} µs)"
    )
    print(
        f"complete model row ({len(row)} features, with vocabulary codes and history row): "
        f"median {statistics.median(full_row):.1f} µs"
    )
    print(
        f"column path, {rows:,} applications: {table_seconds:.2f} s "
        f"({table_seconds / rows * 1e6:.2f} µs per application)"
    )
    if med > TARGET_MEDIAN_US:
        print(f"TARGET MISSED: median {med:.1f} µs > {TARGET_MEDIAN_US:.0f} µs")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
