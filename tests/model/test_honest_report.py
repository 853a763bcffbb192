"""What training reports: raw and calibrated figures, every automatic choice with its reason,
probabilities inside the open interval, source rows from the data manifest, fairness that
ignores a one-client group."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from credit_scoring.metrics import roc_auc
from credit_scoring.runtime.calibration import PROB_MAX, PROB_MIN
from credit_scoring.training.card import model_card
from credit_scoring.training.dataset import load_training_data
from credit_scoring.training.train import TrainingOutcome, TrainOptions, fit_model


def test_calibrated_oof_auc_equals_the_raw_oof_auc(outcome: TrainingOutcome) -> None:
    lgbm = outcome.summary["candidates"]["lightgbm"]
    assert abs(lgbm["auc"] - lgbm["auc_raw"]) <= 0.001
    assert lgbm["auc_raw"] == pytest.approx(roc_auc(outcome.y, outcome.cv.oof_raw))
    assert "brier_raw" in lgbm


def test_no_training_output_says_zero_or_one(outcome: TrainingOutcome) -> None:
    for name, prob in outcome.oof_probs.items():
        if name == "dummy":
            continue
        assert prob.min() >= PROB_MIN and prob.max() <= PROB_MAX, name
    assert outcome.metadata["probability_interval"] == [PROB_MIN, PROB_MAX]
    reference = outcome.metadata["reference_bins"]
    assert reference  # the drift reference is built from the clipped probabilities
    edges = np.asarray(outcome.metadata["calibration"].get("x", [0.0]))
    assert np.all(np.isfinite(edges))


def test_every_automatic_choice_says_what_it_compared_and_why(outcome: TrainingOutcome) -> None:
    choices = {c["name"]: c for c in outcome.metadata["training"]["choices"]}
    assert set(choices) >= {"imbalance", "calibration"}
    assert set(choices["imbalance"]["compared"]) == {"none", "balanced"}
    assert "SE" in choices["imbalance"]["reason"]
    assert set(choices["calibration"]["compared"]) == {"platt", "isotonic"}
    assert "95 % CI" in choices["calibration"]["reason"]
    for name in ("imbalance", "calibration"):
        assert choices[name]["reason"] in outcome.model_card


def test_the_card_shows_raw_and_calibrated_auc_and_the_constraints(
    outcome: TrainingOutcome,
) -> None:
    card = outcome.model_card
    lgbm = outcome.summary["candidates"]["lightgbm"]
    assert f"AUC raw {lgbm['auc_raw']:.4f}, calibrated {lgbm['auc']:.4f}" in card
    assert "## Monotone constraints" in card and "EXT_SOURCE_MEAN" in card
    assert "never 0 or 1" in card


def test_source_rows_per_table_come_from_the_data_manifest(outcome: TrainingOutcome) -> None:
    summary = copy.deepcopy(outcome.summary)
    summary["data_fingerprint"]["tables"] = {
        "application_train": {"rows": 307_511},
        "bureau": {"rows": 1_716_428},
    }
    card = model_card(summary)
    assert (
        "Source rows per table (data manifest): application_train 307,511, bureau 1,716,428" in card
    )
    assert "not recorded" in outcome.model_card  # trained without --data-dir


def test_a_one_client_group_in_training_is_never_flagged_nor_the_reference(
    make_frame, write_features, tmp_path, fast_options: TrainOptions
) -> None:
    frame = make_frame(3000, 2)
    frame.loc[0, "CODE_GENDER"] = "XNA"
    data = load_training_data(write_features(tmp_path / "f", frame))
    outcome = fit_model(data, options=replace(fast_options, scorecard=False, baselines=False))
    rows = [r for r in outcome.fairness.rows if r["attribute"] == "CODE_GENDER"]
    xna = next(r for r in rows if r["group"] == "XNA")
    assert not xna["judged"] and not xna["flagged"]
    assert {r["reference"] for r in rows} == {"F"}
    assert "too small to judge" in outcome.model_card
