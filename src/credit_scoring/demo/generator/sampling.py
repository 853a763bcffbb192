"""Vectorised sampling helpers shared by the table generators (no per-row Python loops).

Categorical values are carried as ``int16`` codes into the schema vocabulary of their column
(:data:`NULL_CODE` for missing) until the writer turns them into strings; the array types are
in :mod:`credit_scoring.demo.generator.arrays`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
from scipy.special import ndtr

from credit_scoring.demo.generator.arrays import Bools, Codes, Floats, Ints
from credit_scoring.demo.generator.profile import QUANTILE_GRID
from credit_scoring.schema import table

NULL_CODE = -1

_GRID = np.asarray(QUANTILE_GRID)
DAYS_PER_MONTH = 30.4375
DAYS_PER_YEAR = 365.25


class Categorical:
    """Draws codes of one column's vocabulary with the shares of a frequency table.

    The order of ``freq`` matters for :meth:`from_uniform`: low uniforms give the first
    categories, so a latent variable pushed through it picks categories in that order.
    """

    def __init__(self, vocabulary: tuple[str, ...], freq: Mapping[str, float]) -> None:
        unknown = sorted(set(freq) - set(vocabulary))
        if unknown:
            raise ValueError(f"categories {unknown} are not in the vocabulary {vocabulary}")
        weights = np.asarray(list(freq.values()), dtype=np.float64)
        self.codes = np.asarray([vocabulary.index(k) for k in freq], dtype=np.int16)
        self.cumulative = np.cumsum(weights / weights.sum())
        self.cumulative[-1] = 1.0

    def from_uniform(self, u: Floats) -> Codes:
        index = np.searchsorted(self.cumulative, u, side="right")
        return self.codes[np.minimum(index, self.codes.size - 1)]

    def sample(self, rng: np.random.Generator, n: int) -> Codes:
        return self.from_uniform(rng.random(n))


@cache
def _categorical(table_name: str, column: str, items: tuple[tuple[str, float], ...]) -> Categorical:
    return Categorical(table(table_name).column(column).categories, dict(items))


def categorical(table_name: str, column: str, freq: Mapping[str, float]) -> Categorical:
    """A (cached) sampler of ``table_name.column`` codes with the shares of ``freq``."""
    return _categorical(table_name, column, tuple(freq.items()))


def code_of(table_name: str, column: str, value: str) -> int:
    """The vocabulary code of one category."""
    return table(table_name).column(column).categories.index(value)


def discrete(rng: np.random.Generator, freq: Mapping[int, float], n: int) -> Ints:
    """Integers drawn with the shares of ``freq`` (value → share)."""
    values = np.asarray(list(freq), dtype=np.int64)
    weights = np.asarray(list(freq.values()), dtype=np.float64)
    cumulative = np.cumsum(weights / weights.sum())
    index = np.searchsorted(cumulative, rng.random(n), side="right")
    return values[np.minimum(index, values.size - 1)]


def from_quantiles(u: Floats, quantiles: tuple[float, ...]) -> Floats:
    """Inverse-CDF sampling: uniforms in [0, 1] through a ``QUANTILE_GRID`` table."""
    return np.interp(u, _GRID, np.asarray(quantiles, dtype=np.float64))


def latent_uniform(rng: np.random.Generator, driver: Floats, loading: float) -> Floats:
    """Uniforms correlated with a standard-normal ``driver`` (Gaussian copula, ``loading`` in
    [-1, 1] is the latent correlation)."""
    noise = rng.standard_normal(driver.size)
    return ndtr(loading * driver + np.sqrt(1.0 - loading * loading) * noise)


def correlated_normal(rng: np.random.Generator, driver: Floats, loading: float) -> Floats:
    """Standard normals with correlation ``loading`` to the standard-normal ``driver``."""
    return loading * driver + np.sqrt(1.0 - loading * loading) * rng.standard_normal(driver.size)


def sigmoid(x: Floats) -> Floats:
    return 1.0 / (1.0 + np.exp(-x))


def with_missing(values: np.ndarray, missing: Bools) -> Floats:
    """``values`` as float64 with NaN where ``missing``."""
    out = values.astype(np.float64, copy=True)
    out[missing] = np.nan
    return out


def codes_with_missing(codes: Codes, missing: Bools) -> Codes:
    out = codes.copy()
    out[missing] = NULL_CODE
    return out


def round_to(values: Floats, step: Floats | float) -> Floats:
    """Round to a multiple of ``step`` (exact for the integer and half-integer steps used)."""
    return np.round(values / step) * step


def count_extra(
    rng: np.random.Generator, n: int, *, none_share: float, extra_mean: float, dispersion: float
) -> Ints:
    """Per-client row counts: 0 with ``none_share``, else 1 + negative binomial extras."""
    p = dispersion / (dispersion + extra_mean)
    counts = 1 + rng.negative_binomial(dispersion, p, n)
    counts[rng.random(n) < none_share] = 0
    return counts.astype(np.int64)


def owners(counts: Ints) -> Ints:
    """Index of the owning parent for each child row (``counts[i]`` rows for parent ``i``)."""
    return np.repeat(np.arange(counts.size, dtype=np.int64), counts)


def starts(counts: Ints) -> Ints:
    """Index of each parent's first child row."""
    return np.cumsum(counts) - counts


def position_in_parent(counts: Ints) -> Ints:
    """0, 1, … within each parent's run of child rows."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(starts(counts), counts)


def segment_sum(owner: Ints, values: Floats, n: int) -> Floats:
    """Sum of ``values`` per owner (``n`` owners; 0 for owners without rows)."""
    return np.bincount(owner, weights=values, minlength=n).astype(np.float64, copy=False)


def segment_count(owner: Ints, n: int, where: Bools | None = None) -> Floats:
    """Number of rows per owner (optionally only rows ``where`` holds)."""
    if where is None:
        return np.bincount(owner, minlength=n).astype(np.float64)
    return np.bincount(owner[where], minlength=n).astype(np.float64)


def segment_max(owner: Ints, values: Floats, n: int, empty: float) -> Floats:
    """Maximum of ``values`` per owner (``empty`` for owners without rows)."""
    out = np.full(n, empty, dtype=np.float64)
    np.maximum.at(out, owner, values)
    return out
