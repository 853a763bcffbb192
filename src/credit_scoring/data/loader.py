"""Load the Home Credit tables: validate them against the contract, write typed Parquet.

:func:`load_dataset` reads ``SRC_DIR/<table>.csv`` (or ``.csv.gz``, ``.csv.zip``, ``.parquet``)
for the eight tables, checks them against :mod:`credit_scoring.schema` and writes
``DATA_DIR/<table>.parquet`` (exactly ``table(name).arrow_schema()``, rows in file order) and
``DATA_DIR/manifest.json``. All work happens in DuckDB (explicit column types, SQL checks,
parallel Parquet writer), so full-size files (58M rows) never become Python objects.

Order of work: find every source and check every header first (cheap; fail at once on a
missing table or column); then stage, check and write each table, collecting every problem of
every table; then count orphans across tables. Anything wrong fails the load with one
:class:`~credit_scoring.data.contract.ContractViolationError` listing all problems, and nothing
appears at ``DATA_DIR`` (the output folder is replaced atomically, only on success).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

from credit_scoring.data.contract import (
    Problem,
    TableReport,
    check_header,
    check_primary_key,
    check_values,
    quote_ident,
    quote_literal,
    raise_if_errors,
)
from credit_scoring.data.manifest import (
    MANIFEST_NAME,
    Manifest,
    TableEntry,
    library_versions,
    write_manifest,
)
from credit_scoring.data.records import RecordScan, scan_records
from credit_scoring.data.relations import check_relations
from credit_scoring.data.sources import SourceFile, find_sources, read_header
from credit_scoring.data.staging import StageOutcome, stage_csv, stage_parquet
from credit_scoring.errors import ConfigurationError, DataContractError
from credit_scoring.io import atomic_output_dir, file_sha256
from credit_scoring.outputs import claim_output_dir, remove_stale_temporaries, temporary_prefix
from credit_scoring.schema import SCHEMA_VERSION, TABLES, Kind, Table

_DUCK_TYPES = {Kind.INT: "BIGINT", Kind.FLOAT: "DOUBLE", Kind.CATEGORY: "VARCHAR"}
_DUMMY = {Kind.INT: "0", Kind.FLOAT: "0.0", Kind.CATEGORY: "''"}
PARQUET_COMPRESSION = "zstd"


@dataclass(frozen=True)
class TableProgress:
    """Reported after each table is checked (for progress output)."""

    table: str
    source_file: str
    rows: int
    seconds: float
    errors: int
    warnings: int


def default_threads() -> int:
    """CPU cores available to this process."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_memory_limit() -> str:
    """DuckDB memory limit: half the machine's memory, at most 4 GiB (DuckDB spills beyond)."""
    half = psutil.virtual_memory().total // 2
    return f"{min(half, 4 * 2**30) // 2**20}MiB"


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def check_memory_limit(value: str) -> str:
    """A DuckDB memory limit such as ``4GiB`` or ``512MB``; raise a clear error otherwise."""
    match = _SIZE.match(value)
    if match is None or float(match.group(1)) <= 0:
        raise ConfigurationError(
            f"--memory-limit {value!r} is not a size; expected a number and a unit, e.g. 4GiB, "
            "512MiB or 2GB"
        )
    return value.strip()


def check_threads(value: int) -> int:
    """A thread count of at least 1."""
    if value < 1:
        raise ConfigurationError(f"--threads {value} must be at least 1")
    return value


