"""Reading one source file into a DuckDB table ("staging") before the contract checks.

A staged table has the contract's columns in contract order, numbers as DOUBLE (or BIGINT when
the source already has integers) and text as VARCHAR; its ``rowid`` is the row's position in
the source file. Problems found while reading (unparsable lines, text in numeric columns, bad
encoding, wrong Parquet types) are returned as :class:`~credit_scoring.data.contract.Problem`.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from credit_scoring.data.contract import (
    Locate,
    Problem,
    RawValues,
    TableReport,
    quote_ident,
    quote_literal,
)
from credit_scoring.data.records import (
    RecordScan,
    read_fields,
    reconciliation_problem,
    scan_records,
)
from credit_scoring.data.sources import SourceFile, encoding_problem, extract_zip
from credit_scoring.schema import TABLES, Kind

#: CSV parse errors recorded per file; beyond it positions of later rows are unknown.
REJECTS_LIMIT = 1000
_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_NUMERIC_PREFIXES = ("FLOAT", "DOUBLE", "DECIMAL", "HUGEINT", "UBIGINT", "UHUGEINT")
_CAST_VALUE = re.compile(r'Could not convert string "(.*)" to ', re.DOTALL)


@dataclass
class StageOutcome:
    """What staging found: problems so far, and the rows read (None if nothing was read)."""

    report: TableReport = field(default_factory=TableReport)
    rows: int | None = None  # rows staged (None when the table could not be read)
    #: reads values back exactly as written in the file (None: the staged values are exact)
    raw_values: RawValues | None = None


def _nan_as_null(column: str, expression: str | None = None) -> str:
    """``expression`` (default: the column) with NaN as a missing value, as in pandas."""
    value = expression or quote_ident(column)
    return f"CASE WHEN isnan({value}) THEN NULL ELSE {value} END AS {quote_ident(column)}"


def stage_csv(
    con: duckdb.DuckDBPyConnection,
    source: SourceFile,
    header: list[str],
    staged: str,
    *,
    scratch_dir: Path,
    scan: Callable[[], RecordScan] | None = None,
) -> tuple[StageOutcome, Locate, bool]:
    """Read a CSV into ``staged`` (numbers as DOUBLE, text as VARCHAR, contract order).

    INT columns are parsed as DOUBLE and checked for whole numbers afterwards: DuckDB's
    integer parser would silently round ``2.5`` to 3. Lines that do not parse (text in a
    numeric column, wrong field count, bad encoding) are recorded by DuckDB's reject tables.

    ``scan`` returns the file's independent record scan (:func:`scan_records`, run while
    DuckDB reads; started here when not given): a file failing its integrity check (gzip/zip
    CRC), holding over-long records, or whose records differ from the rows read plus rejected
    gives errors and no rows. Line numbers in messages are physical lines.
    """
    if scan is None:
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="records")
        future = pool.submit(scan_records, source)
        pool.shutdown(wait=False)
        scan = future.result
    outcome = StageOutcome()
    try:
        path = extract_zip(source, scratch_dir) if source.format == "csv.zip" else source.path
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        found = scan()
        outcome.report.errors.extend(
            found.problems(source.name)
            or [Problem(source.name, None, f"cannot be read or decompressed ({exc})")]
        )
        return outcome, _csv_locator([], None), False
    rejected, read_error = _read_csv(con, source, header, staged, path)
    found = scan()
    # The file's own problems explain a reader error (e.g. DuckDB's "maximum line size").
    problems = found.problems(source.name) or ([read_error] if read_error is not None else [])
    if problems:
        outcome.report.errors.extend(problems)
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(staged)}")
        return outcome, _csv_locator([], found), False
    row = con.execute(f"SELECT count(*) FROM {quote_ident(staged)}").fetchone()
    rows = int(row[0]) if row else 0
    complete = len(rejected) < REJECTS_LIMIT
    rejected = [(found.reader_line_to_physical(int(r[0])), *r[1:]) for r in rejected]
    rejected_lines = sorted({int(r[0]) for r in rejected})
    if complete:
        lost = reconciliation_problem(source.name, found, loaded=rows, rejected=len(rejected_lines))
        if lost is not None:
            outcome.report.errors.append(lost)
            return outcome, _csv_locator([], found), False
    outcome.rows = rows
    outcome.report.errors.extend(_reject_problems(source, rejected, complete=complete))
    line_of = _csv_line_of(rejected_lines, found)

    def raw_values(rowids: list[int], column: str) -> dict[int, str]:
        lines = {rowid: line_of(rowid) for rowid in rowids}
        texts = read_fields(source, list(lines.values()), header.index(column))
        return {rowid: texts[line] for rowid, line in lines.items() if line in texts}

    outcome.raw_values = raw_values
    return outcome, _csv_locator(rejected_lines, found), complete


def _read_csv(
    con: duckdb.DuckDBPyConnection, source: SourceFile, header: list[str], staged: str, path: Path
) -> tuple[list[tuple[int, str | None, str, str]], Problem | None]:
    """Create ``staged`` from the CSV; (DuckDB's rejected lines, or the error it raised)."""
    contract = TABLES[source.table]
    # Columns outside the contract (ignored by batch scoring) are read as text.
    numeric = {c.name for c in contract.columns if not c.is_categorical}
    types = {n: "DOUBLE" if n in numeric else "VARCHAR" for n in header}
    columns = ", ".join(f"{quote_literal(n)}: {quote_literal(t)}" for n, t in types.items())
    select = ", ".join(
        _nan_as_null(c.name) if types[c.name] == "DOUBLE" else quote_ident(c.name)
        for c in contract.columns
    )
    rejects, scan = f"rejects_{source.table}", f"rejects_scan_{source.table}"
    try:
        con.execute(
            f"CREATE TABLE {quote_ident(staged)} AS SELECT {select} FROM read_csv("
            f"{quote_literal(str(path))}, header = true, auto_detect = false, delim = ',', "
            f"quote = '\"', escape = '\"', nullstr = '', columns = {{{columns}}}, "
            f"compression = '{'gzip' if source.format == 'csv.gz' else 'none'}', "
            f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{scan}', "
            f"rejects_limit = {REJECTS_LIMIT})"
        )
        rejected = con.execute(
            f"SELECT line, column_name, error_type, error_message FROM {rejects} "
            "ORDER BY line, column_idx"
        ).fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        return [], Problem(source.name, None, f"cannot be read ({message})")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {rejects}")
        con.execute(f"DROP TABLE IF EXISTS {scan}")
    return [(int(r[0]), r[1], r[2], r[3]) for r in rejected], None


def _csv_locator(rejected_lines: list[int], scan: RecordScan | None) -> Locate:
    """``rowid`` → ``"line N"``, N the physical line (see :func:`_csv_line_of`)."""
    line_of = _csv_line_of(rejected_lines, scan)

    def locate(rowid: int) -> str:
        return f"line {line_of(rowid):,}"

    return locate


def _csv_line_of(rejected_lines: list[int], scan: RecordScan | None) -> Callable[[int], int]:
    """``rowid`` → physical line where the row's record starts (line 1 is the header).

    Rejected records are skipped over; blank lines and line breaks inside quoted fields are
    counted as the file shows them (``scan``).
    """
    rejected_records = (
        sorted(scan.record_at_line(line) for line in rejected_lines)
        if scan is not None
        else [line - 2 for line in rejected_lines]
    )

    def line_of(rowid: int) -> int:
        record = rowid
        for rejected in rejected_records:
            if rejected > record:
                break
            record += 1
        return scan.physical_line(record) if scan is not None else record + 2

    return line_of


def _reject_problems(
    source: SourceFile, rejected: list[tuple[int, str | None, str, str]], *, complete: bool
) -> list[Problem]:
    """Group DuckDB's rejected lines into one problem per (kind, column)."""
    contract = TABLES[source.table]
    groups: dict[tuple[str, str | None], list[tuple[int, str]]] = {}
    for line, column, error_type, message in rejected:
        kind = "FIELDS" if error_type in {"MISSING COLUMNS", "TOO MANY COLUMNS"} else error_type
        groups.setdefault((kind, column if kind == "CAST" else None), []).append((line, message))
    problems: list[Problem] = []
    at_least = "" if complete else "at least "
    for (kind, column), items in groups.items():
        n = f"{at_least}{len(items):,}"
        if kind == "INVALID ENCODING":
            problem = encoding_problem(source)
            if problem is not None:
                problems.append(problem)
                continue
        if kind == "CAST" and column is not None:
            expected = "integers (int64)" if contract.column(column).kind is Kind.INT else "numbers"
            examples = ", ".join(f"line {line:,}: {_cast_value(msg)}" for line, msg in items[:3])
            problems.append(
                Problem(
                    source.name,
                    column,
                    f"{n} value(s) are not numbers (expected {expected}); e.g. {examples}",
                )
            )
        elif kind == "FIELDS":
            examples = ", ".join(f"line {line:,} ({msg.strip()})" for line, msg in items[:3])
            problems.append(
                Problem(
                    source.name,
                    None,
                    f"{n} line(s) have the wrong number of fields (expected "
                    f"{len(contract.columns)}); e.g. {examples}",
                )
            )
        else:
            examples = ", ".join(f"line {line:,}: {msg.strip()}" for line, msg in items[:3])
            problems.append(
                Problem(
                    source.name,
                    column,
                    f"{n} line(s) cannot be parsed as CSV ({kind.lower()}); e.g. {examples}",
                )
            )
    if not complete:
        problems.append(
            Problem(
                source.name,
                None,
                f"has more than {REJECTS_LIMIT:,} unreadable values or lines: only the first "
                "were recorded and the other checks of this table were skipped",
            )
        )
    return problems


def _cast_value(message: str) -> str:
    match = _CAST_VALUE.search(message)
    return repr(match.group(1)) if match else message.strip()


def stage_parquet(
    con: duckdb.DuckDBPyConnection, source: SourceFile, staged: str
) -> tuple[StageOutcome, Locate, bool]:
    """Read a Parquet source into ``staged``, converting compatible types to the contract's.

    Integer columns may arrive as any integer or float type (then checked for whole numbers),
    numbers as any numeric type or as text that parses; text columns must be strings.
    """
    contract = TABLES[source.table]
    outcome = StageOutcome()
    path = quote_literal(str(source.path))

    def locate(rowid: int) -> str:
        return f"row {rowid + 1:,}"

    try:
        described = con.execute(f"DESCRIBE SELECT * FROM read_parquet({path})").fetchall()
    except duckdb.Error as exc:
        message = str(exc).splitlines()[0]
        outcome.report.errors.append(Problem(source.name, None, f"cannot be read ({message})"))
        return outcome, locate, False
    source_types = {name: str(dtype) for name, dtype, *_ in described}
    select: list[str] = []
    text_in_numbers: list[str] = []
    for column in contract.columns:
        col, dtype = quote_ident(column.name), source_types[column.name]
        if column.is_categorical:
            if dtype != "VARCHAR":
                outcome.report.errors.append(
                    Problem(source.name, column.name, f"has type {dtype}; expected text (string)")
                )
            select.append(col)
        elif column.kind is Kind.INT and dtype in _INTEGER_TYPES:
            select.append(f"CAST({col} AS BIGINT) AS {col}")
        elif dtype.startswith(_NUMERIC_PREFIXES):
            select.append(_nan_as_null(column.name, f"CAST({col} AS DOUBLE)"))
        elif dtype == "VARCHAR":
            select.append(f"TRY_CAST({col} AS DOUBLE) AS {col}")
            text_in_numbers.append(column.name)
        else:
            expected = "int64" if column.kind is Kind.INT else "float64"
            outcome.report.errors.append(
                Problem(source.name, column.name, f"has type {dtype}; expected {expected}")
            )
            select.append(f"NULL AS {col}")
    if outcome.report.errors:
        return outcome, locate, False
    for name in text_in_numbers:
        col = quote_ident(name)
        bad = f"{col} IS NOT NULL AND TRY_CAST({col} AS DOUBLE) IS NULL"
        found = con.execute(
            f"SELECT count(*) FILTER (WHERE {bad}) FROM read_parquet({path})"
        ).fetchone()
        if found and found[0]:
            rows = con.execute(
                f"SELECT file_row_number, {col} FROM read_parquet({path}, "
                f"file_row_number = true) WHERE {bad} ORDER BY file_row_number LIMIT 3"
            ).fetchall()
            examples = ", ".join(f"{locate(int(r))}: {v!r}" for r, v in rows)
            outcome.report.errors.append(
                Problem(
                    source.name,
                    name,
                    f"{found[0]:,} value(s) are not numbers (expected "
                    f"{'integers (int64)' if contract.column(name).kind is Kind.INT else 'numbers'}"
                    f"); e.g. {examples}",
                )
            )
    con.execute(
        f"CREATE TABLE {quote_ident(staged)} AS SELECT {', '.join(select)} "
        f"FROM read_parquet({path})"
    )
    row = con.execute(f"SELECT count(*) FROM {quote_ident(staged)}").fetchone()
    outcome.rows = int(row[0]) if row else 0
    return outcome, locate, True
