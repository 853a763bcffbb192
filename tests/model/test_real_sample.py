"""The whole chain on the real Home Credit sample: load → features build → train (unchanged)."""

from __future__ import annotations

from pathlib import Path

import pytest

from credit_scoring.data.loader import load_dataset
from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.build import build_features
from credit_scoring.features.feature_set import read_feature_set
from credit_scoring.io import file_sha256, write_json
from credit_scoring.runtime.bundle import load_bundle, write_bundle
from credit_scoring.runtime.calibration import PROB_MAX, PROB_MIN
from credit_scoring.runtime.reasons import OTHER_CODE, reason_group
from credit_scoring.training.dataset import load_training_data
from credit_scoring.training.train import TrainOptions, fit_model


@pytest.fixture(scope="module")
def real_features(real_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("real")
    load_dataset(real_sample_dir, root / "data")
    build_features(root / "data", root / "features", log=lambda message: None)
    return root


def test_every_feature_of_the_real_feature_set_has_a_specific_reason(real_features: Path) -> None:
    feature_set = read_feature_set(real_features / "features")
    assert len(feature_set.model_features) > 200
    assert [f for f in feature_set.model_features if reason_group(f).code == OTHER_CODE] == []


def test_training_runs_unchanged_on_the_real_sample(
    real_features: Path, tmp_path: Path, fast_options: TrainOptions
) -> None:
    data = load_training_data(real_features / "features", data_dir=real_features / "data")
    assert data.fingerprint["tables"]["application_train"]["rows"] == 1000
    assert len(data.fingerprint["tables"]["bureau"]["parquet_sha256"]) == 64
    outcome = fit_model(data, options=fast_options)
    candidates = outcome.summary["candidates"]
    assert set(candidates) == {"dummy", "logistic", "lightgbm", "scorecard"}
    assert candidates["lightgbm"]["auc"] > 0.6  # 1,000 rows: noisy, but clearly informative
    bundle_dir = write_bundle(
        tmp_path / "bundle", booster=outcome.booster, metadata=outcome.metadata,
        model_card=outcome.model_card, scorecard=outcome.scorecard,
    )  # fmt: skip
    bundle = load_bundle(bundle_dir, expected_feature_set_version=data.feature_set.version)
    scores = bundle.score_frame(data.X)
    assert ((scores.probability >= PROB_MIN) & (scores.probability <= PROB_MAX)).all()
    assert all(len(bundle.score_row(x).reasons) <= 4 for x in data.X[:20])


def test_a_data_dir_other_than_the_features_source_is_refused(
    tmp_path: Path, make_frame, write_features
) -> None:
    data_dir = tmp_path / "data"
    write_json(data_dir / "manifest.json", {"tables": {"application_train": {"rows": 5}}})
    features = write_features(tmp_path / "f", make_frame(300, 1))
    with pytest.raises(FeatureSetMismatchError, match="manifest"):
        load_training_data(features, data_dir=data_dir)
    matching = write_features(
        tmp_path / "g", make_frame(300, 1),
        source_manifest_sha256=file_sha256(data_dir / "manifest.json"),
    )  # fmt: skip
    data = load_training_data(matching, data_dir=data_dir)
    assert data.fingerprint["tables"]["application_train"]["rows"] == 5
