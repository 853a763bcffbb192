"""The Spark engine scores with the same function as the local one: the same rows out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from credit_scoring.batch import BatchModel, score_batch
from credit_scoring.features.publish import publish_history
from credit_scoring.runtime.source import bundle_files
from credit_scoring.settings import Settings

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def mixed_applications(pipeline: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's applications as CSV, every fourth client new (no history)."""
    frame = pd.read_parquet(pipeline.data_dir / "application_test.parquet")
    frame.loc[::4, "SK_ID_CURR"] += 70_000_000
    path = tmp_path_factory.mktemp("spark_input") / "applications.csv"
    frame.to_csv(path, index=False)
    return path


def test_spark_and_local_engines_write_the_same_rows(
    pipeline: Any, batch_model: BatchModel, mixed_applications: Path, spark: Any, tmp_path: Path
) -> None:
    local = tmp_path / "local.parquet"
    on_spark = tmp_path / "spark.parquet"
    score_batch(mixed_applications, local, model=batch_model, features_dir=pipeline.features_dir)
    result = score_batch(
        mixed_applications, on_spark, model=batch_model, features_dir=pipeline.features_dir,
        engine="spark", spark_session=spark,
    )  # fmt: skip
    local_rows, spark_rows = pd.read_parquet(local), pd.read_parquet(on_spark)
    assert result.engine == "spark" and result.rows == len(local_rows) > 100
    assert 0 < spark_rows["history_found"].sum() < len(spark_rows)
    assert spark_rows["reasons"].notna().any()
    pd.testing.assert_frame_equal(spark_rows, local_rows)


def test_spark_engine_with_the_history_store_and_no_reasons(
    pipeline: Any, batch_model: BatchModel, mixed_applications: Path, spark: Any,
    batch_settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    database_url = batch_settings.resolved_database_url
    publish_history(pipeline.features_dir, database_url)
    local = tmp_path / "local.csv"
    on_spark = tmp_path / "spark.csv"
    common: dict[str, Any] = {"model": batch_model, "with_reasons": False}
    score_batch(mixed_applications, local, features_dir=pipeline.features_dir, **common)
    score_batch(
        mixed_applications, on_spark, database_url=database_url, engine="spark",
        spark_session=spark, **common,
    )  # fmt: skip
    assert local.read_bytes() == on_spark.read_bytes()


def test_the_bundle_travels_as_its_files_never_as_a_pickled_booster(
    batch_model: BatchModel,
) -> None:
    """What the executors receive is the bundle folder's bytes, which they verify on load."""
    assert batch_model.files == bundle_files(batch_model.bundle.path)
    assert set(batch_model.files) >= {"model.txt", "metadata.json", "checksums.json"}
    assert all(isinstance(v, bytes) for v in batch_model.files.values())
