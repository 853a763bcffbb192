"""Feature-test fixtures: validated Parquet folders built from CSVs with the schema's types."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from credit_scoring.schema import DAYS_SENTINEL, TABLES, table


def write_parquet_dir_from_csvs(csv_dir: Path, out_dir: Path) -> Path:
    """``out_dir/<table>.parquet`` for the 8 tables, typed exactly as ``arrow_schema()``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, spec in TABLES.items():
        schema = spec.arrow_schema()
        read = pacsv.read_csv(
            csv_dir / spec.file_name,
            convert_options=pacsv.ConvertOptions(
                column_types={f.name: f.type for f in schema},
                strings_can_be_null=True,
                include_columns=schema.names,
            ),
        )
        pq.write_table(read.select(schema.names).cast(schema), out_dir / f"{name}.parquet")
    return out_dir


def write_parquet_dir(frames: Mapping[str, pd.DataFrame], out_dir: Path) -> Path:
    """Write hand-made frames as a DATA_DIR: absent tables are empty, absent nullable columns
    are null, absent required columns get 0 (numbers) or the first category (text)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        schema = table(name).arrow_schema()
        frame = frames.get(name, pd.DataFrame())
        n = len(frame)
        arrays = []
        for field in schema:
            if field.name in frame.columns:
                values = frame[field.name].astype(object).where(frame[field.name].notna(), None)
                arrays.append(pa.array(values.tolist(), type=field.type))
            elif not field.nullable:
                # Required columns the test does not care about: 0 or the first category.
                column = table(name).column(field.name)
                default = column.categories[0] if column.is_categorical else 0
                arrays.append(pa.array([default] * n, type=field.type))
            else:
                arrays.append(pa.nulls(n, type=field.type))
        pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out_dir / f"{name}.parquet")
    return out_dir


@pytest.fixture(scope="session")
def sample_data_dir(real_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample as a validated Parquet DATA_DIR (built once per session)."""
    return write_parquet_dir_from_csvs(real_sample_dir, tmp_path_factory.mktemp("sample_data"))


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hand-made three-client history of :func:`tiny_tables` as a DATA_DIR."""
    return write_parquet_dir(tiny_tables(), tmp_path_factory.mktemp("tiny_data"))


# Hand-made history of three clients with answers worked out by hand (see the tests).

# Client 1: two bureau credits (one active, one closed) with monthly statuses, three previous
# applications (approved, refused and approved on the same last day), three instalments (early,
# late and short, over-paid), one credit card. Client 2: one bureau credit without monthly
# statuses, one unpaid instalment, two POS loans. Client 3: an application and no history.
NAN = None


def tiny_tables() -> dict[str, pd.DataFrame]:
    """The hand-made tables (see the comment above)."""
    bureau = pd.DataFrame(
        {
            "SK_ID_CURR": [1, 1, 2],
            "SK_ID_BUREAU": [101, 102, 103],
            "CREDIT_ACTIVE": ["Active", "Closed", "Active"],
            "CREDIT_CURRENCY": ["currency 1"] * 3,
            "DAYS_CREDIT": [-100, -800, -1200],
            "CREDIT_DAY_OVERDUE": [10, 0, 0],
            "DAYS_CREDIT_ENDDATE": [200.0, -400.0, 300.0],
            "DAYS_ENDDATE_FACT": [NAN, -500.0, NAN],
            "AMT_CREDIT_MAX_OVERDUE": [60.0, NAN, NAN],
            "CNT_CREDIT_PROLONG": [0, 1, 0],
            "AMT_CREDIT_SUM": [1000.0, 2000.0, 500.0],
            "AMT_CREDIT_SUM_DEBT": [400.0, 0.0, 500.0],
            "AMT_CREDIT_SUM_LIMIT": [0.0, 0.0, NAN],
            "AMT_CREDIT_SUM_OVERDUE": [50.0, 0.0, 0.0],
            "CREDIT_TYPE": ["Consumer credit", "Credit card", "Car loan"],
            "DAYS_CREDIT_UPDATE": [-5, -400, -10],
            "AMT_ANNUITY": [100.0, NAN, NAN],
        }
    )
    bureau_balance = pd.DataFrame(
        {
            "SK_ID_BUREAU": [101, 101, 101, 102, 102, 102],
            "MONTHS_BALANCE": [0, -1, -2, -10, -11, -20],
            "STATUS": ["0", "1", "X", "C", "2", "0"],
        }
    )
    previous = pd.DataFrame(
        {
            "SK_ID_PREV": [201, 202, 203],
            "SK_ID_CURR": [1, 1, 1],
            "NAME_CONTRACT_TYPE": ["Cash loans", "Consumer loans", "Cash loans"],
            "AMT_ANNUITY": [100.0, NAN, 50.0],
            "AMT_APPLICATION": [1000.0, 2000.0, 500.0],
            "AMT_CREDIT": [900.0, 0.0, 500.0],
            "NAME_CONTRACT_STATUS": ["Approved", "Refused", "Approved"],
            "CODE_REJECT_REASON": ["XAP", "SCO", "XAP"],
            "DAYS_DECISION": [-300, -30, -30],
            "CNT_PAYMENT": [12.0, NAN, 6.0],
            "DAYS_FIRST_DRAWING": [float(DAYS_SENTINEL), NAN, -20.0],
            "DAYS_LAST_DUE_1ST_VERSION": [float(DAYS_SENTINEL), NAN, 100.0],
        }
    )
    installments = pd.DataFrame(
        {
            "SK_ID_PREV": [201, 201, 201, 301],
            "SK_ID_CURR": [1, 1, 1, 2],
            "NUM_INSTALMENT_VERSION": [1.0, 1.0, 1.0, 1.0],
            "NUM_INSTALMENT_NUMBER": [1, 2, 3, 1],
            "DAYS_INSTALMENT": [-100.0, -70.0, -40.0, -10.0],
            "DAYS_ENTRY_PAYMENT": [-105.0, -60.0, -40.0, NAN],
            "AMT_INSTALMENT": [100.0, 100.0, 100.0, 80.0],
            "AMT_PAYMENT": [100.0, 50.0, 150.0, NAN],
        }
    )
    pos = pd.DataFrame(
        {
            "SK_ID_PREV": [310, 310, 310, 311],
            "SK_ID_CURR": [2, 2, 2, 2],
            "MONTHS_BALANCE": [-3, -2, -1, -20],
            "CNT_INSTALMENT": [6.0, 6.0, 6.0, 12.0],
            "CNT_INSTALMENT_FUTURE": [5.0, 4.0, 0.0, 6.0],
            "NAME_CONTRACT_STATUS": ["Active", "Active", "Completed", "Active"],
            "SK_DPD": [0, 15, 0, 0],
            "SK_DPD_DEF": [0, 0, 0, 0],
        }
    )
    card = pd.DataFrame(
        {
            "SK_ID_PREV": [401, 401, 401],
            "SK_ID_CURR": [1, 1, 1],
            "MONTHS_BALANCE": [-1, -2, -15],
            "AMT_BALANCE": [500.0, 1000.0, 0.0],
            "AMT_CREDIT_LIMIT_ACTUAL": [1000, 1000, 0],
            "AMT_DRAWINGS_CURRENT": [100.0, 0.0, 0.0],
            "AMT_INST_MIN_REGULARITY": [100.0, 100.0, NAN],
            "AMT_PAYMENT_CURRENT": [50.0, 200.0, NAN],
            "CNT_DRAWINGS_CURRENT": [1, 0, 0],
            "NAME_CONTRACT_STATUS": ["Active"] * 3,
            "SK_DPD": [0, 5, 0],
            "SK_DPD_DEF": [0, 0, 0],
        }
    )
    applications = pd.DataFrame(
        {
            "SK_ID_CURR": [1, 2, 3],
            "TARGET": [0, 1, 0],
            "AMT_INCOME_TOTAL": [100000.0, 50000.0, 80000.0],
            "AMT_CREDIT": [200000.0, 100000.0, 0.0],
            "AMT_ANNUITY": [10000.0, 0.0, 5000.0],
            "DAYS_BIRTH": [-12000, -15000, -20000],
            "DAYS_EMPLOYED": [-1000, DAYS_SENTINEL, -50],
            "CODE_GENDER": ["F", "M", "F"],
        }
    )
    return {
        "application_train": applications,
        "application_test": applications.drop(columns="TARGET").assign(SK_ID_CURR=[11, 12, 13]),
        "bureau": bureau,
        "bureau_balance": bureau_balance,
        "previous_application": previous,
        "installments_payments": installments,
        "POS_CASH_balance": pos,
        "credit_card_balance": card,
    }


def _postgres_url() -> str:
    return os.environ.get("DATABASE_URL") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema (dropped afterwards).

    Fails (does not skip) when the server is down: the store must work on PostgreSQL.
    """
    import sqlalchemy as sa

    from credit_scoring.store.engine import normalise_database_url

    base = normalise_database_url(_postgres_url())
    schema = f"features_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    except sa.exc.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {sa.make_url(base)!r}: {exc}")
    url = sa.make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture(scope="session")
def sample_features_dir(sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``features build`` on the real sample (built once per session)."""
    from credit_scoring.features.build import build_features

    out = tmp_path_factory.mktemp("sample_features") / "features"
    build_features(sample_data_dir, out)
    return out
