"""Refusing training sets a model cannot honestly be fitted or judged on.

:func:`check_training_set` runs first in training: it needs at least :data:`MIN_ROWS` rows,
both classes, and at least :data:`MIN_EVENTS_PER_FOLD` rows of each class in every
cross-validation fold (else a fold's AUC is undefined and its calibration meaningless); and a
finite matrix (NaN is a missing value; ±inf is refused, naming the column).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from credit_scoring.errors import DataContractError

#: Fewest labelled rows a model is trained on.
MIN_ROWS = 200
#: Fewest rows of each class (defaults and repaid loans) per cross-validation fold.
MIN_EVENTS_PER_FOLD = 5


class _Matrix(Protocol):
    @property
    def features(self) -> tuple[str, ...]: ...

    @property
    def X(self) -> NDArray[np.float64]: ...  # noqa: N802 — the matrix's conventional name

    @property
    def y(self) -> NDArray[np.int8]: ...


def check_training_set(data: _Matrix, *, n_folds: int) -> None:
    """Raise :class:`~credit_scoring.errors.DataContractError` for a degenerate training set
    (too few rows, one class, too few of a class per fold) or a non-finite feature matrix,
    stating the minimums."""
    rows = len(data.y)
    positives = int(np.count_nonzero(data.y == 1))
    negatives = rows - positives
    needed = MIN_EVENTS_PER_FOLD * n_folds
    if rows < MIN_ROWS:
        raise DataContractError(
            f"the training set has {rows:,} rows; training needs at least {MIN_ROWS:,} "
            f"labelled rows, with at least {needed:,} of each class ({MIN_EVENTS_PER_FOLD} per "
            f"fold × {n_folds} folds)"
        )
    if positives == 0 or negatives == 0:
        only = "defaults (TARGET = 1)" if negatives == 0 else "repaid loans (TARGET = 0)"
        raise DataContractError(
            f"the training set holds only {only}: training needs both classes, at least "
            f"{needed:,} rows of each ({MIN_EVENTS_PER_FOLD} per fold × {n_folds} folds)"
        )
    if min(positives, negatives) < needed:
        raise DataContractError(
            f"the training set has {positives:,} defaults (TARGET = 1) and {negatives:,} repaid "
            f"loans (TARGET = 0); with {n_folds} folds training needs at least {needed:,} of "
            f"each class ({MIN_EVENTS_PER_FOLD} per fold) — add data or use fewer folds"
        )
    check_finite_matrix(data.X, data.features)


def check_finite_matrix(X: NDArray[np.float64], features: tuple[str, ...]) -> None:
    """Raise naming the first column holding ±inf (NaN, a missing value, is allowed)."""
    infinite = np.isinf(X)
    if not infinite.any():
        return
    columns = np.flatnonzero(infinite.any(axis=0))
    first = int(columns[0])
    rows = int(np.count_nonzero(infinite[:, first]))
    others = f" (and {len(columns) - 1} more column(s))" if len(columns) > 1 else ""
    raise DataContractError(
        f"feature {features[first]} holds {rows:,} infinite value(s){others}; expected finite "
        "numbers or missing values — rebuild the features from data within the contract's "
        "physical bounds (`credit-scoring data load`, `features build`)"
    )
