""" "Last N instalments" and distinct credit types: the DuckDB forms against their definitions."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from credit_scoring.features.history.bureau import credit_type_counts
from credit_scoring.features.history.installments import (
    last_due_rows_by_cutoff,
    last_due_rows_by_rank,
)


def _rows(expr: ibis.Table) -> list[tuple[int, float, int]]:
    frame = expr.to_pandas()
    return sorted(zip(frame.SK_ID_CURR, frame.DAYS_INSTALMENT, frame.row, strict=True))


@pytest.fixture()
def con() -> ibis.BaseBackend:
    return ibis.duckdb.connect()


def test_ties_at_the_nth_latest_due_date_all_count(con: ibis.BaseBackend) -> None:
    # Client 1: due dates -1 … -8, then three rows tied on -9 and one on -10. Rows 9, 10 and 11
    # (the tie) have 8 rows due strictly later, fewer than 10: all three count; -10 does not.
    # Client 2: three rows, all kept.
    days = [-1.0, -2, -3, -4, -5, -6, -7, -8, -9, -9, -9, -10, -50, -20, -20]
    frame = pd.DataFrame(
        {"SK_ID_CURR": [1] * 12 + [2] * 3, "DAYS_INSTALMENT": days, "row": range(15)}
    )
    table = con.create_table("inst", frame)
    kept = _rows(last_due_rows_by_cutoff(table, 10))
    assert sorted(r[2] for r in kept if r[0] == 1) == list(range(11))
    assert sorted(r[2] for r in kept if r[0] == 2) == [12, 13, 14]
    assert kept == _rows(last_due_rows_by_rank(table, 10))


@pytest.mark.parametrize("n", [1, 3, 10])
def test_cutoff_keeps_the_rows_the_rank_keeps(con: ibis.BaseBackend, n: int) -> None:
    rng = np.random.default_rng(n)
    size = 5_000
    frame = pd.DataFrame(
        {
            "SK_ID_CURR": rng.integers(0, 300, size),
            # few distinct days: many ties at every cut
            "DAYS_INSTALMENT": -rng.integers(0, 40, size).astype(float),
            "row": range(size),
        }
    )
    table = con.create_table("inst", frame, overwrite=True)
    by_cutoff = _rows(last_due_rows_by_cutoff(table, n))
    assert by_cutoff == _rows(last_due_rows_by_rank(table, n))
    assert 0 < len(by_cutoff) < size


def test_distinct_credit_types_ignore_missing_types(con: ibis.BaseBackend) -> None:
    frame = pd.DataFrame(
        {
            "SK_ID_CURR": [1, 1, 1, 2, 3, 3],
            "CREDIT_TYPE": ["Car loan", "Car loan", "Mortgage", None, None, "Microloan"],
        }
    )
    counts = credit_type_counts(con.create_table("bureau", frame)).to_pandas()
    got = dict(zip(counts.SK_ID_CURR, counts.BUREAU_CREDIT_TYPE_NUNIQUE, strict=True))
    assert got == {1: 2, 2: 0, 3: 1}
