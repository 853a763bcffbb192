"""Validation of one table against the data contract (:mod:`credit_scoring.schema`).

Two levels: :func:`check_header` compares a file's column names with the contract (missing,
renamed, extra, duplicated or reordered columns); :func:`check_values` and
:func:`check_primary_key` run SQL over a table staged in DuckDB (dtypes, missing values,
ranges, vocabularies, key uniqueness). Every check returns :class:`Problem` objects, split into
errors (the load fails) and warnings (kept in the manifest); nothing here raises until
:func:`raise_if_errors` is called with everything collected.

Staged tables hold numeric columns as DOUBLE (or BIGINT) and categorical ones as VARCHAR, in
contract order; the functions take the staged table's (unquoted) name. DuckDB's ``rowid`` is
the row's position in the source file, which a :data:`Locate` function turns into a human
position ("line 17").
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb

from credit_scoring.errors import DataContractError
from credit_scoring.schema import TABLES, Column, Kind, Table

#: Maps a staged row's ``rowid`` (0-based position among the rows read) to "line 17"/"row 16".
Locate = Callable[[int], str]
#: ``(rowids, column) -> {rowid: the value's text exactly as written in the file}``.
RawValues = Callable[[list[int], str], dict[int, str]]

#: Largest integer a DOUBLE holds exactly; INT columns read through DOUBLE must stay within it.
MAX_EXACT_INT = 2**53
EXAMPLES = 3  # offending values shown per problem
MAX_PROBLEMS_IN_MESSAGE = 60


@dataclass(frozen=True)
class Problem:
    """One contract violation: where it is and what was expected, in words."""

    file: str
    column: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: column {self.column}" if self.column else self.file
        return f"{where}: {self.message}"


@dataclass
class TableReport:
    """Everything found while checking one table."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    #: column → {value outside the vocabulary: rows}; kept in the data, counted here.
    unknown_categories: dict[str, dict[str, int]] = field(default_factory=dict)
    #: column → rows outside the column's soft (warning-only) range.
    soft_range_violations: dict[str, int] = field(default_factory=dict)

    def extend(self, other: TableReport) -> None:
        self.errors.extend(other.errors)
        self.warnings.extend(other.warnings)
        self.unknown_categories.update(other.unknown_categories)
        self.soft_range_violations.update(other.soft_range_violations)


class ContractViolationError(DataContractError):
    """A :class:`DataContractError` that also carries the structured list of problems."""

    def __init__(self, problems: Sequence[Problem], *, context: str = "") -> None:
        self.problems = list(problems)
        files = sorted({p.file for p in self.problems})
        head = (
            f"the data breaks the contract: {len(self.problems)} problem(s) in "
            f"{', '.join(files)}{context}; nothing was written"
        )
        shown = [f"  - {p}" for p in self.problems[:MAX_PROBLEMS_IN_MESSAGE]]
        hidden = len(self.problems) - len(shown)
        if hidden:
            shown.append(f"  … and {hidden} more")
        super().__init__("\n".join([head, *shown]))


def raise_if_errors(errors: Sequence[Problem], *, context: str = "") -> None:
    """Raise one :class:`ContractViolationError` listing every error, if there are any."""
    if errors:
        raise ContractViolationError(errors, context=context)


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def format_value(value: object, column: Column | None = None) -> str:
    """A value as a user would recognise it in the file (``2`` not ``2.0`` for INT columns)."""
    if value is None:
        return "(missing)"
    if isinstance(value, float) and column is not None and column.kind is Kind.INT:
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        return repr(value)
    return str(value)


# --------------------------------------------------------------------------- header


def _foreign_header(contract: Table, seen: set[str], missing: list[str]) -> str:
    """Describe a header that lacks most of the contract's columns (naming a likelier table)."""
    overlap = {name: len(seen & set(t.column_names)) for name, t in TABLES.items()}
    likely = max(overlap, key=lambda name: overlap[name])
    hint = (
        f"; its columns are those of {likely}"
        if likely != contract.name and overlap[likely] > overlap[contract.name]
        else ""
    )
    return (
        f"{len(missing)} of the {len(contract.columns)} columns of {contract.name} are missing "
        f"from the header{hint} (expected {', '.join(contract.column_names[:4])}, …)"
    )


