"""Batch validation column by column, with pydantic as the judge of every doubtful body.

``batch_validator(n).validate_json`` checks a batch application by application and field by
field in pydantic-core: about 35 µs per application of 121 fields. :class:`BatchValidator`
parses the body once with orjson and checks each field as a column of the batch (its JSON
types, its bounds with NumPy or C-level ``min``/``max``), the same rules the request model
derives from the data contract (see :mod:`.application`). It only ever *accepts*: whenever a
body is not plainly valid (bad JSON, a wrong type, a value out of range, an unknown or
missing field, a number it would have to round), the body goes to the pydantic validator,
which answers — so a 422 is exactly the one pydantic gives (index, field, what was expected),
and an accepted body gives exactly the dicts pydantic gives (same values, types and key
order: schema order, fields not sent left out). A test compares the two on mutated bodies.

:meth:`BatchValidator.validate_batch` also hands back the fields as columns when the body is
the usual one (every field of every application sent, in schema order, plainly valid): the
arrays the checks built anyway, so the model rows are filled without reading the dicts again.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import chain
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from pydantic import TypeAdapter

from credit_scoring.schema import MAX_ID, Column, Kind, table
from credit_scoring.serving.schemas.application import (
    _MAX_CATEGORY_LENGTH,
    APPLICATION_TABLE,
    CATEGORY_RE,
    CLIENT_KEY,
    _limits,
)
from credit_scoring.serving.schemas.requests import batch_validator

_NONE = type(None)
#: Integers converted to floats only below this magnitude (exact, whatever the converter).
_EXACT_INT = 2**53
#: Float values at least this large may have been integer literals (parsers may round those
#: differently): pydantic decides.
_LARGE = 2.0**63


class _Absent:
    """A field not sent (left out of the validated dict)."""


_ABSENT = _Absent()


class _DoubtfulError(Exception):
    """Not plainly valid: pydantic decides (and words the errors)."""


@dataclass(frozen=True)
class _Rule:
    """The checks of one field (see :func:`credit_scoring.serving.schemas.application._field`)."""

    name: str
    kind: Kind
    nullable: bool
    lo: float | None
    hi: float | None
    sentinels: frozenset[float]


def _rule(column: Column) -> _Rule:
    if column.name == CLIENT_KEY:
        return _Rule(CLIENT_KEY, Kind.INT, False, 0, MAX_ID, frozenset())
    lo, hi = _limits(column)
    sentinels = frozenset(float(s) for s in column.sentinels)
    return _Rule(column.name, column.kind, column.nullable, lo, hi, sentinels)


#: Field name → values of every application: float64 (NaN for null), int64, or object
#: (``str``/``None``) arrays, one entry per application.
BatchColumns = dict[str, NDArray[Any]]


@dataclass(frozen=True)
class ValidatedBatch:
    """A validated batch: the applications exactly as pydantic gives them and, for the usual
    body, the same values as :data:`BatchColumns` (``None`` when the body took another path)."""

    applications: list[dict[str, Any]]
    columns: BatchColumns | None


class BatchValidator:
    """``validate_json(body) -> {"applications": [dict, ...]}``, as
    ``batch_validator(max_batch_size)`` validates it, checked column by column."""

    def __init__(self, max_batch_size: int, table_name: str = APPLICATION_TABLE) -> None:
        self.max_batch_size = max_batch_size
        self.fallback: TypeAdapter[dict[str, Any]] = batch_validator(max_batch_size)
        columns = table(table_name).columns
        self._rules = tuple(_rule(c) for c in columns)
        self._names = [r.name for r in self._rules]
        self._allowed = frozenset(self._names)
        self._required = frozenset(r.name for r in self._rules if not r.nullable)
        self._getter: Callable[[dict[str, Any]], tuple[Any, ...]] = operator.itemgetter(
            *self._names
        )
        by_kind = {kind: [r for r in self._rules if r.kind is kind] for kind in Kind}
        self._blocks = (
            _Block(by_kind[Kind.FLOAT]),
            _Block(by_kind[Kind.INT]),
            _Block(by_kind[Kind.CATEGORY]),
        )

    def validate_json(self, body: bytes | str, /) -> dict[str, Any]:
        """The validated batch; raises pydantic's ``ValidationError`` for an invalid one."""
        return {"applications": self.validate_batch(body).applications}

    def validate_batch(self, body: bytes | str, /) -> ValidatedBatch:
        """:meth:`validate_json`, with the fields as columns when the body is the usual one."""
        try:
            return self._plainly_valid(body)
        except _DoubtfulError:
            return ValidatedBatch(self.fallback.validate_json(body)["applications"], None)

    @property
    def batches(self) -> _BatchBodies:
        """This validator as a JSON validator of :class:`ValidatedBatch` bodies."""
        return _BatchBodies(self)

    # -- the fast path -------------------------------------------------------------------------
    def _plainly_valid(self, body: bytes | str) -> ValidatedBatch:
        try:
            parsed = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _DoubtfulError from None
        if type(parsed) is not dict or len(parsed) != 1 or "applications" not in parsed:
            raise _DoubtfulError
        applications = parsed["applications"]
        if type(applications) is not list or not 1 <= len(applications) <= self.max_batch_size:
            raise _DoubtfulError
        names = self._names
        # Every field, in schema order (the usual body): whole blocks of fields at once.
        if all(type(a) is dict and list(a) == names for a in applications):
            columns = self._block_columns(applications)
            if columns is not None:
                return ValidatedBatch(applications, columns)
        getter = self._getter
        in_order: list[bool] = []
        rows: list[tuple[Any, ...]] = []
        for application in applications:
            if type(application) is not dict:
                raise _DoubtfulError
            if list(application) == names:  # every field, in schema order: the usual body
                in_order.append(True)
                rows.append(getter(application))
                continue
            keys = application.keys()
            if not (keys <= self._allowed and self._required <= keys):
                raise _DoubtfulError
            in_order.append(False)
            rows.append(tuple(application.get(n, _ABSENT) for n in names))
        for rule, values in zip(self._rules, zip(*rows, strict=True), strict=True):
            converted = _check(rule, values)
            if converted is not None:
                for application, value in zip(applications, converted, strict=True):
                    if value is not _ABSENT:
                        application[rule.name] = value
        for k, application in enumerate(applications):
            if not in_order[k]:  # pydantic gives the fields in schema order
                applications[k] = {n: application[n] for n in names if n in application}
        return ValidatedBatch(applications, None)

    def _block_columns(self, applications: list[dict[str, Any]]) -> BatchColumns | None:
        """Every field as a column when every field of every application is plainly valid,
        checked kind by kind as one matrix; None when a field needs converting (the
        per-column path does that)."""
        n = len(applications)
        floats, ints, texts = self._blocks
        columns: BatchColumns = {}
        if floats.names:
            values = [floats.getter(a) for a in applications]
            types = set(map(type, chain.from_iterable(values)))
            if not types <= {float, _NONE}:
                return None
            matrix = np.array(values, dtype=np.float64)  # None → NaN (JSON has no NaN)
            if _NONE in types and (np.isnan(matrix) & ~floats.nullable).any():
                raise _DoubtfulError
            floats.check(matrix)
            columns.update(zip(floats.names, np.ascontiguousarray(matrix.T), strict=True))
        if ints.names:
            values = [ints.getter(a) for a in applications]
            if set(map(type, chain.from_iterable(values))) != {int}:
                return None
            try:
                matrix = np.array(values, dtype=np.int64)
            except OverflowError:
                raise _DoubtfulError from None
            ints.check(matrix)
            columns.update(zip(ints.names, np.ascontiguousarray(matrix.T), strict=True))
        if texts.names:
            values = [texts.getter(a) for a in applications]
            flat = list(chain.from_iterable(values))
            types = set(map(type, flat))
            if not types <= {str, _NONE}:
                raise _DoubtfulError
            if _NONE in types:
                missing = np.array([[v is None for v in row] for row in values], dtype=bool)
                if (missing & ~texts.nullable).any():
                    raise _DoubtfulError
                flat = [v for v in flat if v is not None]
            if flat and (min(map(len, flat)) < 1 or max(map(len, flat)) > _MAX_CATEGORY_LENGTH):
                raise _DoubtfulError
            if not all(map(CATEGORY_RE.fullmatch, set(flat))):
                raise _DoubtfulError
            matrix = np.empty((n, len(texts.names)), dtype=object)
            matrix[...] = values  # str/None objects as they are (no conversion)
            columns.update(zip(texts.names, matrix.T, strict=True))
        return columns


