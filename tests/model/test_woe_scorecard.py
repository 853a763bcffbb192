"""The scorecard challenger: its points table reproduces optbinning's scores and
probabilities, survives JSON, is evaluated out of fold, and can be the served model (scored
from the table, reasons from the points, every output inside the probability interval)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from credit_scoring.errors import BundleIntegrityError
from credit_scoring.metrics import roc_auc
from credit_scoring.runtime.bundle import SCORECARD_CSV_FILE, load_bundle, write_bundle
from credit_scoring.runtime.calibration import PROB_MAX, PROB_MIN
from credit_scoring.runtime.points_table import PointsTable
from credit_scoring.runtime.scorecard import ScoreScaling
from credit_scoring.training.dataset import TrainingData
from credit_scoring.training.train import TrainingOutcome, TrainOptions, fit_model
from credit_scoring.training.woe_scorecard import ScorecardFit, fit_scorecard, scorecard_frame


@pytest.fixture(scope="module")
def fitted(training_data: TrainingData) -> ScorecardFit:
    gain = np.arange(len(training_data.features), 0, -1, dtype=np.float64)
    return fit_scorecard(
        training_data.X,
        training_data.y,
        features=training_data.features,
        categorical=training_data.categorical_features,
        gain=gain,
        scaling=ScoreScaling(),
    )


def test_the_points_reproduce_the_scorecards_scores_and_probabilities(
    fitted: ScorecardFit, training_data: TrainingData
) -> None:
    X = training_data.X.copy()
    X[:50, :] = np.nan  # missing values go to the missing bins
    cat = training_data.features.index("NAME_INCOME_TYPE")
    X[50:60, cat] = 99.0  # an unseen category code
    frame = scorecard_frame(
        fitted, X, features=training_data.features, categorical=training_data.categorical_features
    )
    table = fitted.table.bind(training_data.features)
    # optbinning's ``score`` puts an unseen category in the missing bin while its
    # ``predict_proba`` gives it the average WoE; the table follows the probabilities.
    seen = np.r_[0:50, 60 : len(X)]
    assert np.allclose(table.score(X)[seen], fitted.scorecard.score(frame)[seen], atol=1e-9)
    prob = 1.0 / (1.0 + np.exp(-table.raw_score(X)))
    assert np.allclose(prob, fitted.scorecard.predict_proba(frame)[:, 1], rtol=0, atol=1e-12)


def test_points_fall_as_risk_rises_and_the_table_is_readable(fitted: ScorecardFit) -> None:
    ext = next(c for c in fitted.table.characteristics if c.feature == "EXT_SOURCE_MEAN")
    assert ext.kind == "numerical" and len(ext.points) >= 3
    assert np.all(np.diff(ext.points) > 0)  # higher external score, more points
    csv_text = fitted.table.to_csv()
    assert csv_text.splitlines()[0] == "characteristic,bin,points"
    assert any(line.startswith("EXT_SOURCE_MEAN,missing,") for line in csv_text.splitlines())


def test_the_table_survives_json_exactly(fitted: ScorecardFit, training_data: TrainingData) -> None:
    again = PointsTable.from_json(json.loads(json.dumps(fitted.table.to_json())))
    X = training_data.X
    a, b = fitted.table.bind(training_data.features), again.bind(training_data.features)
    assert np.array_equal(a.raw_score(X), b.raw_score(X))


def test_reasons_from_points_are_the_points_lost_and_add_up(
    fitted: ScorecardFit, training_data: TrainingData
) -> None:
    table = fitted.table.bind(training_data.features)
    X = training_data.X[:200]
    contrib = table.contributions(X)
    assert np.allclose(contrib.sum(axis=1), table.raw_score(X), atol=1e-9)
    assert (contrib[:, :-1] >= -1e-12).all()
    best = np.array([c.best_points for c in fitted.table.characteristics])
    lost = (best - table.points_matrix(X)) / fitted.table.scaling.factor
    assert np.allclose(contrib[:, list(table.columns)], lost)


def test_the_scorecard_is_a_candidate_evaluated_out_of_fold(outcome: TrainingOutcome) -> None:
    m = outcome.summary["candidates"]["scorecard"]
    assert 0.7 < m["auc"] < 1.0
    assert outcome.scorecard is not None
    rows = outcome.summary["scorecard_points"]
    assert {"characteristic", "bin", "points"} <= set(rows[0])
    assert "## Scorecard" in outcome.model_card and "EXT_SOURCE_MEAN" in outcome.model_card


@pytest.fixture(scope="module")
def scorecard_outcome(training_data: TrainingData, fast_options: TrainOptions) -> TrainingOutcome:
    return fit_model(training_data, options=replace(fast_options, served_model="scorecard"))


def test_a_served_scorecard_scores_from_its_table_without_the_booster(
    scorecard_outcome: TrainingOutcome, training_data: TrainingData, tmp_path: Path
) -> None:
    out = write_bundle(
        tmp_path / "bundle",
        booster=scorecard_outcome.booster,
        metadata=scorecard_outcome.metadata,
        model_card=scorecard_outcome.model_card,
        scorecard=scorecard_outcome.scorecard,
    )
    assert (out / SCORECARD_CSV_FILE).read_text().startswith("characteristic,bin,points")
    bundle = load_bundle(out)
    assert bundle.served_model == "scorecard" and bundle.points is not None
    X = training_data.X[:300]
    frame = bundle.score_frame(X)
    table = scorecard_outcome.scorecard.bind(training_data.features)  # type: ignore[union-attr]
    expected = 1.0 / (1.0 + np.exp(-table.raw_score(X)))
    assert np.allclose(frame.probability, np.clip(expected, PROB_MIN, PROB_MAX), atol=1e-15)
    # The points shown are the table's points: the served probability is uncalibrated.
    assert np.allclose(frame.points, table.score(X), atol=1e-6)
    assert ((frame.probability >= PROB_MIN) & (frame.probability <= PROB_MAX)).all()
    assert roc_auc(training_data.y[:300], frame.probability) > 0.7
    for i, x in enumerate(X[:30]):
        row = bundle.score_row(x)
        assert row.probability == frame.probability[i]
        contrib = bundle.contributions(x)
        grouped = bundle.reason_index.group_contributions(contrib)
        assert [r.code for r in row.reasons] == [
            r.code for r in bundle.reason_index.top_reasons(grouped)
        ]
    assert bundle.reasons_frame(X[:30]) == [bundle.score_row(x).reasons for x in X[:30]]


def test_a_bundle_serving_the_scorecard_without_its_table_is_refused(
    scorecard_outcome: TrainingOutcome, tmp_path: Path
) -> None:
    with pytest.raises(BundleIntegrityError, match="points table"):
        write_bundle(
            tmp_path / "b",
            booster=scorecard_outcome.booster,
            metadata=scorecard_outcome.metadata,
            model_card="",
        )
