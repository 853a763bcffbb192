"""Data integrity of ``credit-scoring score-batch``: every application scored or the run
refused (naming file, column, line), never an input overwritten, paths checked before the model
is loaded."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app as cli
from credit_scoring.errors import CreditScoringError

HUGE_CELL = 33 << 20  # beyond DuckDB's CSV buffer


@pytest.fixture(scope="module")
def applications(pipeline: Any) -> pd.DataFrame:
    """200 applications of the pipeline, as a user hands them over."""
    frame = pd.read_parquet(pipeline.data_dir / "application_test.parquet")
    return frame.head(200).reset_index(drop=True)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def score(pipeline: Any, source: Path, out: Path, tmp_path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["score-batch", str(source), "--out", str(out), "--model", str(pipeline.bundle_dir),
         "--features-dir", str(pipeline.features_dir), "--no-reasons", *extra],
        env={"CREDIT_SCORING_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    return outcome(result)


def outcome(result: Any) -> tuple[int, str]:
    """(exit code, output) as the ``credit-scoring`` script gives them: ``cli.main`` turns the
    package's errors into ``error: …`` and exit code 2."""
    if isinstance(result.exception, CreditScoringError):
        return 2, f"{result.output}error: {result.exception}"
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def refused(pipeline: Any, source: Path, out: Path, tmp_path: Path, *fragments: str) -> str:
    inputs = {p: _digest(p) for p in (source, out) if p.is_file()}
    code, output = score(pipeline, source, out, tmp_path)
    assert code != 0, output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, output
    assert {p: _digest(p) for p in inputs} == inputs
    return output


def test_a_huge_record_is_refused_not_scored_as_one_application_less(
    pipeline: Any, applications: pd.DataFrame, tmp_path: Path
) -> None:
    frame = applications.copy()
    frame["OCCUPATION_TYPE"] = frame["OCCUPATION_TYPE"].astype(object)
    frame.loc[6, "OCCUPATION_TYPE"] = "x" * HUGE_CELL
    source = tmp_path / "in.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "scores.csv"
    output = refused(pipeline, source, out, tmp_path, "in.csv", "line 8", "longer than")
    assert "199 applications scored" not in output
    assert not out.exists()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_out_naming_the_input_is_refused(
    pipeline: Any, applications: pd.DataFrame, tmp_path: Path, suffix: str
) -> None:
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        applications.to_csv(source, index=False)
    else:
        applications.to_parquet(source, index=False)
    refused(pipeline, source, source, tmp_path, "is also an input of `score-batch`")


def test_out_naming_an_unrelated_file_is_refused_and_an_earlier_output_replaced(
    pipeline: Any, applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    applications.to_csv(source, index=False)
    other = tmp_path / "ledger.csv"
    other.write_text("account,balance\n1,100\n", encoding="utf-8")
    refused(pipeline, source, other, tmp_path, "is not an earlier output of `score-batch`")
    for name in ("scores.csv", "scores.parquet"):
        out = tmp_path / name
        for _ in range(2):  # the second run replaces the first one's output
            code, output = score(pipeline, source, out, tmp_path)
            assert code == 0, output
            assert "200 applications scored" in output


@pytest.mark.parametrize(("suffix", "where"), [(".csv", "line 4"), (".parquet", "row 3")])
def test_an_absurd_annuity_is_refused_with_its_position(
    pipeline: Any, applications: pd.DataFrame, tmp_path: Path, suffix: str, where: str
) -> None:
    frame = applications.copy()
    frame.loc[2, "AMT_ANNUITY"] = 1.7e308
    source = tmp_path / f"in{suffix}"
    if suffix == ".csv":
        frame.to_csv(source, index=False)
    else:
        frame.to_parquet(source, index=False)  # typed: read and screened straight from Arrow
    refused(
        pipeline, source, tmp_path / "scores.csv", tmp_path,
        f"in{suffix}: column AMT_ANNUITY", "physical bounds", f"{where}: 1.7e+308",
    )  # fmt: skip


def test_paths_are_checked_before_the_model_is_loaded(
    applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "in.csv"
    applications.to_csv(source, index=False)
    for args, message in (
        ([str(source), "--out", str(tmp_path / "scores.xlsx")], "must end in .csv or .parquet"),
        ([str(tmp_path / "missing.csv"), "--out", str(tmp_path / "s.csv")], "does not exist"),
        ([str(source), "--out", "/proc/x/scores.csv"], "choose an --out in a writable folder"),
    ):
        result = CliRunner().invoke(
            cli, ["score-batch", *args, "--model", str(tmp_path / "no-such-model")],
            env={"CREDIT_SCORING_HOME": str(tmp_path / "home")},
        )  # fmt: skip
        code, output = outcome(result)
        assert code != 0
        assert message in output, output
        assert "no-such-model" not in output
