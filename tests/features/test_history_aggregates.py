"""History aggregates on hand-made tables whose answers were worked out by hand."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from credit_scoring.errors import DataContractError
from credit_scoring.features.history import compute_history
from credit_scoring.features.naming import HISTORY_PREFIXES, is_history_flag


@pytest.fixture(scope="module")
def history(tiny_data_dir: Path) -> pd.DataFrame:
    return compute_history(tiny_data_dir, engine="duckdb").to_pandas().set_index("SK_ID_CURR")


def value(history: pd.DataFrame, client: int, name: str) -> float:
    return float(history.loc[client, name])


def assert_values(history: pd.DataFrame, client: int, expected: dict[str, float]) -> None:
    for name, want in expected.items():
        got = value(history, client, name)
        if math.isnan(want):
            assert math.isnan(got), f"{name}: expected missing, got {got}"
        else:
            assert got == pytest.approx(want, rel=1e-12, abs=1e-12), name


def test_only_clients_with_history_get_a_row_in_key_order(history: pd.DataFrame) -> None:
    assert history.index.tolist() == [1, 2]


def test_the_real_sample_comes_back_in_key_order_one_row_per_client(
    sample_data_dir: Path,
) -> None:
    keys = compute_history(sample_data_dir, engine="duckdb")["SK_ID_CURR"].to_numpy()
    assert len(keys) > 100
    assert (keys[1:] > keys[:-1]).all()


def test_bureau_credits_split_active_and_closed(history: pd.DataFrame) -> None:
    assert_values(
        history,
        1,
        {
            "BUREAU_HAS_HISTORY": 1.0,
            "BUREAU_COUNT": 2,
            "BUREAU_ACTIVE_COUNT": 1,
            "BUREAU_CLOSED_COUNT": 1,
            "BUREAU_ACTIVE_SHARE": 0.5,
            "BUREAU_CREDIT_TYPE_NUNIQUE": 2,
            "BUREAU_CREDIT_CARD_COUNT": 1,
            "BUREAU_DAYS_CREDIT_MEAN": -450.0,
            "BUREAU_DAYS_CREDIT_STD": 700 / math.sqrt(2),
            "BUREAU_AMT_CREDIT_SUM_SUM": 3000.0,
            "BUREAU_ACTIVE_DEBT_SUM": 400.0,
            "BUREAU_DEBT_CREDIT_RATIO": 400 / 3000,
            "BUREAU_OVERDUE_DEBT_RATIO": 50 / 400,
            "BUREAU_OVERDUE_COUNT": 1,
            "BUREAU_CREDIT_DAY_OVERDUE_MAX": 10,
            "BUREAU_ENDDATE_FACT_MINUS_PLANNED_MEAN": -100.0,
            "BUREAU_CNT_CREDIT_PROLONG_SUM": 1,
            "BUREAU_CLOSED_DAYS_CREDIT_MAX": -800,
            "BUREAU_COUNT_LAST_1Y": 1,
            "BUREAU_COUNT_LAST_2Y": 1,
            "BUREAU_COUNT_LAST_3Y": 2,
        },
    )


def test_bureau_balance_rolls_up_months_past_due_and_worst_status(
    history: pd.DataFrame,
) -> None:
    assert_values(
        history,
        1,
        {
            "BUREAU_BB_HAS_HISTORY": 1.0,
            "BUREAU_BB_MONTHS_SUM": 6,
            "BUREAU_BB_DPD_MONTHS_SUM": 2,
            "BUREAU_BB_DPD_SHARE": 2 / 6,
            "BUREAU_BB_DPD_MONTHS_LAST_12M_SUM": 2,
            "BUREAU_BB_CREDITS_WITH_DPD_COUNT": 2,
            "BUREAU_BB_WORST_STATUS_MAX": 2,
            "BUREAU_BB_WORST_STATUS_MEAN": 1.5,
            "BUREAU_BB_UNKNOWN_SHARE": 1 / 6,
            "BUREAU_BB_FIRST_MONTH_MIN": -20,
        },
    )


def test_standard_deviation_of_one_row_is_missing_and_flags_say_what_is_absent(
    history: pd.DataFrame,
) -> None:
    assert_values(
        history,
        2,
        {
            "BUREAU_COUNT": 1,
            "BUREAU_CREDIT_TYPE_NUNIQUE": 1,
            "BUREAU_DAYS_CREDIT_STD": math.nan,
            "BUREAU_BB_HAS_HISTORY": 0.0,
            "BUREAU_BB_MONTHS_SUM": math.nan,
            "PREV_HAS_HISTORY": 0.0,
            "PREV_COUNT": math.nan,
            "CC_HAS_HISTORY": 0.0,
            "CC_UTILISATION_MEAN": math.nan,
        },
    )
    assert_values(history, 1, {"POS_HAS_HISTORY": 0.0, "POS_SK_DPD_MAX": math.nan})


def test_previous_applications_outcomes_and_last_decision_day(history: pd.DataFrame) -> None:
    assert_values(
        history,
        1,
        {
            "PREV_COUNT": 3,
            "PREV_APPROVED_COUNT": 2,
            "PREV_REFUSED_COUNT": 1,
            "PREV_REFUSED_SHARE": 1 / 3,
            "PREV_REFUSED_SCORING_COUNT": 1,
            "PREV_CASH_COUNT": 2,
            "PREV_CREDIT_APPLICATION_RATIO_MEAN": (0.9 + 0.0 + 1.0) / 3,
            "PREV_CREDIT_APPLICATION_RATIO_MIN": 0.0,
            "PREV_DAYS_DECISION_MIN": -300,
            "PREV_DAYS_DECISION_MAX": -30,
            "PREV_APPROVED_AMT_CREDIT_SUM": 1400.0,
            "PREV_REFUSED_AMT_APPLICATION_MAX": 2000.0,
            "PREV_COUNT_LAST_1Y": 3,
            "PREV_REFUSED_COUNT_LAST_1Y": 1,
            # the two applications decided on day -30 are both "last"
            "PREV_LAST_AMT_CREDIT": 250.0,
            "PREV_LAST_REFUSED": 1.0,
            "PREV_LAST_APPROVED": 1.0,
        },
    )


def test_sentinel_days_are_missing_before_aggregating(history: pd.DataFrame) -> None:
    # 365243 in DAYS_LAST_DUE_1ST_VERSION would otherwise be the max and count as running.
    assert_values(
        history,
        1,
        {
            "PREV_DAYS_LAST_DUE_1ST_VERSION_MAX": 100.0,
            "PREV_RUNNING_COUNT": 1,
            "PREV_RUNNING_AMT_ANNUITY_SUM": 50.0,
        },
    )


def test_instalments_late_early_and_short_payments(history: pd.DataFrame) -> None:
    assert_values(
        history,
        1,
        {
            "INST_COUNT": 3,
            "INST_DPD_MEAN": 10 / 3,
            "INST_DPD_MAX": 10,
            "INST_DPD_SUM": 10,
            "INST_DBD_MEAN": 5 / 3,
            "INST_DBD_MAX": 5,
            "INST_LATE_COUNT": 1,
            "INST_LATE_SHARE": 1 / 3,
            "INST_PAID_RATIO_MEAN": 1.0,
            "INST_PAID_RATIO_MIN": 0.5,
            "INST_PAID_DIFF_SUM": 0.0,
            "INST_PAID_DIFF_MAX": 50.0,
            "INST_UNDERPAID_COUNT": 1,
            "INST_MISSING_PAYMENT_COUNT": 0,
            "INST_DPD_MEAN_LAST_1Y": 10 / 3,
            "INST_LATE_SHARE_LAST_10": 1 / 3,
        },
    )


def test_unpaid_instalment_has_missing_lateness_not_zero(history: pd.DataFrame) -> None:
    assert_values(
        history,
        2,
        {
            "INST_COUNT": 1,
            "INST_MISSING_PAYMENT_COUNT": 1,
            "INST_DPD_MEAN": math.nan,
            "INST_PAID_RATIO_MEAN": math.nan,
        },
    )


def test_pos_loans_lateness_and_latest_month(history: pd.DataFrame) -> None:
    assert_values(
        history,
        2,
        {
            "POS_HAS_HISTORY": 1.0,
            "POS_MONTHS_COUNT": 4,
            "POS_LOAN_COUNT": 2,
            "POS_SK_DPD_MAX": 15,
            "POS_SK_DPD_MEAN": 15 / 4,
            "POS_DPD_MONTHS_SHARE": 0.25,
            "POS_COMPLETED_LOAN_COUNT": 1,
            "POS_MONTHS_BALANCE_MIN": -20,
            "POS_SK_DPD_MAX_LAST_12M": 15,
            "POS_LATEST_CNT_INSTALMENT_FUTURE_SUM": 6.0,
            "POS_LATEST_ACTIVE_LOAN_COUNT": 1,
        },
    )


def test_card_utilisation_ignores_zero_limits(history: pd.DataFrame) -> None:
    assert_values(
        history,
        1,
        {
            "CC_HAS_HISTORY": 1.0,
            "CC_UTILISATION_MEAN": 0.75,
            "CC_UTILISATION_MAX": 1.0,
            "CC_UTILISATION_MEAN_LAST_6M": 0.75,
            "CC_PAID_BELOW_MIN_COUNT": 1,
            "CC_PAYMENT_MIN_RATIO_MEAN": 1.25,
            "CC_AMT_DRAWINGS_CURRENT_SUM": 100.0,
            "CC_DPD_MONTHS_SHARE": 1 / 3,
            "CC_AMT_BALANCE_MEAN_LAST_12M": 750.0,
        },
    )


def test_names_follow_the_source_prefix_convention(history: pd.DataFrame) -> None:
    names = history.columns.tolist()
    assert 120 <= len(names) <= 250
    assert all(name == name.upper() and name.startswith(tuple(HISTORY_PREFIXES)) for name in names)
    flags = {name for name in names if is_history_flag(name)}
    assert flags == {f"{prefix}HAS_HISTORY" for prefix in HISTORY_PREFIXES}
    assert all(history[name].isin([0.0, 1.0]).all() for name in flags)
    assert all(str(dtype) == "float64" for dtype in history.dtypes)


def test_a_missing_table_file_is_named(tiny_data_dir: Path, tmp_path: Path) -> None:
    for source in tiny_data_dir.iterdir():
        if source.name != "bureau_balance.parquet":
            (tmp_path / source.name).symlink_to(source)
    with pytest.raises(DataContractError, match="bureau_balance"):
        compute_history(tmp_path)
