"""Behaviour of a trained model: direction, invariance, minimum functionality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from credit_scoring.errors import DataContractError, FeatureSetMismatchError
from credit_scoring.runtime.bundle import Bundle
from credit_scoring.training.dataset import TrainingData, load_training_data
from credit_scoring.training.train import TrainingOutcome


def test_more_days_past_due_never_lowers_the_default_probability_on_average(
    bundle: Bundle, training_data: TrainingData
) -> None:
    j = bundle.features.index("INST_DPD_MEAN")
    X = training_data.X.copy()
    X[:, j] = np.nan_to_num(X[:, j])
    before = bundle.score_frame(X).probability
    for extra in (1.0, 3.0, 10.0):
        worse = X.copy()
        worse[:, j] += extra
        after = bundle.score_frame(worse).probability
        assert after.mean() >= before.mean()
    assert bundle.score_frame(X + 0).probability.mean() == pytest.approx(before.mean())


def test_protected_attributes_do_not_change_any_prediction(
    bundle: Bundle, features_dir: Path
) -> None:
    frame = pd.read_parquet(features_dir / "train.parquet")
    flipped = frame.copy()
    flipped["CODE_GENDER"] = flipped["CODE_GENDER"].map({"F": "M", "M": "F"})
    flipped["NAME_FAMILY_STATUS"] = "Widow"
    assert "CODE_GENDER" not in bundle.features
    assert np.array_equal(
        bundle.score_frame(frame).probability, bundle.score_frame(flipped).probability
    )


def test_lightgbm_beats_the_dummy_and_learns_the_signal(outcome: TrainingOutcome) -> None:
    candidates = outcome.summary["candidates"]
    lgbm, dummy = candidates["lightgbm"], candidates["dummy"]
    assert lgbm["auc"] > 0.75 > dummy["auc"] + 0.2
    assert lgbm["cost"] < dummy["cost"]
    assert lgbm["brier"] < dummy["brier"]
    gain = outcome.summary["feature_gain"]
    assert max(gain, key=gain.get) == "EXT_SOURCE_MEAN"
    assert gain["PREV_REFUSED_COUNT"] < gain["INST_DPD_MEAN"]  # noise vs signal


def test_threshold_is_on_the_calibrated_probability(outcome: TrainingOutcome) -> None:
    prob = outcome.oof_probs["lightgbm"]
    report = outcome.threshold
    refused = prob >= report.threshold
    assert refused.sum() == report.optimal.tp + report.optimal.fp
    assert outcome.metadata["threshold"] == report.threshold
    assert abs(prob.mean() - outcome.y.mean()) < 0.01  # calibrated on average


def test_labels_other_than_zero_and_one_are_refused_with_the_values(
    make_features_dir, make_frame
) -> None:
    frame = make_frame(200, 3)
    frame.loc[[4, 9], "TARGET"] = 2
    path = make_features_dir(frame=frame)
    with pytest.raises(DataContractError, match=r"TARGET.*'2'"):
        load_training_data(path)


def test_a_protected_model_input_is_refused_unless_allowed(make_features_dir) -> None:
    import json

    path = make_features_dir(n=300, seed=5)
    spec = json.loads((path / "feature_set.json").read_text())
    from credit_scoring.features.feature_set import feature_set_version

    spec["model_features"].append("CODE_GENDER")
    spec["categorical_features"].append("CODE_GENDER")
    spec["version"] = feature_set_version(spec["model_features"], spec["categorical_features"])
    (path / "feature_set.json").write_text(json.dumps(spec))
    with pytest.raises(FeatureSetMismatchError, match="CODE_GENDER"):
        load_training_data(path)
    data = load_training_data(path, use_protected_attributes=True)
    assert "CODE_GENDER" in data.features
