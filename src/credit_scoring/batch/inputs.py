"""Reading an application file for batch scoring, checked against the data contract.

The file (``.csv``, ``.csv.gz``, ``.csv.zip`` or ``.parquet``) must have the columns of
``application_test`` (an ``application_train`` file is accepted: ``TARGET`` is ignored); other
columns are ignored with a warning. :func:`open_applications` stages it in DuckDB and checks it
with the same functions as ``credit-scoring data load`` (:mod:`credit_scoring.data.staging`,
:mod:`credit_scoring.data.contract`): text in numeric columns, missing values where the
contract has none, hard ranges and duplicated ``SK_ID_CURR`` are errors naming the file, the
column, the rows and what was expected; soft ranges and unknown categories are warnings.

A Parquet file whose columns already have the contract's types need not be staged:
:func:`open_parquet_applications` checks its header and client ids, then reads it straight
from Arrow in chunks, which the local engine screens
(:class:`~credit_scoring.batch.arrow_checks.ContractScreen`) as it scores them; a file the
screen flags goes through :func:`open_applications` for the messages.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from credit_scoring.batch.arrow_checks import ContractScreen, ScreenFlaggedError
from credit_scoring.data.contract import (
    Problem,
    check_header,
    check_primary_key,
    check_values,
    quote_ident,
    raise_if_errors,
)
from credit_scoring.data.loader import default_memory_limit, default_threads
from credit_scoring.data.manifest import SourceFormat
from credit_scoring.data.sources import SUFFIXES, SourceFile, read_header
from credit_scoring.data.staging import stage_csv, stage_parquet
from credit_scoring.errors import DataContractError
from credit_scoring.features.feature_set import KEY_COLUMN, TARGET_COLUMN
from credit_scoring.outputs import writable_dir
from credit_scoring.schema import Kind, table

APPLICATION_TABLE = "application_test"
_STAGED = "staged_applications"
#: Columns of a known table that are not model inputs, ignored without a warning.
_QUIETLY_IGNORED = frozenset({TARGET_COLUMN})


def source_format(path: Path) -> SourceFormat:
    """The input format from the file name (``.csv``, ``.csv.gz``, ``.csv.zip``, ``.parquet``)."""
    name = path.name.lower()
    for suffix, fmt in sorted(SUFFIXES, key=lambda s: -len(s[0])):
        if name.endswith(suffix):
            return fmt
    accepted = ", ".join(suffix for suffix, _ in SUFFIXES)
    raise DataContractError(f"{path.name}: unknown file type; expected a name ending in {accepted}")


def check_application_header(header: list[str], *, file: str) -> tuple[list[Problem], list[str]]:
    """(errors, ignored columns) of an application file's header.

    Missing and duplicated application columns are errors (with the contract's rename hints);
    columns outside the contract are ignored.
    """
    contract = table(APPLICATION_TABLE)
    ignored = [c for c in dict.fromkeys(header) if not contract.has_column(c)]
    report = check_header(contract, header, file=file)
    # The contract calls extra columns errors; batch scoring ignores them (warned by the caller).
    errors = [p for p in report.errors if p.column is None or contract.has_column(p.column)]
    errors += [
        Problem(file, c, "appears more than once in the header; expected once")
        for c in ignored
        if header.count(c) > 1
    ]
    if KEY_COLUMN not in header and not any(p.column == KEY_COLUMN for p in errors):
        errors.insert(
            0, Problem(file, KEY_COLUMN, "is missing: every application needs its client id")
        )
    return errors, ignored


@dataclass
class ApplicationFile:
    """A checked application file staged in DuckDB (rows in file order)."""

    path: Path
    rows: int
    con: duckdb.DuckDBPyConnection
    warnings: list[Problem] = field(default_factory=list)

    def _select(self, position: str | None = None) -> str:
        """Application columns with the contract's types (INT staged as DOUBLE → BIGINT),
        and the row's 0-based position in the file as ``position`` when named."""
        contract = table(APPLICATION_TABLE)
        columns = [
            f"CAST({quote_ident(c.name)} AS BIGINT) AS {quote_ident(c.name)}"
            if c.kind is Kind.INT
            else quote_ident(c.name)
            for c in contract.columns
        ]
        if position is not None:
            columns.append(f"rowid AS {quote_ident(position)}")
        # Rows come out in file order: the connection preserves insertion order.
        return f"SELECT {', '.join(columns)} FROM {quote_ident(_STAGED)}"

    def batches(self, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
        """The applications in file order, ``rows_per_batch`` at a time (Arrow, contract types)."""
        self.con.complete()  # the checks leave their last result open
        yield from self.con.sql(self._select()).to_arrow_reader(rows_per_batch)

    def client_ids(self) -> NDArray[np.int64]:
        """``SK_ID_CURR`` of every application, in file order."""
        self.con.complete()
        ids = self.con.sql(f"SELECT {quote_ident(KEY_COLUMN)} FROM {quote_ident(_STAGED)}")
        return np.asarray(ids.fetchnumpy()[KEY_COLUMN], dtype=np.int64)

    def write_parquet(self, path: Path, *, position: str | None = None) -> Path:
        """The checked applications as a Parquet file with the contract's types (and their
        positions in the input as column ``position`` when named)."""
        self.con.complete()
        self.con.sql(self._select(position)).write_parquet(str(path))
        return path

    def relation(self) -> str:
        """Name of the staged table in :attr:`con` (for joins in DuckDB)."""
        return _STAGED


def read_checked_header(path: Path) -> tuple[SourceFile, list[str], list[Problem]]:
    """(source, header, warnings) of an application file whose header passes the contract;
    raise :class:`~credit_scoring.errors.DataContractError` otherwise."""
    path = Path(path)
    if not path.is_file():
        raise DataContractError(f"{path}: no such file")
    source = SourceFile(APPLICATION_TABLE, path, source_format(path))
    header, problems = read_header(source)
    raise_if_errors(problems)
    errors, ignored = check_application_header(header, file=source.name)
    raise_if_errors(errors)
    warnings = [
        Problem(source.name, c, "is not an application column; ignored")
        for c in ignored
        if c not in _QUIETLY_IGNORED
    ]
    return source, header, warnings


@contextmanager
def open_applications(path: Path, *, threads: int | None = None) -> Iterator[ApplicationFile]:
    """Stage and check ``path``; raise :class:`~credit_scoring.errors.DataContractError` listing
    every problem, else yield the staged file (the DuckDB connection closes on exit)."""
    source, header, warnings = read_checked_header(path)
    spill = writable_dir(Path(tempfile.gettempdir()), what="the temporary folder (TMPDIR)")
    with tempfile.TemporaryDirectory(prefix=".score-batch-", dir=spill) as scratch:
        con = duckdb.connect(
            ":memory:",
            config={
                "threads": threads or default_threads(),
                "memory_limit": default_memory_limit(),
                "temp_directory": str(Path(scratch) / "duckdb-spill"),
                "preserve_insertion_order": True,  # rowid = position in the file
            },
        )
        try:
            con.execute("SET enable_progress_bar = false")
            yield _stage_and_check(con, source, header, Path(scratch), warnings)
        finally:
            con.close()


@dataclass
class ParquetApplications:
    """A typed Parquet application file read straight from Arrow, its values screened chunk
    by chunk as they are scored (see :func:`open_parquet_applications`)."""

    path: Path
    rows: int
    ids: NDArray[np.int64]  # SK_ID_CURR in file order, unique
    screen: ContractScreen
    warnings: list[Problem] = field(default_factory=list)

    def batches(self, rows_per_batch: int) -> Iterator[pa.RecordBatch]:
        """The contract's columns in file order, ``rows_per_batch`` rows at a time."""
        text = [c.name for c in table(APPLICATION_TABLE).categorical_columns]
        # Text read as dictionaries (as stored): a few distinct strings per chunk, not one per row.
        with pq.ParquetFile(self.path, read_dictionary=text) as parquet:
            batches = parquet.iter_batches(
                batch_size=rows_per_batch, columns=list(self.screen.columns), use_threads=False
            )
            while True:
                try:
                    batch = next(batches)
                except StopIteration:
                    return
                except (pa.ArrowException, OSError) as exc:  # the full check reports it
                    message = f"{self.path.name} cannot be read with Arrow ({exc})"
                    raise ScreenFlaggedError(message) from exc
                yield batch


def open_parquet_applications(path: Path) -> ParquetApplications | None:
    """A Parquet application file ready to be read and screened in Arrow, or None when it
    must be staged and checked in full by :func:`open_applications` (columns of types the
    staging converts, no rows, a client id missing or repeated).

    Raises :class:`~credit_scoring.errors.DataContractError` for a header that breaks the
    contract, as :func:`open_applications` does.
    """
    source, _, warnings = read_checked_header(path)
    if source.is_csv:
        return None
    try:
        with pq.ParquetFile(source.path) as parquet:
            screen = ContractScreen.for_schema(table(APPLICATION_TABLE), parquet.schema_arrow)
            rows = parquet.metadata.num_rows
            if screen is None or rows == 0:
                return None
            key = parquet.read(columns=[KEY_COLUMN]).column(KEY_COLUMN)
    except (pa.ArrowException, OSError):  # the full check reports what cannot be read
        return None
    if key.null_count or not pa.types.is_integer(key.type):
        return None
    ids = np.asarray(key.to_numpy(), dtype=np.int64)
    ordered = np.sort(ids)  # (np.unique is far slower on a million ids)
    if (ordered[1:] == ordered[:-1]).any():
        return None
    return ParquetApplications(source.path, rows, ids, screen, warnings)


def _stage_and_check(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    header: list[str],
    scratch_dir: Path,
    warnings: list[Problem],
) -> ApplicationFile:
    contract = table(APPLICATION_TABLE)
    if source.is_csv:
        outcome, locate, positions_known = stage_csv(
            con, source, header, _STAGED, scratch_dir=scratch_dir
        )
    else:
        outcome, locate, positions_known = stage_parquet(con, source, _STAGED)
    report = outcome.report
    if outcome.rows is not None and positions_known:
        report.extend(
            check_values(
                con, _STAGED, contract, file=source.name, locate=locate, raw=outcome.raw_values
            )
        )
        report.errors.extend(
            check_primary_key(con, _STAGED, contract, file=source.name, locate=locate)
        )
    if outcome.rows == 0 and not report.errors:
        report.errors.append(
            Problem(source.name, None, "has a header but no data rows (expected applications)")
        )
    raise_if_errors(report.errors)
    return ApplicationFile(source.path, outcome.rows or 0, con, [*warnings, *report.warnings])