def load_dataset(
    src_dir: Path,
    out_dir: Path,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    on_table: Callable[[TableProgress], None] | None = None,
    reconcile: bool = True,
) -> Manifest:
    """Validate the eight tables of ``src_dir`` and write them to ``out_dir`` as typed Parquet.

    ``memory_limit`` is a DuckDB size (e.g. ``"4GiB"``), ``threads`` the DuckDB thread count
    (default: the cores available); ``on_table`` is called after each table. Returns the
    manifest also written to ``out_dir/manifest.json``. Every CSV is read in full a second
    time, in a background thread (:mod:`credit_scoring.data.records`): its records must equal
    the rows loaded plus the rows rejected, none may be over-long, and a gzip or zip file must
    pass its CRC check — all before its Parquet file is written. ``reconcile=False`` skips
    that read (only to measure its cost). Raises
    :class:`~credit_scoring.errors.DataContractError` on any contract violation, with every
    problem found; ``out_dir`` is then left as it was.
    """
    src_dir, out_dir = Path(src_dir), Path(out_dir)
    if memory_limit is not None:
        memory_limit = check_memory_limit(memory_limit)
    if threads is not None:
        threads = check_threads(threads)
    if not src_dir.is_dir():
        raise DataContractError(f"source folder {src_dir} does not exist or is not a folder")
    claim_output_dir(out_dir, command="data load", marker=MANIFEST_NAME, inputs=[src_dir])
    sources = find_sources(src_dir)
    headers, header_reports = _check_headers(sources)

    remove_stale_temporaries(out_dir)
    with (
        _hashing() as hasher,
        tempfile.TemporaryDirectory(prefix=temporary_prefix(out_dir, "scratch"), dir=out_dir.parent)
        as scratch,
        _connect(Path(scratch), memory_limit=memory_limit, threads=threads) as con,
        atomic_output_dir(out_dir) as tmp_dir,
    ):  # fmt: skip
        scans = {
            name: hasher.submit(_scan_or_hash, s, reconcile=reconcile)
            for name, s in sources.items()
        }
        source_sha = {name: _Sha(scans[name]) for name in sources}
        written: dict[str, _Written] = {}
        errors: list[Problem] = []
        for name, source in sources.items():
            started = time.perf_counter()
            report = header_reports[name]
            outcome = _load_table(
                con, source, headers[name], out_path=tmp_dir / f"{name}.parquet",
                scratch_dir=Path(scratch), scan=_scan_of(scans[name]) if reconcile else None,
            )  # fmt: skip
            report.extend(outcome.report)
            errors.extend(report.errors)
            if outcome.rows is not None and not report.errors:
                parquet_sha = hasher.submit(file_sha256, tmp_dir / f"{name}.parquet")
                written[name] = _Written(report, outcome.rows, parquet_sha)
            if on_table is not None:
                seconds = time.perf_counter() - started
                on_table(
                    TableProgress(
                        name, source.name, outcome.rows or 0, seconds,
                        len(report.errors), len(report.warnings),
                    )
                )  # fmt: skip
        raise_if_errors(errors)
        paths = {name: tmp_dir / f"{name}.parquet" for name in TABLES}
        relations = check_relations(con, paths, files={n: s.name for n, s in sources.items()})
        raise_if_errors(relations.errors)
        for name, problems in relations.warnings.items():
            written[name].report.warnings.extend(problems)
        manifest = Manifest(
            schema_version=SCHEMA_VERSION,
            created_at=datetime.now(UTC),
            source_dir=str(src_dir.resolve()),
            libraries=library_versions(),
            tables={
                name: _entry(sources[name], paths[name], w, source_sha[name].result())
                for name, w in written.items()
            },
            relations=relations.relations,
            client_mismatches=relations.client_mismatches,
            application_overlap=relations.application_overlap,
        )
        write_manifest(tmp_dir, manifest)
        _match_permissions(tmp_dir, like=paths["application_train"])
    return manifest


@contextmanager
def _hashing() -> Iterator[ThreadPoolExecutor]:
    """One background thread hashing files while DuckDB works (hashlib releases the GIL)."""
    hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256")
    try:
        yield hasher
    finally:
        hasher.shutdown(wait=True, cancel_futures=True)


def _scan_or_hash(source: SourceFile, *, reconcile: bool) -> tuple[str, RecordScan | None]:
    """(SHA-256 of the file, its record scan): one read for a plain CSV."""
    if not reconcile or not source.is_csv:
        return file_sha256(source.path), None
    if source.format == "csv":
        scan = scan_records(source, with_sha256=True)
        if scan.sha256 is not None:
            return scan.sha256, scan
    else:
        scan = scan_records(source)
    return file_sha256(source.path), scan


def _scan_of(future: Future[tuple[str, RecordScan | None]]) -> Callable[[], RecordScan]:
    def wait() -> RecordScan:
        scan = future.result()[1]
        assert scan is not None
        return scan

    return wait


class _Sha:
    """The SHA-256 part of a background scan (``.result()`` as a future's)."""

    def __init__(self, future: Future[tuple[str, RecordScan | None]]) -> None:
        self._future = future

    def result(self) -> str:
        return self._future.result()[0]


@dataclass
class _Written:
    report: TableReport
    rows: int
    parquet_sha: Future[str]


def _entry(
    source: SourceFile, parquet_path: Path, written: _Written, source_sha: str
) -> TableEntry:
    contract = TABLES[source.table]
    return TableEntry(
        source_file=source.name,
        source_format=source.format,
        source_bytes=source.path.stat().st_size,
        source_sha256=source_sha,
        parquet_file=parquet_path.name,
        parquet_bytes=parquet_path.stat().st_size,
        parquet_sha256=written.parquet_sha.result(),
        rows=written.rows,
        columns=len(contract.columns),
        warnings=[str(p) for p in written.report.warnings],
        unknown_categories=written.report.unknown_categories,
        soft_range_violations=written.report.soft_range_violations,
    )


def _match_permissions(data_dir: Path, *, like: Path) -> None:
    """Give the folder and manifest the permissions the umask gave the Parquet files.

    The atomic helpers create them private (0700/0600), which would hide a shared data folder
    from other users and services.
    """
    mode = like.stat().st_mode & 0o777
    for path in data_dir.iterdir():
        path.chmod(mode)
    data_dir.chmod(mode | (mode & 0o444) >> 2)  # x wherever r is granted


