"""The application request model, derived column by column from the data contract.

Every column of ``application_test`` becomes a field: INT columns are required JSON integers,
FLOAT columns optional finite numbers (NaN and ±Infinity rejected), CATEGORY columns strings
(unknown values accepted and scored as unseen categories). Bounds come from the schema
(``min_value``/``max_value``, hard or soft alike) with its sentinels allowed, e.g.
``DAYS_EMPLOYED`` ≤ 0 or 365243. Unknown fields are rejected, so a misspelt name is not
silently scored as missing.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Annotated, Any, NotRequired

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
    create_model,
)
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from credit_scoring.schema import MAX_ID, Column, Kind, Table, describe, table

APPLICATION_TABLE = "application_test"
CLIENT_KEY = "SK_ID_CURR"
_MAX_CATEGORY_LENGTH = 200
#: What a category value may be made of: letters (Latin, with accents), digits, spaces and
#: ``_ , . / : ( ) + & -`` — every value of the data dictionary's vocabularies fits, an unseen
#: but plausible category still scores as unseen, and markup, quotes, semicolons, control and
#: invisible characters (RTL override, zero-width), emoji and combining marks get a 422.
#: The pattern is published in the JSON schema; the check itself is Python's ``re`` in the
#: single and the batch validators alike, with an error that says what is allowed.
CATEGORY_PATTERN = r"^[A-Za-z0-9\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff _,./:()+&-]+$"
CATEGORY_CHARACTERS = "letters, digits, spaces and _ , . / : ( ) + & -"
CATEGORY_RE = re.compile(CATEGORY_PATTERN)


def _category_characters(value: str) -> str:
    if CATEGORY_RE.fullmatch(value) is None:
        raise PydanticCustomError(
            "category_characters",
            "a category value may only hold {allowed}",
            {"allowed": CATEGORY_CHARACTERS},
        )
    return value


_UNITS = (
    ("DAYS_", "Days, as a negative offset from the application date."),
    ("AMT_REQ_", "Count of enquiries."),
    ("AMT_", "Amount in currency units."),
    ("CNT_", "Count."),
    ("FLAG_", "Flag: 1 yes, 0 no."),
    ("EXT_SOURCE_", "Normalised external score in [0, 1]."),
)


def _integral(value: Any) -> Any:
    """JSON Schema calls ``2.0`` an integer: accept integral floats, nothing else."""
    if type(value) is float and value.is_integer() and abs(value) < 2.0**63:
        return int(value)
    return value


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: A JSON integer (strings, booleans and fractions rejected); ranges are checked per field.
JsonInt = Annotated[int, Strict(), BeforeValidator(_integral)]


def _json_int(lo: float | None, hi: float | None) -> Any:
    """A JSON integer within ``[lo, hi]``: the bounds stay native (in Rust and the schema)."""
    return Annotated[Annotated[int, Strict(), Field(ge=lo, le=hi)], BeforeValidator(_integral)]


def _limits(column: Column) -> tuple[float | None, float | None]:
    """The column's bounds: its range (hard or soft alike) within its physical bounds (the
    same the loader, ``score-batch`` and the feature builder apply); integers within int64."""
    lo = _pick(column.min_value, column.physical_min, max)
    hi = _pick(column.max_value, column.physical_max, min)
    if column.kind is Kind.INT:
        lo = INT64_MIN if lo is None else lo
        hi = INT64_MAX if hi is None else hi
        # an int column's bounds stay ints (pydantic compares the JSON integer exactly)
        lo, hi = int(lo), int(hi)
    return lo, hi


def _pick(a: float | None, b: float | None, tighter: Any) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return float(tighter(a, b))


def _bound_text(column: Column) -> str:
    parts = []
    lo, hi = _limits(column)
    if lo is not None and lo != INT64_MIN:
        parts.append(f"≥ {lo:g}")
    if hi is not None and hi != INT64_MAX:
        parts.append(f"≤ {hi:g}")
    text = " and ".join(parts)
    if column.sentinels:
        text += " or " + " or ".join(f"{s:g} (not applicable)" for s in column.sentinels)
    return text


def _range_validator(column: Column) -> AfterValidator:
    (lo, hi), sentinels = _limits(column), frozenset(column.sentinels)
    int_lo, int_hi = _limits(column) if column.kind is Kind.INT else (None, None)
    expected = _bound_text(column)

    def check(value: float | None) -> float | None:
        if value is None or value in sentinels:
            return value
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise PydanticCustomError(
                "out_of_range",
                "must be {expected}, got {value}",
                {"expected": expected, "value": value},
            )
        if (int_lo is not None and value < int_lo) or (int_hi is not None and value > int_hi):
            raise PydanticCustomError("out_of_range", "must fit a 64-bit signed integer")
        return value

    return AfterValidator(check)


def _description(table_name: str, column: Column) -> str:
    text = describe(table_name, column.name) or column.name
    for prefix, unit in _UNITS:
        if column.name.startswith(prefix):
            text = f"{text}. {unit}"
            break
    if any(b is not None for b in _limits(column)):
        text += f" Must be {_bound_text(column)}."
    if column.categories:
        text += (
            " Known values: "
            + ", ".join(repr(c) for c in column.categories)
            + f"; others ({CATEGORY_CHARACTERS} only) are accepted and scored as an unseen "
            "category."
        )
    return text


def _field(table_name: str, column: Column) -> tuple[Any, Any]:
    """``(annotation, FieldInfo)`` of one column for :func:`pydantic.create_model`.

    Plain bounds are native pydantic constraints (checked in Rust, shown in the JSON schema);
    a column with sentinels gets a Python check and a schema allowing them.
    """
    description = _description(table_name, column)
    base: Any
    extra: dict[str, Any] | None = None
    if column.kind is Kind.CATEGORY:
        base = Annotated[
            str,
            Strict(),
            Field(min_length=1, max_length=_MAX_CATEGORY_LENGTH),
            AfterValidator(_category_characters),
            WithJsonSchema(
                {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": _MAX_CATEGORY_LENGTH,
                    "pattern": CATEGORY_PATTERN,
                }
            ),
        ]
    else:
        lo, hi = _limits(column)
        if column.sentinels:
            number: Any = (
                JsonInt
                if column.kind is Kind.INT
                else Annotated[float, Strict(), Field(allow_inf_nan=False)]
            )
            base = Annotated[number, _range_validator(column)]
            extra = _bounds_schema(column)
        elif column.kind is Kind.INT:
            base = _json_int(lo, hi)
        else:
            base = Annotated[float, Strict(), Field(allow_inf_nan=False, ge=lo, le=hi)]
    annotation: Any = base | None if column.nullable else base
    if column.nullable:
        return annotation, Field(default=None, description=description, json_schema_extra=extra)
    return annotation, Field(description=description, json_schema_extra=extra)


def _bounds_schema(column: Column) -> dict[str, Any]:
    """The column's bounds as JSON Schema (numeric keywords ignore a null value)."""
    lo, hi = _limits(column)
    bounds: dict[str, Any] = {}
    if lo is not None:
        bounds["minimum"] = lo
    if hi is not None:
        bounds["maximum"] = hi
    if not column.sentinels:
        return bounds
    return {"allOf": [{"anyOf": [bounds, *({"const": s} for s in column.sentinels)]}]}


