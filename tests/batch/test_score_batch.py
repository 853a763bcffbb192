"""Batch scoring on the small real pipeline: the API's answers, both formats, both history
sources, the CLI, and the real sample end to end."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from credit_scoring.batch import OUTPUT_COLUMNS, ApplicationScorer, BatchModel, score_batch
from credit_scoring.batch import run as batch_run
from credit_scoring.batch.scoring import COUNTER_OFFER_COLUMNS
from credit_scoring.cli import app as cli
from credit_scoring.features.publish import publish_history
from credit_scoring.runtime.counter_offer import CounterOfferPolicy
from credit_scoring.serving.scorer import load_served_model
from credit_scoring.settings import Settings


def read_output(path: Path) -> pd.DataFrame:
    """An output file as pandas, missing reasons as None whatever the format."""
    if path.suffix == ".csv":
        frame = pd.read_csv(path, keep_default_na=False, na_values={"reasons": [""]})
    else:
        frame = pd.read_parquet(path)
    if "reasons" in frame.columns:
        reasons = frame["reasons"].astype(object)
        frame["reasons"] = reasons.where(reasons.notna(), None)
    return frame


@pytest.fixture(scope="module")
def applications_csv(pipeline: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The pipeline's application_test as a CSV file, as a user would hand it over."""
    path = tmp_path_factory.mktemp("batch_input") / "applications.csv"
    pd.read_parquet(pipeline.data_dir / "application_test.parquet").to_csv(path, index=False)
    return path


@pytest.fixture
def sqlite_store(pipeline: Any, batch_settings: Settings) -> Settings:
    """Settings whose database holds the pipeline's published history (SQLite)."""
    publish_history(pipeline.features_dir, batch_settings.resolved_database_url)
    return batch_settings.model_copy(update={"model_uri": str(pipeline.bundle_dir)})


def test_batch_scores_equal_the_api_scorer_for_every_application(
    pipeline: Any, batch_model: BatchModel, sqlite_store: Settings, tmp_path: Path
) -> None:
    """Skew test: a file scored in batch == ServedModel.score_one on each row (raw fields),
    for clients with history and for new clients (every fifth id moved out of the history)."""
    out = tmp_path / "scores.parquet"
    frame = pd.read_parquet(pipeline.data_dir / "application_test.parquet")
    frame.loc[::5, "SK_ID_CURR"] += 50_000_000
    frame.loc[1::3, ["AMT_CREDIT", "AMT_ANNUITY"]] *= 3.0  # more refusals with room below
    source = tmp_path / "applications.parquet"
    frame.to_parquet(source, index=False)
    result = score_batch(
        source, out, model=batch_model, features_dir=pipeline.features_dir, chunk_rows=97,
        counter_offers=CounterOfferPolicy(),
    )  # fmt: skip
    scored = read_output(out)
    served = load_served_model(str(pipeline.bundle_dir), sqlite_store)
    assert served.counter_offer_policy == CounterOfferPolicy()  # on by default
    applications = frame.to_dict("records")

    assert list(scored.columns) == [*OUTPUT_COLUMNS, *COUNTER_OFFER_COLUMNS]
    assert result.rows == len(scored) == len(applications) > 100
    assert scored["SK_ID_CURR"].tolist() == [a["SK_ID_CURR"] for a in applications]
    adverse = offers = 0
    for row, application in zip(scored.itertuples(index=False), applications, strict=True):
        fields = {k: (None if isinstance(v, float) and math.isnan(v) else v)
                  for k, v in application.items()}  # fmt: skip
        online = served.score_one(fields)
        assert row.probability == online.probability  # to the bit: one calibration, libm exp
        assert row.score == online.score
        assert row.decision == online.decision
        assert row.history_found == online.history_found
        assert row.threshold == served.threshold
        assert row.model_version == served.model_version
        codes = [r["code"] for r in online.reasons]
        offer = online.counter_offer
        if offer is None:
            assert pd.isna(row.counter_offer_amount) and pd.isna(row.counter_offer_points)
        else:
            offers += 1
            assert row.counter_offer_amount == offer["amount"]
            assert row.counter_offer_probability == offer["probability"]
            assert row.counter_offer_points == offer["points"]
        if online.decision == "APPROVE":
            assert row.reasons is None
        else:
            adverse += 1
            assert row.reasons.split(";") == codes if codes else row.reasons == ""
    assert 0 < adverse < len(applications)
    assert offers > 0
    assert scored["history_found"].tolist() == [i % 5 != 0 for i in range(len(scored))]
    assert result.history_found == int(scored["history_found"].sum())
    assert sum(result.decisions.values()) == len(scored)