def _check_headers(
    sources: dict[str, SourceFile],
) -> tuple[dict[str, list[str]], dict[str, TableReport]]:
    """Read and check every header; raise with all structural problems before any heavy work."""
    headers: dict[str, list[str]] = {}
    reports: dict[str, TableReport] = {}
    errors: list[Problem] = []
    for name, source in sources.items():
        header, problems = read_header(source)
        if problems:
            errors.extend(problems)
            continue
        report = check_header(TABLES[name], header, file=source.name)
        errors.extend(report.errors)
        headers[name], reports[name] = header, report
    raise_if_errors(errors)
    return headers, reports


@contextmanager
def _connect(
    scratch_dir: Path, *, memory_limit: str | None, threads: int | None
) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(
        ":memory:",
        config={
            "threads": threads or default_threads(),
            "memory_limit": memory_limit or default_memory_limit(),
            "temp_directory": str(scratch_dir / "duckdb-spill"),
            "preserve_insertion_order": True,  # rowid = position in the file
        },
    )
    try:
        con.execute("SET enable_progress_bar = false")  # the CLI prints its own progress
        yield con
    finally:
        con.close()


def _load_table(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    header: list[str],
    *,
    out_path: Path,
    scratch_dir: Path,
    scan: Callable[[], RecordScan] | None,
) -> StageOutcome:
    """Stage one table, run its checks and, when it has no error, write its Parquet file."""
    contract = TABLES[source.table]
    staged = f"staged_{source.table}"
    try:
        if source.is_csv:
            outcome, locate, positions_known = stage_csv(
                con, source, header, staged, scratch_dir=scratch_dir,
                scan=scan if scan is not None else _no_scan(source),
            )  # fmt: skip
        else:
            outcome, locate, positions_known = stage_parquet(con, source, staged)
        if outcome.rows is None:
            return outcome
        report = outcome.report
        if positions_known:
            report.extend(check_values(
                    con, staged, contract, file=source.name, locate=locate,
                    raw=outcome.raw_values,
                )
            )  # fmt: skip
            report.errors.extend(
                check_primary_key(con, staged, contract, file=source.name, locate=locate)
            )
        if outcome.rows == 0 and not report.errors:
            report.errors.append(
                Problem(source.name, None, "has a header but no data rows (expected rows)")
            )
        if not report.errors:
            _write_parquet(con, staged, contract, out_path, rows=outcome.rows)
        return outcome
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(staged)}")


def _no_scan(source: SourceFile) -> Callable[[], RecordScan]:
    """A scan that found the file as DuckDB did (``reconcile=False``: measuring only)."""

    def unchecked() -> RecordScan:
        return RecordScan(records=-1)

    return unchecked


def _write_parquet(
    con: duckdb.DuckDBPyConnection, staged: str, contract: Table, out_path: Path, *, rows: int
) -> None:
    """Write a checked staged table to ``out_path`` with exactly ``contract.arrow_schema()``.

    DuckDB marks a Parquet field required when the column's statistics show no null, so a
    nullable column without missing values would come out ``not null`` (a schema depending on
    the data). A row with nulls, inserted then deleted, leaves statistics that allow nulls
    without changing the rows written. The written schema is verified; should a DuckDB version
    behave otherwise, the table is rewritten through Arrow with the exact schema.
    """
    if any(c.nullable for c in contract.columns):
        dummy = ", ".join("NULL" if c.nullable else _DUMMY[c.kind] for c in contract.columns)
        con.execute(f"INSERT INTO {quote_ident(staged)} VALUES ({dummy})")
        con.execute(f"DELETE FROM {quote_ident(staged)} WHERE rowid = {rows}")
    con.execute(
        f"COPY ({_typed_select(staged, contract)}) TO {quote_literal(str(out_path))} "
        f"(FORMAT parquet, COMPRESSION {PARQUET_COMPRESSION})"
    )
    if not pq.read_schema(out_path).equals(contract.arrow_schema()):
        write_parquet_through_arrow(con, staged, contract, out_path)


def _typed_select(staged: str, contract: Table) -> str:
    """The staged table with the contract's column types (INT columns staged as DOUBLE)."""
    casts = ", ".join(
        f"CAST({quote_ident(c.name)} AS {_DUCK_TYPES[c.kind]}) AS {quote_ident(c.name)}"
        for c in contract.columns
    )
    return f"SELECT {casts} FROM {quote_ident(staged)}"


def write_parquet_through_arrow(
    con: duckdb.DuckDBPyConnection, relation: str, contract: Table, out_path: Path
) -> None:
    """Stream ``relation`` into a Parquet file with exactly the contract's Arrow schema.

    Slower than DuckDB's parallel writer (one thread); the fallback of :func:`_write_parquet`.
    """
    schema = contract.arrow_schema()
    reader = con.sql(_typed_select(relation, contract)).to_arrow_reader(1 << 20)
    with pq.ParquetWriter(out_path, schema, compression=PARQUET_COMPRESSION) as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
    written = pq.read_schema(out_path)
    if not written.equals(schema):  # a bug, not bad input
        raise RuntimeError(
            f"{out_path.name}: written schema differs from the contract:\n{written}\n"
            f"expected:\n{schema}"
        )
