"""Data drift from the reference bins saved in the model bundle (PSI, KS, chi²).

The bundle's ``reference_bins`` (see :mod:`credit_scoring.runtime.reference`) hold, for every
model feature and model output, the training share of each bin: decile bins plus a missing
bin for numeric columns, one bin per category plus an unseen and a missing bin for
categorical ones. A window of logged decisions is binned with the SAME rule
(:func:`credit_scoring.runtime.reference.assign_bins`), counted per window in one ``bincount``,
and compared with those shares:

* **PSI** (every column): ``Σ (a - e) · ln(a / e)`` over the bins, shares floored at
  :data:`PSI_FLOOR`; bands 0.10 / 0.25 (:class:`BandThreshold`). A window with fewer than
  :data:`MIN_ROWS_PER_BIN` rows per reference bin gets the band ``low_n`` instead: its
  sampling noise alone (about ``(bins - 1) / rows``) would reach the warn band.
* **KS** (numeric, second opinion): the largest gap between the two cumulative shares over the
  present bins — the Kolmogorov–Smirnov distance evaluated at the decile edges, a lower bound
  of the exact one — with the asymptotic p-value for ``n_reference`` and ``n_window`` rows.
* **chi²** (categorical, second opinion): the two-sample test of homogeneity between the
  reference counts (shares × training rows) and the window counts.

Methods are small registered classes with ``fit(reference)`` then ``calculate(counts)``;
thresholds are objects. Results are tidy rows: window × column × metric.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from credit_scoring.errors import CreditScoringError
from credit_scoring.monitoring.windows import Windows
from credit_scoring.runtime.reference import assign_bins

#: Shares below this are raised to it in PSI, so an empty bin gives a large but finite term.
PSI_FLOOR = 1e-4
#: A window needs this many rows per (non-empty) reference bin for its PSI to get a band.
MIN_ROWS_PER_BIN = 20


class DriftError(CreditScoringError):
    """Reference bins that cannot be used (unknown kind, malformed entry, unknown method)."""


class Band(StrEnum):
    """Severity of a drift value: ``ok``, ``warn`` (moderate) or ``alert`` (major); ``low_n``
    when the window has too few rows for the value to mean anything."""

    LOW_N = "low_n"
    OK = "ok"
    WARN = "warn"
    ALERT = "alert"


@dataclass(frozen=True)
class BandThreshold:
    """Higher is worse: ``value < warn`` ok, ``warn ≤ value < alert`` warn, else alert."""

    warn: float
    alert: float

    def __post_init__(self) -> None:
        if not 0.0 < self.warn <= self.alert:
            raise DriftError(f"band threshold needs 0 < warn ≤ alert, got {self.warn}/{self.alert}")

    def band(self, values: NDArray[np.float64]) -> NDArray[np.str_]:
        out = np.full(values.shape, Band.OK.value, dtype=object)
        out[values >= self.warn] = Band.WARN.value
        out[values >= self.alert] = Band.ALERT.value
        out[np.isnan(values)] = Band.OK.value
        return out.astype("<U8")


@dataclass(frozen=True)
class PValueThreshold:
    """A test rejects "same distribution" at level ``alpha``: ``p < alpha`` is an alert."""

    alpha: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha < 1.0:
            raise DriftError(f"alpha must be in (0, 1), got {self.alpha}")

    def band(self, p_values: NDArray[np.float64]) -> NDArray[np.str_]:
        alert = ~np.isnan(p_values) & (p_values < self.alpha)
        return np.where(alert, Band.ALERT.value, Band.OK.value).astype("<U8")


Threshold = BandThreshold | PValueThreshold

#: PSI bands of the issue: below 0.10 stable, 0.10–0.25 moderate shift, above 0.25 major shift.
DEFAULT_PSI_THRESHOLD = BandThreshold(warn=0.10, alert=0.25)
DEFAULT_TEST_THRESHOLD = PValueThreshold(alpha=0.05)


# -- reference bins ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceColumn:
    """One column's reference: how to bin values and the training share of every bin.

    Bins are numbered ``0 … n_bins-1``; the last is the missing bin. Numeric columns have
    ``len(edges) + 1`` present bins; categorical ones one per category then one for unseen.
    """

    name: str
    kind: str  # "numeric" | "categorical"
    expected: NDArray[np.float64]
    n_reference: int
    edges: NDArray[np.float64] = field(default_factory=lambda: np.empty(0))
    categories: tuple[str, ...] = ()

    @property
    def n_bins(self) -> int:
        return int(self.expected.size)

    @classmethod
    def from_json(cls, name: str, entry: Mapping[str, Any], *, n_reference: int) -> Self:
        """Parse one entry of the bundle's ``reference_bins`` (``features`` or ``outputs``)."""
        kind = entry.get("kind")
        try:
            if kind == "numeric":
                shares = [*entry["proportions"], entry["missing"]]
                edges = np.asarray(entry["edges"], dtype=np.float64)
                if len(entry["proportions"]) != edges.size + 1:
                    raise DriftError(
                        f"reference of {name!r}: {edges.size} edges need "
                        f"{edges.size + 1} proportions, got {len(entry['proportions'])}"
                    )
                return cls(name, "numeric", _shares(shares), n_reference, edges=edges)
            if kind == "categorical":
                categories = tuple(str(c) for c in entry["categories"])
                shares = [*entry["proportions"], entry["unseen"], entry["missing"]]
                if len(entry["proportions"]) != len(categories):
                    raise DriftError(
                        f"reference of {name!r}: {len(categories)} categories but "
                        f"{len(entry['proportions'])} proportions"
                    )
                return cls(name, "categorical", _shares(shares), n_reference, categories=categories)
        except (KeyError, TypeError, ValueError) as exc:
            raise DriftError(f"reference of {name!r} is malformed: {exc!r}") from exc
        raise DriftError(f"reference of {name!r}: unknown kind {kind!r} (numeric|categorical)")

    def bin_index(self, values: ArrayLike) -> NDArray[np.intp]:
        """Bin of each value (numeric values; categorical codes from the bundle vocabulary).

        Numeric: :func:`assign_bins` with the reference edges, missing to the last bin.
        Categorical: codes ``0 … k-1`` known, ``k`` (or anything larger) unseen, NaN missing.
        """
        x = np.asarray(values, dtype=np.float64)
        missing = self.n_bins - 1
        if self.kind == "numeric":
            bins = count_edges_below(x, self.edges)
            bins[np.isnan(x)] = missing
            return bins
        k = len(self.categories)
        nan = np.isnan(x)
        codes = np.clip(np.where(nan, 0.0, x), 0, k).astype(np.intp)
        codes[nan] = missing
        return codes


