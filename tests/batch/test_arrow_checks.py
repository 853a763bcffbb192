"""The Arrow screen of typed Parquet input agrees with the data contract's DuckDB checks:
whatever the full check reports (error or warning) the screen flags, and a clean file is
scored without being staged at all."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credit_scoring.batch import BatchModel, HistoryTable, score_batch
from credit_scoring.batch import run as batch_run
from credit_scoring.batch.arrow_checks import ContractScreen
from credit_scoring.batch.inputs import open_applications, open_parquet_applications
from credit_scoring.batch.scoring import arrow_application_columns
from credit_scoring.errors import DataContractError, FeatureSetMismatchError
from credit_scoring.features.application import application_columns
from credit_scoring.schema import table

Corrupt = Callable[[pd.DataFrame], pd.DataFrame | pa.Table]


@pytest.fixture(scope="module")
def applications(pipeline: Any) -> pd.DataFrame:
    """Forty real application rows (contract columns, file order)."""
    return pd.read_parquet(pipeline.data_dir / "application_test.parquet").head(40)


def _set(column: str, row: int, value: Any, dtype: Any = None) -> Corrupt:
    def corrupt(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.astype({column: dtype}) if dtype is not None else frame.copy()
        frame.loc[row, column] = value
        return frame

    return corrupt


def _nan(column: str, row: int) -> Corrupt:
    """A real NaN in a float column (pandas would write it as a null)."""

    def corrupt(frame: pd.DataFrame) -> pa.Table:
        values = frame[column].astype(float).to_numpy(copy=True)
        values[row] = math.nan
        written = pa.Table.from_pandas(frame, preserve_index=False)
        position = written.schema.get_field_index(column)
        return written.set_column(position, column, pa.array(values, from_pandas=False))

    return corrupt


def _write(data: pd.DataFrame | pa.Table, path: Path) -> Path:
    if isinstance(data, pa.Table):
        pq.write_table(data, path)
    else:
        data.to_parquet(path, index=False)
    return path


#: One way to break each kind of check, and the column the full check names.
CORRUPTIONS: dict[str, tuple[Corrupt, str]] = {
    "fraction in an integer column": (_set("CNT_CHILDREN", 7, 1.5, float), "CNT_CHILDREN"),
    "integer beyond 2^53": (_set("DAYS_BIRTH", 3, -(2.0**60), float), "DAYS_BIRTH"),
    "missing in a never-missing integer column": (
        _set("DAYS_ID_PUBLISH", 9, None, float),
        "DAYS_ID_PUBLISH",
    ),
    "NaN in a never-missing integer column": (_nan("FLAG_PHONE", 2), "FLAG_PHONE"),
    "infinity": (_set("AMT_ANNUITY", 5, math.inf), "AMT_ANNUITY"),
    "negative infinity in a column without range": (
        _set("APARTMENTS_AVG", 5, -math.inf),
        "APARTMENTS_AVG",
    ),
    "hard range": (_set("EXT_SOURCE_2", 11, 1.5), "EXT_SOURCE_2"),
    "hard range of a 0/1 flag": (_set("FLAG_EMAIL", 13, 2), "FLAG_EMAIL"),
    "soft range": (_set("AMT_CREDIT", 17, -10.0), "AMT_CREDIT"),
    "soft range beside a sentinel": (_set("DAYS_EMPLOYED", 1, 5), "DAYS_EMPLOYED"),
    "unknown category": (_set("NAME_HOUSING_TYPE", 4, "Houseboat"), "NAME_HOUSING_TYPE"),
    "empty text category": (_set("NAME_INCOME_TYPE", 6, ""), "NAME_INCOME_TYPE"),
    "missing category": (_set("NAME_CONTRACT_TYPE", 8, None), "NAME_CONTRACT_TYPE"),
}


def _full_check_columns(path: Path) -> set[str]:
    """Columns the contract's DuckDB check names (errors and warnings)."""
    try:
        with open_applications(path) as staged:
            return {p.column for p in staged.warnings if p.column is not None}
    except DataContractError as error:
        return {p.column for p in getattr(error, "problems", []) if p.column is not None}


def _screened_columns(path: Path) -> set[str]:
    screen = ContractScreen.for_schema(table("application_test"), pq.read_schema(path))
    assert screen is not None
    flagged: set[str] = set()
    for batch in pq.ParquetFile(path).iter_batches(batch_size=16):
        flagged.update(screen.flagged_columns(batch, arrow_application_columns(batch)))
    return flagged


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_the_screen_flags_what_the_full_check_reports(
    name: str, applications: pd.DataFrame, tmp_path: Path
) -> None:
    corrupt, column = CORRUPTIONS[name]
    path = _write(corrupt(applications), tmp_path / "applications.parquet")
    assert _full_check_columns(path) == {column}
    assert _screened_columns(path) == {column}


