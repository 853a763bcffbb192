"""The independent record count: records and physical lines as a CSV parser sees them."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credit_scoring.data.records import (
    MAX_RECORD_BYTES,
    RecordScan,
    count_records,
    reconciliation_problem,
)


def _reference(text: str) -> list[int]:
    """Physical start line of every data record, by Python's csv module."""
    reader = csv.reader(io.StringIO(text, newline=""))
    starts, previous_end = [], 0
    for row in reader:
        if row:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts[1:]  # the header is not a data record


_quoted = st.builds(
    lambda a, n, b: f'"{a}{chr(10) * n}{b}"',
    st.text("ab,", max_size=3),
    st.integers(0, 2),
    st.text("ab", max_size=2),
)
_field = st.one_of(st.from_regex(r"[a-z0-9]{0,4}", fullmatch=True), _quoted)
_line = st.one_of(st.just(""), st.lists(_field, min_size=1, max_size=3).map(",".join))


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(_line, max_size=12),
    newline=st.sampled_from(["\n", "\r\n"]),
    ending=st.sampled_from(["", "\n", "\n\n"]),
    chunk=st.sampled_from([1, 2, 3, 7, 64]),
)
def test_records_and_their_physical_lines_match_a_csv_parser(lines, newline, ending, chunk):
    text = newline.join(["A,B", *lines]) + ending.replace("\n", newline)
    scan = count_records(io.BytesIO(text.encode()), chunk_size=chunk)
    expected = _reference(text)
    assert scan.records == len(expected)
    assert [scan.physical_line(k) for k in range(scan.records)] == expected
    assert [scan.record_at_line(line) for line in expected] == list(range(len(expected)))


def test_an_over_long_record_is_reported_with_its_line_and_size():
    text = b"A,B\n1,x\n2," + b"y" * (MAX_RECORD_BYTES + 5) + b"\n3,z\n"
    scan = count_records(io.BytesIO(text))
    assert scan.records == 3
    assert scan.long_records == [(3, MAX_RECORD_BYTES + 7)]
    assert "line 3 (1,048,583 bytes)" in str(scan.problems("f.csv")[0])


def test_a_crlf_blank_line_is_not_a_record():
    scan = count_records(io.BytesIO(b"A,B\r\n1,x\r\n\r\n2,y\r\n"))
    assert scan.records == 2
    assert scan.physical_line(1) == 4


def test_duckdb_reject_lines_map_to_physical_lines():
    # DuckDB counts blank lines but not line breaks inside quotes
    text = 'A,B\n1,x\n\n2,"y\nz"\n3,w\nabc,q\n4,v\n\n\nxyz,"k\nk"\n5,u,extra\n6\n'
    scan = count_records(io.BytesIO(text.encode()))
    assert [scan.reader_line_to_physical(n) for n in (6, 10, 11, 12)] == [7, 11, 13, 14]


@pytest.mark.parametrize(("loaded", "rejected", "word"), [(199, 0, "lost"), (200, 1, "added")])
def test_reconciliation_names_records_lost_or_added(loaded, rejected, word):
    problem = reconciliation_problem("in.csv", RecordScan(records=200), loaded=loaded,
                                     rejected=rejected)  # fmt: skip
    assert problem is not None
    assert str(problem).startswith("in.csv: holds 200 records")
    assert f"1 record(s) {word} by the CSV reader" in str(problem)


def test_reconciled_counts_give_no_problem():
    assert reconciliation_problem("in.csv", RecordScan(records=5), loaded=4, rejected=1) is None