#: Above this many edges, one binary search per value beats one comparison pass per edge.
_MAX_COMPARISON_EDGES = 32


def count_edges_below(x: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[np.intp]:
    """The bin of :func:`credit_scoring.runtime.reference.assign_bins` — the number of edges
    strictly below each value, i.e. ``e[i-1] < x <= e[i]`` is bin ``i`` — for present values
    (NaN gives 0 here; callers mark missing values themselves).

    With decile edges (≤ 9) one comparison pass per edge is ~50× faster than
    ``np.searchsorted`` on unsorted values; the two are proven equal by the tests.
    """
    if edges.size > _MAX_COMPARISON_EDGES:
        bins = assign_bins(x, edges)
        bins[bins < 0] = 0
        return bins
    counts = np.zeros(x.shape, dtype=np.int8)
    for edge in edges:
        np.add(counts, x > edge, out=counts, casting="unsafe")
    return counts.astype(np.intp)


def _shares(values: Sequence[float]) -> NDArray[np.float64]:
    shares = np.asarray(values, dtype=np.float64)
    if shares.ndim != 1 or np.any(~np.isfinite(shares)) or np.any(shares < 0):
        raise ValueError(f"shares must be finite and non-negative, got {list(values)[:5]}")
    total = shares.sum()
    if total <= 0:
        raise ValueError("shares sum to zero")
    return shares / total


def reference_columns(reference_bins: Mapping[str, Any]) -> dict[str, ReferenceColumn]:
    """Every feature and output of a bundle's ``reference_bins``, keyed by name.

    Outputs (``probability``, ``points``…) are keyed ``output:<name>`` so they never clash with
    a feature name.
    """
    try:
        n_reference = int(reference_bins["n_rows"])
        features = reference_bins["features"]
    except (KeyError, TypeError, ValueError) as exc:
        raise DriftError(f"reference bins lack n_rows/features: {exc!r}") from exc
    out = {
        name: ReferenceColumn.from_json(name, entry, n_reference=n_reference)
        for name, entry in features.items()
    }
    for name, entry in (reference_bins.get("outputs") or {}).items():
        key = f"output:{name}"
        out[key] = ReferenceColumn.from_json(key, entry, n_reference=n_reference)
    return out


def bin_counts(
    bins: NDArray[np.intp], window_codes: NDArray[np.intp], *, n_windows: int, n_bins: int
) -> NDArray[np.float64]:
    """Rows of each window in each bin: a ``(n_windows, n_bins)`` matrix, one ``bincount``."""
    flat = window_codes.astype(np.intp) * n_bins + bins
    counts = np.bincount(flat, minlength=n_windows * n_bins)
    return counts.reshape(n_windows, n_bins).astype(np.float64)


# -- methods -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MethodResult:
    """One value per window (NaN for an empty window), its p-value when a test, its band."""

    value: NDArray[np.float64]
    p_value: NDArray[np.float64] | None
    band: NDArray[np.str_]


class DriftMethod(ABC):
    """A drift measure: ``fit(reference)`` once, then ``calculate(counts)`` per analysis."""

    name: ClassVar[str]
    kinds: ClassVar[frozenset[str]]
    default_threshold: ClassVar[Threshold]

    def __init__(self, threshold: Threshold | None = None) -> None:
        self.threshold = threshold or self.default_threshold
        self._reference: ReferenceColumn | None = None

    def fit(self, reference: ReferenceColumn) -> Self:
        if reference.kind not in self.kinds:
            raise DriftError(f"{self.name} does not apply to {reference.kind} {reference.name!r}")
        self._reference = reference
        return self

    @property
    def reference(self) -> ReferenceColumn:
        if self._reference is None:
            raise DriftError(f"{self.name}: call fit(reference) before calculate()")
        return self._reference

    @abstractmethod
    def calculate(self, counts: NDArray[np.float64]) -> MethodResult:
        """``counts``: rows per window × bin (:func:`bin_counts`), bins as the reference's."""


_METHODS: dict[str, type[DriftMethod]] = {}


def register(cls: type[DriftMethod]) -> type[DriftMethod]:
    """Class decorator: make a method available by its ``name``."""
    _METHODS[cls.name] = cls
    return cls


def method(name: str, threshold: Threshold | None = None) -> DriftMethod:
    """A new instance of the registered method ``name``."""
    try:
        return _METHODS[name](threshold)
    except KeyError:
        raise DriftError(f"unknown drift method {name!r}; known: {sorted(_METHODS)}") from None


def registered_methods() -> tuple[str, ...]:
    return tuple(sorted(_METHODS))


def _window_shares(counts: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    n = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return counts / n[:, None], n


@register
class PopulationStabilityIndex(DriftMethod):
    """PSI over every bin (missing and unseen included); shares floored at :data:`PSI_FLOOR`."""

    name = "psi"
    kinds = frozenset({"numeric", "categorical"})
    default_threshold = DEFAULT_PSI_THRESHOLD

    def calculate(self, counts: NDArray[np.float64]) -> MethodResult:
        actual, n = _window_shares(counts)
        expected = np.maximum(self.reference.expected, PSI_FLOOR)[None, :]
        actual = np.maximum(np.nan_to_num(actual, nan=0.0), PSI_FLOOR)
        value = np.sum((actual - expected) * np.log(actual / expected), axis=1)
        value[n == 0] = np.nan
        band = self.threshold.band(value)
        # Sampling noise alone gives a PSI of about (bins - 1) / rows: below
        # MIN_ROWS_PER_BIN rows per reference bin it would reach the warn band by itself.
        bins = int(np.count_nonzero(self.reference.expected > 0))
        band[(n > 0) & (n < MIN_ROWS_PER_BIN * bins)] = Band.LOW_N.value
        return MethodResult(value, None, band)


class _HypothesisTest(DriftMethod):
    """A test of each window against the reference, banded on its p-value."""

    default_threshold = DEFAULT_TEST_THRESHOLD

    def _tested(
        self,
        value: NDArray[np.float64],
        n: NDArray[np.float64],
        p_value_of: Callable[[NDArray[np.float64]], ArrayLike],
    ) -> MethodResult:
        """The statistic ``value`` of windows of ``n`` rows (NaN where empty), its p-value."""
        value[n == 0] = np.nan
        p_value = np.asarray(p_value_of(value), dtype=np.float64)
        p_value[np.isnan(value)] = np.nan
        return MethodResult(value, p_value, self.threshold.band(p_value))


@register
class KolmogorovSmirnov(_HypothesisTest):
    """KS distance over the present (non-missing) bins and its asymptotic p-value."""

    name = "ks"
    kinds = frozenset({"numeric"})

    def calculate(self, counts: NDArray[np.float64]) -> MethodResult:
        present = counts[:, :-1]
        n = present.sum(axis=1)
        expected = self.reference.expected[:-1]
        n_ref = self.reference.n_reference * float(expected.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            cdf = np.cumsum(present, axis=1) / n[:, None]
            cdf_ref = np.cumsum(expected) / expected.sum()
            value = np.max(np.abs(cdf - cdf_ref[None, :]), axis=1)
            effective = np.sqrt(n * n_ref / (n + n_ref))
        return self._tested(value, n, lambda v: stats.kstwobign.sf(v * effective))


@register
class ChiSquared(_HypothesisTest):
    """Chi² test of homogeneity: reference counts (shares × training rows) vs window counts."""

    name = "chi2"
    kinds = frozenset({"categorical"})

    def calculate(self, counts: NDArray[np.float64]) -> MethodResult:
        ref = self.reference
        reference = ref.expected * ref.n_reference
        n = counts.sum(axis=1)
        n_ref = reference.sum()
        column = counts + reference[None, :]
        total = (n + n_ref)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            e_window = column * n[:, None] / total
            e_ref = column * n_ref / total
            terms = (counts - e_window) ** 2 / e_window + (reference - e_ref) ** 2 / e_ref
        used = column > 0
        value = np.where(used, terms, 0.0).sum(axis=1)
        dof = np.maximum(used.sum(axis=1) - 1, 1)
        return self._tested(value, n, lambda v: stats.chi2.sf(v, dof))


# -- the calculator ------------------------------------------------------------------------

RESULT_COLUMNS = (
    "window_start",
    "window_end",
    "column",
    "kind",
    "metric",
    "value",
    "p_value",
    "band",
    "n_rows",
)
DEFAULT_METHODS: Mapping[str, tuple[str, ...]] = {
    "numeric": ("psi", "ks"),
    "categorical": ("psi", "chi2"),
}


class DriftCalculator:
    """PSI plus a second opinion for every column, per window (NannyML-style fit/calculate).

    ``thresholds`` overrides a method's default threshold by method name.
    """

    def __init__(
        self,
        *,
        methods: Mapping[str, Sequence[str]] = DEFAULT_METHODS,
        thresholds: Mapping[str, Threshold] | None = None,
    ) -> None:
        self.methods = {kind: tuple(names) for kind, names in methods.items()}
        self.thresholds = dict(thresholds or {})
        for names in self.methods.values():
            for name in names:
                method(name)  # fail early on unknown names
        self._fitted: dict[str, tuple[ReferenceColumn, list[DriftMethod]]] = {}

    def fit(self, reference: Mapping[str, ReferenceColumn]) -> Self:
        """Fit every method on every reference column (see :func:`reference_columns`)."""
        self._fitted = {
            name: (
                ref,
                [
                    method(m, self.thresholds.get(m)).fit(ref)
                    for m in self.methods.get(ref.kind, ())
                ],
            )
            for name, ref in reference.items()
        }
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._fitted)

    def _reference(self, name: str) -> ReferenceColumn:
        if not self._fitted:
            raise DriftError("call fit(reference) before calculate()")
        if name not in self._fitted:
            raise DriftError(f"no reference for column {name!r}")
        return self._fitted[name][0]

    def calculate(
        self,
        columns: Mapping[str, NDArray[np.float64]],
        windows: Windows,
    ) -> pd.DataFrame:
        """Tidy rows (:data:`RESULT_COLUMNS`) for every column of ``columns``: values one per
        row of ``windows`` (numeric values, or vocabulary codes for categorical features)."""
        counts = {
            name: bin_counts(
                self._reference(name).bin_index(values),
                windows.codes,
                n_windows=len(windows),
                n_bins=self._reference(name).n_bins,
            )
            for name, values in columns.items()
        }
        return self.evaluate(counts, windows)

    def calculate_matrix(
        self,
        matrix: NDArray[np.float64],
        columns: Sequence[str],
        windows: Windows,
        *,
        block_rows: int = 8192,
    ) -> pd.DataFrame:
        """Like :meth:`calculate` for the columns of a row-major matrix (logged model rows):
        rows are transposed a block at a time into a small reused buffer, so no full
        column-major copy is made."""
        if not self._fitted:
            raise DriftError("call fit(reference) before calculate()")
        if matrix.ndim != 2 or matrix.shape[1] != len(columns):
            raise DriftError(f"matrix of shape {matrix.shape} for {len(columns)} column names")
        wanted = [(j, name) for j, name in enumerate(columns) if name in self._fitted]
        nw = len(windows)
        counts = {name: np.zeros((nw, self._reference(name).n_bins)) for _, name in wanted}
        buffer = np.empty((matrix.shape[1], block_rows), dtype=np.float64)
        for start in range(0, matrix.shape[0], block_rows):
            block = matrix[start : start + block_rows]
            n = block.shape[0]
            transposed = buffer[:, :n]
            np.copyto(transposed, block.T)
            codes = windows.codes[start : start + n]
            for j, name in wanted:
                ref = self._fitted[name][0]
                counts[name] += bin_counts(
                    ref.bin_index(transposed[j]), codes, n_windows=nw, n_bins=ref.n_bins
                )
        return self.evaluate(counts, windows)

    def evaluate(self, counts: Mapping[str, NDArray[np.float64]], windows: Windows) -> pd.DataFrame:
        """Tidy rows from per-column counts (windows × bins, see :func:`bin_counts`)."""
        if not self._fitted:
            raise DriftError("call fit(reference) before calculate()")
        n_windows = len(windows)
        bounds = windows.bounds()
        starts = np.asarray([b[0] for b in bounds], dtype=object)
        ends = np.asarray([b[1] for b in bounds], dtype=object)
        window_rows = windows.counts()
        parts: list[dict[str, Any]] = []
        for name, column_counts in counts.items():
            ref = self._reference(name)
            for m in self._fitted[name][1]:
                result = m.calculate(column_counts)
                parts.append(
                    {
                        "window_start": starts,
                        "window_end": ends,
                        "column": np.full(n_windows, name, dtype=object),
                        "kind": np.full(n_windows, ref.kind, dtype=object),
                        "metric": np.full(n_windows, m.name, dtype=object),
                        "value": result.value,
                        "p_value": result.p_value
                        if result.p_value is not None
                        else np.full(n_windows, np.nan),
                        "band": result.band,
                        "n_rows": window_rows,
                    }
                )
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in RESULT_COLUMNS})
        frame = pd.DataFrame(
            {c: np.concatenate([p[c] for p in parts]) for c in RESULT_COLUMNS}
        ).astype({"value": np.float64, "p_value": np.float64, "n_rows": np.int64})
        return frame