def _pair_renamed(
    header: Sequence[str], expected: Sequence[str], *, missing: list[str], extra: list[str]
) -> dict[str, str]:
    """Missing expected names → the extra header names that look like their renames.

    An extra column standing where a missing one should be is taken as its rename; the other
    missing names are matched to the closest remaining extra name (case-insensitive).
    """
    renamed: dict[str, str] = {}
    for position, name in enumerate(header):
        if name in extra and position < len(expected) and expected[position] in missing:
            renamed.setdefault(expected[position], name)
    for name in missing:
        if name not in renamed:
            candidate = _closest(name, [e for e in extra if e not in renamed.values()])
            if candidate is not None:
                renamed[name] = candidate
    return renamed


def _closest(name: str, candidates: Sequence[str]) -> str | None:
    by_upper = {c.upper(): c for c in candidates}
    match = difflib.get_close_matches(name.upper(), list(by_upper), n=1, cutoff=0.6)
    return by_upper[match[0]] if match else None


def check_header(contract: Table, header: Sequence[str], *, file: str) -> TableReport:
    """Compare a file's column names with the contract.

    Missing, extra (with the closest expected name when one looks like a rename) and
    duplicated columns are errors. Columns in another order are accepted with a warning: they
    are matched by name and written in contract order.
    """
    report = TableReport()
    expected = contract.column_names
    for position, name in enumerate(header):
        if not name:
            after = f" (after {header[position - 1]!r})" if position else " (the first)"
            hint = f"; expected {expected[position]!r}" if position < len(expected) else ""
            report.errors.append(
                Problem(
                    file,
                    None,
                    f"header column {position + 1}{after} has no name{hint}: every column "
                    "needs its contract name",
                )
            )
    if report.errors:
        return report
    seen: set[str] = set()
    for name in header:
        if name in seen:
            report.errors.append(
                Problem(file, name, "appears more than once in the header; expected once")
            )
        seen.add(name)
    missing = [c for c in expected if c not in seen]
    extra = [c for c in dict.fromkeys(header) if not contract.has_column(c)]
    if len(missing) > len(expected) // 2:  # not this table's file: one problem, not hundreds
        report.errors.append(Problem(file, None, _foreign_header(contract, seen, missing)))
        return report
    renamed = _pair_renamed(header, expected, missing=missing, extra=extra)
    for name in missing:
        if name in renamed:
            message = (
                f"is missing; found {renamed[name]!r} instead — renamed? "
                f"(expected the contract name {name!r})"
            )
        else:
            message = f"is missing from the header (expected in {contract.name})"
        report.errors.append(Problem(file, name, message))
    for name in extra:
        if name not in renamed.values():
            report.errors.append(
                Problem(
                    file,
                    name,
                    f"is not in the contract of {contract.name} (unexpected extra column); "
                    "remove it or fix its name",
                )
            )
    if not report.errors and list(header) != expected:
        first = next(i for i, (a, b) in enumerate(zip(header, expected, strict=True)) if a != b)
        report.warnings.append(
            Problem(
                file,
                None,
                f"columns are not in the contract order (position {first + 1} holds "
                f"{header[first]!r}, expected {expected[first]!r}); they were matched by name "
                "and written in contract order",
            )
        )
    return report


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class _Check:
    column: Column
    condition: str  # SQL predicate selecting the offending rows
    severity: str  # "error" | "warning"
    what: str  # "are not integers", "are missing", …
    expected: str
    exact_text: bool = False  # quote examples as written (float64 may have rounded them)


def _range_text(column: Column) -> str:
    lo, hi = column.min_value, column.max_value
    if column.kind is Kind.INT and lo == 0 and hi == 1:
        text = "expected 0 or 1"
    elif lo is not None and hi is not None:
        text = f"expected values in [{lo:g}, {hi:g}]"
    elif lo is not None:
        text = f"expected values ≥ {lo:g}"
    else:
        text = f"expected values ≤ {hi:g}"
    if column.sentinels:
        text += " or the sentinel " + ", ".join(f"{s:g}" for s in column.sentinels)
    return text


