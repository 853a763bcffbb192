"""The same Ibis expressions give the same history features on DuckDB and on Spark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credit_scoring.features.history import compute_history
from credit_scoring.spark_session import local_spark_session

pytestmark = pytest.mark.spark


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    # Tiny data: one core, one shuffle partition, and the quick C1 JIT (the JVM's warm-up
    # dominates such short jobs), so the parity test stays well under a minute.
    session = local_spark_session(
        cores=1,
        shuffle_partitions=1,
        extra_config={"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"},
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def assert_same_features(duck: pd.DataFrame, spark_df: pd.DataFrame) -> None:
    assert list(spark_df.columns) == list(duck.columns)
    assert spark_df["SK_ID_CURR"].tolist() == duck["SK_ID_CURR"].tolist()
    a = duck.drop(columns="SK_ID_CURR").to_numpy(dtype=np.float64)
    b = spark_df.drop(columns="SK_ID_CURR").to_numpy(dtype=np.float64)
    # Same missing cells (NULL on both sides, never NaN on one), close values (sums and
    # standard deviations may differ in the last bits between engines).
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)


@pytest.fixture(scope="module")
def parity_data_dir(tiny_data_dir: Path, sample_data_dir: Path, tmp_path_factory: Any) -> Path:
    """The hand-made edge cases and the real sample in one DATA_DIR (keys do not overlap), so
    one Spark run covers both."""
    out = tmp_path_factory.mktemp("parity_data")
    for tiny in sorted(tiny_data_dir.glob("*.parquet")):
        sample = pq.read_table(sample_data_dir / tiny.name)
        pq.write_table(pa.concat_tables([pq.read_table(tiny), sample]), out / tiny.name)
    return out


def test_duckdb_and_spark_agree_on_edge_cases_and_real_rows(
    parity_data_dir: Path, spark: Any
) -> None:
    duck = compute_history(parity_data_dir, engine="duckdb").to_pandas()
    spark_df = compute_history(parity_data_dir, engine="spark", spark_session=spark).to_pandas()
    assert duck["SK_ID_CURR"].iloc[:2].tolist() == [1, 2]  # the hand-made clients are in
    assert len(duck) > 1000
    assert_same_features(duck, spark_df)
