"""Checks across tables: orphans per foreign key and client consistency of history rows.

The real data has many orphans (history of clients outside the application files), so orphans
are counted per relation for the manifest rather than rejected, unless a foreign key says
``orphans_allowed=False``. Runs as SQL over the Parquet files already written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from credit_scoring.data.contract import Problem, quote_ident, quote_literal
from credit_scoring.data.manifest import RelationEntry
from credit_scoring.schema import TABLES

#: ``ForeignKey.ref_table`` naming application_train ∪ application_test.
APPLICATION = "application"
_APPLICATION_TABLES = ("application_train", "application_test")
_PREVIOUS = "previous_application"


@dataclass
class RelationsReport:
    """Orphan counts, client mismatches and train/test overlap, with errors and warnings."""

    relations: list[RelationEntry] = field(default_factory=list)
    client_mismatches: dict[str, int] = field(default_factory=dict)
    application_overlap: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: dict[str, list[Problem]] = field(default_factory=dict)  # table → warnings


def _parquet(path: Path) -> str:
    return f"read_parquet({quote_literal(str(path))})"


def _reference(name: str, columns: tuple[str, ...], paths: Mapping[str, Path]) -> str:
    cols = ", ".join(quote_ident(c) for c in columns)
    if name == APPLICATION:
        return " UNION ALL ".join(
            f"SELECT {cols} FROM {_parquet(paths[t])}" for t in _APPLICATION_TABLES
        )
    return f"SELECT {cols} FROM {_parquet(paths[name])}"


def check_relations(
    con: duckdb.DuckDBPyConnection, paths: Mapping[str, Path], *, files: Mapping[str, str]
) -> RelationsReport:
    """Count orphans of every foreign key, client mismatches and train/test overlap.

    ``paths`` maps every table name to its written Parquet file, ``files`` to the name of its
    source file (used in messages).
    """
    report = RelationsReport()
    for contract in TABLES.values():
        child = _parquet(paths[contract.name])
        for fk in contract.foreign_keys:
            on = " AND ".join(
                f"c.{quote_ident(a)} = p.{quote_ident(b)}"
                for a, b in zip(fk.columns, fk.ref_columns, strict=True)
            )
            row = con.execute(
                f"SELECT count(*) FROM {child} c "
                f"ANTI JOIN ({_reference(fk.ref_table, fk.ref_columns, paths)}) p ON {on}"
            ).fetchone()
            assert row is not None
            entry = RelationEntry(
                table=contract.name,
                columns=list(fk.columns),
                ref_table=fk.ref_table,
                ref_columns=list(fk.ref_columns),
                orphans_allowed=fk.orphans_allowed,
                orphan_rows=int(row[0]),
            )
            report.relations.append(entry)
            if entry.orphan_rows and not fk.orphans_allowed:
                report.errors.append(
                    Problem(
                        files[contract.name],
                        ", ".join(fk.columns),
                        f"{entry.orphan_rows:,} rows refer to no row of {fk.ref_table} "
                        "(expected every key to exist there)",
                    )
                )
        _check_client_consistency(con, contract.name, paths, files, report)
    _check_application_overlap(con, paths, files, report)
    return report


def _check_client_consistency(
    con: duckdb.DuckDBPyConnection,
    name: str,
    paths: Mapping[str, Path],
    files: Mapping[str, str],
    report: RelationsReport,
) -> None:
    """Rows of a history table whose SK_ID_CURR differs from their previous application's."""
    contract = TABLES[name]
    linked = any(fk.ref_table == _PREVIOUS for fk in contract.foreign_keys)
    if not linked or not contract.client_key:
        return
    client = quote_ident(contract.client_key)
    row = con.execute(
        f"SELECT count(*) FROM {_parquet(paths[name])} c "
        f"JOIN (SELECT SK_ID_PREV, {client} FROM {_parquet(paths[_PREVIOUS])}) p "
        f"USING (SK_ID_PREV) WHERE c.{client} <> p.{client}"
    ).fetchone()
    mismatches = int(row[0]) if row else 0
    report.client_mismatches[name] = mismatches
    if mismatches:
        report.warnings.setdefault(name, []).append(
            Problem(
                files[name],
                contract.client_key,
                f"{mismatches:,} rows name a different client than their previous application "
                f"(same SK_ID_PREV in {_PREVIOUS}); expected the same {contract.client_key}",
            )
        )


def _check_application_overlap(
    con: duckdb.DuckDBPyConnection,
    paths: Mapping[str, Path],
    files: Mapping[str, str],
    report: RelationsReport,
) -> None:
    train, test = (_parquet(paths[t]) for t in _APPLICATION_TABLES)
    row = con.execute(
        f"SELECT count(*) FROM (SELECT SK_ID_CURR FROM {train} "
        f"INTERSECT SELECT SK_ID_CURR FROM {test})"
    ).fetchone()
    report.application_overlap = int(row[0]) if row else 0
    if report.application_overlap:
        report.warnings.setdefault("application_test", []).append(
            Problem(
                files["application_test"],
                "SK_ID_CURR",
                f"{report.application_overlap:,} clients are also in application_train "
                "(expected disjoint train and test applications)",
            )
        )
