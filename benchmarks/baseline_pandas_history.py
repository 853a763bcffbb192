"""Baseline for ``bench_features.py``: the usual notebook approach to the history aggregates.

Pandas, one ``groupby().agg()`` per table after adding masked columns for the conditional
aggregates, then merges — the same features as :mod:`credit_scoring.features.history`
(a handful are compared by the benchmark). Not part of the package.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SENTINEL = 365243
KEY = "SK_ID_CURR"
WINDOWS = {"1Y": 365, "2Y": 730, "3Y": 1095}


def _ratio(a: pd.Series, b: pd.Series) -> pd.Series:
    return a / b.where(b != 0)


def _flag(agg: pd.DataFrame, prefix: str) -> pd.DataFrame:
    agg.insert(0, f"{prefix}HAS_HISTORY", 1.0)
    return agg


def bureau_features(data_dir: Path) -> pd.DataFrame:
    bb = pd.read_parquet(data_dir / "bureau_balance.parquet")
    bb["dpd"] = pd.to_numeric(bb["STATUS"].where(bb["STATUS"].isin(list("12345"))), "coerce")
    bb["dpd"] = bb["dpd"].fillna(0)
    bb["late"] = bb["dpd"] > 0
    bb["late_12"] = bb["late"] & (bb["MONTHS_BALANCE"] >= -12)
    bb["unknown"] = bb["STATUS"] == "X"
    per_credit = bb.groupby("SK_ID_BUREAU").agg(
        bb_months=("MONTHS_BALANCE", "count"),
        bb_dpd_months=("late", "sum"),
        bb_dpd_months_12=("late_12", "sum"),
        bb_unknown_months=("unknown", "sum"),
        bb_worst_status=("dpd", "max"),
        bb_first_month=("MONTHS_BALANCE", "min"),
    )
    del bb
    b = pd.read_parquet(data_dir / "bureau.parquet").merge(
        per_credit, left_on="SK_ID_BUREAU", right_index=True, how="left"
    )
    active = b["CREDIT_ACTIVE"] == "Active"
    closed = b["CREDIT_ACTIVE"] == "Closed"
    b["is_active"] = active.astype(float)
    b["n_active"] = active
    b["n_closed"] = closed
    b["n_bad"] = b["CREDIT_ACTIVE"].isin(["Bad debt", "Sold"])
    for suffix, kind in {
        "CREDIT_CARD": "Credit card",
        "CONSUMER_CREDIT": "Consumer credit",
        "CAR_LOAN": "Car loan",
        "MORTGAGE": "Mortgage",
        "MICROLOAN": "Microloan",
    }.items():
        b[f"n_{suffix}"] = b["CREDIT_TYPE"] == kind
    b["fact_minus_planned"] = b["DAYS_ENDDATE_FACT"] - b["DAYS_CREDIT_ENDDATE"]
    b["n_overdue"] = b["CREDIT_DAY_OVERDUE"] > 0
    for col in ("AMT_CREDIT_SUM_DEBT", "AMT_CREDIT_SUM", "AMT_CREDIT_SUM_LIMIT",
                "AMT_CREDIT_SUM_OVERDUE", "AMT_ANNUITY", "DAYS_CREDIT", "DAYS_CREDIT_ENDDATE",
                "CREDIT_DAY_OVERDUE"):  # fmt: skip
        b[f"active_{col}"] = b[col].where(active)
    for col in ("AMT_CREDIT_SUM", "DAYS_CREDIT", "DAYS_ENDDATE_FACT", "AMT_CREDIT_MAX_OVERDUE"):
        b[f"closed_{col}"] = b[col].where(closed)
    for window, days in WINDOWS.items():
        recent = b["DAYS_CREDIT"] >= -days
        b[f"n_last_{window}"] = recent
        b[f"credit_last_{window}"] = b["AMT_CREDIT_SUM"].where(recent)
    b["bb_has_dpd"] = b["bb_dpd_months"] > 0
    named = {
        "BUREAU_COUNT": ("SK_ID_BUREAU", "count"),
        "BUREAU_ACTIVE_COUNT": ("n_active", "sum"),
        "BUREAU_CLOSED_COUNT": ("n_closed", "sum"),
        "BUREAU_BAD_DEBT_OR_SOLD_COUNT": ("n_bad", "sum"),
        "BUREAU_ACTIVE_SHARE": ("is_active", "mean"),
        "BUREAU_CREDIT_TYPE_NUNIQUE": ("CREDIT_TYPE", "nunique"),
        **{
            f"BUREAU_{s}_COUNT": (f"n_{s}", "sum")
            for s in ("CREDIT_CARD", "CONSUMER_CREDIT", "CAR_LOAN", "MORTGAGE", "MICROLOAN")
        },
        "BUREAU_DAYS_CREDIT_MIN": ("DAYS_CREDIT", "min"),
        "BUREAU_DAYS_CREDIT_MAX": ("DAYS_CREDIT", "max"),
        "BUREAU_DAYS_CREDIT_MEAN": ("DAYS_CREDIT", "mean"),
        "BUREAU_DAYS_CREDIT_STD": ("DAYS_CREDIT", "std"),
        "BUREAU_DAYS_CREDIT_ENDDATE_MIN": ("DAYS_CREDIT_ENDDATE", "min"),
        "BUREAU_DAYS_CREDIT_ENDDATE_MAX": ("DAYS_CREDIT_ENDDATE", "max"),
        "BUREAU_DAYS_CREDIT_ENDDATE_MEAN": ("DAYS_CREDIT_ENDDATE", "mean"),
        "BUREAU_DAYS_ENDDATE_FACT_MAX": ("DAYS_ENDDATE_FACT", "max"),
        "BUREAU_DAYS_ENDDATE_FACT_MEAN": ("DAYS_ENDDATE_FACT", "mean"),
        "BUREAU_ENDDATE_FACT_MINUS_PLANNED_MEAN": ("fact_minus_planned", "mean"),
        "BUREAU_DAYS_CREDIT_UPDATE_MAX": ("DAYS_CREDIT_UPDATE", "max"),
        "BUREAU_DAYS_CREDIT_UPDATE_MEAN": ("DAYS_CREDIT_UPDATE", "mean"),
        "BUREAU_CREDIT_DAY_OVERDUE_MAX": ("CREDIT_DAY_OVERDUE", "max"),
        "BUREAU_CREDIT_DAY_OVERDUE_MEAN": ("CREDIT_DAY_OVERDUE", "mean"),
        "BUREAU_OVERDUE_COUNT": ("n_overdue", "sum"),
        "BUREAU_AMT_CREDIT_MAX_OVERDUE_MAX": ("AMT_CREDIT_MAX_OVERDUE", "max"),
        "BUREAU_AMT_CREDIT_MAX_OVERDUE_MEAN": ("AMT_CREDIT_MAX_OVERDUE", "mean"),
        "BUREAU_CNT_CREDIT_PROLONG_SUM": ("CNT_CREDIT_PROLONG", "sum"),
        "BUREAU_AMT_CREDIT_SUM_SUM": ("AMT_CREDIT_SUM", "sum"),
        "BUREAU_AMT_CREDIT_SUM_MEAN": ("AMT_CREDIT_SUM", "mean"),
        "BUREAU_AMT_CREDIT_SUM_MAX": ("AMT_CREDIT_SUM", "max"),
        "BUREAU_AMT_CREDIT_SUM_DEBT_SUM": ("AMT_CREDIT_SUM_DEBT", "sum"),
        "BUREAU_AMT_CREDIT_SUM_DEBT_MEAN": ("AMT_CREDIT_SUM_DEBT", "mean"),
        "BUREAU_AMT_CREDIT_SUM_DEBT_MAX": ("AMT_CREDIT_SUM_DEBT", "max"),
        "BUREAU_AMT_CREDIT_SUM_LIMIT_SUM": ("AMT_CREDIT_SUM_LIMIT", "sum"),
        "BUREAU_AMT_CREDIT_SUM_LIMIT_MEAN": ("AMT_CREDIT_SUM_LIMIT", "mean"),
        "BUREAU_AMT_CREDIT_SUM_OVERDUE_SUM": ("AMT_CREDIT_SUM_OVERDUE", "sum"),
        "BUREAU_AMT_CREDIT_SUM_OVERDUE_MAX": ("AMT_CREDIT_SUM_OVERDUE", "max"),
        "BUREAU_AMT_ANNUITY_SUM": ("AMT_ANNUITY", "sum"),
        "BUREAU_AMT_ANNUITY_MEAN": ("AMT_ANNUITY", "mean"),
        "BUREAU_ACTIVE_DEBT_SUM": ("active_AMT_CREDIT_SUM_DEBT", "sum"),
        "BUREAU_ACTIVE_CREDIT_SUM": ("active_AMT_CREDIT_SUM", "sum"),
        "BUREAU_ACTIVE_LIMIT_SUM": ("active_AMT_CREDIT_SUM_LIMIT", "sum"),
        "BUREAU_ACTIVE_OVERDUE_SUM": ("active_AMT_CREDIT_SUM_OVERDUE", "sum"),
        "BUREAU_ACTIVE_ANNUITY_SUM": ("active_AMT_ANNUITY", "sum"),
        "BUREAU_ACTIVE_DAYS_CREDIT_MEAN": ("active_DAYS_CREDIT", "mean"),
        "BUREAU_ACTIVE_DAYS_CREDIT_ENDDATE_MAX": ("active_DAYS_CREDIT_ENDDATE", "max"),
        "BUREAU_ACTIVE_CREDIT_DAY_OVERDUE_MAX": ("active_CREDIT_DAY_OVERDUE", "max"),
        "BUREAU_CLOSED_CREDIT_SUM": ("closed_AMT_CREDIT_SUM", "sum"),
        "BUREAU_CLOSED_DAYS_CREDIT_MAX": ("closed_DAYS_CREDIT", "max"),
        "BUREAU_CLOSED_DAYS_ENDDATE_FACT_MAX": ("closed_DAYS_ENDDATE_FACT", "max"),
        "BUREAU_CLOSED_AMT_CREDIT_MAX_OVERDUE_MAX": ("closed_AMT_CREDIT_MAX_OVERDUE", "max"),
        **{f"BUREAU_COUNT_LAST_{w}": (f"n_last_{w}", "sum") for w in WINDOWS},
        **{f"BUREAU_CREDIT_SUM_LAST_{w}": (f"credit_last_{w}", "sum") for w in WINDOWS},
        "BUREAU_BB_MONTHS_SUM": ("bb_months", "sum"),
        "BUREAU_BB_MONTHS_MEAN": ("bb_months", "mean"),
        "BUREAU_BB_DPD_MONTHS_SUM": ("bb_dpd_months", "sum"),
        "BUREAU_BB_DPD_MONTHS_LAST_12M_SUM": ("bb_dpd_months_12", "sum"),
        "BUREAU_BB_CREDITS_WITH_DPD_COUNT": ("bb_has_dpd", "sum"),
        "BUREAU_BB_WORST_STATUS_MAX": ("bb_worst_status", "max"),
        "BUREAU_BB_WORST_STATUS_MEAN": ("bb_worst_status", "mean"),
        "BUREAU_BB_FIRST_MONTH_MIN": ("bb_first_month", "min"),
        "bb_unknown": ("bb_unknown_months", "sum"),
        "bb_credits": ("bb_months", "count"),
    }
    agg = b.groupby(KEY).agg(**named)
    agg["BUREAU_DEBT_CREDIT_RATIO"] = _ratio(
        agg["BUREAU_AMT_CREDIT_SUM_DEBT_SUM"], agg["BUREAU_AMT_CREDIT_SUM_SUM"]
    )
    agg["BUREAU_OVERDUE_DEBT_RATIO"] = _ratio(
        agg["BUREAU_AMT_CREDIT_SUM_OVERDUE_SUM"], agg["BUREAU_AMT_CREDIT_SUM_DEBT_SUM"]
    )
    agg["BUREAU_ACTIVE_DEBT_CREDIT_RATIO"] = _ratio(
        agg["BUREAU_ACTIVE_DEBT_SUM"], agg["BUREAU_ACTIVE_CREDIT_SUM"]
    )
    agg["BUREAU_BB_DPD_SHARE"] = _ratio(
        agg["BUREAU_BB_DPD_MONTHS_SUM"], agg["BUREAU_BB_MONTHS_SUM"]
    )
    agg["BUREAU_BB_UNKNOWN_SHARE"] = _ratio(agg.pop("bb_unknown"), agg["BUREAU_BB_MONTHS_SUM"])
    agg["BUREAU_BB_HAS_HISTORY"] = (agg.pop("bb_credits") > 0).astype(float)
    return _flag(agg, "BUREAU_")


def previous_features(data_dir: Path) -> pd.DataFrame:
    p = pd.read_parquet(data_dir / "previous_application.parquet")
    for col in ("DAYS_FIRST_DRAWING", "DAYS_FIRST_DUE", "DAYS_LAST_DUE_1ST_VERSION",
                "DAYS_LAST_DUE", "DAYS_TERMINATION"):  # fmt: skip
        p[col] = p[col].replace(SENTINEL, np.nan)
    p["ratio"] = _ratio(p["AMT_CREDIT"], p["AMT_APPLICATION"])
    approved = p["NAME_CONTRACT_STATUS"] == "Approved"
    refused = p["NAME_CONTRACT_STATUS"] == "Refused"
    running = approved & (p["DAYS_LAST_DUE_1ST_VERSION"] > 0)
    p["n_approved"], p["n_refused"] = approved, refused
    p["n_canceled"] = p["NAME_CONTRACT_STATUS"] == "Canceled"
    p["is_approved"], p["is_refused"] = approved.astype(float), refused.astype(float)
    p["n_cash"] = p["NAME_CONTRACT_TYPE"] == "Cash loans"
    p["n_consumer"] = p["NAME_CONTRACT_TYPE"] == "Consumer loans"
    p["n_revolving"] = p["NAME_CONTRACT_TYPE"] == "Revolving loans"
    p["n_scoring"] = refused & p["CODE_REJECT_REASON"].isin(["SCO", "SCOFR"])
    p["yield_high"] = (p["NAME_YIELD_GROUP"] == "high").astype(float)
    for col in ("AMT_CREDIT", "AMT_ANNUITY", "CNT_PAYMENT", "ratio", "DAYS_DECISION"):
        p[f"appr_{col}"] = p[col].where(approved)
    for col in ("AMT_APPLICATION", "DAYS_DECISION"):
        p[f"ref_{col}"] = p[col].where(refused)
    p["n_running"] = running
    p["running_annuity"] = p["AMT_ANNUITY"].where(running)
    for window, days in WINDOWS.items():
        recent = p["DAYS_DECISION"] >= -days
        p[f"n_last_{window}"] = recent
        p[f"n_ref_last_{window}"] = recent & refused
    agg = p.groupby(KEY).agg(
        PREV_COUNT=("SK_ID_PREV", "count"),
        PREV_APPROVED_COUNT=("n_approved", "sum"),
        PREV_REFUSED_COUNT=("n_refused", "sum"),
        PREV_CANCELED_COUNT=("n_canceled", "sum"),
        PREV_APPROVED_SHARE=("is_approved", "mean"),
        PREV_REFUSED_SHARE=("is_refused", "mean"),
        PREV_CASH_COUNT=("n_cash", "sum"),
        PREV_CONSUMER_COUNT=("n_consumer", "sum"),
        PREV_REVOLVING_COUNT=("n_revolving", "sum"),
        PREV_REFUSED_SCORING_COUNT=("n_scoring", "sum"),
        PREV_YIELD_HIGH_SHARE=("yield_high", "mean"),
        PREV_AMT_APPLICATION_MEAN=("AMT_APPLICATION", "mean"),
        PREV_AMT_APPLICATION_MAX=("AMT_APPLICATION", "max"),
        PREV_AMT_CREDIT_MEAN=("AMT_CREDIT", "mean"),
        PREV_AMT_CREDIT_MAX=("AMT_CREDIT", "max"),
        PREV_AMT_CREDIT_SUM=("AMT_CREDIT", "sum"),
        PREV_AMT_ANNUITY_MEAN=("AMT_ANNUITY", "mean"),
        PREV_AMT_ANNUITY_MAX=("AMT_ANNUITY", "max"),
        PREV_AMT_DOWN_PAYMENT_MEAN=("AMT_DOWN_PAYMENT", "mean"),
        PREV_AMT_GOODS_PRICE_MEAN=("AMT_GOODS_PRICE", "mean"),
        PREV_CREDIT_APPLICATION_RATIO_MEAN=("ratio", "mean"),
        PREV_CREDIT_APPLICATION_RATIO_MIN=("ratio", "min"),
        PREV_RATE_DOWN_PAYMENT_MEAN=("RATE_DOWN_PAYMENT", "mean"),
        PREV_RATE_DOWN_PAYMENT_MAX=("RATE_DOWN_PAYMENT", "max"),
        PREV_CNT_PAYMENT_MEAN=("CNT_PAYMENT", "mean"),
        PREV_CNT_PAYMENT_SUM=("CNT_PAYMENT", "sum"),
        PREV_DAYS_DECISION_MIN=("DAYS_DECISION", "min"),
        PREV_DAYS_DECISION_MAX=("DAYS_DECISION", "max"),
        PREV_DAYS_DECISION_MEAN=("DAYS_DECISION", "mean"),
        PREV_DAYS_FIRST_DUE_MEAN=("DAYS_FIRST_DUE", "mean"),
        PREV_DAYS_LAST_DUE_1ST_VERSION_MAX=("DAYS_LAST_DUE_1ST_VERSION", "max"),
        PREV_DAYS_TERMINATION_MAX=("DAYS_TERMINATION", "max"),
        PREV_NFLAG_INSURED_ON_APPROVAL_MEAN=("NFLAG_INSURED_ON_APPROVAL", "mean"),
        PREV_APPROVED_AMT_CREDIT_SUM=("appr_AMT_CREDIT", "sum"),
        PREV_APPROVED_AMT_CREDIT_MEAN=("appr_AMT_CREDIT", "mean"),
        PREV_APPROVED_AMT_ANNUITY_MEAN=("appr_AMT_ANNUITY", "mean"),
        PREV_APPROVED_CNT_PAYMENT_MEAN=("appr_CNT_PAYMENT", "mean"),
        PREV_APPROVED_CREDIT_APPLICATION_RATIO_MEAN=("appr_ratio", "mean"),
        PREV_APPROVED_DAYS_DECISION_MAX=("appr_DAYS_DECISION", "max"),
        PREV_RUNNING_COUNT=("n_running", "sum"),
        PREV_RUNNING_AMT_ANNUITY_SUM=("running_annuity", "sum"),
        PREV_REFUSED_AMT_APPLICATION_MEAN=("ref_AMT_APPLICATION", "mean"),
        PREV_REFUSED_AMT_APPLICATION_MAX=("ref_AMT_APPLICATION", "max"),
        PREV_REFUSED_DAYS_DECISION_MAX=("ref_DAYS_DECISION", "max"),
        **{f"PREV_COUNT_LAST_{w}": (f"n_last_{w}", "sum") for w in WINDOWS},
        **{f"PREV_REFUSED_COUNT_LAST_{w}": (f"n_ref_last_{w}", "sum") for w in WINDOWS},
    )
    last_day = p.groupby(KEY)["DAYS_DECISION"].transform("max")
    last = p[p["DAYS_DECISION"] == last_day]
    last_agg = (
        last.assign(
            refused=last["n_refused"].astype(float), approved=last["n_approved"].astype(float)
        )
        .groupby(KEY)
        .agg(
            PREV_LAST_AMT_CREDIT=("AMT_CREDIT", "mean"),
            PREV_LAST_AMT_ANNUITY=("AMT_ANNUITY", "mean"),
            PREV_LAST_CREDIT_APPLICATION_RATIO=("ratio", "mean"),
            PREV_LAST_REFUSED=("refused", "max"),
            PREV_LAST_APPROVED=("approved", "max"),
        )
    )
    return _flag(agg.join(last_agg), "PREV_")


def pos_cash_features(data_dir: Path) -> pd.DataFrame:
    p = pd.read_parquet(data_dir / "POS_CASH_balance.parquet")
    recent = p["MONTHS_BALANCE"] >= -12
    p["late"] = (p["SK_DPD"] > 0).astype(float)
    p["n_def"] = p["SK_DPD_DEF"] > 0
    p["completed_prev"] = p["SK_ID_PREV"].where(p["NAME_CONTRACT_STATUS"] == "Completed")
    p["dpd_recent"] = p["SK_DPD"].where(recent)
    p["n_late_recent"] = recent & (p["SK_DPD"] > 0)
    agg = p.groupby(KEY).agg(
        POS_MONTHS_COUNT=("SK_ID_PREV", "count"),
        POS_LOAN_COUNT=("SK_ID_PREV", "nunique"),
        POS_MONTHS_BALANCE_MIN=("MONTHS_BALANCE", "min"),
        POS_MONTHS_BALANCE_MAX=("MONTHS_BALANCE", "max"),
        POS_SK_DPD_MAX=("SK_DPD", "max"),
        POS_SK_DPD_MEAN=("SK_DPD", "mean"),
        POS_SK_DPD_DEF_MAX=("SK_DPD_DEF", "max"),
        POS_SK_DPD_DEF_MEAN=("SK_DPD_DEF", "mean"),
        POS_DPD_MONTHS_SHARE=("late", "mean"),
        POS_DPD_DEF_MONTHS_COUNT=("n_def", "sum"),
        POS_CNT_INSTALMENT_MEAN=("CNT_INSTALMENT", "mean"),
        POS_CNT_INSTALMENT_FUTURE_MEAN=("CNT_INSTALMENT_FUTURE", "mean"),
        POS_COMPLETED_LOAN_COUNT=("completed_prev", "nunique"),
        POS_SK_DPD_MAX_LAST_12M=("dpd_recent", "max"),
        POS_SK_DPD_MEAN_LAST_12M=("dpd_recent", "mean"),
        POS_DPD_MONTHS_LAST_12M=("n_late_recent", "sum"),
    )
    last_month = p.groupby(["SK_ID_PREV", KEY])["MONTHS_BALANCE"].transform("max")
    latest = p[p["MONTHS_BALANCE"] == last_month]
    latest = latest.assign(
        active_prev=latest["SK_ID_PREV"].where(latest["NAME_CONTRACT_STATUS"] == "Active")
    )
    latest_agg = latest.groupby(KEY).agg(
        POS_LATEST_CNT_INSTALMENT_FUTURE_SUM=("CNT_INSTALMENT_FUTURE", "sum"),
        POS_LATEST_ACTIVE_LOAN_COUNT=("active_prev", "nunique"),
        POS_LATEST_SK_DPD_MAX=("SK_DPD", "max"),
    )
    return _flag(agg.join(latest_agg), "POS_")


def installments_features(data_dir: Path) -> pd.DataFrame:
    i = pd.read_parquet(data_dir / "installments_payments.parquet")
    delay = i["DAYS_ENTRY_PAYMENT"] - i["DAYS_INSTALMENT"]
    i["dpd"] = delay.clip(lower=0)
    i["dbd"] = (-delay).clip(lower=0)
    i["paid_ratio"] = _ratio(i["AMT_PAYMENT"], i["AMT_INSTALMENT"])
    i["paid_diff"] = i["AMT_INSTALMENT"] - i["AMT_PAYMENT"]
    i["late"] = (i["dpd"] > 0).astype(float).where(i["dpd"].notna())
    i["n_late"] = i["dpd"] > 0
    i["n_late_30"] = i["dpd"] > 30
    under = i["AMT_PAYMENT"] < i["AMT_INSTALMENT"]
    i["n_under"] = under
    i["under"] = under.astype(float).where(i["AMT_PAYMENT"].notna())
    i["n_missing"] = i["DAYS_ENTRY_PAYMENT"].isna()
    i["version_change"] = (i["NUM_INSTALMENT_VERSION"] > 1).astype(float)
    recent = i["DAYS_INSTALMENT"] >= -365
    for col in ("dpd", "late", "paid_ratio"):
        i[f"recent_{col}"] = i[col].where(recent)
    agg = i.groupby(KEY).agg(
        INST_COUNT=("SK_ID_PREV", "count"),
        INST_DPD_MEAN=("dpd", "mean"),
        INST_DPD_MAX=("dpd", "max"),
        INST_DPD_SUM=("dpd", "sum"),
        INST_DBD_MEAN=("dbd", "mean"),
        INST_DBD_MAX=("dbd", "max"),
        INST_DBD_SUM=("dbd", "sum"),
        INST_LATE_COUNT=("n_late", "sum"),
        INST_LATE_SHARE=("late", "mean"),
        INST_LATE_30_COUNT=("n_late_30", "sum"),
        INST_PAID_RATIO_MEAN=("paid_ratio", "mean"),
        INST_PAID_RATIO_MIN=("paid_ratio", "min"),
        INST_PAID_DIFF_MEAN=("paid_diff", "mean"),
        INST_PAID_DIFF_MAX=("paid_diff", "max"),
        INST_PAID_DIFF_SUM=("paid_diff", "sum"),
        INST_UNDERPAID_COUNT=("n_under", "sum"),
        INST_UNDERPAID_SHARE=("under", "mean"),
        INST_MISSING_PAYMENT_COUNT=("n_missing", "sum"),
        INST_AMT_INSTALMENT_MEAN=("AMT_INSTALMENT", "mean"),
        INST_AMT_INSTALMENT_MAX=("AMT_INSTALMENT", "max"),
        INST_AMT_INSTALMENT_SUM=("AMT_INSTALMENT", "sum"),
        INST_AMT_PAYMENT_MEAN=("AMT_PAYMENT", "mean"),
        INST_AMT_PAYMENT_MIN=("AMT_PAYMENT", "min"),
        INST_AMT_PAYMENT_SUM=("AMT_PAYMENT", "sum"),
        INST_DAYS_ENTRY_PAYMENT_MIN=("DAYS_ENTRY_PAYMENT", "min"),
        INST_DAYS_ENTRY_PAYMENT_MAX=("DAYS_ENTRY_PAYMENT", "max"),
        INST_VERSION_CHANGE_SHARE=("version_change", "mean"),
        INST_DPD_MEAN_LAST_1Y=("recent_dpd", "mean"),
        INST_DPD_MAX_LAST_1Y=("recent_dpd", "max"),
        INST_LATE_SHARE_LAST_1Y=("recent_late", "mean"),
        INST_PAID_RATIO_MEAN_LAST_1Y=("recent_paid_ratio", "mean"),
    )
    dated = i[i["DAYS_INSTALMENT"].notna()]
    rank = dated.groupby(KEY)["DAYS_INSTALMENT"].rank(method="min", ascending=False)
    last = dated[rank <= 10]
    last_agg = last.groupby(KEY).agg(
        INST_DPD_MEAN_LAST_10=("dpd", "mean"),
        INST_DPD_MAX_LAST_10=("dpd", "max"),
        INST_LATE_SHARE_LAST_10=("late", "mean"),
        INST_PAID_RATIO_MEAN_LAST_10=("paid_ratio", "mean"),
        INST_PAID_DIFF_SUM_LAST_10=("paid_diff", "sum"),
    )
    return _flag(agg.join(last_agg), "INST_")


def credit_card_features(data_dir: Path) -> pd.DataFrame:
    c = pd.read_parquet(data_dir / "credit_card_balance.parquet")
    c["util"] = _ratio(c["AMT_BALANCE"], c["AMT_CREDIT_LIMIT_ACTUAL"].astype(float))
    c["pay_min"] = _ratio(c["AMT_PAYMENT_CURRENT"], c["AMT_INST_MIN_REGULARITY"])
    c["below_min"] = c["AMT_PAYMENT_CURRENT"] < c["AMT_INST_MIN_REGULARITY"]
    c["late"] = (c["SK_DPD"] > 0).astype(float)
    c["util_6m"] = c["util"].where(c["MONTHS_BALANCE"] >= -6)
    recent = c["MONTHS_BALANCE"] >= -12
    c["bal_12"] = c["AMT_BALANCE"].where(recent)
    c["draw_12"] = c["AMT_DRAWINGS_CURRENT"].where(recent)
    c["dpd_12"] = c["SK_DPD"].where(recent)
    agg = c.groupby(KEY).agg(
        CC_MONTHS_COUNT=("SK_ID_PREV", "count"),
        CC_MONTHS_BALANCE_MIN=("MONTHS_BALANCE", "min"),
        CC_AMT_BALANCE_MEAN=("AMT_BALANCE", "mean"),
        CC_AMT_BALANCE_MAX=("AMT_BALANCE", "max"),
        CC_AMT_CREDIT_LIMIT_ACTUAL_MEAN=("AMT_CREDIT_LIMIT_ACTUAL", "mean"),
        CC_AMT_CREDIT_LIMIT_ACTUAL_MAX=("AMT_CREDIT_LIMIT_ACTUAL", "max"),
        CC_UTILISATION_MEAN=("util", "mean"),
        CC_UTILISATION_MAX=("util", "max"),
        CC_UTILISATION_MEAN_LAST_6M=("util_6m", "mean"),
        CC_AMT_DRAWINGS_CURRENT_MEAN=("AMT_DRAWINGS_CURRENT", "mean"),
        CC_AMT_DRAWINGS_CURRENT_MAX=("AMT_DRAWINGS_CURRENT", "max"),
        CC_AMT_DRAWINGS_CURRENT_SUM=("AMT_DRAWINGS_CURRENT", "sum"),
        CC_AMT_DRAWINGS_ATM_CURRENT_MEAN=("AMT_DRAWINGS_ATM_CURRENT", "mean"),
        CC_AMT_DRAWINGS_ATM_CURRENT_SUM=("AMT_DRAWINGS_ATM_CURRENT", "sum"),
        CC_AMT_DRAWINGS_POS_CURRENT_MEAN=("AMT_DRAWINGS_POS_CURRENT", "mean"),
        CC_CNT_DRAWINGS_CURRENT_MEAN=("CNT_DRAWINGS_CURRENT", "mean"),
        CC_CNT_DRAWINGS_CURRENT_MAX=("CNT_DRAWINGS_CURRENT", "max"),
        CC_CNT_DRAWINGS_ATM_CURRENT_MEAN=("CNT_DRAWINGS_ATM_CURRENT", "mean"),
        CC_AMT_PAYMENT_CURRENT_MEAN=("AMT_PAYMENT_CURRENT", "mean"),
        CC_AMT_PAYMENT_TOTAL_CURRENT_SUM=("AMT_PAYMENT_TOTAL_CURRENT", "sum"),
        CC_AMT_INST_MIN_REGULARITY_MEAN=("AMT_INST_MIN_REGULARITY", "mean"),
        CC_PAYMENT_MIN_RATIO_MEAN=("pay_min", "mean"),
        CC_PAID_BELOW_MIN_COUNT=("below_min", "sum"),
        CC_AMT_RECEIVABLE_PRINCIPAL_MEAN=("AMT_RECEIVABLE_PRINCIPAL", "mean"),
        CC_AMT_TOTAL_RECEIVABLE_MEAN=("AMT_TOTAL_RECEIVABLE", "mean"),
        CC_AMT_TOTAL_RECEIVABLE_MAX=("AMT_TOTAL_RECEIVABLE", "max"),
        CC_CNT_INSTALMENT_MATURE_CUM_MAX=("CNT_INSTALMENT_MATURE_CUM", "max"),
        CC_SK_DPD_MAX=("SK_DPD", "max"),
        CC_SK_DPD_MEAN=("SK_DPD", "mean"),
        CC_SK_DPD_DEF_MAX=("SK_DPD_DEF", "max"),
        CC_DPD_MONTHS_SHARE=("late", "mean"),
        CC_AMT_BALANCE_MEAN_LAST_12M=("bal_12", "mean"),
        CC_AMT_DRAWINGS_CURRENT_SUM_LAST_12M=("draw_12", "sum"),
        CC_SK_DPD_MAX_LAST_12M=("dpd_12", "max"),
    )
    return _flag(agg, "CC_")


def history_features(data_dir: Path) -> pd.DataFrame:
    """All history features, one row per client with history, sorted by SK_ID_CURR."""
    parts = [
        bureau_features(data_dir),
        previous_features(data_dir),
        pos_cash_features(data_dir),
        installments_features(data_dir),
        credit_card_features(data_dir),
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.merge(part, left_index=True, right_index=True, how="outer")
    flags = [c for c in out.columns if c.endswith("HAS_HISTORY")]
    out[flags] = out[flags].fillna(0.0)
    return out.sort_index().astype(np.float64).reset_index()
