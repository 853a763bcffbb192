"""``credit-scoring features build|publish`` end to end."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.features.feature_set import read_feature_set
from credit_scoring.runtime.history_store import HistoryStore


def test_build_then_publish_to_the_default_store(
    tiny_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    runner = CliRunner()
    out = tmp_path / "features"
    result = runner.invoke(app, ["features", "build", str(tiny_data_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    feature_set = read_feature_set(out)
    assert feature_set.version in result.output
    assert feature_set.rows == {"history": 2, "train": 3, "test": 3}

    result = runner.invoke(app, ["features", "publish", str(out)])
    assert result.exit_code == 0, result.output
    database = tmp_path / "home" / "serving.sqlite"
    assert database.is_file()
    history = pd.read_parquet(out / "history.parquet")
    with HistoryStore.open(f"sqlite:///{database.as_posix()}") as store:
        assert store.version == feature_set.history_version
        row = store.lookup(int(history["SK_ID_CURR"].iloc[1]))
        assert row is not None and len(row) == len(feature_set.history_features)
        assert store.lookup(3) is None  # the client without history


def test_unknown_engine_is_rejected(sample_data_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["features", "build", str(sample_data_dir), "--out", str(tmp_path), "--engine", "x"]
    )
    assert result.exit_code != 0
    assert "duckdb or spark" in result.output
