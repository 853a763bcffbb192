"""Feature-test fixtures: validated Parquet folders built from CSVs with the schema's types."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from credit_scoring.schema import TABLES, table


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
    """Write hand-made frames (missing columns → nulls, absent tables → empty) as Parquet."""
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
            elif not field.nullable and n:
                raise ValueError(f"{name}.{field.name} is required in hand-made tables")
            else:
                arrays.append(pa.nulls(n, type=field.type))
        pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out_dir / f"{name}.parquet")
    return out_dir


@pytest.fixture(scope="session")
def sample_data_dir(real_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real sample as a validated Parquet DATA_DIR (built once per session)."""
    return write_parquet_dir_from_csvs(real_sample_dir, tmp_path_factory.mktemp("sample_data"))
