"""Drift maths on known distributions: PSI, KS and chi² from the bundle's reference bins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from credit_scoring.monitoring.drift import (
    BandThreshold,
    DriftCalculator,
    DriftError,
    PValueThreshold,
    ReferenceColumn,
    bin_counts,
    count_edges_below,
    method,
    reference_columns,
)
from credit_scoring.monitoring.windows import Windows, WindowSpec
from credit_scoring.runtime.reference import assign_bins, categorical_reference, numeric_reference

DAY_NS = 86_400 * 1_000_000_000
VOCAB = ("Cash loans", "Revolving loans")


def one_window(n: int) -> Windows:
    return Windows.assign(WindowSpec.parse("1d"), np.zeros(n, dtype=np.int64))


def numeric_column(values: np.ndarray, name: str = "x") -> ReferenceColumn:
    return ReferenceColumn.from_json(name, numeric_reference(values), n_reference=len(values))


def drift_of(ref: ReferenceColumn, values: np.ndarray, name: str) -> float:
    counts = bin_counts(
        ref.bin_index(values), np.zeros(len(values), np.intp), n_windows=1, n_bins=ref.n_bins
    )
    return float(method(name).fit(ref).calculate(counts).value[0])


def test_identical_data_has_zero_psi_and_ks_and_no_alert() -> None:
    x = np.random.default_rng(0).normal(size=20_000)
    ref = numeric_column(x)
    frame = DriftCalculator().fit({"x": ref}).calculate({"x": x}, one_window(len(x)))
    psi = frame.loc[frame.metric == "psi"].iloc[0]
    ks = frame.loc[frame.metric == "ks"].iloc[0]
    assert psi.value == pytest.approx(0.0, abs=1e-12)
    assert ks.value == pytest.approx(0.0, abs=1e-12)
    assert ks.p_value == pytest.approx(1.0)
    assert set(frame.band) == {"ok"}


def test_fresh_sample_of_the_same_distribution_is_stable() -> None:
    rng = np.random.default_rng(1)
    ref = numeric_column(rng.normal(size=50_000))
    assert drift_of(ref, rng.normal(size=20_000), "psi") < 0.01


@pytest.mark.parametrize(("shift", "band"), [(0.1, "ok"), (0.45, "warn"), (1.0, "alert")])
def test_a_known_mean_shift_gives_the_psi_the_normal_cdf_predicts(shift: float, band: str) -> None:
    rng = np.random.default_rng(2)
    ref = numeric_column(rng.normal(size=200_000))
    shifted = rng.normal(loc=shift, size=200_000)
    # The expected PSI: shares of N(shift, 1) in the reference bins, against the reference's.
    cdf = stats.norm.cdf(ref.edges, loc=shift)
    shares = np.diff(np.r_[0.0, cdf, 1.0])
    expected_psi = float(np.sum((shares - ref.expected[:-1]) * np.log(shares / ref.expected[:-1])))
    frame = DriftCalculator().fit({"x": ref}).calculate({"x": shifted}, one_window(len(shifted)))
    psi = frame.loc[frame.metric == "psi"].iloc[0]
    assert psi.value == pytest.approx(expected_psi, rel=0.05, abs=0.002)
    assert psi.band == band


def test_psi_by_hand_on_two_bins() -> None:
    ref = ReferenceColumn.from_json(
        "x",
        {"kind": "numeric", "edges": [0.0], "proportions": [0.5, 0.5], "missing": 0.0},
        n_reference=1000,
    )
    # 1 of 4 values at or below 0, 3 above: shares 0.25 / 0.75 against 0.5 / 0.5.
    psi = drift_of(ref, np.array([-1.0, 1.0, 2.0, 3.0]), "psi")
    assert psi == pytest.approx(0.25 * np.log(2.0) + 0.25 * np.log(1.5))


def test_missing_values_are_a_bin_of_their_own() -> None:
    x = np.random.default_rng(3).normal(size=10_000)
    x[:1000] = np.nan  # 10% missing in the reference
    ref = numeric_column(x)
    assert ref.expected[-1] == pytest.approx(0.1)
    all_missing_psi = drift_of(ref, np.full(500, np.nan), "psi")
    assert all_missing_psi > 1.0
    # KS looks at present values only: the same present values give no KS drift.
    assert drift_of(ref, x, "ks") == pytest.approx(0.0, abs=1e-12)


def test_ks_is_the_largest_cdf_gap_at_the_reference_edges() -> None:
    rng = np.random.default_rng(4)
    base = rng.uniform(size=10_000)
    ref = numeric_column(base)
    analysis = rng.uniform(size=4_000) ** 2
    gaps = [abs(np.mean(analysis <= e) - np.mean(base <= e)) for e in ref.edges]
    assert drift_of(ref, analysis, "ks") == pytest.approx(max(gaps), abs=1e-9)


def test_categorical_mix_change_is_flagged_by_psi_and_chi2() -> None:
    rng = np.random.default_rng(5)
    train = rng.choice([0.0, 1.0], size=30_000, p=[0.9, 0.1])
    ref = ReferenceColumn.from_json(
        "NAME_CONTRACT_TYPE", categorical_reference(train, VOCAB), n_reference=len(train)
    )
    same = rng.choice([0.0, 1.0], size=5_000, p=[0.9, 0.1])
    moved = rng.choice([0.0, 1.0], size=5_000, p=[0.5, 0.5])
    calc = DriftCalculator().fit({"c": ref})
    windows = Windows.assign(
        WindowSpec.parse("1d"), np.r_[np.zeros(5_000), np.full(5_000, DAY_NS)].astype(np.int64)
    )
    frame = calc.calculate({"c": np.r_[same, moved]}, windows)
    psi = frame[frame.metric == "psi"].sort_values("window_start")
    chi2 = frame[frame.metric == "chi2"].sort_values("window_start")
    assert list(psi.band) == ["ok", "alert"]
    assert chi2.p_value.iloc[0] > 0.05 and chi2.p_value.iloc[1] < 1e-10
    assert list(chi2.band) == ["ok", "alert"]
    assert set(frame.kind) == {"categorical"} and "ks" not in set(frame.metric)


def test_chi2_matches_scipy_contingency_test() -> None:
    ref = ReferenceColumn.from_json(
        "c",
        {
            "kind": "categorical",
            "categories": ["a", "b"],
            "proportions": [0.6, 0.3],
            "unseen": 0.0,
            "missing": 0.1,
        },
        n_reference=1000,
    )
    window = np.r_[np.zeros(50), np.ones(30), np.full(10, 2.0), np.full(10, np.nan)]
    counts = bin_counts(ref.bin_index(window), np.zeros(100, np.intp), n_windows=1, n_bins=4)
    result = method("chi2").fit(ref).calculate(counts)
    # Columns: a, b, unseen, missing — reference counts are shares × 1000 training rows.
    table = np.array([[600, 300, 0, 100], [50, 30, 10, 10]])
    expected = stats.chi2_contingency(table, correction=False)
    assert result.value[0] == pytest.approx(expected.statistic)
    assert result.p_value is not None and result.p_value[0] == pytest.approx(expected.pvalue)


def test_unseen_categories_land_in_the_unseen_bin() -> None:
    ref = ReferenceColumn.from_json(
        "c", categorical_reference(np.zeros(100), VOCAB), n_reference=100
    )
    assert list(ref.bin_index(np.array([0.0, 1.0, 2.0, 7.0, np.nan]))) == [0, 1, 2, 2, 3]


def test_windows_are_computed_independently() -> None:
    rng = np.random.default_rng(6)
    ref = numeric_column(rng.normal(size=10_000))
    a, b = rng.normal(size=3_000), rng.normal(loc=0.5, size=2_000)
    when = np.r_[np.full(3_000, 3 * DAY_NS), np.full(2_000, 9 * DAY_NS)].astype(np.int64)
    frame = (
        DriftCalculator()
        .fit({"x": ref})
        .calculate({"x": np.r_[a, b]}, Windows.assign(WindowSpec.parse("1d"), when))
    )
    psi = frame[frame.metric == "psi"].sort_values("window_start")
    assert psi.value.tolist() == pytest.approx([drift_of(ref, a, "psi"), drift_of(ref, b, "psi")])
    assert psi.n_rows.tolist() == [3_000, 2_000]


def test_thresholds_are_objects_with_bands() -> None:
    bands = BandThreshold(warn=0.1, alert=0.25).band(np.array([0.05, 0.1, 0.2, 0.25, np.nan]))
    assert list(bands) == ["ok", "warn", "warn", "alert", "ok"]
    assert list(PValueThreshold(0.05).band(np.array([0.5, 0.01]))) == ["ok", "alert"]
    with pytest.raises(DriftError, match="warn ≤ alert"):
        BandThreshold(warn=0.3, alert=0.1)


def test_custom_thresholds_change_the_band() -> None:
    x = np.random.default_rng(7).normal(size=20_000)
    ref = numeric_column(x)
    calc = DriftCalculator(thresholds={"psi": BandThreshold(warn=0.01, alert=0.02)})
    frame = calc.fit({"x": ref}).calculate({"x": x + 0.3}, one_window(len(x)))
    assert frame.loc[frame.metric == "psi", "band"].item() == "alert"


def test_bundle_reference_bins_are_parsed_with_outputs_apart() -> None:
    x = np.random.default_rng(8).normal(size=1000)
    bins = {
        "n_rows": 1000,
        "features": {"x": numeric_reference(x), "c": categorical_reference(np.zeros(1000), VOCAB)},
        "outputs": {"probability": numeric_reference(np.abs(x) / 4)},
    }
    columns = reference_columns(bins)
    assert set(columns) == {"x", "c", "output:probability"}
    assert columns["c"].kind == "categorical" and columns["c"].n_bins == len(VOCAB) + 2


def test_malformed_reference_names_the_column() -> None:
    with pytest.raises(DriftError, match="'AMT_CREDIT'"):
        ReferenceColumn.from_json("AMT_CREDIT", {"kind": "numeric", "edges": [1.0]}, n_reference=10)
    with pytest.raises(DriftError, match="unknown kind"):
        ReferenceColumn.from_json("x", {"kind": "text"}, n_reference=10)


def test_unknown_method_and_unfitted_calculator_are_refused() -> None:
    with pytest.raises(DriftError, match="unknown drift method 'wasserstein'"):
        DriftCalculator(methods={"numeric": ("wasserstein",)})
    with pytest.raises(DriftError, match="fit"):
        DriftCalculator().calculate({}, one_window(0))


def test_empty_window_gives_nan_not_an_error() -> None:
    ref = numeric_column(np.random.default_rng(9).normal(size=100))
    counts = np.zeros((1, ref.n_bins))
    result = method("psi").fit(ref).calculate(counts)
    assert np.isnan(result.value[0]) and result.band[0] == "ok"


@given(
    edges=st.lists(st.floats(-3, 3, allow_nan=False), max_size=40, unique=True),
    values=st.lists(st.floats(-5, 5, allow_nan=False) | st.just(float("nan")), max_size=100),
    ties=st.lists(st.integers(0, 39), max_size=20),
)
def test_fast_binning_is_the_bundle_binning_rule(
    edges: list[float], values: list[float], ties: list[int]
) -> None:
    e = np.unique(np.asarray(edges, dtype=np.float64))
    # Values exactly on an edge must fall in the bin the edge closes (right-closed bins).
    on_edges = [float(e[i % e.size]) for i in ties] if e.size else []
    x = np.asarray(values + on_edges, dtype=np.float64)
    present = ~np.isnan(x)
    np.testing.assert_array_equal(count_edges_below(x, e)[present], assign_bins(x, e)[present])


def test_matrix_blocks_give_the_same_rows_as_columns() -> None:
    rng = np.random.default_rng(10)
    train = np.c_[rng.normal(size=5000), rng.choice([0.0, 1.0], size=5000)]
    reference = {
        "x": numeric_column(train[:, 0]),
        "c": ReferenceColumn.from_json(
            "c", categorical_reference(train[:, 1], VOCAB), n_reference=5000
        ),
    }
    analysis = np.c_[rng.normal(0.3, size=2500), rng.choice([0.0, 1.0, 2.0, np.nan], size=2500)]
    when = (rng.integers(0, 3, size=2500) * DAY_NS).astype(np.int64)
    windows = Windows.assign(WindowSpec.parse("1d"), when)
    calc = DriftCalculator().fit(reference)
    by_blocks = calc.calculate_matrix(analysis, ["x", "c"], windows, block_rows=700)
    by_columns = calc.calculate({"x": analysis[:, 0], "c": analysis[:, 1]}, windows)
    pd.testing.assert_frame_equal(by_blocks, by_columns)
    with pytest.raises(DriftError, match="shape"):
        calc.calculate_matrix(analysis, ["x"], windows)


def test_a_window_too_small_for_its_bins_gets_the_low_n_band() -> None:
    train = np.random.default_rng(11).integers(0, 50, size=50_000).astype(float)
    vocab = tuple(f"c{i}" for i in range(50))
    ref = ReferenceColumn.from_json("c", categorical_reference(train, vocab), n_reference=50_000)
    small = np.random.default_rng(12).integers(0, 50, size=300).astype(float)
    large = np.random.default_rng(13).integers(0, 50, size=5_000).astype(float)
    when = np.r_[np.zeros(300), np.full(5_000, DAY_NS)].astype(np.int64)
    frame = (
        DriftCalculator()
        .fit({"c": ref})
        .calculate({"c": np.r_[small, large]}, Windows.assign(WindowSpec.parse("1d"), when))
    )
    psi = frame[frame.metric == "psi"].sort_values("window_start")
    # Same distribution: sampling noise alone puts the 300-row window in the warn band.
    assert psi.value.iloc[0] > 0.10
    assert list(psi.band) == ["low_n", "ok"]