def test_csv_and_parquet_inputs_and_outputs_give_the_same_rows(
    pipeline: Any, batch_model: BatchModel, applications_csv: Path, tmp_path: Path
) -> None:
    frames = {}
    for source in (applications_csv, pipeline.data_dir / "application_test.parquet"):
        for suffix in (".csv", ".parquet"):
            out = tmp_path / f"{source.suffix[1:]}-in{suffix}"
            score_batch(source, out, model=batch_model, features_dir=pipeline.features_dir)
            frames[out.name] = read_output(out)
    first, *others = frames.values()
    for frame in others:
        pd.testing.assert_frame_equal(frame, first, check_dtype=False, rtol=0, atol=1e-15)


def test_history_store_and_features_dir_give_the_same_scores(
    pipeline: Any, batch_model: BatchModel, sqlite_store: Settings, tmp_path: Path
) -> None:
    source = pipeline.data_dir / "application_test.parquet"
    from_dir = tmp_path / "dir.parquet"
    from_store = tmp_path / "store.parquet"
    score_batch(source, from_dir, model=batch_model, features_dir=pipeline.features_dir)
    result = score_batch(
        source, from_store, model=batch_model,
        database_url=sqlite_store.resolved_database_url, workers=1,
    )  # fmt: skip
    assert result.history_source == "history store"
    pd.testing.assert_frame_equal(read_output(from_store), read_output(from_dir))


@pytest.mark.postgres
def test_history_store_on_postgresql(
    pipeline: Any, batch_model: BatchModel, postgres_url: str, tmp_path: Path
) -> None:
    publish_history(pipeline.features_dir, postgres_url)
    source = pipeline.data_dir / "application_test.parquet"
    score_batch(source, tmp_path / "pg.csv", model=batch_model, database_url=postgres_url)
    score_batch(source, tmp_path / "dir.csv", model=batch_model, features_dir=pipeline.features_dir)
    pd.testing.assert_frame_equal(
        read_output(tmp_path / "pg.csv"), read_output(tmp_path / "dir.csv")
    )


def test_without_reasons_the_column_is_left_out_and_scores_do_not_change(
    pipeline: Any, batch_model: BatchModel, tmp_path: Path
) -> None:
    source = pipeline.data_dir / "application_test.parquet"
    score_batch(source, tmp_path / "with.parquet", model=batch_model,
                features_dir=pipeline.features_dir)  # fmt: skip
    score_batch(source, tmp_path / "without.parquet", model=batch_model,
                features_dir=pipeline.features_dir, with_reasons=False)  # fmt: skip
    with_reasons = read_output(tmp_path / "with.parquet")
    without = read_output(tmp_path / "without.parquet")
    assert list(without.columns) == list(OUTPUT_COLUMNS[:-1])
    pd.testing.assert_frame_equal(without, with_reasons.drop(columns="reasons"))


