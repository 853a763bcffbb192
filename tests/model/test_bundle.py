"""Bundle: save → load gives identical predictions; tampered or mismatched bundles are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from credit_scoring.errors import BundleIntegrityError, FeatureSetMismatchError
from credit_scoring.features.feature_set import FeatureSet
from credit_scoring.runtime.bundle import Bundle, Decision, load_bundle
from credit_scoring.runtime.fast_predict import SingleRowPredictor
from credit_scoring.training.dataset import TrainingData
from credit_scoring.training.train import TrainingOutcome


def test_loaded_bundle_predicts_exactly_like_the_trained_booster(
    bundle: Bundle, outcome: TrainingOutcome, training_data: TrainingData
) -> None:
    X = training_data.X
    expected_raw = outcome.booster.predict(X, raw_score=True)
    scores = bundle.score_frame(X)
    assert np.array_equal(scores.raw_score, expected_raw)
    assert np.array_equal(scores.probability, outcome.calibration.calibration.apply(expected_raw))
    for i in (0, 7, 123):
        row = bundle.score_row(X[i])
        assert row.raw_score == pytest.approx(expected_raw[i], abs=1e-12)
        assert row.probability == pytest.approx(scores.probability[i], abs=1e-12)
        assert row.points == pytest.approx(scores.points[i], abs=1e-9)
        assert row.decision == scores.decision[i]


def test_bundle_records_what_serving_and_monitoring_need(bundle: Bundle) -> None:
    meta = bundle.metadata
    assert meta["features"] == list(bundle.features)
    assert set(meta["vocabularies"]) == set(meta["categorical_features"])
    assert 0.0 < bundle.threshold < 1.0
    assert meta["cost"] == {"cost_fn": 10.0, "cost_fp": 1.0}
    assert meta["score_scaling"] == {"base_points": 600.0, "base_odds": 50.0, "pdo": 20.0}
    bins = meta["reference_bins"]["features"]
    assert set(bins) == set(bundle.features)
    for name, ref in bins.items():
        total = sum(ref["proportions"]) + ref["missing"] + ref.get("unseen", 0.0)
        assert total == pytest.approx(1.0), name
    assert set(meta["reference_bins"]["outputs"]) >= {"probability", "points"}
    assert {"lightgbm", "numpy", "python"} <= set(meta["library_versions"])
    assert meta["data_fingerprint"]["rows"]["train"] == 3000
    stored = FeatureSet.from_json(meta["feature_set"])
    assert stored.version == bundle.feature_set_version
    assert stored.model_features == bundle.features
    assert "## Fairness" in (bundle.path / "model_card.md").read_text()


def test_a_changed_byte_in_the_model_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(bundle_dir, tmp_path / "b"))
    text = (copy / "model.txt").read_bytes()
    position = text.index(b"leaf_value=") + len(b"leaf_value=")
    digit = b"1" if text[position : position + 1] != b"1" else b"2"
    (copy / "model.txt").write_bytes(text[:position] + digit + text[position + 1 :])
    with pytest.raises(BundleIntegrityError, match=r"model\.txt"):
        load_bundle(copy)


def test_a_changed_threshold_in_the_metadata_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(bundle_dir, tmp_path / "b"))
    meta = json.loads((copy / "metadata.json").read_text())
    meta["threshold"] = 0.99
    (copy / "metadata.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    with pytest.raises(BundleIntegrityError, match=r"metadata\.json"):
        load_bundle(copy)


def test_a_bundle_without_checksums_is_refused(bundle_dir: Path, tmp_path: Path) -> None:
    copy = Path(shutil.copytree(bundle_dir, tmp_path / "b"))
    (copy / "checksums.json").unlink()
    with pytest.raises(BundleIntegrityError, match="checksums"):
        load_bundle(copy)


def test_an_unexpected_feature_set_version_is_refused(bundle_dir: Path, bundle: Bundle) -> None:
    assert load_bundle(bundle_dir, expected_feature_set_version=bundle.feature_set_version)
    with pytest.raises(FeatureSetMismatchError, match="feature set"):
        load_bundle(bundle_dir, expected_feature_set_version="0123456789ab")


def test_nothing_on_the_loading_path_unpickles(
    bundle_dir: Path, training_data: TrainingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle used while loading or scoring a bundle")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    loaded = load_bundle(bundle_dir)
    assert loaded.score_row(training_data.X[0]).reasons is not None
    assert len(loaded.score_frame(training_data.X[:5]).probability) == 5


def test_fast_single_row_path_matches_public_predict(bundle: Bundle, training_data) -> None:
    fast = SingleRowPredictor(bundle.booster)
    slow = SingleRowPredictor(bundle.booster, use_c_api=False)
    assert fast.uses_c_api and not slow.uses_c_api
    for i in range(20):
        x = training_data.X[i]
        assert fast.raw_score(x) == slow.raw_score(x)
        assert np.array_equal(fast.contributions(x), slow.contributions(x))
    with pytest.raises(ValueError, match="expects"):
        fast.raw_score(np.zeros(3))


def test_decisions_follow_the_threshold_and_the_review_band(bundle: Bundle) -> None:
    t = bundle.threshold
    assert bundle.review_band == 0.01  # trained bundles carry a ±1 pp band by default
    assert bundle.decide(t + 0.01) is Decision.REFUSE
    assert bundle.decide(t) is Decision.REVIEW
    assert bundle.decide(t, review_band=0.0) is Decision.REFUSE
    assert bundle.decide(np.nextafter(t, 0), review_band=0.0) is Decision.APPROVE
    assert bundle.decide(t - 0.01, review_band=0.02) is Decision.REVIEW
    assert bundle.decide(t + 0.019, review_band=0.02) is Decision.REVIEW
    assert bundle.decide(t + 0.02, review_band=0.02) is Decision.REFUSE
    assert bundle.decide(t - 0.03, review_band=0.02) is Decision.APPROVE


def test_feature_table_and_encoded_rows_score_the_same(bundle: Bundle, features_dir) -> None:
    import pandas as pd

    frame = pd.read_parquet(features_dir / "train.parquet").head(50)
    scores = bundle.score_frame(frame)
    for i in (0, 5, 17):
        values = frame.iloc[i].to_dict()
        values = {
            k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in values.items()
        }
        row = bundle.encode_row(values)
        assert bundle.score_row(row).probability == pytest.approx(scores.probability[i])
    unseen = bundle.encode_row({"NAME_EDUCATION_TYPE": "Academic degree"})
    j = bundle.features.index("NAME_EDUCATION_TYPE")
    assert unseen[j] == len(bundle.vocabularies["NAME_EDUCATION_TYPE"])
