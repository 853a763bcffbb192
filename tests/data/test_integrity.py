"""Data integrity of ``credit-scoring data load``: every record accounted for, every input
verified, outputs only where the command owns the place.

Each case runs the CLI on a broken copy of the real sample and checks a non-zero exit, a
message naming the file, the column and the line, and that the inputs and any earlier output
are byte-identical afterwards.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import multiprocessing
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credit_scoring.cli import app
from credit_scoring.data.records import MAX_RECORD_BYTES

#: Beyond DuckDB's CSV buffer (about 32 MB): such a record used to vanish without a reject row.
HUGE_CELL = 33 << 20


def snapshot(*roots: Path) -> dict[str, str]:
    """SHA-256 of every file under ``roots`` (and the list of names), to compare afterwards."""
    digests: dict[str, str] = {}
    for root in roots:
        paths = [root] if root.is_file() else sorted(p for p in root.rglob("*"))
        for path in paths:
            key = str(path)
            digests[key] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "/"
    return digests


def load(src: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["data", "load", str(src), "--out", str(out), *extra])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def refused(src: Path, out: Path, *fragments: str, extra: tuple[str, ...] = ()) -> str:
    """The load fails (exit ≠ 0), its message holds every fragment, nothing changed."""
    before = snapshot(src, *([out] if out.exists() else []))
    code, output = load(src, out, *extra)
    assert code != 0, output
    assert "Traceback" not in output
    for fragment in fragments:
        assert fragment in output, output
    assert snapshot(src, *([out] if out.exists() else [])) == before
    return output


@pytest.fixture
def earlier_output(sample_copy, tmp_path) -> Path:
    """A folder holding an earlier successful load of the copy."""
    out = tmp_path / "data"
    code, output = load(sample_copy.dir, out)
    assert code == 0, output
    return out


# ----------------------------------------------------------------- rows never silently lost


def test_a_record_beyond_the_csv_readers_buffer_is_refused_with_its_line(
    sample_copy, earlier_output
):
    rows = sample_copy.rows("bureau")
    rows[4][rows[0].index("CREDIT_CURRENCY")] = "x" * HUGE_CELL
    sample_copy.write_rows("bureau", rows)
    output = refused(sample_copy.dir, earlier_output, "bureau.csv", "line 5", "longer than")
    assert f"{MAX_RECORD_BYTES:,} bytes" in output


def test_a_few_megabyte_record_is_refused_with_its_line(sample_copy, earlier_output):
    rows = sample_copy.rows("previous_application")
    rows[7][rows[0].index("NAME_CASH_LOAN_PURPOSE")] = "y" * (3 << 20)
    sample_copy.write_rows("previous_application", rows)
    refused(sample_copy.dir, earlier_output, "previous_application.csv", "line 8", "longer than")


def test_an_unclosed_quote_is_refused_with_the_line_where_it_opens(sample_copy, tmp_path):
    path = sample_copy.path("bureau")
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[10] = lines[10].replace(",Closed,", ',"Closed,', 1).replace(",Active,", ',"Active,', 1)
    path.write_text("".join(lines), encoding="utf-8", newline="")
    refused(sample_copy.dir, tmp_path / "data", "bureau.csv", "line 11", "never closed")


def test_blank_lines_and_crlf_line_ends_load_every_record(sample_copy, tmp_path):
    path = sample_copy.path("bureau_balance")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    path.write_text("\r\n".join([*lines[:50], "", *lines[50:]]) + "\r\n", encoding="utf-8")
    code, output = load(sample_copy.dir, tmp_path / "data")
    assert code == 0, output
    assert f"{len(lines) - 1:,} rows" in output


# ------------------------------------------------------------ corrupt input never accepted


def _flip_middle_byte(data: bytes) -> bytes:
    corrupt = bytearray(data)
    corrupt[len(corrupt) // 2] ^= 0x01
    return bytes(corrupt)


def test_a_gzip_file_with_a_flipped_byte_is_refused(sample_copy, earlier_output):
    csv_path = sample_copy.path("bureau")
    gz = sample_copy.dir / "bureau.csv.gz"
    gz.write_bytes(_flip_middle_byte(gzip.compress(csv_path.read_bytes(), mtime=0)))
    csv_path.unlink()
    refused(sample_copy.dir, earlier_output, "bureau.csv.gz", "is corrupt", "gzip")


def test_a_truncated_gzip_file_is_refused(sample_copy, earlier_output):
    csv_path = sample_copy.path("bureau")
    data = gzip.compress(csv_path.read_bytes(), mtime=0)
    (sample_copy.dir / "bureau.csv.gz").write_bytes(data[: len(data) * 2 // 3])
    csv_path.unlink()
    refused(sample_copy.dir, earlier_output, "bureau.csv.gz")


def test_a_zip_file_whose_crc_fails_is_refused(sample_copy, earlier_output):
    csv_path = sample_copy.path("installments_payments")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("installments_payments.csv", csv_path.read_bytes())
    (sample_copy.dir / "installments_payments.csv.zip").write_bytes(
        _flip_middle_byte(buffer.getvalue())
    )
    csv_path.unlink()
    refused(sample_copy.dir, earlier_output, "installments_payments.csv.zip", "corrupt")


# ------------------------------------------------------------- absurd but finite values


def test_an_absurd_amount_is_refused_naming_column_line_and_value_as_written(
    sample_copy, earlier_output
):
    sample_copy.set_value("bureau", 6, "AMT_CREDIT_SUM", "1e308")
    refused(
        sample_copy.dir, earlier_output,
        "bureau.csv: column AMT_CREDIT_SUM", "physical bounds", "line 6: 1e308",
    )  # fmt: skip


def test_an_id_beyond_2_53_is_quoted_exactly_as_written(sample_copy, earlier_output):
    sample_copy.set_value("bureau", 3, "SK_ID_BUREAU", "9007199254740993")
    refused(
        sample_copy.dir, earlier_output,
        "column SK_ID_BUREAU", "line 3: 9007199254740993", "9,007,199,254,740,991",
    )  # fmt: skip


def test_distinct_big_keys_are_not_counted_as_one_duplicated_key(sample_copy, tmp_path):
    rows = sample_copy.rows("bureau")
    key = rows[0].index("SK_ID_BUREAU")
    for i, row in enumerate(rows[1:301]):
        row[key] = str(2**60 + i)  # distinct, but equal once rounded through float64
    sample_copy.write_rows("bureau", rows)
    output = refused(sample_copy.dir, tmp_path / "data", "300 value(s) are outside")
    assert "duplicated key" not in output
    assert f"line 2: {2**60}" in output


def test_days_of_birth_at_the_int64_minimum_are_refused(sample_copy, tmp_path):
    sample_copy.set_value("application_train", 4, "DAYS_BIRTH", str(-(2**63)))
    refused(
        sample_copy.dir, tmp_path / "data",
        "application_train.csv: column DAYS_BIRTH", f"line 4: {-(2**63)}",
    )  # fmt: skip


# ---------------------------------------------------------------- exact positions, names


def test_line_numbers_are_physical_lines_below_quoted_line_breaks(sample_copy, tmp_path):
    rows = sample_copy.rows("bureau")
    rows[2][rows[0].index("CREDIT_TYPE")] = "Consumer\ncredit\nagain"
    rows[9][rows[0].index("DAYS_CREDIT")] = "abc"
    rows[12][rows[0].index("AMT_ANNUITY")] = "-2e15"
    sample_copy.write_rows("bureau", rows)
    # rows[9] is record 10; two line breaks above it put it on physical line 12
    refused(sample_copy.dir, tmp_path / "data", "line 12: 'abc'", "line 15: -2e15")


def test_an_empty_header_column_is_named_by_its_position(sample_copy, tmp_path):
    sample_copy.edit("bureau", lambda rows: rows[0].__setitem__(2, ""))
    refused(
        sample_copy.dir, tmp_path / "data",
        "bureau.csv: header column 3 (after 'SK_ID_BUREAU') has no name", "'CREDIT_ACTIVE'",
    )  # fmt: skip


# ------------------------------------------------------------------- outputs it owns only


def test_out_naming_the_parent_of_the_sources_is_refused(sample_copy, tmp_path):
    beside = tmp_path / "notes.txt"
    beside.write_text("unrelated", encoding="utf-8")
    before = snapshot(tmp_path)
    code, output = load(sample_copy.dir, tmp_path)
    assert code != 0
    assert "contains the input" in output and "choose an --out outside" in output
    assert snapshot(tmp_path) == before


def test_out_inside_the_sources_is_refused(sample_copy):
    refused(sample_copy.dir, sample_copy.dir / "data", "lies inside the input folder")


def test_out_naming_an_unrelated_folder_is_refused(sample_copy, tmp_path):
    other = tmp_path / "photos"
    other.mkdir()
    (other / "cat.jpg").write_bytes(b"\xff\xd8 not a table")
    refused(sample_copy.dir, other, "is not empty (cat.jpg)", "no manifest.json", "choose a new")


def test_out_naming_a_file_is_refused(sample_copy, tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF")
    refused(sample_copy.dir, target, "is not a folder")


def test_an_earlier_output_of_data_load_is_replaced(sample_copy, earlier_output):
    sample_copy.edit("bureau", lambda rows: rows.pop())
    code, output = load(sample_copy.dir, earlier_output)
    assert code == 0, output
    assert "399 rows" in output


def test_an_unwritable_out_gets_a_message_not_a_traceback(sample_copy):
    refused(sample_copy.dir, Path("/proc/x"), "/proc", "choose an --out in a writable folder")


def test_a_memory_limit_that_is_not_a_size_is_refused(sample_copy, tmp_path):
    refused(
        sample_copy.dir, tmp_path / "data", "--memory-limit 'abc' is not a size", "4GiB",
        extra=("--memory-limit", "abc"),
    )  # fmt: skip
    assert not (tmp_path / "data").exists()


# ------------------------------------------------------------ debris of killed runs


def _dead_pid() -> int:
    process = multiprocessing.get_context("spawn").Process(target=os.getpid)
    process.start()
    process.join(timeout=60)
    assert process.exitcode == 0
    return int(process.pid or 0)


def test_temporaries_of_a_killed_load_are_removed_by_the_next_load(sample_copy, tmp_path):
    out = tmp_path / "data"
    pid = _dead_pid()
    debris = [tmp_path / f".data.tmp-{pid}-abc", tmp_path / f".data.scratch-{pid}-def"]
    for folder in debris:
        folder.mkdir()
        (folder / "bureau.parquet").write_bytes(b"half written")
    live = tmp_path / f".data.tmp-{os.getppid()}-xyz"  # a live process's: left alone
    live.mkdir()
    code, output = load(sample_copy.dir, out)
    assert code == 0, output
    assert not any(folder.exists() for folder in debris)
    assert live.is_dir()
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".data."))
    assert leftovers == [live.name]
