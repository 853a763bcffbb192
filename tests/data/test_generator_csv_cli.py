"""The generator's CSV output looks like the Kaggle files; ``credit-scoring data generate``."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.demo.generator import ORACLE_FILE, TRUTH_FILE, generate_dataset
from credit_scoring.schema import TABLES, Kind, table

PANDAS_DTYPE = {Kind.INT: "int64", Kind.FLOAT: "float64", Kind.CATEGORY: "object"}
SIZE = {"clients": 1_200, "test_clients": 200, "seed": 17, "chunk_clients": 500}


@pytest.fixture(scope="module")
def as_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("csv") / "population"
    generate_dataset(out, fmt="csv", **SIZE)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="module")
def as_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("parquet") / "population"
    generate_dataset(out, fmt="parquet", **SIZE)  # type: ignore[arg-type]
    return out


def _fields(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.mark.parametrize("name", list(TABLES))
def test_csv_reads_back_with_the_kaggle_header_and_dtypes(as_csv: Path, name: str) -> None:
    contract = table(name)
    header, _ = _fields(as_csv / contract.file_name)
    assert header == contract.column_names
    df = pd.read_csv(as_csv / contract.file_name)
    wrong = {
        c.name: str(df[c.name].dtype)
        for c in contract.columns
        if str(df[c.name].dtype) != PANDAS_DTYPE[c.kind]
    }
    assert wrong == {}


@pytest.mark.parametrize("name", ["application_train", "bureau", "installments_payments"])
def test_numbers_are_written_like_pandas_writes_them(as_csv: Path, name: str) -> None:
    contract = table(name)
    header, rows = _fields(as_csv / contract.file_name)
    bad: list[str] = []
    for index, column in enumerate(contract.columns):
        assert header[index] == column.name
        values = [row[index] for row in rows]
        if column.kind is Kind.INT:  # integers: no decimals, never empty
            bad += [f"{column.name}={v!r}" for v in values if not v.lstrip("-").isdigit()]
        elif column.kind is Kind.FLOAT:  # floats: "24.0", "0.5" (shortest repr); missing: ""
            bad += [f"{column.name}={v!r}" for v in values if v and repr(float(v)) != v]
    assert bad[:5] == []


def test_integral_floats_keep_their_decimal_point_and_missing_values_are_empty(
    as_csv: Path,
) -> None:
    header, rows = _fields(as_csv / "application_train.csv")
    family = [row[header.index("CNT_FAM_MEMBERS")] for row in rows]
    assert all(v.endswith(".0") for v in family)
    own_car_age = [row[header.index("OWN_CAR_AGE")] for row in rows]
    assert "" in own_car_age  # clients without a car
    assert any(v.endswith(".0") for v in own_car_age)


def test_csv_and_parquet_hold_the_same_data(as_csv: Path, as_parquet: Path) -> None:
    for name, contract in TABLES.items():
        from_csv = pd.read_csv(as_csv / contract.file_name)
        from_parquet = pd.read_parquet(as_parquet / f"{name}.parquet")
        for column in contract.categorical_columns:  # CSV reads missing text as NaN
            values = from_parquet[column.name]
            from_parquet[column.name] = values.where(values.notna(), np.nan)
        pd.testing.assert_frame_equal(from_csv, from_parquet, check_dtype=False, obj=name)
    csv_truth = pd.read_parquet(as_csv / TRUTH_FILE)
    parquet_truth = pd.read_parquet(as_parquet / TRUTH_FILE)
    pd.testing.assert_frame_equal(csv_truth, parquet_truth)


def test_cli_generates_and_prints_the_oracle(tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    result = CliRunner().invoke(
        app,
        ["data", "generate", "--clients", "400", "--test-clients", "60", "--seed", "3",
         "--out", str(out), "--format", "csv", "--default-rate", "0.1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        *(contract.file_name for contract in TABLES.values()), TRUTH_FILE, ORACLE_FILE,
    }  # fmt: skip
    oracle = json.loads((out / ORACLE_FILE).read_text())
    assert oracle["clients"] == {"train": 400, "test": 60}
    assert oracle["default_rate_target"] == 0.1
    assert f"AUC                   {oracle['train']['oracle_auc']:.4f}" in result.output
    assert "business cost" in result.output and "application-only AUC" in result.output


def test_cli_defaults_to_kaggles_test_share_and_parquet(tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    result = CliRunner().invoke(
        app, ["data", "generate", "-n", "1000", "--seed", "3", "-o", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert json.loads((out / ORACLE_FILE).read_text())["clients"] == {"train": 1000, "test": 159}
    assert (out / "bureau.parquet").is_file()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--clients", "0"], "Invalid value for '--clients'"),
        (["--clients", "10", "--format", "xlsx"], "Invalid value for '--format'"),
        (["--clients", "10", "--default-rate", "0.9"], "Invalid value for '--default-rate'"),
    ],
)
def test_cli_rejects_bad_arguments(tmp_path: Path, arguments: list[str], message: str) -> None:
    out = tmp_path / "synthetic"
    result = CliRunner().invoke(
        app, ["data", "generate", "--seed", "1", "--out", str(out), *arguments]
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())
    assert not out.exists()


def test_cli_refuses_to_replace_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("x")
    result = CliRunner().invoke(
        app, ["data", "generate", "--clients", "10", "--seed", "1", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "error:" in result.output and "refusing to replace it" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]
