"""Bad input files fail with messages naming the file, column, rows and what was expected, and
nothing is written; outputs appear whole or not at all."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credit_scoring import cli as cli_module
from credit_scoring.batch import BatchModel, score_batch
from credit_scoring.batch import output as output_module
from credit_scoring.batch.output import AtomicTableWriter
from credit_scoring.batch.scoring import ApplicationScorer, output_schema
from credit_scoring.errors import DataContractError


@pytest.fixture(scope="module")
def few_applications(pipeline: Any) -> pd.DataFrame:
    """Twenty real application rows (contract columns, file order)."""
    return pd.read_parquet(pipeline.data_dir / "application_test.parquet").head(20)


def run(pipeline: Any, model: BatchModel, source: Path, out: Path, **kwargs: Any) -> Any:
    return score_batch(source, out, model=model, features_dir=pipeline.features_dir, **kwargs)


def fails_with(
    pipeline: Any, model: BatchModel, source: Path, tmp_path: Path, *fragments: str
) -> str:
    """Scoring ``source`` raises a contract error containing every fragment; no output."""
    out = tmp_path / "out.csv"
    with pytest.raises(DataContractError) as caught:
        run(pipeline, model, source, out)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.csv")] == []
    return message


def test_a_file_without_the_client_id_column_is_refused(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "no_id.csv"
    few_applications.drop(columns="SK_ID_CURR").to_csv(source, index=False)
    fails_with(pipeline, batch_model, source, tmp_path, "no_id.csv", "SK_ID_CURR", "missing")


def test_duplicated_client_ids_are_refused_with_their_lines(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    frame = few_applications.copy()
    frame.loc[5, "SK_ID_CURR"] = frame.loc[2, "SK_ID_CURR"]
    source = tmp_path / "dupes.csv"
    frame.to_csv(source, index=False)
    fails_with(
        pipeline, batch_model, source, tmp_path,
        "dupes.csv", "SK_ID_CURR", "duplicated", f"SK_ID_CURR={frame.loc[2, 'SK_ID_CURR']}",
        "first at line 4",
    )  # fmt: skip


def test_text_in_a_numeric_column_is_refused_with_its_line(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    frame = few_applications.astype({"AMT_INCOME_TOTAL": object})
    frame.loc[1, "AMT_INCOME_TOTAL"] = "lots"
    source = tmp_path / "text.csv"
    frame.to_csv(source, index=False)
    fails_with(
        pipeline, batch_model, source, tmp_path,
        "text.csv", "AMT_INCOME_TOTAL", "not numbers", "line 3", "'lots'",
    )  # fmt: skip


def test_fractions_and_gaps_in_integer_columns_are_refused(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    frame = few_applications.astype({"CNT_CHILDREN": float, "DAYS_BIRTH": float})
    frame.loc[0, "CNT_CHILDREN"] = 1.5
    frame.loc[3, "DAYS_BIRTH"] = None
    source = tmp_path / "ints.parquet"
    frame.to_parquet(source, index=False)
    message = fails_with(
        pipeline, batch_model, source, tmp_path, "ints.parquet", "CNT_CHILDREN", "not integers"
    )
    assert "DAYS_BIRTH" in message and "are missing" in message and "row 4" in message


def test_a_wrongly_typed_parquet_column_is_refused(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    frame = few_applications.assign(NAME_CONTRACT_TYPE=range(len(few_applications)))
    source = tmp_path / "types.parquet"
    frame.to_parquet(source, index=False)
    fails_with(
        pipeline, batch_model, source, tmp_path,
        "types.parquet", "NAME_CONTRACT_TYPE", "expected text",
    )  # fmt: skip


def test_a_renamed_column_is_named_with_its_likely_rename(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "renamed.csv"
    few_applications.rename(columns={"AMT_CREDIT": "AMT_CREDITS"}).to_csv(source, index=False)
    fails_with(pipeline, batch_model, source, tmp_path, "AMT_CREDIT", "'AMT_CREDITS'", "renamed?")


def test_a_file_without_rows_or_of_unknown_type_is_refused(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.csv"
    few_applications.head(0).to_csv(empty, index=False)
    fails_with(pipeline, batch_model, empty, tmp_path, "empty.csv", "no data rows")
    other = tmp_path / "applications.xlsx"
    other.write_bytes(b"PK")
    fails_with(pipeline, batch_model, other, tmp_path, "applications.xlsx", ".parquet")


def test_an_unknown_output_type_is_refused_before_any_work(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "ok.parquet"
    few_applications.to_parquet(source, index=False)
    with pytest.raises(DataContractError, match=r"out\.json: the output must end in"):
        run(pipeline, batch_model, source, tmp_path / "out.json")


def test_extra_columns_are_ignored_with_a_warning_and_target_quietly(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    plain, extra = tmp_path / "plain.csv", tmp_path / "extra.csv"
    few_applications.to_csv(plain, index=False)
    few_applications.assign(branch_code="X7", TARGET=0).to_csv(extra, index=False)
    messages: list[str] = []
    result = run(pipeline, batch_model, extra, tmp_path / "extra-out.csv", log=messages.append)
    run(pipeline, batch_model, plain, tmp_path / "plain-out.csv")
    assert [str(w) for w in result.warnings] == [
        "extra.csv: column branch_code: is not an application column; ignored"
    ]
    assert any("branch_code" in m and m.startswith("warning:") for m in messages)
    expected = (tmp_path / "plain-out.csv").read_bytes()
    assert (tmp_path / "extra-out.csv").read_bytes() == expected


def test_unknown_categories_are_scored_as_unseen_with_a_warning(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame, tmp_path: Path
) -> None:
    source = tmp_path / "unseen.parquet"
    few_applications.assign(NAME_HOUSING_TYPE="Houseboat").to_parquet(source, index=False)
    result = run(pipeline, batch_model, source, tmp_path / "unseen-out.parquet")
    assert result.rows == len(few_applications)
    assert any(
        w.column == "NAME_HOUSING_TYPE" and "Houseboat" in w.message for w in result.warnings
    )


def test_a_failure_while_scoring_leaves_the_previous_output_untouched(
    pipeline: Any, batch_model: BatchModel, few_applications: pd.DataFrame,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    source = tmp_path / "ok.parquet"
    few_applications.to_parquet(source, index=False)
    out = tmp_path / "scores.parquet"
    run(pipeline, batch_model, source, out, chunk_rows=4, workers=1)  # yesterday's scores
    yesterday = out.read_bytes()
    calls = {"n": 0}
    real = ApplicationScorer.score_columns

    def fail_on_third_chunk(*args: Any, **kwargs: Any) -> pa.RecordBatch:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("executor lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(ApplicationScorer, "score_columns", fail_on_third_chunk)
    with pytest.raises(RuntimeError, match="executor lost"):
        run(pipeline, batch_model, source, out, chunk_rows=4, workers=1)
    assert calls["n"] >= 3  # chunks already in flight may still be scored
    assert out.read_bytes() == yesterday
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.parquet", "scores.parquet"]


def test_the_writer_replaces_the_output_only_when_complete(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    schema = output_schema(with_reasons=False)
    row = pd.DataFrame(
        {"SK_ID_CURR": [1], "probability": [0.25], "score": [570], "decision": ["APPROVE"],
         "threshold": [0.3], "model_version": ["m"], "history_found": [False]}
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt), AtomicTableWriter(out, schema) as writer:
        writer.write(row)
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []
    with AtomicTableWriter(out, schema) as writer:
        writer.write(row)
        writer.write(row)
    assert writer.rows == 2
    assert pd.read_csv(out)["SK_ID_CURR"].tolist() == [1, 1]
    assert list(tmp_path.iterdir()) == [out]
    assert pa.csv.read_csv(out).schema.names == schema.names


def test_cli_reports_a_contract_error_in_one_message_with_exit_code_2(
    pipeline: Any, few_applications: pd.DataFrame, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    source = tmp_path / "no_id.csv"
    few_applications.drop(columns="SK_ID_CURR").to_csv(source, index=False)
    monkeypatch.setenv("CREDIT_SCORING_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(
        sys, "argv",
        ["credit-scoring", "score-batch", str(source), "--out", str(tmp_path / "o.csv"),
         "--model", str(pipeline.bundle_dir), "--features-dir", str(pipeline.features_dir)],
    )  # fmt: skip
    with pytest.raises(SystemExit) as exited:
        cli_module.main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "error: the data breaks the contract" in err and "no_id.csv: column SK_ID_CURR" in err
    assert not (tmp_path / "o.csv").exists()


def test_parquet_output_gathers_small_batches_into_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(output_module, "PARQUET_ROW_GROUP_ROWS", 10)
    schema = output_schema(with_reasons=True)
    rows = [
        {"SK_ID_CURR": i, "probability": i / 100, "score": 600 - i, "decision": "REFUSE",
         "threshold": 0.3, "model_version": "m", "history_found": i % 2 == 0,
         "reasons": "R01;R02" if i % 3 else None}
        for i in range(28)
    ]  # fmt: skip
    out = tmp_path / "scores.parquet"
    with AtomicTableWriter(out, schema) as writer:
        for start in range(0, 28, 4):
            writer.write_batch(pa.RecordBatch.from_pylist(rows[start : start + 4], schema=schema))
        with pytest.raises(ValueError, match="schema"):
            writer.write_batch(pa.RecordBatch.from_pylist(rows[:1]).drop_columns(["reasons"]))
    parquet = pq.ParquetFile(out)
    assert [parquet.metadata.row_group(g).num_rows for g in range(parquet.num_row_groups)] == [
        12, 12, 4,
    ]  # fmt: skip
    assert parquet.read().to_pylist() == rows
    assert writer.rows == 28
