"""Degenerate training sets are refused with the minimums; a killed training's MLflow runs are
marked FAILED by the next one."""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from credit_scoring.errors import DataContractError
from credit_scoring.training.abandoned import HOST_TAG, PID_TAG, fail_abandoned_runs, owner_tags
from credit_scoring.training.checks import MIN_EVENTS_PER_FOLD, MIN_ROWS, check_training_set


@dataclass
class Matrix:
    X: NDArray[np.float64]
    y: NDArray[np.int8]
    features: tuple[str, ...] = ("AMT_CREDIT", "EXT_SOURCE_2")


def _matrix(rows: int, positives: int) -> Matrix:
    rng = np.random.default_rng(0)
    y = np.zeros(rows, dtype=np.int8)
    y[:positives] = 1
    return Matrix(rng.normal(size=(rows, 2)), y)


def test_a_single_default_is_refused_with_the_minimum_per_fold() -> None:
    with pytest.raises(DataContractError) as caught:
        check_training_set(_matrix(1000, 1), n_folds=5)
    message = str(caught.value)
    assert "1 defaults (TARGET = 1)" in message
    assert f"at least {MIN_EVENTS_PER_FOLD * 5} of each class" in message


def test_fifty_rows_are_refused_with_the_minimum_rows() -> None:
    with pytest.raises(DataContractError, match=f"has 50 rows; training needs at least {MIN_ROWS}"):
        check_training_set(_matrix(50, 10), n_folds=5)


@pytest.mark.parametrize("positives", [0, 1000])
def test_one_class_is_refused(positives: int) -> None:
    with pytest.raises(DataContractError, match="needs both classes"):
        check_training_set(_matrix(1000, positives), n_folds=5)


def test_an_infinite_feature_is_refused_naming_the_column() -> None:
    data = _matrix(1000, 100)
    data.X[7, 1] = np.inf
    data.X[3, 1] = np.nan  # missing: allowed
    with pytest.raises(DataContractError, match="feature EXT_SOURCE_2 holds 1 infinite value"):
        check_training_set(data, n_folds=5)


def test_a_sound_set_passes() -> None:
    check_training_set(_matrix(1000, 80), n_folds=5)


def _dead_pid() -> int:
    process = multiprocessing.get_context("spawn").Process(target=os.getpid)
    process.start()
    process.join(timeout=60)
    return int(process.pid or 0)


def test_runs_of_a_killed_training_are_marked_failed_and_live_ones_left(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{(tmp_path / 'mlflow.db').as_posix()}"
    client = MlflowClient(tracking_uri=uri)
    experiment = client.create_experiment("t", artifact_location=(tmp_path / "a").as_uri())
    killed = client.create_run(experiment, tags={**owner_tags(), PID_TAG: str(_dead_pid())})
    live = client.create_run(experiment, tags={**owner_tags(), PID_TAG: str(os.getppid())})
    elsewhere = client.create_run(experiment, tags={HOST_TAG: "other-host", PID_TAG: "1"})
    failed = fail_abandoned_runs(client, experiment)
    assert failed == [killed.info.run_id]
    assert client.get_run(killed.info.run_id).info.status == "FAILED"
    assert client.get_run(live.info.run_id).info.status == "RUNNING"
    assert client.get_run(elsewhere.info.run_id).info.status == "RUNNING"
