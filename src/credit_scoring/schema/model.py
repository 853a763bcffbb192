"""Types that describe the data contract (tables, columns, relations)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray


class Kind(StrEnum):
    """Logical type of a column, as pandas reads it from the Kaggle CSV files."""

    INT = "int64"  # never missing in the Kaggle files
    FLOAT = "float64"  # may be missing
    CATEGORY = "category"  # text with a known vocabulary

    @property
    def arrow_type(self) -> pa.DataType:
        return {Kind.INT: pa.int64(), Kind.FLOAT: pa.float64(), Kind.CATEGORY: pa.string()}[self]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``min_value``/``max_value`` bound plausible values (inclusive); values listed in
    ``sentinels`` are allowed outside them (e.g. ``DAYS_EMPLOYED = 365243``). A violated
    bound is an error when ``hard_range`` is set, otherwise a warning in the load report.

    ``physical_min``/``physical_max`` bound what the quantity can physically be (money,
    days, months, counts, ids; sentinels allowed): always an error, applied identically by the
    loader, the API, ``score-batch`` and the feature builder.
    """

    name: str
    kind: Kind
    nullable: bool
    categories: tuple[str, ...] = ()
    min_value: float | None = None
    max_value: float | None = None
    sentinels: tuple[float, ...] = ()
    hard_range: bool = False
    physical_min: float | None = None
    physical_max: float | None = None

    @property
    def is_categorical(self) -> bool:
        return self.kind is Kind.CATEGORY

    @property
    def hard_limits(self) -> tuple[float | None, float | None]:
        """The bounds every value must meet: the physical ones, narrowed by a hard range."""
        lo, hi = self.physical_min, self.physical_max
        if self.hard_range:
            lo = _tighter(lo, self.min_value, max)
            hi = _tighter(hi, self.max_value, min)
        return lo, hi

    def outside(
        self, values: NDArray[np.float64], *, low: float | None, high: float | None
    ) -> NDArray[np.bool_]:
        """Which values lie outside ``[low, high]`` (NaN never does; sentinels are allowed)."""
        outside = np.zeros(len(values), dtype=bool)
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        for sentinel in self.sentinels:
            outside &= values != sentinel
        return outside

    def physical_text(self) -> str:
        """``"values in [-1,000,000, 1,000,000]"`` (with the sentinels allowed)."""
        lo, hi = self.physical_min, self.physical_max
        text = f"values in [{_number(lo)}, {_number(hi)}]"
        if self.sentinels:
            text += " or the sentinel " + ", ".join(_number(s) for s in self.sentinels)
        return text


def _tighter(a: float | None, b: float | None, pick: object) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return pick(a, b)  # type: ignore[operator]


def _number(value: float | None) -> str:
    if value is None:
        return "…"
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class ForeignKey:
    """``columns`` of this table refer to ``ref_columns`` of ``ref_table``.

    ``orphans_allowed``: the real data has rows whose key is absent from the referenced
    table (history of clients outside the application sample), so orphans are counted,
    not rejected.
    """

    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    orphans_allowed: bool = True


@dataclass(frozen=True)
class Table:
    """One table of the data model: columns in file order, keys and relations."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    client_key: str = "SK_ID_CURR"
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return self._by_name[name]

    def has_column(self, name: str) -> bool:
        return name in self._by_name

    @property
    def categorical_columns(self) -> list[Column]:
        return [c for c in self.columns if c.is_categorical]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, c.kind.arrow_type, nullable=c.nullable) for c in self.columns]
        )


_DICTIONARY_TABLE_ALIASES = {
    "application_{train|test}.csv": ("application_train", "application_test"),
}
# The dictionary's own spelling mistakes, mapped to the names used in the files.
_DICTIONARY_COLUMN_FIXES = {"SK_BUREAU_ID": "SK_ID_BUREAU"}


@cache
def dictionary() -> dict[tuple[str, str], str]:
    """The Kaggle data dictionary as ``{(table, column): description}``.

    The shipped file is cp1252; its quirks (``SK_BUREAU_ID``, a trailing space in
    ``SK_ID_PREV ``) are normalised here.
    """
    raw = resources.files("credit_scoring.schema").joinpath("columns_description.csv").read_bytes()
    reader = csv.DictReader(io.StringIO(raw.decode("cp1252")))
    out: dict[tuple[str, str], str] = {}
    for row in reader:
        column = row["Row"].strip()
        column = _DICTIONARY_COLUMN_FIXES.get(column, column)
        file_name = row["Table"].strip()
        tables = _DICTIONARY_TABLE_ALIASES.get(file_name, (file_name.removesuffix(".csv"),))
        for table_name in tables:
            out[(table_name, column)] = row["Description"].strip()
    return out


def describe(table_name: str, column: str) -> str:
    """The data dictionary's description of a column ('' when it has none)."""
    return dictionary().get((table_name, column), "")
