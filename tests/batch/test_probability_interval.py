"""No output path says 0 or 1: a bundle whose calibration would saturate still gives
probabilities inside [PROB_MIN, PROB_MAX] in batch and through the API's scorer, and a bundle
serving the scorecard scores the same in both, from its points table."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from credit_scoring.batch import load_batch_model, score_batch
from credit_scoring.features.publish import publish_history
from credit_scoring.runtime.bundle import load_bundle, write_bundle
from credit_scoring.runtime.calibration import PROB_MAX, PROB_MIN
from credit_scoring.serving.scorer import load_served_model
from credit_scoring.settings import Settings


def _variant(pipeline: Any, out: Path, **changes: Any) -> Path:
    """The pipeline's bundle rewritten with ``changes`` to its metadata (checksums renewed)."""
    bundle = load_bundle(pipeline.bundle_dir)
    metadata = {**bundle.metadata, **changes}
    return write_bundle(
        out, booster=bundle.booster, metadata=metadata, model_card="", scorecard=bundle.scorecard
    )


def _score_both(
    pipeline: Any, bundle_dir: Path, settings: Settings, tmp_path: Path
) -> tuple[pd.DataFrame, list[Any]]:
    publish_history(pipeline.features_dir, settings.resolved_database_url)
    out = tmp_path / "scores.parquet"
    source = pipeline.data_dir / "application_test.parquet"
    model = load_batch_model(str(bundle_dir), settings)
    score_batch(source, out, model=model, features_dir=pipeline.features_dir, chunk_rows=101)
    served = load_served_model(str(bundle_dir), settings)
    rows = pd.read_parquet(source).to_dict("records")
    online = [
        served.score_one(
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
        )
        for r in rows
    ]
    return pd.read_parquet(out), online


@pytest.mark.parametrize("b", [-40.0, 40.0], ids=["towards 0", "towards 1"])
def test_a_saturating_calibration_never_gives_zero_or_one(
    pipeline: Any, batch_settings: Settings, tmp_path: Path, b: float
) -> None:
    bundle_dir = _variant(
        pipeline, tmp_path / "bundle", calibration={"method": "platt", "a": 8.0, "b": b}
    )
    scored, online = _score_both(pipeline, bundle_dir, batch_settings, tmp_path)
    probability = scored["probability"]
    assert probability.between(PROB_MIN, PROB_MAX).all()
    assert (probability == (PROB_MIN if b < 0 else PROB_MAX)).any()  # the clip was needed
    assert [o.probability for o in online] == probability.tolist()
    assert all(PROB_MIN <= o.probability <= PROB_MAX for o in online)


def test_a_served_scorecard_scores_alike_in_batch_and_through_the_api(
    pipeline: Any, batch_settings: Settings, tmp_path: Path
) -> None:
    bundle = load_bundle(pipeline.bundle_dir)
    assert bundle.scorecard is not None  # train writes the challenger's table by default
    bundle_dir = _variant(
        pipeline,
        tmp_path / "bundle",
        served_model="scorecard",
        calibration={"method": "platt", "a": 1.0, "b": 0.0},
    )
    scored, online = _score_both(pipeline, bundle_dir, batch_settings, tmp_path)
    assert [o.probability for o in online] == scored["probability"].tolist()
    assert [o.score for o in online] == scored["score"].tolist()
    assert scored["probability"].between(PROB_MIN, PROB_MAX).all()
    refused = [o for o in online if o.decision != "APPROVE"]
    assert refused and all(o.reasons for o in refused)
    served = load_bundle(bundle_dir)
    assert served.points is not None and served.served_model == "scorecard"
