"""Write generated chunks in the contract's exact format: Parquet or Kaggle-like CSV.

Parquet: one ``<table>.parquet`` per table with exactly ``table(name).arrow_schema()``, one
row group per chunk (zstd). CSV: ``<table>.csv`` with the header in schema order, written by
pandas — floats as pandas writes them (``24.0``, ``0.5``), integers without decimals, missing
values as empty fields, text quoted only when needed — which is how the Kaggle files look.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Literal, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from credit_scoring.demo.generator.arrays import Columns
from credit_scoring.errors import DataContractError
from credit_scoring.schema import TABLES, Kind, Table, table

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")
PARQUET_COMPRESSION = "zstd"


def file_name(name: str, fmt: Format) -> str:
    """``<table>.parquet`` or the Kaggle file name ``<table>.csv``."""
    return f"{name}.{fmt}"


def to_arrow(contract: Table, columns: Columns) -> pa.Table:
    """One chunk of ``contract`` as an Arrow table with exactly its schema.

    ``columns`` maps every schema column to a NumPy array: int64 for INT, float64 with NaN
    for missing FLOAT values, int16 vocabulary codes (-1 = missing) for CATEGORY.
    """
    expected = contract.column_names
    if set(columns) != set(expected):
        missing = sorted(set(expected) - set(columns))
        extra = sorted(set(columns) - set(expected))
        raise DataContractError(
            f"{contract.name}: generated columns differ from the schema "
            f"(missing {missing[:5]}, unexpected {extra[:5]})"
        )
    arrays: list[pa.Array] = []
    for column in contract.columns:
        values = columns[column.name]
        if column.kind is Kind.INT:
            arrays.append(pa.array(np.asarray(values, dtype=np.int64), type=pa.int64()))
        elif column.kind is Kind.FLOAT:
            floats = np.asarray(values, dtype=np.float64)
            arrays.append(pa.array(floats, type=pa.float64(), mask=np.isnan(floats)))
        else:
            codes = np.asarray(values)
            vocabulary = pa.array(column.categories, type=pa.string())
            indices = pa.array(codes.astype(np.int32), type=pa.int32(), mask=codes < 0)
            arrays.append(pc.take(vocabulary, indices))
    return pa.Table.from_arrays(arrays, schema=contract.arrow_schema())


class TableSink(Protocol):
    def write(self, chunk: pa.Table) -> None: ...

    def close(self) -> None: ...


class ParquetSink:
    """Appends chunks to one Parquet file (a row group per chunk)."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._writer = pq.ParquetWriter(path, schema, compression=PARQUET_COMPRESSION)

    def write(self, chunk: pa.Table) -> None:
        if chunk.num_rows:
            self._writer.write_table(chunk, row_group_size=chunk.num_rows)

    def close(self) -> None:
        self._writer.close()


class CsvSink:
    """Appends chunks to one CSV file, header first, formatted by pandas like Kaggle's files."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8", newline="")
        self._file.write(",".join(schema.names) + "\n")

    def write(self, chunk: pa.Table) -> None:
        frame = chunk.to_pandas()
        frame.to_csv(self._file, header=False, index=False, lineterminator="\n")

    def close(self) -> None:
        self._file.close()


def open_sinks(out_dir: Path, fmt: Format) -> dict[str, TableSink]:
    """One sink per table of the contract, writing into ``out_dir``."""
    sink_type: type[ParquetSink] | type[CsvSink] = ParquetSink if fmt == "parquet" else CsvSink
    return {
        name: sink_type(out_dir / file_name(name, fmt), table(name).arrow_schema())
        for name in TABLES
    }
