"""The validation report's arithmetic on constructed examples with known default rates."""

from __future__ import annotations

import math

import numpy as np
import pytest

from credit_scoring.governance.report import (
    Comparison,
    ReportInputs,
    bootstrap_discrimination,
    grade_of,
    grade_table,
    psi,
    render_report,
)


def _grade_rows(pd_value: float, n: int, defaults: int) -> tuple[np.ndarray, np.ndarray]:
    y = np.zeros(n, dtype=np.int64)
    y[:defaults] = 1
    return y, np.full(n, pd_value)


def constructed() -> tuple[np.ndarray, np.ndarray]:
    """Four populated grades with known default rates:
    grade 1: PD 0.4 %, 1,000 rows, 2 defaults (0.2 %): PD not too low → green;
    grade 3: PD 1.5 %, 2,000 rows, 30 defaults (1.5 %): exactly right → green;
    grade 6: PD 6 %, 1,000 rows, 120 defaults (12 %): PD far too low → red;
    grade 8: PD 12 %, 500 rows, 75 defaults (15 %): somewhat too low → amber."""
    parts = [
        _grade_rows(0.004, 1000, 2),
        _grade_rows(0.015, 2000, 30),
        _grade_rows(0.06, 1000, 120),
        _grade_rows(0.12, 500, 75),
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def test_grades_follow_the_master_scale_bounds() -> None:
    assert grade_of(np.array([0.001, 0.005, 0.0051, 0.015, 0.06, 0.12, 0.3, 0.99])).tolist() == [
        1, 1, 2, 3, 6, 8, 10, 10,
    ]  # fmt: skip


def test_grade_tests_are_right_on_known_default_rates() -> None:
    y, pd_values = constructed()
    table = grade_table(y, pd_values).set_index("grade")
    assert len(table) == 10 and table["applications"].sum() == len(y)
    expected = {1: (1000, 2, "green"), 3: (2000, 30, "green"), 6: (1000, 120, "red"),
                8: (500, 75, "amber")}  # fmt: skip
    for grade, (n, d, light) in expected.items():
        row = table.loc[grade]
        assert row["applications"] == n and row["defaults"] == d
        assert row["observed_default_rate"] == pytest.approx(d / n)
        assert row["light"] == light, (grade, row["jeffreys_p"])
    # Exactly calibrated: the posterior median sits at the PD (p close to one half).
    assert 0.4 < table.loc[3, "jeffreys_p"] < 0.6
    assert table.loc[6, "jeffreys_p"] < 1e-6
    assert 0.01 < table.loc[8, "jeffreys_p"] < 0.05
    empty = table.loc[2]
    assert empty["applications"] == 0 and empty["light"] == "grey"
    assert math.isnan(empty["observed_default_rate"])


def test_bootstrap_interval_contains_the_estimate_and_psi_sees_a_shift() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(4000) < 0.1).astype(int)
    p = np.clip(0.1 + 0.2 * (y - 0.1) + rng.normal(0, 0.1, 4000), 0.001, 0.999)
    m = bootstrap_discrimination(y, p, n_boot=50)
    auc, lo, hi = m["AUC"]
    assert lo < auc < hi and 0.7 < auc < 1.0
    assert m["Gini"][0] == pytest.approx(2 * auc - 1)
    base = rng.normal(0, 1, 5000)
    assert psi(base, rng.normal(0, 1, 5000)) < 0.05
    assert psi(base, rng.normal(1, 1, 5000)) > 0.25


def test_report_renders_self_contained_with_every_section() -> None:
    y, pd_values = constructed()
    rng = np.random.default_rng(0)
    inputs = ReportInputs(
        model_name="credit-scoring",
        version="3",
        served_model="lightgbm",
        y=y,
        probs=pd_values,
        benchmarks={"logistic": np.clip(pd_values + rng.normal(0, 0.01, len(y)), 1e-3, 0.99)},
        threshold=0.09,
        cost_fn=10,
        cost_fp=1,
        comparison=Comparison("2", "not compared", "the champion uses another feature set."),
        fairness_rows=[],
        lineage={"code commit": "abc123"},
        stability_note="no FEATURES_DIR given.",
        sensitivity_note="no FEATURES_DIR given.",
        limitations=["a limitation"],
        n_boot=20,
    )
    document = render_report(inputs)
    for heading in ("Discrimination", "PD master scale", "Stability", "Cost curve",
                    "Sensitivity", "Fairness", "Lineage", "Limitations"):  # fmt: skip
        assert heading in document
    assert "no numeric comparison" in document.lower() or "not compared" in document
    # Plotly inlined exactly once, nothing fetched from the network.
    assert document.count("plotly.js v") == 1
    assert "<script src=" not in document and "<link " not in document
    assert 'class="light red"' in document and 'class="light amber"' in document