def _not_sentinel(column: Column, col: str) -> str:
    """`` AND <col> NOT IN (<sentinels>)`` for a column with sentinel codes (they are not
    out-of-range values), else nothing."""
    if not column.sentinels:
        return ""
    sentinels = ", ".join(repr(float(s)) for s in column.sentinels)
    return f" AND {col} NOT IN ({sentinels})"


def _checks(contract: Table, staged_types: dict[str, str]) -> list[_Check]:
    """Every per-column predicate of the contract, as SQL over the staged table."""
    checks: list[_Check] = []
    for column in contract.columns:
        col = quote_ident(column.name)
        is_double = staged_types[column.name] == "DOUBLE"
        finite = f"NOT isinf({col})" if is_double else "TRUE"
        physical = column.physical_min is not None and column.physical_max is not None
        if column.kind is Kind.INT and is_double:
            checks.append(
                _Check(
                    column, f"{col} <> trunc({col})", "error", "are not integers",
                    "expected whole numbers, int64",
                )
            )  # fmt: skip
        if physical:
            present = f" AND NOT isnan({col})" if is_double else ""  # NaN sorts above all
            beyond = f"({col} < {column.physical_min!r} OR {col} > {column.physical_max!r})"
            beyond += _not_sentinel(column, col)
            checks.append(
                _Check(
                    column, f"{beyond} AND {finite}{present}", "error",
                    "are outside the physical bounds", f"expected {column.physical_text()}",
                    exact_text=True,
                )
            )  # fmt: skip
        elif column.kind is Kind.INT and is_double:
            checks.append(
                _Check(
                    column, f"abs({col}) > {MAX_EXACT_INT} AND {finite}", "error",
                    "are too large to read exactly", "expected integers within ±2^53",
                    exact_text=True,
                )
            )  # fmt: skip
        if is_double:
            checks.append(
                _Check(column, f"isinf({col})", "error", "are infinite", "expected finite numbers")
            )
        if not column.nullable:
            checks.append(
                _Check(
                    column,
                    f"{col} IS NULL",
                    "error",
                    "are missing",
                    "expected a value in every row (this column is never missing)",
                )
            )
        if column.min_value is not None or column.max_value is not None:
            outside = []
            if column.min_value is not None:
                outside.append(f"{col} < {column.min_value!r}")
            if column.max_value is not None:
                outside.append(f"{col} > {column.max_value!r}")
            condition = f"({' OR '.join(outside)}) AND {finite}{_not_sentinel(column, col)}"
            checks.append(
                _Check(
                    column,
                    condition,
                    "error" if column.hard_range else "warning",
                    "are out of range" if column.hard_range else "are outside the usual range",
                    _range_text(column),
                )
            )
    return checks


def _examples(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    column: Column,
    condition: str,
    locate: Locate,
    raw: RawValues | None = None,
) -> str:
    rows = con.execute(
        f"SELECT rowid, {quote_ident(column.name)} FROM {quote_ident(relation)} "
        f"WHERE {condition} ORDER BY rowid LIMIT {EXAMPLES}"
    ).fetchall()
    written = raw([int(r) for r, _ in rows], column.name) if raw is not None else {}
    return ", ".join(
        f"{locate(int(rowid))}: {written.get(int(rowid)) or format_value(v, column)}"
        for rowid, v in rows
    )


def check_values(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    contract: Table,
    *,
    file: str,
    locate: Locate,
    raw: RawValues | None = None,
) -> TableReport:
    """Run every per-column check of the contract over a staged table in one scan.

    Errors: non-integers in INT columns, infinities, values outside the physical bounds
    (quoted as written when ``raw`` can read them back), missing values in never-missing
    columns, hard-range violations (e.g. TARGET outside {0, 1}). Warnings: soft-range violations and
    values outside a categorical vocabulary (kept, counted per value).
    """
    report = TableReport()
    staged_types = dict(
        con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ?",
            [relation],
        ).fetchall()
    )
    checks = _checks(contract, staged_types)
    if checks:
        counts = con.execute(
            "SELECT "
            # count_if is an order of magnitude cheaper than FILTER over hundreds of columns
            + ", ".join(f"count_if({c.condition})" for c in checks)
            + f" FROM {quote_ident(relation)}"
        ).fetchone()
        assert counts is not None
        for check, count in zip(checks, counts, strict=True):
            if not count:
                continue
            exact = raw if check.exact_text else None
            examples = _examples(con, relation, check.column, check.condition, locate, exact)
            problem = Problem(
                file,
                check.column.name,
                f"{count:,} value(s) {check.what} ({check.expected}); e.g. {examples}",
            )
            if check.severity == "error":
                report.errors.append(problem)
            else:
                report.warnings.append(problem)
                report.soft_range_violations[check.column.name] = int(count)
    _check_vocabularies(con, relation, contract, file=file, locate=locate, report=report)
    return report