def test_cli_scores_a_file_with_a_bundle_folder(
    pipeline: Any, applications_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        cli,
        ["score-batch", str(applications_csv), "--out", str(out), "--model",
         str(pipeline.bundle_dir), "--features-dir", str(pipeline.features_dir), "--no-reasons"],
        env={"CREDIT_SCORING_HOME": str(tmp_path / "home")},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    scored = read_output(out)
    assert f"{len(scored):,} applications scored" in result.output
    assert len(scored) == len(pd.read_csv(applications_csv)) > 100
    assert "reasons" not in scored.columns


def test_cli_uses_the_history_store_of_the_database_by_default(
    pipeline: Any, applications_csv: Path, sqlite_store: Settings, tmp_path: Path
) -> None:
    out = tmp_path / "scores.parquet"
    result = CliRunner().invoke(
        cli,
        ["score-batch", str(applications_csv), "--out", str(out), "--model",
         str(pipeline.bundle_dir)],
        env={"CREDIT_SCORING_HOME": str(sqlite_store.home)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert read_output(out)["history_found"].any()


def test_the_real_sample_end_to_end_with_its_own_history(
    pipeline: Any, batch_model: BatchModel, real_sample_dir: Path,
    sample_features_dir: Path, tmp_path: Path,
) -> None:  # fmt: skip
    """The real sample's application_test.csv, history built from the real sample's tables."""
    out = tmp_path / "real.csv"
    result = score_batch(
        real_sample_dir / "application_test.csv", out, model=batch_model,
        features_dir=sample_features_dir,
    )  # fmt: skip
    scored = read_output(out)
    expected_ids = pd.read_csv(real_sample_dir / "application_test.csv")["SK_ID_CURR"]
    assert scored["SK_ID_CURR"].tolist() == expected_ids.tolist()
    assert result.rows == len(expected_ids) > 0
    assert scored["probability"].between(0.0, 1.0).all()
    assert set(scored["decision"]) <= {"APPROVE", "REVIEW", "REFUSE"}
    history_ids = set(pd.read_parquet(sample_features_dir / "history.parquet")["SK_ID_CURR"])
    assert scored["history_found"].tolist() == [i in history_ids for i in expected_ids]
    assert scored["history_found"].any()
    assert np.isfinite(scored["score"]).all()


def test_many_threads_on_small_chunks_write_what_one_thread_writes(
    pipeline: Any, batch_model: BatchModel, applications_csv: Path, tmp_path: Path
) -> None:
    """Chunks scored concurrently share one history table and come out in input order."""
    one = tmp_path / "one.csv"
    score_batch(applications_csv, one, model=batch_model, features_dir=pipeline.features_dir,
                workers=1)  # fmt: skip
    for attempt in range(3):
        many = tmp_path / f"many-{attempt}.csv"
        score_batch(
            applications_csv, many, model=batch_model, features_dir=pipeline.features_dir,
            workers=4, chunk_rows=13,
        )  # fmt: skip
        assert many.read_bytes() == one.read_bytes()


def test_a_small_file_is_cut_into_several_chunks_per_thread(
    pipeline: Any, batch_model: BatchModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "forty.parquet"
    pd.read_parquet(pipeline.data_dir / "application_test.parquet").head(40).to_parquet(source)
    monkeypatch.setattr(batch_run, "MIN_CHUNK_ROWS", 3)
    sizes: list[int] = []
    real = ApplicationScorer.score_columns

    def record(self: ApplicationScorer, ids: Any, columns: Any) -> Any:
        sizes.append(len(ids))
        return real(self, ids, columns)

    monkeypatch.setattr(ApplicationScorer, "score_columns", record)
    score_batch(source, tmp_path / "out.parquet", model=batch_model,
                features_dir=pipeline.features_dir, workers=2)  # fmt: skip
    assert sizes == [5] * 8  # 40 rows, 2 threads × 4 chunks
    sizes.clear()
    score_batch(source, tmp_path / "out.parquet", model=batch_model,
                features_dir=pipeline.features_dir, workers=2, chunk_rows=3)  # fmt: skip
    assert sorted(sizes, reverse=True) == [3] * 13 + [1]  # never more than asked, any order
