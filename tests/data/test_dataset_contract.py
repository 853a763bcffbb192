"""Data contract tests that can point at any dataset folder (raw Kaggle-format files).

They run on the real sample, on a small population from the synthetic generator, and on the
folder named by ``CREDIT_SCORING_DATASET_DIR`` when it is set (e.g. the full Kaggle download:
``CREDIT_SCORING_DATASET_DIR=~/kaggle/home-credit pytest tests/data/test_dataset_contract.py``).

They are written independently of the loader, from the schema alone: DuckDB infers each
column's type from the whole file (as a person opening it would), and plain SQL checks keys,
relations, vocabularies and bounds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from credit_scoring.demo.generator import generate_dataset
from credit_scoring.schema import TABLES, Column, Kind, Table

DATASET_ENV = "CREDIT_SCORING_DATASET_DIR"
SOFT_BOUND_MIN_SHARE = 0.99  # soft bounds may be broken by at most 1% of the rows
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE"}


@dataclass(frozen=True)
class Dataset:
    """A dataset folder exposed as one DuckDB view per table, typed as its files are."""

    name: str
    con: duckdb.DuckDBPyConnection
    #: False when every key must resolve (generated data); the real data has orphans.
    orphans_expected: bool

    def scalar(self, sql: str) -> object:
        row = self.con.execute(sql).fetchone()
        assert row is not None
        return row[0]

    def types(self, table: str) -> dict[str, str]:
        rows = self.con.execute(f'DESCRIBE "{table}"').fetchall()
        return {name: str(dtype) for name, dtype, *_ in rows}


def _source(folder: Path, name: str) -> Path:
    found = [p for s in (".csv", ".csv.gz", ".parquet") if (p := folder / f"{name}{s}").is_file()]
    assert len(found) == 1, f"{folder}: expected one file for {name}, found {found}"
    return found[0]


def _open(name: str, folder: Path, scratch: Path, *, orphans_expected: bool) -> Dataset:
    con = duckdb.connect()
    for table_name in TABLES:
        path = _source(folder, table_name)
        if path.suffix == ".parquet":
            relation = f"read_parquet('{path}')"
        else:  # types inferred from every row, then kept in Parquet for fast checks
            typed = scratch / f"{table_name}.parquet"
            con.execute(
                f"COPY (SELECT * FROM read_csv('{path}', header = true, sample_size = -1, "
                "auto_type_candidates = ['BIGINT', 'DOUBLE', 'VARCHAR'])) "
                f"TO '{typed}' (FORMAT parquet)"
            )
            relation = f"read_parquet('{typed}')"
        con.execute(f'CREATE VIEW "{table_name}" AS SELECT * FROM {relation}')
    return Dataset(name, con, orphans_expected)


def _dataset_ids() -> list[str]:
    return ["real_sample", "generated"] + (["environment"] if os.environ.get(DATASET_ENV) else [])


@pytest.fixture(scope="module", params=_dataset_ids())
def dataset(
    request: pytest.FixtureRequest, real_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Dataset]:
    scratch = tmp_path_factory.mktemp(f"dataset-{request.param}")
    if request.param == "real_sample":
        opened = _open("real_sample", real_sample_dir, scratch, orphans_expected=True)
    elif request.param == "generated":
        folder = scratch / "generated"
        generate_dataset(folder, clients=400, seed=20261121, fmt="parquet")
        opened = _open("generated", folder, scratch, orphans_expected=False)
    else:
        folder = Path(os.environ[DATASET_ENV]).expanduser()
        opened = _open(str(folder), folder, scratch, orphans_expected=True)
    yield opened
    opened.con.close()


def _q(name: str) -> str:
    return f'"{name}"'


def _parents(table: Table) -> list[tuple[str, str, str]]:
    """(child key, parent SQL, parent key) of every foreign key; "application" is the union."""
    out = []
    for fk in table.foreign_keys:
        [column], [ref_column] = fk.columns, fk.ref_columns
        if fk.ref_table == "application":
            parent = (
                f"(SELECT {ref_column} FROM application_train "
                f"UNION ALL SELECT {ref_column} FROM application_test)"
            )
        else:
            parent = _q(fk.ref_table)
        out.append((column, parent, ref_column))
    return out


@pytest.mark.parametrize("name", list(TABLES))
def test_header_is_the_contract_column_list_in_order(dataset: Dataset, name: str) -> None:
    assert list(dataset.types(name)) == TABLES[name].column_names


def _dtype_ok(column: Column, dtype: str) -> bool:
    if column.kind is Kind.INT:
        return dtype in _INTEGER_TYPES
    if column.kind is Kind.FLOAT:
        return dtype in _FLOAT_TYPES | _INTEGER_TYPES  # whole numbers are numbers too
    return dtype == "VARCHAR"


@pytest.mark.parametrize("name", list(TABLES))
def test_columns_have_the_contract_dtypes(dataset: Dataset, name: str) -> None:
    types = dataset.types(name)
    wrong = {
        c.name: types[c.name]
        for c in TABLES[name].columns
        if not _dtype_ok(c, types[c.name])
        # a column missing in every row carries no type
        and dataset.scalar(f"SELECT count({_q(c.name)}) FROM {_q(name)}") != 0
    }
    assert wrong == {}


@pytest.mark.parametrize("name", list(TABLES))
def test_tables_have_rows_and_never_missing_columns_are_complete(dataset, name) -> None:
    required = [c.name for c in TABLES[name].columns if not c.nullable]
    counts = dataset.con.execute(
        "SELECT count(*), "
        + ", ".join(f"count(*) - count({_q(c)})" for c in required)
        + f" FROM {_q(name)}"
    ).fetchone()
    assert counts is not None
    assert counts[0] > 0
    assert {c: n for c, n in zip(required, counts[1:], strict=True) if n} == {}


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.primary_key])
def test_primary_keys_are_unique(dataset: Dataset, name: str) -> None:
    keys = ", ".join(TABLES[name].primary_key)
    duplicated = dataset.scalar(
        f"SELECT count(*) FROM (SELECT {keys} FROM {_q(name)} GROUP BY ALL HAVING count(*) > 1)"
    )
    assert duplicated == 0


def test_target_is_binary_with_both_classes(dataset: Dataset) -> None:
    values = dataset.con.execute(
        "SELECT DISTINCT TARGET FROM application_train ORDER BY 1"
    ).fetchall()
    assert values == [(0,), (1,)]


@pytest.mark.parametrize("name", list(TABLES))
def test_categorical_values_belong_to_the_vocabulary(dataset: Dataset, name: str) -> None:
    unknown = {}
    for column in TABLES[name].categorical_columns:
        vocabulary = ", ".join("'" + v.replace("'", "''") + "'" for v in column.categories)
        rows = dataset.con.execute(
            f"SELECT DISTINCT CAST({_q(column.name)} AS VARCHAR) FROM {_q(name)} "
            f"WHERE {_q(column.name)} IS NOT NULL "
            f"AND CAST({_q(column.name)} AS VARCHAR) NOT IN ({vocabulary})"
        ).fetchall()
        if rows:
            unknown[column.name] = sorted(r[0] for r in rows)
    assert unknown == {}


def _outside(column: Column) -> str:
    col = _q(column.name)
    parts = []
    if column.min_value is not None:
        parts.append(f"{col} < {column.min_value}")
    if column.max_value is not None:
        parts.append(f"{col} > {column.max_value}")
    sentinels = "".join(f" AND {col} <> {s}" for s in column.sentinels)
    return f"(({' OR '.join(parts)}){sentinels})"


def _bounded(name: str, *, hard: bool) -> list[Column]:
    return [
        c
        for c in TABLES[name].columns
        if (c.min_value is not None or c.max_value is not None) and c.hard_range is hard
    ]


@pytest.mark.parametrize("name", [n for n in TABLES if _bounded(n, hard=True)])
def test_hard_bounds_hold_in_every_row(dataset: Dataset, name: str) -> None:
    columns = _bounded(name, hard=True)
    counts = dataset.con.execute(
        "SELECT " + ", ".join(f"count_if({_outside(c)})" for c in columns) + f" FROM {_q(name)}"
    ).fetchone()
    assert counts is not None
    assert {c.name: n for c, n in zip(columns, counts, strict=True) if n} == {}


@pytest.mark.parametrize("name", [n for n in TABLES if _bounded(n, hard=False)])
def test_soft_bounds_hold_for_almost_every_row(dataset: Dataset, name: str) -> None:
    columns = _bounded(name, hard=False)
    shares = dataset.con.execute(
        "SELECT "
        + ", ".join(f"avg(CASE WHEN {_outside(c)} THEN 1 ELSE 0 END)" for c in columns)
        + f" FROM {_q(name)}"
    ).fetchone()
    assert shares is not None
    broken = {c.name: share for c, share in zip(columns, shares, strict=True) if share is not None}
    assert {c: s for c, s in broken.items() if s > 1 - SOFT_BOUND_MIN_SHARE} == {}


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.foreign_keys])
def test_foreign_keys_reference_a_unique_parent_key(dataset: Dataset, name: str) -> None:
    for _, parent, ref_column in _parents(TABLES[name]):
        duplicated = dataset.scalar(f"SELECT count(*) - count(DISTINCT {ref_column}) FROM {parent}")
        assert duplicated == 0, f"{name} → {parent}.{ref_column} is not a key"


@pytest.mark.parametrize("name", [n for n, t in TABLES.items() if t.foreign_keys])
def test_orphans_only_where_the_data_has_them(dataset: Dataset, name: str) -> None:
    contract = TABLES[name]
    for fk, (column, parent, ref_column) in zip(
        contract.foreign_keys, _parents(contract), strict=True
    ):
        orphans = dataset.scalar(
            f"SELECT count(*) FROM {_q(name)} c ANTI JOIN {parent} p ON c.{column} = p.{ref_column}"
        )
        if not fk.orphans_allowed or not dataset.orphans_expected:
            assert orphans == 0, f"{name}.{column}: {orphans} rows without {fk.ref_table}"


@pytest.mark.parametrize(
    "name", ["POS_CASH_balance", "installments_payments", "credit_card_balance"]
)
def test_history_rows_belong_to_the_client_of_their_previous_application(dataset, name) -> None:
    mismatched = dataset.scalar(
        f"SELECT count(*) FROM {_q(name)} c JOIN previous_application p USING (SK_ID_PREV) "
        "WHERE c.SK_ID_CURR <> p.SK_ID_CURR"
    )
    assert mismatched == 0