def _check_vocabularies(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    contract: Table,
    *,
    file: str,
    locate: Locate,
    report: TableReport,
) -> None:
    parts = []
    for column in contract.categorical_columns:
        col = quote_ident(column.name)
        vocabulary = ", ".join(quote_literal(v) for v in column.categories)
        parts.append(
            f"SELECT {quote_literal(column.name)} AS col, {col} AS value, count(*) AS n, "
            f"min(rowid) AS first FROM {quote_ident(relation)} "
            f"WHERE {col} IS NOT NULL AND {col} NOT IN ({vocabulary}) GROUP BY {col}"
        )
    if not parts:
        return
    rows = con.execute(" UNION ALL ".join(parts) + " ORDER BY col, n DESC, value").fetchall()
    by_column: dict[str, list[tuple[str, int, int]]] = {}
    for col_name, value, n, first in rows:
        by_column.setdefault(col_name, []).append((value, int(n), int(first)))
    for col_name, values in by_column.items():
        report.unknown_categories[col_name] = {value: n for value, n, _ in values}
        total = sum(n for _, n, _ in values)
        shown = ", ".join(
            f"{value!r} ({n:,} rows, first at {locate(first)})"
            for value, n, first in values[:EXAMPLES]
        )
        more = f" and {len(values) - EXAMPLES} more" if len(values) > EXAMPLES else ""
        report.warnings.append(
            Problem(
                file,
                col_name,
                f"{total:,} value(s) outside the vocabulary, kept as unseen categories: "
                f"{shown}{more}",
            )
        )


def check_primary_key(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    contract: Table,
    *,
    file: str,
    locate: Locate,
) -> list[Problem]:
    """Duplicated primary-key values (an error), with a few of them and where they first occur."""
    if not contract.primary_key:
        return []
    keys = ", ".join(quote_ident(k) for k in contract.primary_key)
    # Keys beyond 2^53 were rounded when read (reported by the bounds check): two distinct
    # keys may have become one value, so they are not compared.
    not_null = " AND ".join(
        f"{quote_ident(k)} IS NOT NULL AND abs({quote_ident(k)}) <= {MAX_EXACT_INT}"
        for k in contract.primary_key
    )
    duplicated = (
        f"SELECT {keys}, count(*) AS n FROM {quote_ident(relation)} "
        f"WHERE {not_null} GROUP BY {keys} HAVING count(*) > 1"
    )
    count_row = con.execute(f"SELECT count(*), sum(n) FROM ({duplicated})").fetchone()
    assert count_row is not None
    n_keys, n_rows = int(count_row[0]), int(count_row[1] or 0)
    if not n_keys:
        return []
    rows = con.execute(
        f"SELECT {keys}, count(*) AS n, min(rowid) AS first FROM {quote_ident(relation)} "
        f"WHERE {not_null} GROUP BY {keys} HAVING count(*) > 1 ORDER BY first LIMIT {EXAMPLES}"
    ).fetchall()
    width = len(contract.primary_key)
    examples = ", ".join(
        "("
        + ", ".join(
            f"{k}={format_value(v, contract.column(k))}"
            for k, v in zip(contract.primary_key, r[:width], strict=True)
        )
        + f": {r[width]} rows, first at {locate(int(r[width + 1]))})"
        for r in rows
    )
    key_name = ", ".join(contract.primary_key)
    return [
        Problem(
            file,
            key_name,
            f"{n_keys:,} duplicated key value(s) over {n_rows:,} rows (expected the primary "
            f"key {key_name} to be unique); e.g. {examples}",
        )
    ]