@dataclass(frozen=True)
class _BatchBodies:
    validator: BatchValidator

    def validate_json(self, body: bytes | str, /) -> ValidatedBatch:
        return self.validator.validate_batch(body)


class _Block:
    """Fields of one kind checked together: a row getter and per-field bound vectors."""

    def __init__(self, rules: list[_Rule]) -> None:
        self.names = [r.name for r in rules]
        self.getter: Callable[[dict[str, Any]], tuple[Any, ...]] = (
            operator.itemgetter(*self.names) if len(rules) > 1 else _one(self.names)
        )
        self.nullable = np.array([r.nullable for r in rules], dtype=bool)
        integer = bool(rules) and rules[0].kind is Kind.INT
        dtype: Any = np.int64 if integer else np.float64
        lowest = np.iinfo(np.int64).min if integer else -np.inf
        highest = np.iinfo(np.int64).max if integer else np.inf
        self.lo = np.array(
            [lowest if r.lo is None else _bound(r.lo, integer, up=True) for r in rules], dtype
        )
        self.hi = np.array(
            [highest if r.hi is None else _bound(r.hi, integer, up=False) for r in rules], dtype
        )
        self.sentinels = [(j, sorted(r.sentinels)) for j, r in enumerate(rules) if r.sentinels]

    def check(self, matrix: NDArray[Any]) -> None:
        """Bounds of every value (NaN, a missing float, passes; sentinels pass)."""
        if matrix.dtype == np.float64 and not (np.abs(matrix[~np.isnan(matrix)]) < _LARGE).all():
            raise _DoubtfulError
        outside = (matrix < self.lo) | (matrix > self.hi)
        for j, sentinels in self.sentinels:
            outside[:, j] &= ~np.isin(matrix[:, j], sentinels)
        if outside.any():
            raise _DoubtfulError


