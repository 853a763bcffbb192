"""Application features: one vectorised function used offline (whole table) and online (one row).

``application_features`` takes raw application fields by schema name and returns model-ready
columns. It runs unchanged on two kinds of input:

* **columns** (offline): 1-d arrays of equal length — numeric as float64 with NaN for missing,
  categoricals as object arrays of ``str``/``None``. Outputs are arrays of the same length.
* **scalars** (online, one request): Python/NumPy scalars or 0-d arrays (``None`` or NaN for
  missing). Outputs are Python floats (numeric) and ``str``/``None`` (categorical).

Both paths perform the same IEEE operations in the same order (no reductions whose summation
order could differ), so they give bit-identical results: the skew test relies on it. The
scalar path avoids NumPy ufuncs (≈1 µs each on tiny arrays) and keeps one request under a few
tens of microseconds. Division by zero gives NaN, never ±inf.

Units: days are negative offsets from the application date, amounts are currency units, years
are ``days / 365.25``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from credit_scoring.schema import APPLICATION_TEST, DAYS_SENTINEL

if TYPE_CHECKING:
    import pandas as pd

_NAN = math.nan
_DAYS_PER_YEAR = 365.25

#: Raw application inputs (schema names, file order), without the key and the label.
APPLICATION_INPUT_COLUMNS: tuple[str, ...] = tuple(
    c.name for c in APPLICATION_TEST.columns if c.name != "SK_ID_CURR"
)
_NUMERIC_INPUTS = tuple(
    c.name for c in APPLICATION_TEST.columns if not c.is_categorical and c.name != "SK_ID_CURR"
)
#: Categorical application columns, passed through as strings (encoded later with a vocabulary).
APPLICATION_CATEGORICAL_FEATURES: tuple[str, ...] = tuple(
    c.name for c in APPLICATION_TEST.categorical_columns
)
#: Kept in the feature tables for the fairness report; model inputs only when configured.
PROTECTED_COLUMNS: tuple[str, ...] = ("CODE_GENDER", "NAME_FAMILY_STATUS")

_DOCUMENT_FLAGS = tuple(n for n in _NUMERIC_INPUTS if n.startswith("FLAG_DOCUMENT_"))
_CONTACT_FLAGS = (
    "FLAG_MOBIL", "FLAG_EMP_PHONE", "FLAG_WORK_PHONE", "FLAG_CONT_MOBILE", "FLAG_PHONE",
    "FLAG_EMAIL",
)  # fmt: skip
_REGION_MISMATCH_FLAGS = tuple(
    n for n in _NUMERIC_INPUTS if n.startswith(("REG_", "LIVE_")) and "_NOT_" in n
)
_BUREAU_REQUESTS = tuple(n for n in _NUMERIC_INPUTS if n.startswith("AMT_REQ_CREDIT_BUREAU_"))
# Raw numeric columns left out as-is: building statistics repeat as *_MODE/*_MEDI what *_AVG
# says (TOTALAREA_MODE has no AVG twin), FLAG_MOBIL is constant, and most document flags are
# almost always 0 (they enter through DOCUMENT_COUNT; 3, 6 and 8 are common enough to keep).
_KEPT_DOCUMENTS = frozenset({"FLAG_DOCUMENT_3", "FLAG_DOCUMENT_6", "FLAG_DOCUMENT_8"})
_RAW_NUMERIC: tuple[str, ...] = tuple(
    n
    for n in _NUMERIC_INPUTS
    if n != "FLAG_MOBIL"
    and (not n.startswith("FLAG_DOCUMENT_") or n in _KEPT_DOCUMENTS)
    and not (n.endswith(("_MODE", "_MEDI")) and n != "TOTALAREA_MODE")
)

_DERIVED: tuple[str, ...] = (
    "DAYS_EMPLOYED_ANOM",
    "AGE_YEARS",
    "EMPLOYED_YEARS",
    "EMPLOYED_AGE_RATIO",
    "REGISTRATION_AGE_RATIO",
    "ID_PUBLISH_AGE_RATIO",
    "PHONE_CHANGE_AGE_RATIO",
    "CAR_AGE_RATIO",
    "CREDIT_INCOME_RATIO",
    "ANNUITY_INCOME_RATIO",
    "CREDIT_ANNUITY_RATIO",
    "GOODS_CREDIT_RATIO",
    "CREDIT_GOODS_DIFF",
    "INCOME_PER_FAMILY_MEMBER",
    "CHILDREN_FAMILY_RATIO",
    "INCOME_AFTER_ANNUITY_PER_MEMBER",
    "CREDIT_PER_AGE_YEAR",
    "EXT_SOURCE_MEAN",
    "EXT_SOURCE_MIN",
    "EXT_SOURCE_MAX",
    "EXT_SOURCE_STD",
    "EXT_SOURCE_PROD",
    "EXT_SOURCE_MISSING_COUNT",
    "EXT_SOURCE_MEAN_CREDIT_INCOME",
    "DOCUMENT_COUNT",
    "CONTACT_FLAG_SUM",
    "REGION_MISMATCH_SUM",
    "BUREAU_REQUEST_TOTAL",
    "SOCIAL_CIRCLE_DEF_30_RATIO",
    "SOCIAL_CIRCLE_DEF_60_RATIO",
)
#: Numeric outputs in order: raw columns useful as-is (DAYS_EMPLOYED with its sentinel replaced
#: by missing), then derived features.
APPLICATION_NUMERIC_FEATURES: tuple[str, ...] = _RAW_NUMERIC + _DERIVED
#: Every output of :func:`application_features`, numeric first, then categorical.
APPLICATION_FEATURES: tuple[str, ...] = (
    APPLICATION_NUMERIC_FEATURES + APPLICATION_CATEGORICAL_FEATURES
)

Values = Any  # float (scalar path) or NDArray[np.float64] (column path)

#: The amounts of a request: a counter-offer scales them.
AMOUNT_INPUTS: tuple[str, ...] = ("AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE")
_AMOUNT_RATIOS: tuple[str, ...] = (
    "CREDIT_INCOME_RATIO", "ANNUITY_INCOME_RATIO", "CREDIT_ANNUITY_RATIO", "GOODS_CREDIT_RATIO",
    "CREDIT_GOODS_DIFF", "INCOME_AFTER_ANNUITY_PER_MEMBER", "CREDIT_PER_AGE_YEAR",
    "EXT_SOURCE_MEAN_CREDIT_INCOME",
)  # fmt: skip
#: Every feature whose value moves with the amounts (the amounts and the ratios built on them;
#: a test probes :func:`application_features` to check that no other does).
AMOUNT_FEATURES: tuple[str, ...] = (*AMOUNT_INPUTS, *_AMOUNT_RATIOS)
#: The raw inputs of :func:`amount_features`.
AMOUNT_FEATURE_INPUTS: tuple[str, ...] = (
    *AMOUNT_INPUTS, "AMT_INCOME_TOTAL", "CNT_FAM_MEMBERS", "DAYS_BIRTH", "EXT_SOURCE_1",
    "EXT_SOURCE_2", "EXT_SOURCE_3",
)  # fmt: skip


# --- the two kinds of arithmetic: Python floats (one request) or NumPy columns --------------
def _div_scalar(a: float, b: float) -> float:
    return _NAN if b == 0 else a / b


def _div_array(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(a / b, dtype=np.float64)
    out[b == 0] = _NAN
    return out


def _div_quiet(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """:func:`_div_array` inside a caller's ``np.errstate(divide=…, invalid="ignore")``."""
    out = np.asarray(a / b, dtype=np.float64)
    out[b == 0] = _NAN
    return out


