"""Fairness metrics on groups small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_scoring.model.fairness import age_band, fairness_report


def test_group_rates_and_adverse_impact_ratio_by_hand() -> None:
    # F: 4 applicants, 1 refused → approval 0.75; M: 4 applicants, 3 refused → approval 0.25.
    y_true = np.array([1, 0, 0, 0, 1, 1, 0, 0])
    refused = np.array([True, False, False, False, True, True, True, False])
    groups = pd.DataFrame({"CODE_GENDER": ["F"] * 4 + ["M"] * 4, "AGE_YEARS": [30.0] * 8})
    report = fairness_report(y_true, refused, groups)
    rows = {(r["attribute"], r["group"]): r for r in report.rows}
    f, m = rows[("CODE_GENDER", "F")], rows[("CODE_GENDER", "M")]
    assert f["approval_rate"] == pytest.approx(0.75)
    assert m["approval_rate"] == pytest.approx(0.25)
    assert f["default_rate"] == pytest.approx(0.25) and m["default_rate"] == pytest.approx(0.5)
    assert f["tpr"] == pytest.approx(1.0) and m["tpr"] == pytest.approx(1.0)
    assert f["fpr"] == pytest.approx(0.0) and m["fpr"] == pytest.approx(0.5)
    assert m["adverse_impact_ratio"] == pytest.approx(1 / 3)
    assert m["flagged"] and not f["flagged"]
    assert [r["group"] for r in report.flagged] == ["M"]
    assert rows[("AGE_BAND", "25-34")]["count"] == 8


def test_ratio_just_above_four_fifths_is_not_flagged() -> None:
    y_true = np.zeros(20, dtype=int)
    # A: 10/10 approved; B: 9/10 approved → ratio 0.9
    refused = np.array([False] * 10 + [True] + [False] * 9)
    groups = pd.DataFrame({"CODE_GENDER": ["A"] * 10 + ["B"] * 10})
    report = fairness_report(y_true, refused, groups)
    assert report.flagged == []
    b = next(r for r in report.rows if r["group"] == "B")
    assert b["adverse_impact_ratio"] == pytest.approx(0.9)


def test_age_band_comes_from_days_birth_when_age_years_is_absent() -> None:
    groups = pd.DataFrame({"DAYS_BIRTH": [-365.25 * 24.5, -365.25 * 40, -365.25 * 70]})
    band = age_band(groups)
    assert band is not None
    assert list(band) == ["<25", "35-44", "65+"]
    assert age_band(pd.DataFrame({"X": [1]})) is None
