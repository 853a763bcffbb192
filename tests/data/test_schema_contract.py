"""The schema module against the Kaggle data dictionary and the real sample files."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from credit_scoring.schema import DAYS_SENTINEL, TABLES, Kind, describe, table
from credit_scoring.schema.model import dictionary

PANDAS_DTYPE = {Kind.INT: "int64", Kind.FLOAT: "float64", Kind.CATEGORY: "object"}


def test_every_table_has_a_primary_key_or_is_a_monthly_or_payment_history() -> None:
    keyless = {name for name, t in TABLES.items() if not t.primary_key}
    assert keyless == {"POS_CASH_balance", "installments_payments", "credit_card_balance"}


def test_dictionary_quirks_are_normalised() -> None:
    entries = dictionary()
    assert ("bureau", "SK_ID_BUREAU") in entries
    assert ("bureau", "SK_BUREAU_ID") not in entries
    assert ("previous_application", "SK_ID_PREV") in entries
    # The dictionary lists NFLAG_MICRO_CASH, which the file does not have.
    assert ("previous_application", "NFLAG_MICRO_CASH") in entries
    assert not table("previous_application").has_column("NFLAG_MICRO_CASH")
    assert len(table("previous_application").columns) == 37


@pytest.mark.parametrize("name", list(TABLES))
def test_every_column_is_described_in_the_dictionary(name: str) -> None:
    missing = [c.name for c in table(name).columns if not describe(name, c.name)]
    assert missing == []


@pytest.mark.parametrize("name", list(TABLES))
def test_schema_matches_the_real_sample(name: str, real_sample_dir: Path) -> None:
    contract = table(name)
    path = real_sample_dir / contract.file_name
    with path.open(newline="") as fh:
        header = next(csv.reader(fh))
    assert header == contract.column_names

    df = pd.read_csv(path)
    wrong_dtypes = {
        c.name: str(df[c.name].dtype)
        for c in contract.columns
        if str(df[c.name].dtype) != PANDAS_DTYPE[c.kind]
    }
    assert wrong_dtypes == {}
    unknown = {
        c.name: sorted(set(df[c.name].dropna()) - set(c.categories))
        for c in contract.categorical_columns
        if set(df[c.name].dropna()) - set(c.categories)
    }
    assert unknown == {}
    null_in_required = [
        c.name for c in contract.columns if not c.nullable and df[c.name].isna().any()
    ]
    assert null_in_required == []
    if contract.primary_key:
        assert not df.duplicated(list(contract.primary_key)).any()


def test_days_employed_sentinel_is_allowed_outside_its_range() -> None:
    column = table("application_train").column("DAYS_EMPLOYED")
    assert column.max_value == 0
    assert DAYS_SENTINEL in column.sentinels


def test_arrow_schema_follows_file_order_and_kinds() -> None:
    schema = table("bureau_balance").arrow_schema()
    assert schema.names == ["SK_ID_BUREAU", "MONTHS_BALANCE", "STATUS"]
    assert [str(t) for t in schema.types] == ["int64", "int64", "string"]
