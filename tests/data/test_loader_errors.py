"""Bad input: one test per contract violation, each on a copy of the real sample with one break.

Every failure is a :class:`DataContractError` naming the file, the column, a few offending
values with their line numbers, and what was expected; nothing is written.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from credit_scoring.data.contract import ContractViolationError
from credit_scoring.data.loader import load_dataset
from credit_scoring.data.reading import read_table
from credit_scoring.errors import DataContractError


def _fails(sample_copy, tmp_path) -> str:
    out = tmp_path / "data"
    with pytest.raises(DataContractError) as caught:
        load_dataset(sample_copy.dir, out)
    assert not out.exists()
    return str(caught.value)


def test_missing_table_names_the_table_and_the_accepted_file_names(sample_copy, tmp_path):
    sample_copy.path("bureau").unlink()
    message = _fails(sample_copy, tmp_path)
    assert "table bureau is missing" in message
    assert "bureau.csv, bureau.csv.gz, bureau.csv.zip, bureau.parquet" in message


def test_a_table_in_two_formats_is_ambiguous(sample_copy, tmp_path):
    sample_copy.path("bureau").with_suffix(".parquet").write_bytes(b"")
    message = _fails(sample_copy, tmp_path)
    assert "found bureau.csv and bureau.parquet; keep only one file per table" in message


def test_missing_column_is_named(sample_copy, tmp_path):
    def drop(rows: list[list[str]]) -> None:
        index = rows[0].index("AMT_ANNUITY")
        for row in rows:
            del row[index]

    sample_copy.edit("bureau", drop)
    message = _fails(sample_copy, tmp_path)
    assert "bureau.csv: column AMT_ANNUITY: is missing from the header" in message


def test_renamed_column_suggests_the_expected_name(sample_copy, tmp_path):
    sample_copy.edit("application_train", lambda rows: rows[0].__setitem__(8, "AMT_CREDTI"))
    message = _fails(sample_copy, tmp_path)
    assert "application_train.csv: column AMT_CREDIT: is missing; found 'AMT_CREDTI'" in message
    assert "renamed?" in message


def test_a_renamed_column_is_paired_by_position_when_names_differ(sample_copy, tmp_path):
    sample_copy.edit("bureau", lambda rows: rows[0].__setitem__(2, "STATUS_OF_CREDIT"))
    message = _fails(sample_copy, tmp_path)
    assert "column CREDIT_ACTIVE: is missing; found 'STATUS_OF_CREDIT' instead" in message
    assert "STATUS_OF_CREDIT: is not in the contract" not in message


def test_a_header_that_is_not_utf8_is_reported_before_reading_rows(sample_copy, tmp_path):
    path = sample_copy.path("bureau")
    path.write_bytes(b"SK_ID_CURR,SK_ID_BUREAU,CR\xc9DIT" + path.read_bytes()[28:])
    message = _fails(sample_copy, tmp_path)
    assert "bureau.csv: is not UTF-8 text: byte 0xC9 at byte offset 26 (line 1)" in message


def test_another_tables_file_is_recognised_as_such(sample_copy, tmp_path):
    sample_copy.path("application_test").write_bytes(sample_copy.path("bureau").read_bytes())
    message = _fails(sample_copy, tmp_path)
    assert "application_test.csv: 119 of the 121 columns of application_test are missing" in message
    assert "its columns are those of bureau" in message
    assert message.count("application_test.csv") == 2  # the summary line and one problem


def test_a_semicolon_separated_file_is_named_as_such(sample_copy, tmp_path):
    path = sample_copy.path("bureau_balance")
    path.write_text(path.read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    message = _fails(sample_copy, tmp_path)
    assert "bureau_balance.csv: is not comma-separated" in message
    assert "expected ',' as the separator" in message


def test_extra_column_is_rejected(sample_copy, tmp_path):
    def add(rows: list[list[str]]) -> None:
        rows[0].append("SCORE_FROM_ELSEWHERE")
        for row in rows[1:]:
            row.append("0.5")

    sample_copy.edit("bureau", add)
    message = _fails(sample_copy, tmp_path)
    assert "bureau.csv: column SCORE_FROM_ELSEWHERE: is not in the contract of bureau" in message


def test_text_in_an_int_column_shows_three_values_with_line_numbers(sample_copy, tmp_path):
    for line, value in [(5, "abc"), (9, "n/a"), (12, "12 days"), (30, "x")]:
        sample_copy.set_value("bureau", line, "DAYS_CREDIT", value)
    message = _fails(sample_copy, tmp_path)
    assert "bureau.csv: column DAYS_CREDIT: 4 value(s) are not numbers" in message
    assert "expected integers (int64)" in message
    assert "line 5: 'abc', line 9: 'n/a', line 12: '12 days'" in message
    assert "line 30" not in message  # three examples


def test_a_file_with_too_many_unreadable_values_says_what_was_skipped(sample_copy, tmp_path):
    def spoil(rows: list[list[str]]) -> None:
        rows[1:] = [[str(6_000_000 + i), "x", "C"] for i in range(1200)]

    sample_copy.edit("bureau_balance", spoil)
    message = _fails(sample_copy, tmp_path)
    assert "column MONTHS_BALANCE: at least 1,000 value(s) are not numbers" in message
    assert "the other checks of this table were skipped" in message


def test_a_fraction_in_an_int_column_is_not_rounded(sample_copy, tmp_path):
    sample_copy.set_value("application_train", 7, "CNT_CHILDREN", "2.5")
    message = _fails(sample_copy, tmp_path)
    assert "application_train.csv: column CNT_CHILDREN: 1 value(s) are not integers" in message
    assert "line 7: 2.5" in message


def test_missing_value_in_a_never_missing_column(sample_copy, tmp_path):
    sample_copy.set_value("application_train", 4, "NAME_CONTRACT_TYPE", "")
    sample_copy.set_value("application_train", 11, "DAYS_BIRTH", "")
    message = _fails(sample_copy, tmp_path)
    assert "column NAME_CONTRACT_TYPE: 1 value(s) are missing" in message
    assert "column DAYS_BIRTH: 1 value(s) are missing (expected a value in every row" in message
    assert "line 11: (missing)" in message


def test_duplicate_key_shows_the_duplicated_values(sample_copy, tmp_path):
    duplicated = sample_copy.value("bureau", 3, "SK_ID_BUREAU")
    sample_copy.set_value("bureau", 20, "SK_ID_BUREAU", duplicated)
    message = _fails(sample_copy, tmp_path)
    assert "bureau.csv: column SK_ID_BUREAU: 1 duplicated key value(s) over 2 rows" in message
    assert f"(SK_ID_BUREAU={duplicated}: 2 rows, first at line 3)" in message


def test_duplicate_composite_key(sample_copy, tmp_path):
    sample_copy.edit("bureau_balance", lambda rows: rows.append(list(rows[10])))
    message = _fails(sample_copy, tmp_path)
    assert "bureau_balance.csv: column SK_ID_BUREAU, MONTHS_BALANCE: 1 duplicated" in message
    assert "first at line 11" in message


def test_target_outside_zero_and_one(sample_copy, tmp_path):
    sample_copy.set_value("application_train", 6, "TARGET", "2")
    message = _fails(sample_copy, tmp_path)
    assert "application_train.csv: column TARGET: 1 value(s) are out of range" in message
    assert "(expected 0 or 1); e.g. line 6: 2" in message


def test_hard_range_violations_are_errors(sample_copy, tmp_path):
    sample_copy.set_value("application_train", 8, "EXT_SOURCE_2", "1.5")
    sample_copy.set_value("application_train", 9, "DAYS_BIRTH", "12000")
    message = _fails(sample_copy, tmp_path)
    assert "column EXT_SOURCE_2: 1 value(s) are out of range (expected values in [0, 1])" in message
    assert "column DAYS_BIRTH: 1 value(s) are out of range (expected values ≤ -1)" in message


def test_infinite_values_are_errors(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 4, "AMT_CREDIT_SUM", "inf")
    message = _fails(sample_copy, tmp_path)
    assert "bureau.csv: column AMT_CREDIT_SUM: 1 value(s) are infinite" in message


def test_soft_range_violation_is_a_warning_counted_in_the_manifest(sample_copy, tmp_path):
    sample_copy.set_value("application_train", 3, "AMT_CREDIT", "-100.0")
    manifest = load_dataset(sample_copy.dir, tmp_path / "data")
    entry = manifest.tables["application_train"]
    assert entry.soft_range_violations == {"AMT_CREDIT": 1}
    [warning] = entry.warnings
    assert "column AMT_CREDIT: 1 value(s) are outside the usual range" in warning
    assert "line 3: -100.0" in warning


def test_unknown_category_is_kept_warned_and_counted(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 2, "CREDIT_TYPE", "Crypto loan")
    sample_copy.set_value("bureau", 7, "CREDIT_TYPE", "Crypto loan")
    data_dir = tmp_path / "data"
    manifest = load_dataset(sample_copy.dir, data_dir)
    assert manifest.tables["bureau"].unknown_categories == {"CREDIT_TYPE": {"Crypto loan": 2}}
    assert "'Crypto loan' (2 rows, first at line 2)" in manifest.tables["bureau"].warnings[0]
    credit_type = read_table(data_dir, "bureau", columns=["CREDIT_TYPE"]).CREDIT_TYPE
    assert credit_type.iloc[0] == credit_type.iloc[5] == "Crypto loan"


def test_empty_file(sample_copy, tmp_path):
    sample_copy.path("POS_CASH_balance").write_bytes(b"")
    message = _fails(sample_copy, tmp_path)
    assert "POS_CASH_balance.csv: is empty (0 bytes)" in message


def test_header_only_file(sample_copy, tmp_path):
    sample_copy.edit("POS_CASH_balance", lambda rows: rows.__delitem__(slice(1, None)))
    message = _fails(sample_copy, tmp_path)
    assert "POS_CASH_balance.csv: has a header but no data rows" in message


def test_wrong_encoding_names_the_file_byte_offset_and_utf8(sample_copy, tmp_path):
    path = sample_copy.path("previous_application")
    text = path.read_text(encoding="utf-8")
    text = text.replace("Repairs", "Réparations", 1)
    raw = text.encode("cp1252")
    path.write_bytes(raw)
    offset = raw.index("é".encode("cp1252"))
    line = raw[:offset].count(b"\n") + 1
    message = _fails(sample_copy, tmp_path)
    assert "previous_application.csv: is not UTF-8 text: byte 0xE9" in message
    assert f"at byte offset {offset:,} (line {line}) is invalid; expected UTF-8" in message


def test_wrong_number_of_fields_names_the_line(sample_copy, tmp_path):
    sample_copy.edit("installments_payments", lambda rows: rows[14].pop())
    message = _fails(sample_copy, tmp_path)
    assert "installments_payments.csv: 1 line(s) have the wrong number of fields" in message
    assert "(expected 8); e.g. line 15" in message


def test_every_problem_of_every_table_is_reported_at_once(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 5, "DAYS_CREDIT", "abc")
    sample_copy.set_value("bureau", 6, "CREDIT_DAY_OVERDUE", "")
    sample_copy.set_value("application_test", 3, "FLAG_MOBIL", "7")
    with pytest.raises(ContractViolationError) as caught:
        load_dataset(sample_copy.dir, tmp_path / "data")
    located = {(p.file, p.column) for p in caught.value.problems}
    assert located == {
        ("bureau.csv", "DAYS_CREDIT"),
        ("bureau.csv", "CREDIT_DAY_OVERDUE"),
        ("application_test.csv", "FLAG_MOBIL"),
    }
    assert "3 problem(s)" in str(caught.value)


def test_line_numbers_skip_over_unparsable_lines(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 4, "DAYS_CREDIT", "abc")  # rejected by the parser
    sample_copy.set_value("bureau", 8, "CREDIT_DAY_OVERDUE", "")
    message = _fails(sample_copy, tmp_path)
    assert "column CREDIT_DAY_OVERDUE: 1 value(s) are missing" in message
    assert "line 8: (missing)" in message


def test_parquet_source_with_text_in_a_number_column_names_the_rows(sample_copy, tmp_path):
    rows = sample_copy.rows("bureau_balance")
    columns = list(zip(*rows[1:], strict=True))
    months = [*columns[1][:3], "soon", *columns[1][4:]]
    pq.write_table(
        pa.table(
            {
                "SK_ID_BUREAU": [int(v) for v in columns[0]],
                "MONTHS_BALANCE": months,
                "STATUS": list(columns[2]),
            }
        ),
        sample_copy.dir / "bureau_balance.parquet",
    )
    sample_copy.path("bureau_balance").unlink()
    message = _fails(sample_copy, tmp_path)
    assert "bureau_balance.parquet: column MONTHS_BALANCE: 1 value(s) are not numbers" in message
    assert "row 4: 'soon'" in message


def test_parquet_source_with_a_wrong_type(sample_copy, tmp_path):
    rows = sample_copy.rows("bureau_balance")
    columns = list(zip(*rows[1:], strict=True))
    pq.write_table(
        pa.table(
            {
                "SK_ID_BUREAU": [int(v) for v in columns[0]],
                "MONTHS_BALANCE": [int(v) for v in columns[1]],
                "STATUS": [len(v) for v in columns[2]],
            }
        ),
        sample_copy.dir / "bureau_balance.parquet",
    )
    sample_copy.path("bureau_balance").unlink()
    message = _fails(sample_copy, tmp_path)
    assert "bureau_balance.parquet: column STATUS: has type BIGINT; expected text" in message


def test_nan_text_in_a_float_column_is_a_missing_value(sample_copy, tmp_path):
    sample_copy.set_value("bureau", 2, "AMT_CREDIT_SUM_DEBT", "nan")
    data_dir = tmp_path / "data"
    load_dataset(sample_copy.dir, data_dir)
    debt = read_table(data_dir, "bureau", columns=["AMT_CREDIT_SUM_DEBT"]).AMT_CREDIT_SUM_DEBT
    assert debt.isna().iloc[0]
