"""Reason codes: grouped pred_contrib, at most four, every feature in the catalogue."""

from __future__ import annotations

import ibis
import numpy as np
import pytest

from credit_scoring.features.application import APPLICATION_FEATURES
from credit_scoring.features.history import history_features
from credit_scoring.runtime.bundle import Bundle
from credit_scoring.runtime.reasons import OTHER_CODE, ReasonIndex, reason_group
from credit_scoring.schema import HISTORY_TABLES, TABLES
from credit_scoring.training.dataset import TrainingData

_IBIS_TYPES = {"int64": "int64", "float64": "float64", "category": "string"}


def real_feature_names() -> list[str]:
    """Every feature the feature pipeline defines: application outputs and history aggregates
    (names read from the Ibis expressions over unbound tables of the schema; nothing runs)."""
    tables = {
        name: ibis.table(
            {c.name: _IBIS_TYPES[c.kind.value] for c in TABLES[name].columns}, name=name
        )
        for name in HISTORY_TABLES
    }
    history = [c for c in history_features(tables).columns if c != "SK_ID_CURR"]
    return [*APPLICATION_FEATURES, *history]


def test_every_real_feature_maps_to_a_specific_reason_group() -> None:
    names = real_feature_names()
    assert len(names) > 200
    unmapped = [n for n in names if reason_group(n).code == OTHER_CODE]
    assert unmapped == []


@pytest.mark.parametrize(
    ("feature", "code"),
    [
        ("EXT_SOURCE_MEAN", "R01"),
        ("INST_HAS_HISTORY", "R02"),
        ("BUREAU_BB_HAS_HISTORY", "R02"),
        ("CREDIT_INCOME_RATIO", "R03"),
        ("BUREAU_REQUEST_TOTAL", "R04"),  # an application feature despite its prefix
        ("DAYS_EMPLOYED_ANOM", "R06"),
        ("BUREAU_BB_DPD_SHARE", "R20"),
        ("PREV_REFUSED_COUNT", "R23"),
        ("INST_DPD_MEAN", "R25"),
        ("CC_UTILISATION_MEAN", "R30"),
    ],
)
def test_names_map_to_the_reason_a_person_would_expect(feature: str, code: str) -> None:
    assert reason_group(feature).code == code


def test_contributions_add_up_to_the_log_odds(bundle: Bundle, training_data: TrainingData) -> None:
    for i in range(0, 300, 30):
        x = training_data.X[i]
        contrib = bundle.contributions(x)
        assert contrib.shape == (len(bundle.features) + 1,)
        assert contrib.sum() == pytest.approx(bundle.score_row(x).raw_score, abs=1e-9)


def test_reasons_are_positive_sorted_grouped_and_at_most_four(
    bundle: Bundle, training_data: TrainingData
) -> None:
    index = bundle.reason_index
    for i in range(200):
        x = training_data.X[i]
        reasons = bundle.score_row(x).reasons
        assert len(reasons) <= 4
        values = [r.contribution for r in reasons]
        assert all(v > 0 for v in values)
        assert values == sorted(values, reverse=True)
        grouped = index.group_contributions(bundle.contributions(x))
        positive = np.sort(grouped[grouped > 0])[::-1][:4]
        assert np.allclose(values, positive)
    batch = bundle.reasons_frame(training_data.X[:50])
    assert [r.code for r in batch[3]] == [
        r.code for r in bundle.score_row(training_data.X[3]).reasons
    ]


def test_group_contribution_is_the_sum_of_its_features() -> None:
    index = ReasonIndex.build(["EXT_SOURCE_1", "AGE_YEARS", "EXT_SOURCE_2", "INST_DPD_MEAN"])
    contrib = np.array([0.5, -0.2, 0.25, 0.1, -3.0])  # last: base value, ignored
    grouped = index.group_contributions(contrib)
    codes = [g.code for g in index.groups]
    assert grouped[codes.index("R01")] == pytest.approx(0.75)
    reasons = index.top_reasons(grouped)
    assert [r.code for r in reasons] == ["R01", "R25"]


def test_the_top_reason_changes_when_its_feature_is_changed(
    bundle: Bundle, training_data: TrainingData
) -> None:
    j = bundle.features.index("EXT_SOURCE_MEAN")
    x = training_data.X[0].copy()
    x[j] = 0.02  # a very low external score: the strongest signal in the data
    low = bundle.score_row(x)
    assert low.reasons[0].code == "R01"
    x[j] = 0.95
    high = bundle.score_row(x)
    assert all(r.code != "R01" for r in high.reasons)
    assert high.probability < low.probability