@cache
def _fields(table_name: str) -> dict[str, Any]:
    """``{column: (annotation, FieldInfo)}`` for every column of ``table_name``."""
    contract: Table = table(table_name)
    fields: dict[str, Any] = {}
    for column in contract.columns:
        if column.name == CLIENT_KEY:
            fields[CLIENT_KEY] = (
                _json_int(0, MAX_ID),
                Field(description="Client id (key of the history store)."),
            )
        else:
            fields[column.name] = _field(table_name, column)
    return fields


_DOC = (
    "One credit application: the raw fields of application_test.csv plus SK_ID_CURR. "
    "Nullable fields may be omitted or null."
)


@cache
def application_model(table_name: str = APPLICATION_TABLE) -> type[BaseModel]:
    """The pydantic model of one application (every column of ``table_name``): the OpenAPI
    documentation of the request body."""
    return create_model(
        "Application",
        __config__=ConfigDict(
            extra="forbid",
            json_schema_extra={"examples": [_example(table(table_name))]},
            title="Application",
        ),
        __doc__=_DOC,
        **_fields(table_name),
    )


@cache
def application_dict(table_name: str = APPLICATION_TABLE) -> type:
    """The same fields as a ``TypedDict``: validation gives a plain dict of the fields sent
    (what the scorer reads and the decision log stores) without a model instance to dump."""
    annotations: dict[str, Any] = {}
    for name, (annotation, info) in _fields(table_name).items():
        described: Any = Annotated[annotation, Field(description=info.description)]
        annotations[name] = NotRequired[described] if not info.is_required() else described
    application: Any = _typed_dict("Application", annotations)
    application.__pydantic_config__ = ConfigDict(extra="forbid")
    application.__doc__ = _DOC
    return application


#: ``TypedDict`` called with computed fields (kept dynamic for the type checker).
_typed_dict: Any = TypedDict


def _example(contract: Table) -> dict[str, Any]:
    """A plausible, valid application for the OpenAPI documentation."""
    example: dict[str, Any] = {}
    overrides: dict[str, Any] = {
        CLIENT_KEY: 100001,
        "DAYS_BIRTH": -12000,
        "DAYS_EMPLOYED": -2000,
        "DAYS_ID_PUBLISH": -1500,
        "DAYS_REGISTRATION": -3000.0,
        "AMT_INCOME_TOTAL": 135000.0,
        "AMT_CREDIT": 568800.0,
        "AMT_ANNUITY": 20560.5,
        "AMT_GOODS_PRICE": 450000.0,
        "REGION_POPULATION_RELATIVE": 0.0188,
        "REGION_RATING_CLIENT": 2,
        "REGION_RATING_CLIENT_W_CITY": 2,
        "HOUR_APPR_PROCESS_START": 10,
        "CNT_FAM_MEMBERS": 2.0,
        "EXT_SOURCE_2": 0.79,
        "EXT_SOURCE_3": 0.16,
        "FLAG_MOBIL": 1,
        "FLAG_EMP_PHONE": 1,
        "FLAG_CONT_MOBILE": 1,
        "FLAG_DOCUMENT_3": 1,
    }
    for column in contract.columns:
        if column.name in overrides:
            example[column.name] = overrides[column.name]
        elif column.kind is Kind.INT:
            example[column.name] = 0
        elif column.kind is Kind.CATEGORY and not column.nullable:
            example[column.name] = column.categories[0]
    return example
