"""Data integrity of ``features build`` and ``features publish``: outputs only where owned, no
infinite feature written or published, history versions that tie definitions to data."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.errors import CreditScoringError, DataContractError
from credit_scoring.features.build import build_features
from credit_scoring.features.feature_set import read_feature_set
from credit_scoring.features.publish import publish_history, published_versions
from credit_scoring.runtime.history_store import HistoryStore
from credit_scoring.training.dataset import data_fingerprint


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
        if p.is_file()
    }  # fmt: skip


def build(data_dir: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["features", "build", str(data_dir), "--out", str(out)])
    if isinstance(result.exception, CreditScoringError):  # as cli.main reports it
        return 2, f"{result.output}error: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def data_copy(tiny_data_dir: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(tiny_data_dir, tmp_path / "data"))


def test_features_build_into_its_own_data_folder_is_refused(data_copy: Path) -> None:
    before = snapshot(data_copy)
    code, output = build(data_copy, data_copy)
    assert code != 0
    assert "is also an input of `features build`" in output
    assert snapshot(data_copy) == before


def test_features_build_into_an_unrelated_folder_is_refused_and_its_own_output_replaced(
    data_copy: Path, tmp_path: Path
) -> None:
    other = tmp_path / "reports"
    other.mkdir()
    (other / "q3.xlsx").write_bytes(b"PK")
    before = snapshot(other)
    code, output = build(data_copy, other)
    assert code != 0
    assert "not an earlier output of `features build` (no feature_set.json in it)" in output
    assert snapshot(other) == before
    out = tmp_path / "features"
    for _ in range(2):  # the second build replaces the first one's output
        code, output = build(data_copy, out)
        assert code == 0, output


def test_an_absurd_application_value_is_refused_by_the_feature_builder(
    data_copy: Path, tmp_path: Path
) -> None:
    path = data_copy / "application_train.parquet"
    table = pq.read_table(path)
    frame = table.to_pandas()
    frame.loc[1, "AMT_ANNUITY"] = 1.7e308
    pq.write_table(pq.read_table(path).from_pandas(frame, schema=table.schema), path)
    out = tmp_path / "features"
    with pytest.raises(DataContractError, match=r"application_train.parquet: column AMT_ANNUITY"):
        build_features(data_copy, out)
    assert not out.exists()


def test_an_infinite_history_feature_is_never_published(
    sample_features_dir: Path, tmp_path: Path
) -> None:
    broken = Path(shutil.copytree(sample_features_dir, tmp_path / "features"))
    history = pd.read_parquet(broken / "history.parquet")
    column = history.columns[5]
    history.loc[3, column] = np.inf
    history.to_parquet(broken / "history.parquet", index=False)
    url = f"sqlite:///{(tmp_path / 'store.sqlite').as_posix()}"
    with pytest.raises(DataContractError, match=rf"feature {column} is infinite for 1 client"):
        publish_history(broken, url)
    assert published_versions(url) == []


def test_another_dataset_is_published_beside_the_version_a_model_uses(
    sample_features_dir: Path, tiny_data_dir: Path, tmp_path: Path
) -> None:
    url = f"sqlite:///{(tmp_path / 'store.sqlite').as_posix()}"
    sample = read_feature_set(sample_features_dir)
    publish_history(sample_features_dir, url)
    tiny_dir = tmp_path / "tiny_features"
    build_features(tiny_data_dir, tiny_dir)
    tiny = read_feature_set(tiny_dir)
    assert tiny.version == sample.version  # the same definitions …
    assert tiny.history_version != sample.history_version  # … of other data
    publish_history(tiny_dir, url)
    versions = {row["version"]: row for row in published_versions(url)}
    assert set(versions) == {sample.history_version, tiny.history_version}
    rows = len(pd.read_parquet(sample_features_dir / "history.parquet"))
    with HistoryStore.open(url, sample.history_version) as kept:  # what a model trained on
        assert len(kept.load_all()[0]) == rows == versions[sample.history_version]["row_count"]
    with HistoryStore.open(url) as current:
        assert current.version == tiny.history_version


def test_a_model_records_the_history_version_it_was_trained_with(
    sample_features_dir: Path,
) -> None:
    feature_set = read_feature_set(sample_features_dir)
    fingerprint = data_fingerprint(sample_features_dir, feature_set)
    assert fingerprint["history_version"] == feature_set.history_version
    assert feature_set.data_fingerprint is not None
