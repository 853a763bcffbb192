"""Atomic output of ``load_dataset`` and the ``credit-scoring data load`` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.data.loader import load_dataset
from credit_scoring.data.manifest import MANIFEST_NAME, read_manifest
from credit_scoring.errors import DataContractError
from credit_scoring.io import file_sha256
from credit_scoring.outputs import OutputPlaceError


def _listing(folder: Path) -> dict[str, str]:
    return {p.name: file_sha256(p) for p in sorted(folder.iterdir())}


def test_a_failed_load_leaves_no_output_no_manifest_and_no_temporary_folder(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 5, "DAYS_CREDIT", "abc")
    parent = tmp_path / "artifacts"
    with pytest.raises(DataContractError):
        load_dataset(sample_copy.dir, parent / "data")
    assert not (parent / "data").exists()
    assert list(parent.iterdir()) == []  # no scratch, temporary or half-written folder


def test_a_failed_reload_keeps_the_previous_good_data_intact(sample_copy, tmp_path):
    data_dir = tmp_path / "data"
    load_dataset(sample_copy.dir, data_dir)
    before = _listing(data_dir)
    sample_copy.set_value("application_train", 6, "TARGET", "2")
    with pytest.raises(DataContractError):
        load_dataset(sample_copy.dir, data_dir)
    assert _listing(data_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "src"]


def test_a_successful_reload_replaces_the_folder_as_a_whole(sample_copy, tmp_path):
    data_dir = tmp_path / "data"
    load_dataset(sample_copy.dir, data_dir)
    (data_dir / "stale.txt").write_text("left over from an older load")
    sample_copy.edit("bureau", lambda rows: rows.pop())
    manifest = load_dataset(sample_copy.dir, data_dir)
    assert not (data_dir / "stale.txt").exists()
    assert read_manifest(data_dir) == manifest


def test_the_output_folder_is_readable_like_the_files_the_umask_allows(sample_copy, tmp_path):
    data_dir = tmp_path / "data"
    load_dataset(sample_copy.dir, data_dir)
    parquet_mode = (data_dir / "bureau.parquet").stat().st_mode & 0o777
    assert (data_dir / MANIFEST_NAME).stat().st_mode & 0o777 == parquet_mode
    assert data_dir.stat().st_mode & 0o444 == parquet_mode & 0o444


def test_loading_into_the_source_folder_is_refused(sample_copy):
    with pytest.raises(OutputPlaceError, match="is also an input of `data load`"):
        load_dataset(sample_copy.dir, sample_copy.dir)


def test_cli_loads_the_sample_and_summarises(sample_copy, tmp_path):
    out = tmp_path / "data"
    result = CliRunner().invoke(app, ["data", "load", str(sample_copy.dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "bureau.csv" in result.output
    assert "400 rows" in result.output
    assert f"wrote 8 tables, {8 * 400:,} rows" in result.output
    assert (out / MANIFEST_NAME).is_file()


def test_cli_prints_the_contract_error_and_exits_2(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 5, "DAYS_CREDIT", "abc")
    out = tmp_path / "data"
    result = CliRunner().invoke(
        app, ["data", "load", str(sample_copy.dir), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 2
    assert "error: the data breaks the contract" in result.output
    assert "bureau.csv: column DAYS_CREDIT: 1 value(s) are not numbers" in result.output
    assert "line 5: 'abc'" in result.output
    assert not out.exists()


def test_cli_reports_a_missing_source_folder(tmp_path):
    result = CliRunner().invoke(app, ["data", "load", str(tmp_path / "nowhere"), "-o", "x"])
    assert result.exit_code == 2
    assert "does not exist" in result.output
