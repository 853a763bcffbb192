"""Fairness metrics on groups small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from credit_scoring.training.fairness import FairnessPolicy, age_band, fairness_report


def test_group_rates_and_adverse_impact_ratio_by_hand() -> None:
    # F: 4 applicants, 1 refused → approval 0.75; M: 4 applicants, 3 refused → approval 0.25.
    y_true = np.array([1, 0, 0, 0, 1, 1, 0, 0])
    refused = np.array([True, False, False, False, True, True, True, False])
    groups = pd.DataFrame({"CODE_GENDER": ["F"] * 4 + ["M"] * 4, "AGE_YEARS": [30.0] * 8})
    report = fairness_report(
        y_true, refused, groups, policy=FairnessPolicy(min_share=0.0, min_count=1)
    )
    rows = {(r["attribute"], r["group"]): r for r in report.rows}
    f, m = rows[("CODE_GENDER", "F")], rows[("CODE_GENDER", "M")]
    assert f["approval_rate"] == pytest.approx(0.75)
    assert m["approval_rate"] == pytest.approx(0.25)
    assert f["default_rate"] == pytest.approx(0.25) and m["default_rate"] == pytest.approx(0.5)
    assert f["tpr"] == pytest.approx(1.0) and m["tpr"] == pytest.approx(1.0)
    assert f["fpr"] == pytest.approx(0.0) and m["fpr"] == pytest.approx(0.5)
    assert m["reference"] == "F"  # equal sizes: the first group
    assert m["adverse_impact_ratio"] == pytest.approx(1 / 3)
    assert m["air_lower"] <= 1 / 3 <= m["air_upper"]
    assert rows[("AGE_BAND", "25-34")]["count"] == 8


def _decisions(spec: dict[str, tuple[int, int]]) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """``{group: (applications, approved)}`` as labels, refusals and a groups frame."""
    names, refused = [], []
    for group, (n, approved) in spec.items():
        names += [group] * n
        refused += [False] * approved + [True] * (n - approved)
    return (
        np.zeros(len(names), dtype=np.int8),
        np.array(refused),
        pd.DataFrame({"CODE_GENDER": names}),
    )


def test_a_one_client_group_is_never_flagged_nor_the_reference() -> None:
    # The real sample's case: XNA, one client, approved; F vs M is 0.988.
    y, refused, groups = _decisions({"F": (6000, 4434), "M": (3000, 2244), "XNA": (1, 1)})
    report = fairness_report(y, refused, groups)
    rows = {r["group"]: r for r in report.rows}
    assert {r["reference"] for r in report.rows} == {"F"}  # the largest judged group
    assert not rows["XNA"]["judged"] and not rows["XNA"]["flagged"]
    assert rows["M"]["adverse_impact_ratio"] == pytest.approx((2244 / 3000) / (4434 / 6000))
    assert report.flagged == []


def test_groups_below_the_minimum_share_are_not_judged() -> None:
    y, refused, groups = _decisions({"A": (5000, 4500), "B": (40, 10)})  # B: 0.8 % of rows
    rows = {r["group"]: r for r in fairness_report(y, refused, groups).rows}
    assert not rows["B"]["judged"] and not rows["B"]["flagged"]
    judged = fairness_report(y, refused, groups, policy=FairnessPolicy(min_share=0.005))
    assert [r["group"] for r in judged.flagged] == ["B"]


def test_a_clear_disparity_is_flagged_with_its_interval_below_the_limit() -> None:
    y, refused, groups = _decisions({"A": (1000, 900), "B": (500, 250)})
    report = fairness_report(y, refused, groups)
    b = next(r for r in report.rows if r["group"] == "B")
    assert b["adverse_impact_ratio"] == pytest.approx(0.5 / 0.9)
    assert b["air_upper"] < 0.8 and b["flagged"]
    assert [r["group"] for r in report.flagged] == ["B"]


def test_a_ratio_below_four_fifths_within_noise_is_not_flagged() -> None:
    # B: 40 applications, 27 approved → AIR 0.75, but its interval reaches above 0.8.
    y, refused, groups = _decisions({"A": (1000, 900), "B": (40, 27)})
    b = next(r for r in fairness_report(y, refused, groups).rows if r["group"] == "B")
    assert b["judged"] and b["adverse_impact_ratio"] == pytest.approx(0.75)
    assert b["air_lower"] < 0.8 < b["air_upper"]
    assert not b["flagged"]


def test_a_configured_reference_is_used_when_large_enough() -> None:
    y, refused, groups = _decisions({"A": (1000, 900), "B": (600, 300), "C": (5, 5)})
    policy = FairnessPolicy(reference={"CODE_GENDER": "B"})
    rows = {r["group"]: r for r in fairness_report(y, refused, groups, policy=policy).rows}
    assert rows["A"]["reference"] == "B"
    assert rows["A"]["adverse_impact_ratio"] == pytest.approx(0.9 / 0.5)
    too_small = FairnessPolicy(reference={"CODE_GENDER": "C"})
    rows = {r["group"]: r for r in fairness_report(y, refused, groups, policy=too_small).rows}
    assert rows["B"]["reference"] == "A"


def test_ratio_just_above_four_fifths_is_not_flagged() -> None:
    y, refused, groups = _decisions({"A": (1000, 1000), "B": (1000, 900)})
    report = fairness_report(y, refused, groups)
    assert report.flagged == []
    b = next(r for r in report.rows if r["group"] == "B")
    assert b["adverse_impact_ratio"] == pytest.approx(0.9)


def test_age_band_comes_from_days_birth_when_age_years_is_absent() -> None:
    groups = pd.DataFrame({"DAYS_BIRTH": [-365.25 * 24.5, -365.25 * 40, -365.25 * 70]})
    band = age_band(groups)
    assert band is not None
    assert list(band) == ["<25", "35-44", "65+"]
    assert age_band(pd.DataFrame({"X": [1]})) is None
