"""Spark sessions for the Spark engines (history features, batch scoring): the active one,
one configured by spark-submit, or a small local one. PySpark is imported only when called."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def local_spark_session(
    *, cores: int = 2, shuffle_partitions: int = 8, extra_config: Mapping[str, str] | None = None
) -> Any:
    """A small local SparkSession (UI off, UTC) for tests and single-machine runs."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    for key, value in (extra_config or {}).items():
        builder = builder.config(key, value)
    return (
        builder.master(f"local[{cores}]")
        .appName("credit-scoring-features")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )


def spark_session_or_local() -> Any:
    """The active SparkSession, one configured by spark-submit/``spark.master``, else local."""
    from pyspark import SparkConf
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if SparkConf().contains("spark.master"):
        return SparkSession.builder.appName("credit-scoring-features").getOrCreate()
    return local_spark_session()