def _where_present_scalar(x: float) -> float:
    return x if x == x else 0.0


def _where_present_array(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.where(x == x, x, 0.0)


def _fmin_scalar(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return a if a <= b else b


def _fmax_scalar(a: float, b: float) -> float:
    if a != a:
        return b
    if b != b:
        return a
    return a if a >= b else b


def _sqrt_scalar(x: float) -> float:
    return math.sqrt(x) if x == x else _NAN


def _sentinel_scalar(x: float) -> tuple[float, float]:
    return (_NAN, 1.0) if x == DAYS_SENTINEL else (x, 0.0)


def _sentinel_array(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    anomalous = x == DAYS_SENTINEL
    return np.where(anomalous, _NAN, x), anomalous.astype(np.float64)


class _Ops:
    """The handful of operations that differ between the scalar and the column path."""

    div: Callable[..., Any]
    present: Callable[..., Any]
    fmin: Callable[..., Any]
    fmax: Callable[..., Any]
    sqrt: Callable[..., Any]
    sentinel: Callable[..., Any]

    def __init__(self, *, scalar: bool, quiet: bool = False) -> None:
        self.div = _div_scalar if scalar else _div_quiet if quiet else _div_array
        self.present = _where_present_scalar if scalar else _where_present_array
        self.fmin = _fmin_scalar if scalar else np.fmin
        self.fmax = _fmax_scalar if scalar else np.fmax
        self.sqrt = _sqrt_scalar if scalar else np.sqrt
        self.sentinel = _sentinel_scalar if scalar else _sentinel_array


_SCALAR_OPS = _Ops(scalar=True)
_ARRAY_OPS = _Ops(scalar=False)
_QUIET_ARRAY_OPS = _Ops(scalar=False, quiet=True)  # for a whole block under np.errstate


def _is_column_input(columns: Mapping[str, Any]) -> bool:
    for value in columns.values():
        if isinstance(value, np.ndarray):
            return value.ndim > 0
        return isinstance(value, (list, tuple))
    return False


def _column_length(columns: Mapping[str, Any]) -> int:
    return len(next(iter(columns.values())))


def _scalar_inputs(columns: Mapping[str, Any]) -> tuple[dict[str, float], dict[str, Any]]:
    numeric: dict[str, float] = {}
    get = columns.get
    for name in _NUMERIC_INPUTS:
        value = get(name)
        numeric[name] = _NAN if value is None else float(value)
    categorical: dict[str, Any] = {}
    for name in APPLICATION_CATEGORICAL_FEATURES:
        value = get(name)
        categorical[name] = None if value is None or value != value else str(value)
    return numeric, categorical


def _column_inputs(
    columns: Mapping[str, Any],
) -> tuple[dict[str, NDArray[np.float64]], dict[str, NDArray[np.object_]]]:
    n = _column_length(columns)
    numeric: dict[str, NDArray[np.float64]] = {}
    for name in _NUMERIC_INPUTS:
        value = columns.get(name)
        numeric[name] = (
            np.full(n, _NAN) if value is None else np.asarray(value, dtype=np.float64).reshape(n)
        )
    categorical: dict[str, NDArray[np.object_]] = {}
    for name in APPLICATION_CATEGORICAL_FEATURES:
        value = columns.get(name)
        categorical[name] = (
            np.full(n, None, dtype=object)
            if value is None
            else np.asarray(value, dtype=object).reshape(n)
        )
    return numeric, categorical


def application_features(columns: Mapping[str, Any]) -> dict[str, Any]:
    """Model features of one or many applications, from raw application fields.

    ``columns`` maps schema column names (``APPLICATION_INPUT_COLUMNS``; absent names count as
    missing) either to 1-d arrays (numeric float64 with NaN, categorical object arrays of
    ``str``/``None``) or to scalars for a single application. Returns ``{name: values}`` for
    every name of :data:`APPLICATION_FEATURES`, in that order: arrays for column input, Python
    floats and ``str``/``None`` for scalar input.
    """
    if _is_column_input(columns):
        numeric, categorical = _column_inputs(columns)
        return _compute(numeric, categorical, _ARRAY_OPS)
    scalar_numeric, scalar_categorical = _scalar_inputs(columns)
    return _compute(scalar_numeric, scalar_categorical, _SCALAR_OPS)


def _compute(x: Mapping[str, Values], categorical: Mapping[str, Any], ops: _Ops) -> dict[str, Any]:
    div = ops.div
    days_employed, employed_anom = ops.sentinel(x["DAYS_EMPLOYED"])
    out: dict[str, Any] = {}
    for name in _RAW_NUMERIC:
        out[name] = x[name]
    out["DAYS_EMPLOYED"] = days_employed

    birth = x["DAYS_BIRTH"]
    income = x["AMT_INCOME_TOTAL"]
    family = x["CNT_FAM_MEMBERS"]
    age_years = birth / -_DAYS_PER_YEAR
    ext_mean, n_present = _ext_mean(x, ops)
    amounts = _amount_ratios(x, age_years, ext_mean, ops)

    out["DAYS_EMPLOYED_ANOM"] = employed_anom
    out["AGE_YEARS"] = age_years
    out["EMPLOYED_YEARS"] = days_employed / -_DAYS_PER_YEAR
    out["EMPLOYED_AGE_RATIO"] = div(days_employed, birth)
    out["REGISTRATION_AGE_RATIO"] = div(x["DAYS_REGISTRATION"], birth)
    out["ID_PUBLISH_AGE_RATIO"] = div(x["DAYS_ID_PUBLISH"], birth)
    out["PHONE_CHANGE_AGE_RATIO"] = div(x["DAYS_LAST_PHONE_CHANGE"], birth)
    out["CAR_AGE_RATIO"] = div(x["OWN_CAR_AGE"], age_years)
    for name in _AMOUNT_RATIOS[:5]:
        out[name] = amounts[name]
    out["INCOME_PER_FAMILY_MEMBER"] = div(income, family)
    out["CHILDREN_FAMILY_RATIO"] = div(x["CNT_CHILDREN"], family)
    for name in _AMOUNT_RATIOS[5:7]:
        out[name] = amounts[name]

    e1, e2, e3 = x["EXT_SOURCE_1"], x["EXT_SOURCE_2"], x["EXT_SOURCE_3"]
    present = ops.present
    d1, d2, d3 = present(e1 - ext_mean), present(e2 - ext_mean), present(e3 - ext_mean)
    out["EXT_SOURCE_MEAN"] = ext_mean
    out["EXT_SOURCE_MIN"] = ops.fmin(ops.fmin(e1, e2), e3)
    out["EXT_SOURCE_MAX"] = ops.fmax(ops.fmax(e1, e2), e3)
    # Population standard deviation of the sources present (0 for one source, NaN for none).
    out["EXT_SOURCE_STD"] = ops.sqrt(div(d1 * d1 + d2 * d2 + d3 * d3, n_present))
    out["EXT_SOURCE_PROD"] = e1 * e2 * e3
    out["EXT_SOURCE_MISSING_COUNT"] = 3.0 - n_present
    out["EXT_SOURCE_MEAN_CREDIT_INCOME"] = amounts["EXT_SOURCE_MEAN_CREDIT_INCOME"]

    out["DOCUMENT_COUNT"] = _total(x, _DOCUMENT_FLAGS)
    out["CONTACT_FLAG_SUM"] = _total(x, _CONTACT_FLAGS)
    out["REGION_MISMATCH_SUM"] = _total(x, _REGION_MISMATCH_FLAGS)
    out["BUREAU_REQUEST_TOTAL"] = _total(x, _BUREAU_REQUESTS)
    out["SOCIAL_CIRCLE_DEF_30_RATIO"] = div(
        x["DEF_30_CNT_SOCIAL_CIRCLE"], x["OBS_30_CNT_SOCIAL_CIRCLE"]
    )
    out["SOCIAL_CIRCLE_DEF_60_RATIO"] = div(
        x["DEF_60_CNT_SOCIAL_CIRCLE"], x["OBS_60_CNT_SOCIAL_CIRCLE"]
    )
    for name in APPLICATION_CATEGORICAL_FEATURES:
        out[name] = categorical[name]
    return out


def _ext_mean(x: Mapping[str, Values], ops: _Ops) -> tuple[Values, Values]:
    """Mean of the external scores present (NaN for none) and how many are present."""
    e1, e2, e3 = x["EXT_SOURCE_1"], x["EXT_SOURCE_2"], x["EXT_SOURCE_3"]
    present = ops.present
    n_present = (e1 == e1) * 1.0 + (e2 == e2) * 1.0 + (e3 == e3) * 1.0
    return ops.div(present(e1) + present(e2) + present(e3), n_present), n_present


def _amount_ratios(
    x: Mapping[str, Values], age_years: Values, ext_mean: Values, ops: _Ops
) -> dict[str, Values]:
    """The derived features that move with the credit amount, annuity or goods price."""
    div = ops.div
    credit, annuity, goods = x["AMT_CREDIT"], x["AMT_ANNUITY"], x["AMT_GOODS_PRICE"]
    income, family = x["AMT_INCOME_TOTAL"], x["CNT_FAM_MEMBERS"]
    credit_income = div(credit, income)
    return {
        "CREDIT_INCOME_RATIO": credit_income,
        "ANNUITY_INCOME_RATIO": div(annuity, income),
        "CREDIT_ANNUITY_RATIO": div(credit, annuity),
        "GOODS_CREDIT_RATIO": div(goods, credit),
        "CREDIT_GOODS_DIFF": credit - goods,
        "INCOME_AFTER_ANNUITY_PER_MEMBER": div(income - annuity, family),
        "CREDIT_PER_AGE_YEAR": div(credit, age_years),
        "EXT_SOURCE_MEAN_CREDIT_INCOME": ext_mean * credit_income,
    }


def amount_features(columns: Mapping[str, Any]) -> dict[str, NDArray[np.float64]]:
    """The :data:`AMOUNT_FEATURES` of applications given as numeric columns of
    :data:`AMOUNT_FEATURE_INPUTS` (1-d float64 arrays with NaN; absent names are missing),
    each equal to the value :func:`application_features` gives for the same application (the
    same operations in the same order): what a change of the amounts alone changes."""
    n = _column_length(columns)
    x = {
        name: np.asarray(columns[name], dtype=np.float64).reshape(n)
        if name in columns
        else np.full(n, _NAN)
        for name in AMOUNT_FEATURE_INPUTS
    }
    out: dict[str, NDArray[np.float64]] = {name: x[name] for name in AMOUNT_INPUTS}
    with np.errstate(divide="ignore", invalid="ignore"):
        ext_mean, _ = _ext_mean(x, _QUIET_ARRAY_OPS)
        age_years = x["DAYS_BIRTH"] / -_DAYS_PER_YEAR
        out.update(_amount_ratios(x, age_years, ext_mean, _QUIET_ARRAY_OPS))
    return out


def _total(x: Mapping[str, Values], names: tuple[str, ...]) -> Values:
    """Left-to-right sum (missing if any term is missing)."""
    total = x[names[0]]
    for name in names[1:]:
        total = total + x[name]
    return total


def application_columns(frame: pd.DataFrame) -> dict[str, Any]:
    """Raw application columns of ``frame`` in the form :func:`application_features` takes."""
    out: dict[str, Any] = {}
    for name in APPLICATION_INPUT_COLUMNS:
        if name not in frame.columns:
            continue
        series = frame[name]
        if APPLICATION_TEST.column(name).is_categorical:
            out[name] = series.astype(object).where(series.notna(), None).to_numpy()
        else:
            out[name] = series.to_numpy(dtype=np.float64, na_value=np.nan)
    return out