def test_a_sentinel_a_nan_where_missing_is_allowed_and_a_clean_file_pass_both_checks(
    applications: pd.DataFrame, tmp_path: Path
) -> None:
    sentinel = _set("DAYS_EMPLOYED", 1, 365243)(applications)
    for name, data in {"clean": applications, "sentinel": sentinel,
                       "nan": _nan("AMT_ANNUITY", 3)(applications)}.items():  # fmt: skip
        path = _write(data, tmp_path / f"{name}.parquet")
        assert _full_check_columns(path) == set(), name
        assert _screened_columns(path) == set(), name


def test_types_the_staging_converts_are_left_to_the_full_check(
    applications: pd.DataFrame, tmp_path: Path
) -> None:
    text_numbers = tmp_path / "text.parquet"
    applications.astype({"AMT_CREDIT": str}).to_parquet(text_numbers, index=False)
    float_ids = tmp_path / "float_ids.parquet"
    applications.astype({"SK_ID_CURR": float}).to_parquet(float_ids, index=False)
    repeated = tmp_path / "repeated.parquet"
    _set("SK_ID_CURR", 3, int(applications.loc[0, "SK_ID_CURR"]))(applications).to_parquet(
        repeated, index=False
    )
    for path in (text_numbers, float_ids, repeated):
        assert open_parquet_applications(path) is None


def test_a_clean_parquet_file_is_scored_without_staging(
    pipeline: Any, batch_model: BatchModel, applications: pd.DataFrame,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = tmp_path / "clean.parquet"
    applications.to_parquet(source, index=False)

    def no_staging(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a clean Parquet file was staged in DuckDB")

    monkeypatch.setattr(batch_run, "open_applications", no_staging)
    result = score_batch(
        source, tmp_path / "out.parquet", model=batch_model, features_dir=pipeline.features_dir
    )
    assert result.rows == len(applications)


def test_a_problem_in_a_late_chunk_fails_with_the_full_message_and_no_output(
    pipeline: Any, batch_model: BatchModel, applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "late.parquet"
    _set("HOUR_APPR_PROCESS_START", 37, 24)(applications).to_parquet(source, index=False)
    out = tmp_path / "out.parquet"
    messages: list[str] = []
    with pytest.raises(DataContractError) as caught:
        score_batch(
            source, out, model=batch_model, features_dir=pipeline.features_dir,
            chunk_rows=4, log=messages.append,
        )  # fmt: skip
    assert "HOUR_APPR_PROCESS_START" in str(caught.value) and "row 38" in str(caught.value)
    assert any("checking the whole file" in m for m in messages)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["late.parquet"]


def test_arrow_columns_equal_the_pandas_columns_of_the_same_file(
    applications: pd.DataFrame, tmp_path: Path
) -> None:
    frame = applications.astype({"DAYS_BIRTH": float})
    frame.loc[0, "DAYS_BIRTH"] = -0.0  # an integer column read from floats: 0, as staged
    frame.loc[1, "AMT_ANNUITY"] = None
    frame.loc[2, "NAME_TYPE_SUITE"] = None
    path = tmp_path / "columns.parquet"
    frame.to_parquet(path, index=False)
    batch = pq.read_table(path).to_batches()[0]
    staged = frame.astype({"DAYS_BIRTH": np.int64})  # what the DuckDB staging gives
    from_arrow = arrow_application_columns(batch)
    from_pandas = application_columns(staged)
    assert from_arrow.keys() == from_pandas.keys()
    for name, expected in from_pandas.items():
        got = from_arrow[name]
        assert got.dtype == expected.dtype, name
        assert got.tolist() == expected.tolist() or np.array_equal(got, expected, equal_nan=True)
    assert math.copysign(1.0, from_arrow["DAYS_BIRTH"][0]) == 1.0
    # Dictionary-encoded text gives the same objects.
    text = pa.array(["a", None, "b", "a"]).dictionary_encode()
    dictionary_batch = pa.record_batch({"NAME_TYPE_SUITE": text})
    assert arrow_application_columns(dictionary_batch)["NAME_TYPE_SUITE"].tolist() == [
        "a", None, "b", "a",
    ]  # fmt: skip


def test_history_rows_by_client_id() -> None:
    history = HistoryTable.from_matrix(
        np.array([30, 10, 20]), np.array([[3.0, 3.5], [1.0, 1.5], [2.0, np.nan]]), ["A", "B"]
    )
    rows, found = history.lookup_many(np.array([20, 99, 30, 5]))
    assert found.tolist() == [True, False, True, False]
    np.testing.assert_array_equal(
        rows, [[2.0, np.nan], [np.nan, np.nan], [3.0, 3.5], [np.nan, np.nan]]
    )
    empty_rows, empty_found = HistoryTable.empty(["A"]).lookup_many(np.array([1, 2]))
    assert empty_rows.shape == (2, 1) and not empty_found.any()
    with pytest.raises(FeatureSetMismatchError, match="more than once"):
        HistoryTable.from_matrix(np.array([1, 2, 1]), np.zeros((3, 1)), ["A"])
