"""The bundle's metadata is a typed, versioned contract: read by its format's reader, written
back unchanged, and refused with the field named when it is incomplete."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from credit_scoring.errors import BundleIntegrityError
from credit_scoring.runtime.bundle import Bundle, load_bundle, write_bundle
from credit_scoring.runtime.metadata import BUNDLE_FORMAT_VERSION, READERS, read_metadata
from credit_scoring.training.dataset import TrainingData
from credit_scoring.training.train import TrainingOutcome


def test_the_typed_fields_are_what_training_wrote(bundle: Bundle, outcome: TrainingOutcome) -> None:
    meta = bundle.metadata
    written = json.loads(json.dumps(outcome.metadata, default=str))  # as the file holds it
    assert meta.format_version == BUNDLE_FORMAT_VERSION in READERS
    assert meta.features == tuple(written["features"]) == bundle.features
    assert meta.threshold == written["threshold"] == bundle.threshold
    assert meta.cost.cost_fn == written["cost"]["cost_fn"]
    assert meta.feature_set.to_json() == written["feature_set"]
    assert meta.history_version == written["data_fingerprint"]["history_version"]
    assert meta.calibration.to_json() == written["calibration"]
    assert meta.served_model == written["served_model"]
    assert meta["training"] == written["training"]  # the rest, as written
    assert meta.to_json() == written


def test_save_then_load_gives_identical_predictions(
    bundle: Bundle, training_data: TrainingData, tmp_path: Path
) -> None:
    again = load_bundle(
        write_bundle(
            tmp_path / "copy",
            booster=bundle.booster,
            metadata=bundle.metadata.to_json(),
            model_card="",
            scorecard=bundle.scorecard,
        )
    )
    X = training_data.X[:300]
    before, after = bundle.score_frame(X), again.score_frame(X)
    for name in ("probability", "raw_score", "points", "decision"):
        assert np.array_equal(getattr(before, name), getattr(after, name)), name
    assert bundle.reasons_frame(X[:60]) == again.reasons_frame(X[:60])
    assert again.metadata.to_json() == bundle.metadata.to_json()


def _broken(payload: dict[str, Any], path: tuple[str, ...], value: Any = None) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    where = out
    for key in path[:-1]:
        where = where[key]
    if value is None:
        del where[path[-1]]
    else:
        where[path[-1]] = value
    return out


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("threshold",), None, "'threshold' is missing"),
        (("threshold",), "0.5", "'threshold' must be a number"),
        (("features",), "AMT_CREDIT", "'features' must be a list of names"),
        (("cost", "cost_fp"), None, "'cost_fp' is missing"),
        (("data_fingerprint", "history_version"), None, "history_version' is missing"),
        (("feature_set", "model_features"), None, "'feature_set' is not a readable"),
        (("served_model",), "forest", "'served_model' is 'forest'"),
        (("format_version",), 1, "bundle format 1; this code reads formats [2]"),
        (("reasons", "catalogue_version"), "old", "reason catalogue 'old'"),
    ],
)
def test_an_incomplete_metadata_is_refused_naming_the_field(
    outcome: TrainingOutcome, path: tuple[str, ...], value: Any, message: str
) -> None:
    broken = _broken(outcome.metadata, path, value)
    with pytest.raises(BundleIntegrityError, match=r"bundle/metadata\.json") as raised:
        read_metadata(broken, path="bundle/metadata.json")
    assert message in str(raised.value)


def test_a_bundle_that_could_not_be_read_is_never_written(
    outcome: TrainingOutcome, tmp_path: Path
) -> None:
    with pytest.raises(BundleIntegrityError, match="'threshold' is missing"):
        write_bundle(
            tmp_path / "bad",
            booster=outcome.booster,
            metadata=_broken(outcome.metadata, ("threshold",)),
            model_card="",
        )
    assert not (tmp_path / "bad").exists()