def _one(names: list[str]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    name = names[0] if names else ""
    return lambda application: (application[name],)


def _bound(value: float, integer: bool, *, up: bool) -> float | int:
    """An integer field's bound as an integer (``v ≥ 0.5`` ⟺ ``v ≥ 1`` for integers)."""
    if not integer:
        return value
    return math.ceil(value) if up else math.floor(value)


def _check(rule: _Rule, values: tuple[Any, ...]) -> list[Any] | None:
    """Check one column; returns the values converted as pydantic converts them (integral
    floats of integer fields → int, integers of float fields → float) or None if unchanged."""
    types = set(map(type, values))
    present: tuple[Any, ...] | list[Any] = values
    if _NONE in types or _Absent in types:
        if not rule.nullable:
            raise _DoubtfulError
        types.discard(_NONE)
        types.discard(_Absent)
        present = [v for v in values if v is not None and v is not _ABSENT]
        if not present:
            return None
    if rule.kind is Kind.CATEGORY:
        if types != {str}:
            raise _DoubtfulError
        if min(map(len, present)) < 1 or max(map(len, present)) > _MAX_CATEGORY_LENGTH:
            raise _DoubtfulError
        if not all(map(CATEGORY_RE.fullmatch, set(present))):
            raise _DoubtfulError
        return None
    converted: list[Any] | None = None
    if rule.kind is Kind.INT:
        if not types <= {int, float}:
            raise _DoubtfulError
        if float in types:  # JSON 2.0 is an integer for JSON Schema: pydantic takes it
            converted = [_as_int(v) for v in values]
            present = [v for v in converted if v is not None and v is not _ABSENT]
    else:
        if not types <= {int, float}:
            raise _DoubtfulError
        if int in types:
            converted = [_as_float(v) for v in values]
            present = [v for v in converted if v is not None and v is not _ABSENT]
    _check_range(rule, present)
    return converted


def _as_int(value: Any) -> Any:
    if type(value) is float:
        if not (value.is_integer() and abs(value) < _EXACT_INT):
            raise _DoubtfulError
        return int(value)
    return value


def _as_float(value: Any) -> Any:
    if type(value) is int:
        if abs(value) >= _EXACT_INT:
            raise _DoubtfulError
        return float(value)
    return value


def _check_range(rule: _Rule, present: tuple[Any, ...] | list[Any]) -> None:
    """Bounds as pydantic checks them (sentinels allowed beyond them)."""
    lo, hi = rule.lo, rule.hi
    if rule.sentinels:
        present = [v for v in present if v not in rule.sentinels]
        if not present:
            return
    if rule.kind is Kind.INT:
        # Exact integer comparisons (C-level min/max over Python ints).
        if (lo is not None and min(present) < lo) or (hi is not None and max(present) > hi):
            raise _DoubtfulError
        return
    column = np.fromiter(present, dtype=np.float64, count=len(present))
    if not (np.abs(column) < _LARGE).all():
        raise _DoubtfulError
    if (lo is not None and not (column >= lo).all()) or (
        hi is not None and not (column <= hi).all()
    ):
        raise _DoubtfulError


@cache
def fast_batch_validator(max_batch_size: int) -> BatchValidator:
    return BatchValidator(max_batch_size)
