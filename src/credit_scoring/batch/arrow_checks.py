"""The data contract's value checks on Arrow batches: a fast screen for typed Parquet input.

:class:`ContractScreen` runs, batch by batch and without Python loops over rows, every check
that :func:`credit_scoring.data.contract.check_values` runs in DuckDB over a staged table —
missing values in never-missing columns, non-integers and integers beyond ±2^53 in integer
columns, infinities, hard and soft ranges (with sentinels), categories outside the
vocabulary. It only answers *whether* a batch may break the contract (it errs towards
"yes"); a file it flags is checked again by the contract's own functions, which name the
columns, rows and values. Column types are judged once, from the file's schema: a column
whose type only DuckDB's staging converts (text in a numeric column, decimals, unsigned
64-bit integers …) or refuses makes :meth:`ContractScreen.for_schema` return ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from credit_scoring.data.contract import MAX_EXACT_INT
from credit_scoring.schema import Column, Kind, Table

#: How a column is staged in DuckDB: BIGINT (integer types), DOUBLE (floats) or VARCHAR.
Staged = Literal["integer", "double", "text"]

# Integer types the staging casts to BIGINT (DuckDB reads UINT64 as UBIGINT, which the
# staging casts through DOUBLE: left to the full check), and float types it reads as DOUBLE.
_INTEGER_TYPES = (
    pa.int8(),
    pa.int16(),
    pa.int32(),
    pa.int64(),
    pa.uint8(),
    pa.uint16(),
    pa.uint32(),
)
_FLOAT_TYPES = (pa.float32(), pa.float64())


def _is_text(dtype: pa.DataType) -> bool:
    if pa.types.is_dictionary(dtype):
        return _is_text(dtype.value_type)
    return bool(
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_string_view(dtype)
    )


def staged_kind(column: Column, dtype: pa.DataType) -> Staged | None:
    """How the staging reads ``column`` of Arrow type ``dtype``; None when it converts or
    refuses the type (the full check then decides)."""
    if column.is_categorical:
        return "text" if _is_text(dtype) else None
    if column.kind is Kind.INT and dtype in _INTEGER_TYPES:
        return "integer"
    if dtype in _FLOAT_TYPES:
        return "double"
    return None


@dataclass(frozen=True)
class _ColumnScreen:
    column: Column
    staged: Staged

    def flags(self, values: pa.Array, numbers: NDArray[np.float64] | None) -> bool:
        """True when some value of the batch may break a check of the column.

        ``numbers``: the column as float64 with NaN for missing values, when already
        converted (numeric columns only).
        """
        column = self.column
        if values.null_count and not column.nullable:
            return True
        if self.staged == "text":
            distinct = values.dictionary if pa.types.is_dictionary(values.type) else values.unique()
            known = column.categories
            return any(v is not None and v not in known for v in distinct.to_pylist())
        if numbers is None:
            numbers = np.asarray(values.to_numpy(zero_copy_only=False), dtype=np.float64)
        if not len(numbers):
            return False
        if self.staged == "double":
            # Staged as DOUBLE, NaN is read as missing (as pandas reads it).
            if not column.nullable and np.isnan(numbers).any():
                return True
            if column.kind is Kind.INT and not _exact_integers(numbers):
                return True
        # NaN (missing) is skipped; an all-missing batch gives NaN, which passes.
        smallest, largest = float(np.fmin.reduce(numbers)), float(np.fmax.reduce(numbers))
        if math.isinf(smallest) or math.isinf(largest):
            return True
        if _outside(numbers, smallest, largest, column, column.physical_min, column.physical_max):
            return True
        return _outside(numbers, smallest, largest, column, column.min_value, column.max_value)


def _outside(
    numbers: NDArray[np.float64],
    smallest: float,
    largest: float,
    column: Column,
    low: float | None,
    high: float | None,
) -> bool:
    """Whether a present value lies outside ``[low, high]`` (sentinels allowed)."""
    if not ((low is not None and smallest < low) or (high is not None and largest > high)):
        return False
    return bool(column.outside(numbers, low=low, high=high).any())


def _exact_integers(numbers: NDArray[np.float64]) -> bool:
    """Whether every present value is a whole number within ±2^53."""
    kept = numbers[~np.isnan(numbers)]
    return bool((kept == np.trunc(kept)).all() and (np.abs(kept) <= MAX_EXACT_INT).all())


class ScreenFlaggedError(Exception):
    """The screen cannot vouch for a file (a value may break the contract, or Arrow cannot
    read it): the file must be checked in full."""


class ContractScreen:
    """Screens Arrow batches of one file against the value checks of one table's contract."""

    def __init__(self, screens: Sequence[_ColumnScreen]) -> None:
        self._screens = tuple(screens)

    @classmethod
    def for_schema(cls, contract: Table, schema: pa.Schema) -> ContractScreen | None:
        """The screen of a file with Arrow ``schema`` (every contract column present), or
        None when a column's type needs the staging's conversions or checks."""
        screens = []
        for column in contract.columns:
            staged = staged_kind(column, schema.field(column.name).type)
            if staged is None:
                return None
            screens.append(_ColumnScreen(column, staged))
        return cls(screens)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.column.name for s in self._screens)

    def flagged_columns(
        self, batch: pa.RecordBatch, numbers: Mapping[str, Any] | None = None
    ) -> list[str]:
        """Columns of ``batch`` with a value that may break the contract (errors and
        warnings alike); empty when every value passes every check.

        ``numbers`` may hold numeric columns already converted to float64 with NaN for
        missing values (as :func:`~credit_scoring.batch.scoring.arrow_application_columns`
        gives them), which are then screened without another conversion.
        """
        known = numbers or {}
        return [
            s.column.name
            for s in self._screens
            if s.flags(
                batch.column(s.column.name),
                None if s.staged == "text" else known.get(s.column.name),
            )
        ]
