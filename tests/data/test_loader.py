"""``load_dataset`` on the real sample: row counts, types, manifest, round trip, other formats."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from credit_scoring.data.loader import load_dataset
from credit_scoring.data.manifest import MANIFEST_NAME, data_fingerprint, read_manifest
from credit_scoring.data.reading import (
    parquet_paths,
    read_arrow,
    read_table,
    verify_data_dir,
)
from credit_scoring.errors import DataContractError
from credit_scoring.io import file_sha256
from credit_scoring.schema import DAYS_SENTINEL, SCHEMA_VERSION, TABLES, table


def _data_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh) - 1  # minus the header


@pytest.mark.parametrize("name", list(TABLES))
def test_real_sample_loads_every_row_with_the_contract_schema(name, loaded_sample) -> None:
    path = loaded_sample.data_dir / f"{name}.parquet"
    assert pq.read_schema(path).equals(table(name).arrow_schema())
    assert pq.read_metadata(path).num_rows == _data_lines(loaded_sample.src_dir / f"{name}.csv")
    assert loaded_sample.manifest.tables[name].rows == pq.read_metadata(path).num_rows


@pytest.mark.parametrize("name", list(TABLES))
def test_parquet_round_trip_equals_pandas_reading_of_the_csv(name, loaded_sample) -> None:
    expected = pd.read_csv(loaded_sample.src_dir / f"{name}.csv")
    text = expected.select_dtypes("object").columns
    expected[text] = expected[text].astype(object).where(expected[text].notna(), None)
    loaded = read_table(loaded_sample.data_dir, name)  # missing text is None, as in Arrow
    pd.testing.assert_frame_equal(loaded, expected, check_dtype=True)


def test_missing_values_and_sentinels_survive_the_round_trip(loaded_sample) -> None:
    csv_df = pd.read_csv(loaded_sample.src_dir / "application_train.csv")
    loaded = read_table(
        loaded_sample.data_dir,
        "application_train",
        columns=["SK_ID_CURR", "DAYS_EMPLOYED", "EXT_SOURCE_1", "OCCUPATION_TYPE"],
    )
    sentinel = loaded["DAYS_EMPLOYED"] == DAYS_SENTINEL
    assert sentinel.sum() == (csv_df["DAYS_EMPLOYED"] == DAYS_SENTINEL).sum() > 0
    assert loaded["EXT_SOURCE_1"].isna().sum() == csv_df["EXT_SOURCE_1"].isna().sum() > 0
    assert loaded["OCCUPATION_TYPE"].isna().sum() == csv_df["OCCUPATION_TYPE"].isna().sum() > 0
    assert str(loaded["DAYS_EMPLOYED"].dtype) == "int64"
    previous = read_arrow(loaded_sample.data_dir, "previous_application")
    assert previous["DAYS_FIRST_DRAWING"].null_count > 0  # nulls, not NaN
    assert (previous["DAYS_FIRST_DRAWING"].to_numpy(zero_copy_only=False) == DAYS_SENTINEL).any()


def test_manifest_records_sources_outputs_and_versions(loaded_sample) -> None:
    manifest = read_manifest(loaded_sample.data_dir)
    assert manifest == loaded_sample.manifest
    assert manifest.schema_version == SCHEMA_VERSION
    assert {"python", "duckdb", "pyarrow"} <= set(manifest.libraries)
    assert set(manifest.tables) == set(TABLES)
    for name, entry in manifest.tables.items():
        source = loaded_sample.src_dir / f"{name}.csv"
        parquet = loaded_sample.data_dir / entry.parquet_file
        assert entry.source_file == source.name
        assert entry.source_format == "csv"
        assert entry.source_sha256 == file_sha256(source)
        assert entry.source_bytes == source.stat().st_size
        assert entry.parquet_sha256 == file_sha256(parquet)
        assert entry.columns == len(table(name).columns)
        assert entry.warnings == []  # the real sample meets the contract
        assert entry.unknown_categories == {}


def test_manifest_counts_orphans_per_relation_and_no_client_mismatch(loaded_sample) -> None:
    manifest = loaded_sample.manifest
    relations = {(r.table, r.ref_table): r.orphan_rows for r in manifest.relations}
    expected = {(t.name, fk.ref_table) for t in TABLES.values() for fk in t.foreign_keys}
    assert set(relations) == expected
    # The sample holds the complete bureau history of its clients but random previous rows.
    assert relations[("bureau", "application")] == 0
    assert relations[("bureau_balance", "bureau")] == 0
    assert relations[("previous_application", "application")] > 1000
    previous_ids = set(pd.read_csv(loaded_sample.src_dir / "previous_application.csv").SK_ID_PREV)
    installments = pd.read_csv(loaded_sample.src_dir / "installments_payments.csv")
    orphans = int((~installments.SK_ID_PREV.isin(previous_ids)).sum())
    assert relations[("installments_payments", "previous_application")] == orphans
    assert manifest.client_mismatches == {
        "POS_CASH_balance": 0,
        "installments_payments": 0,
        "credit_card_balance": 0,
    }
    assert manifest.application_overlap == 0


def test_fingerprint_has_rows_and_parquet_hash_per_table(loaded_sample) -> None:
    fingerprint = data_fingerprint(loaded_sample.data_dir)
    assert fingerprint["schema_version"] == SCHEMA_VERSION
    assert fingerprint["tables"]["bureau"] == {
        "rows": 5023,
        "sha256": file_sha256(loaded_sample.data_dir / "bureau.parquet"),
    }
    assert len(fingerprint["digest"]) == 64


def test_loading_twice_writes_identical_files_and_fingerprint(loaded_sample, tmp_path) -> None:
    manifest = load_dataset(loaded_sample.src_dir, tmp_path / "again")
    assert manifest.fingerprint() == loaded_sample.manifest.fingerprint()


def test_a_changed_table_changes_the_fingerprint(sample_copy, loaded_copy, tmp_path) -> None:
    first = loaded_copy.manifest.fingerprint()
    sample_copy.edit("bureau", lambda rows: rows.pop())
    second = load_dataset(sample_copy.dir, tmp_path / "second").fingerprint()
    assert second["digest"] != first["digest"]
    assert second["tables"]["bureau"]["rows"] == first["tables"]["bureau"]["rows"] - 1
    assert second["tables"]["bureau_balance"] == first["tables"]["bureau_balance"]


def test_gzip_zip_and_parquet_sources_load_to_the_same_tables(sample_copy, loaded_copy, tmp_path):
    reference = loaded_copy.manifest
    bureau = sample_copy.path("bureau")
    (sample_copy.dir / "bureau.csv.gz").write_bytes(gzip.compress(bureau.read_bytes()))
    bureau.unlink()
    previous = sample_copy.path("previous_application")
    with zipfile.ZipFile(sample_copy.dir / "previous_application.csv.zip", "w") as archive:
        archive.write(previous, "previous_application.csv")
    previous.unlink()
    pq.write_table(
        pq.read_table(loaded_copy.data_dir / "installments_payments.parquet"),
        sample_copy.dir / "installments_payments.parquet",
    )
    sample_copy.path("installments_payments").unlink()

    manifest = load_dataset(sample_copy.dir, tmp_path / "mixed")
    for name, fmt in [
        ("bureau", "csv.gz"),
        ("previous_application", "csv.zip"),
        ("installments_payments", "parquet"),
    ]:
        assert manifest.tables[name].source_format == fmt
        assert manifest.tables[name].parquet_sha256 == reference.tables[name].parquet_sha256


def test_windows_line_endings_and_a_byte_order_mark_are_accepted(
    sample_copy, loaded_copy, tmp_path
) -> None:
    reference = loaded_copy.manifest
    path = sample_copy.path("bureau")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    manifest = load_dataset(sample_copy.dir, tmp_path / "windows")
    assert manifest.tables["bureau"].parquet_sha256 == reference.tables["bureau"].parquet_sha256
    assert manifest.tables["bureau"].warnings == []


def test_reordered_columns_are_accepted_with_a_warning(sample_copy, loaded_copy, tmp_path):
    def swap(rows: list[list[str]]) -> None:
        for row in rows:
            row[2], row[3] = row[3], row[2]

    reference = loaded_copy.manifest
    sample_copy.edit("bureau", swap)
    manifest = load_dataset(sample_copy.dir, tmp_path / "reordered")
    [warning] = manifest.tables["bureau"].warnings
    assert "not in the contract order" in warning
    assert "'CREDIT_CURRENCY', expected 'CREDIT_ACTIVE'" in warning
    assert manifest.tables["bureau"].parquet_sha256 == reference.tables["bureau"].parquet_sha256


def test_parquet_paths_and_reading_check_the_folder(loaded_sample, tmp_path) -> None:
    paths = parquet_paths(loaded_sample.data_dir)
    assert set(paths) == set(TABLES)
    assert all(p.is_file() for p in paths.values())
    with pytest.raises(DataContractError, match=f"{MANIFEST_NAME} is missing"):
        read_table(tmp_path, "bureau")
    with pytest.raises(DataContractError, match="no column"):
        read_table(loaded_sample.data_dir, "bureau", columns=["NOT_A_COLUMN"])


def test_verify_data_dir_detects_a_changed_parquet_file(loaded_sample, tmp_path) -> None:
    data_dir = tmp_path / "data"
    load_dataset(loaded_sample.src_dir, data_dir)
    verify_data_dir(data_dir)
    pq.write_table(read_arrow(data_dir, "bureau").slice(1), data_dir / "bureau.parquet")
    with pytest.raises(DataContractError, match=r"bureau\.parquet changed since the load"):
        verify_data_dir(data_dir)
