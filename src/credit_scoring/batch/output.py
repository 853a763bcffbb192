"""Writing the scored applications atomically, as CSV or Parquet by the output's extension.

Rows are streamed into a temporary file beside the output, which replaces the output only
when every row is written and flushed to disk: a crash or an error never leaves a half file
(and an existing output stays as it was).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from credit_scoring.errors import DataContractError
from credit_scoring.outputs import claim_output_file, remove_stale_temporaries, temporary_prefix

OutputFormat = Literal["csv", "parquet"]
PARQUET_COMPRESSION = "zstd"
#: Rows per Parquet row group: scored chunks are gathered up to this many before a write.
PARQUET_ROW_GROUP_ROWS = 131_072
#: Parquet key-value metadata marking a file written by ``score-batch`` (its ownership marker).
KIND_KEY, KIND = b"credit_scoring.kind", b"score-batch"
COMMAND = "score-batch"


def output_format(path: Path) -> OutputFormat:
    """``csv`` or ``parquet`` from the output file name."""
    name = Path(path).name.lower()
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".parquet"):
        return "parquet"
    raise DataContractError(f"{Path(path).name}: the output must end in .csv or .parquet")


def is_score_batch_output(path: Path, column_sets: Sequence[Sequence[str]]) -> bool:
    """Whether ``path`` is an earlier ``score-batch`` output: a Parquet file carrying its
    kind in the metadata, or a CSV file whose header is exactly one of ``column_sets``."""
    try:
        if output_format(path) == "parquet":
            metadata = pq.read_schema(path).metadata or {}
            return metadata.get(KIND_KEY) == KIND
        with Path(path).open("rb") as fh:
            first = fh.readline(1 << 16).decode("utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError, pa.ArrowException, DataContractError):
        return False
    header = next(csv.reader(io.StringIO(first)), [])
    return any(header == list(columns) for columns in column_sets)


def claim_batch_output(
    out_path: Path, *, inputs: Sequence[Path], column_sets: Sequence[Sequence[str]]
) -> None:
    """Refuse an ``--out`` that is an input, or an existing file ``score-batch`` did not
    write (:class:`~credit_scoring.outputs.OutputPlaceError`); remove stale temporaries."""
    output_format(out_path)
    claim_output_file(
        out_path,
        command=COMMAND,
        is_own=lambda p: is_score_batch_output(p, column_sets),
        inputs=inputs,
    )
    remove_stale_temporaries(out_path)


class AtomicTableWriter:
    """Streams record batches of one schema to ``path`` (``with`` block; atomic on exit).

    Parquet rows are gathered into row groups of :data:`PARQUET_ROW_GROUP_ROWS` whatever the
    size of the batches written.
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = Path(path)
        self.schema = schema
        self.format = output_format(self.path)
        self.rows = 0
        self._tmp: Path | None = None
        self._writer: pq.ParquetWriter | pacsv.CSVWriter | None = None
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0

    def __enter__(self) -> AtomicTableWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=temporary_prefix(self.path, "tmp"), dir=self.path.parent)
        os.close(fd)
        self._tmp = Path(name)
        mask = os.umask(0)
        os.umask(mask)
        self._tmp.chmod(0o666 & ~mask)  # mkstemp makes it private (0600)
        if self.format == "parquet":
            text = [f.name for f in self.schema if pa.types.is_string(f.type)]
            marked = self.schema.with_metadata({**(self.schema.metadata or {}), KIND_KEY: KIND})
            self._writer = pq.ParquetWriter(
                self._tmp, marked, compression=PARQUET_COMPRESSION,
                use_dictionary=text,  # numbers are mostly distinct: plain encoding
            )  # fmt: skip
        else:
            self._writer = pacsv.CSVWriter(self._tmp, self.schema)
        return self

    def write(self, frame: pd.DataFrame) -> None:
        """Append rows (columns named as the schema's)."""
        self.write_batch(
            pa.RecordBatch.from_pandas(frame, schema=self.schema, preserve_index=False)
        )

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append an Arrow batch of the writer's schema."""
        assert self._writer is not None, "use AtomicTableWriter in a with block"
        if not batch.schema.equals(self.schema):
            raise ValueError(f"batch schema {batch.schema} differs from the output's {self.schema}")
        self.rows += batch.num_rows
        if isinstance(self._writer, pacsv.CSVWriter):
            self._writer.write_batch(batch)
            return
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= PARQUET_ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self._pending_rows and isinstance(self._writer, pq.ParquetWriter):
            table = pa.Table.from_batches(self._pending, schema=self.schema)
            self._writer.write_table(table, row_group_size=self._pending_rows)
        self._pending, self._pending_rows = [], 0

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._tmp is not None
        try:
            if self._writer is not None:
                if exc_type is None:
                    self._flush()
                self._writer.close()
            if exc_type is None:
                with self._tmp.open("rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(self._tmp, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                self._tmp.unlink()
