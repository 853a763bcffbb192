"""Request-time features: raw applications + their history rows → model rows.

The API builds an :class:`OnlineFeatureBuilder` once (when it loads a model) and calls
:meth:`OnlineFeatureBuilder.row` per request, or :meth:`OnlineFeatureBuilder.rows` for a batch
(the column path of :func:`application_features`: one NumPy operation per feature for the
whole batch instead of one Python step per application and feature);
:func:`build_feature_row` is the one-shot form. The values equal those of
:func:`credit_scoring.features.matrix.feature_matrix` on the offline tables for the same client
(proved by the skew test), and the two online paths agree bit for bit.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credit_scoring.errors import FeatureSetMismatchError
from credit_scoring.features.application import (
    APPLICATION_CATEGORICAL_FEATURES,
    APPLICATION_INPUT_COLUMNS,
    application_features,
)
from credit_scoring.features.encoding import Vocabulary
from credit_scoring.features.feature_set import FeatureSet
from credit_scoring.features.naming import is_history_flag


class OnlineFeatureBuilder:
    """Precomputed plan that fills a row in ``feature_set.model_features`` order.

    ``history_columns`` is the column order of the history rows passed to :meth:`row` (the
    store's ``columns``; defaults to ``feature_set.history_features``).
    """

    def __init__(
        self,
        feature_set: FeatureSet,
        vocabularies: Mapping[str, Vocabulary],
        history_columns: Sequence[str] | None = None,
    ) -> None:
        history_columns = tuple(history_columns or feature_set.history_features)
        history_index = {name: i for i, name in enumerate(history_columns)}
        categorical = set(feature_set.categorical_features)
        lacking = [c for c in feature_set.categorical_features if c not in vocabularies]
        if lacking:
            raise FeatureSetMismatchError(f"no vocabulary for categorical feature(s) {lacking}")
        self.feature_set = feature_set
        self.n_features = len(feature_set.model_features)
        # (row position, application feature name) for numeric application features.
        self._numeric: list[tuple[int, str]] = []
        # (row position, name, {category: code}, unseen code) for categorical features.
        self._categorical: list[tuple[int, str, dict[str, float], float]] = []
        history_positions: list[int] = []
        history_sources: list[int] = []
        flag_positions: list[int] = []
        for j, name in enumerate(feature_set.model_features):
            if name in history_index:
                history_positions.append(j)
                history_sources.append(history_index[name])
                if is_history_flag(name):
                    flag_positions.append(j)
            elif name in categorical:
                vocab = vocabularies[name]
                codes = {v: float(i) for i, v in enumerate(vocab)}
                self._categorical.append((j, name, codes, float(len(vocab))))
            else:
                self._numeric.append((j, name))
        model = set(feature_set.model_features)
        absent = [n for n in feature_set.history_features if n in model and n not in history_index]
        if absent:
            raise FeatureSetMismatchError(
                f"history rows lack {len(absent)} feature(s) of feature set "
                f"{feature_set.version}: {absent[:5]}"
            )
        self._history_positions = np.asarray(history_positions, dtype=np.intp)
        self._history_sources = np.asarray(history_sources, dtype=np.intp)
        self._flag_positions = np.asarray(flag_positions, dtype=np.intp)
        self.history_width = len(history_columns)
        # (model columns, history columns) as slices when both are contiguous runs, as when the
        # history rows are the feature set's history features in order: block copies on batches.
        self._history_slices = _as_slices(self._history_positions, self._history_sources)

    @property
    def numeric_features(self) -> list[tuple[int, str]]:
        """``(model column, application feature)`` of the numeric application features."""
        return list(self._numeric)

    def row(
        self, application: Mapping[str, Any], history_row: NDArray[np.float64] | None
    ) -> NDArray[np.float64]:
        """The model row for one raw application (schema names → scalars, ``None`` missing).

        ``history_row`` is the client's history row (store column order) or ``None`` for a
        client without history: aggregates are then missing and ``*HAS_HISTORY`` flags 0.
        """
        features = application_features(application)
        out = np.empty(self.n_features, dtype=np.float64)
        for j, name in self._numeric:
            out[j] = features[name]
        for j, name, codes, unseen in self._categorical:
            value = features[name]
            out[j] = math.nan if value is None else codes.get(value, unseen)
        if history_row is None:
            out[self._history_positions] = math.nan
            out[self._flag_positions] = 0.0
        else:
            out[self._history_positions] = history_row[self._history_sources]
        return out

    def rows(
        self,
        applications: Sequence[Mapping[str, Any]],
        history_rows: NDArray[np.float64],
        found: NDArray[np.bool_],
    ) -> NDArray[np.float64]:
        """The model rows of many raw applications (one row each, in order).

        ``history_rows`` holds one history row per application (store column order; ignored
        where ``found`` is false, e.g. NaN rows from :meth:`HistoryStore.lookup_many`).
        Row ``i`` equals ``row(applications[i], history_rows[i] if found[i] else None)``.
        """
        return self.rows_from_columns(_columns(applications), history_rows, found)

    def rows_from_columns(
        self,
        columns: Mapping[str, Any],
        history_rows: NDArray[np.float64],
        found: NDArray[np.bool_],
    ) -> NDArray[np.float64]:
        """:meth:`rows` of applications given as columns (the column input of
        :func:`application_features`: numeric float64 with NaN, categorical object arrays of
        ``str``/``None``), e.g. a whole file read by batch scoring."""
        n = len(found)
        with np.errstate(over="ignore"):  # an overflowing ratio is inf, as on the one-row path
            features = application_features(columns)
        out = np.empty((n, self.n_features), dtype=np.float64)
        for j, name in self._numeric:
            out[:, j] = features[name]
        for j, name, codes, unseen in self._categorical:
            values = np.asarray(features[name], dtype=object).reshape(n)
            # codes.get in C over the column; None (missing) is not a key, so it is then NaN.
            column = np.fromiter(map(codes.get, values, repeat(unseen)), np.float64, count=n)
            column[values == None] = math.nan  # noqa: E711 (elementwise on an object array)
            out[:, j] = column
        if n:
            history = np.asarray(history_rows, dtype=np.float64).reshape(n, self.history_width)
            missing = ~np.asarray(found, dtype=bool)
            if self._history_slices is not None:
                into, source = self._history_slices
                out[:, into] = history[:, source]
                out[missing, into] = math.nan
            else:
                out[:, self._history_positions] = history[:, self._history_sources]
                out[np.ix_(np.flatnonzero(missing), self._history_positions)] = math.nan
            if missing.any():
                out[np.ix_(np.flatnonzero(missing), self._flag_positions)] = 0.0
        return out


def _as_slices(into: NDArray[np.intp], source: NDArray[np.intp]) -> tuple[slice, slice] | None:
    """``(slice of into, slice of source)`` when both are runs of consecutive indices."""
    if len(into) == 0 or len(into) != len(source):
        return None
    if np.any(np.diff(into) != 1) or np.any(np.diff(source) != 1):
        return None
    return slice(int(into[0]), int(into[-1]) + 1), slice(int(source[0]), int(source[-1]) + 1)


_CATEGORICAL_INPUTS = frozenset(APPLICATION_CATEGORICAL_FEATURES)
_NUMERIC_INPUTS = tuple(c for c in APPLICATION_INPUT_COLUMNS if c not in _CATEGORICAL_INPUTS)


_NUMERIC_GETTER = operator.itemgetter(*_NUMERIC_INPUTS)
_CATEGORICAL_GETTER = operator.itemgetter(*APPLICATION_CATEGORICAL_FEATURES)


def _fields(
    application: Mapping[str, Any],
    getter: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    names: tuple[str, ...],
) -> tuple[Any, ...]:
    """The application's values of ``names`` (None for a field not sent)."""
    try:
        return getter(application)  # every field sent: one C call
    except KeyError:
        return tuple(map(application.get, names))


def _columns(applications: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Raw fields of many applications as columns (the column input of
    :func:`application_features`): numeric float64 with NaN for missing, categorical object
    arrays of ``str``/``None``. One C-level ``map`` per application and kind of field."""
    n = len(applications)
    numeric = np.array(
        [_fields(a, _NUMERIC_GETTER, _NUMERIC_INPUTS) for a in applications], dtype=np.float64
    ).reshape(n, len(_NUMERIC_INPUTS))
    categorical = np.array(
        [_fields(a, _CATEGORICAL_GETTER, APPLICATION_CATEGORICAL_FEATURES) for a in applications],
        dtype=object,
    ).reshape(n, len(APPLICATION_CATEGORICAL_FEATURES))
    by_column = np.ascontiguousarray(numeric.T)  # one contiguous array per feature
    columns: dict[str, Any] = dict(zip(_NUMERIC_INPUTS, by_column, strict=True))
    columns.update(zip(APPLICATION_CATEGORICAL_FEATURES, categorical.T, strict=True))
    return columns


#: Raw fields of many applications as columns (public name of :func:`_columns`).
application_columns = _columns


def build_feature_row(
    application: Mapping[str, Any],
    history_row: NDArray[np.float64] | None,
    *,
    feature_set: FeatureSet,
    vocabularies: Mapping[str, Vocabulary],
    history_columns: Sequence[str] | None = None,
) -> NDArray[np.float64]:
    """One model row (float64, ``feature_set.model_features`` order) for one application."""
    builder = OnlineFeatureBuilder(feature_set, vocabularies, history_columns)
    return builder.row(application, history_row)
