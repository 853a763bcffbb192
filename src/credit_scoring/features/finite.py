"""What the feature builder and the history store refuse: inputs outside the contract's
physical bounds and non-finite features (never written, never published).

NaN (a missing value) is allowed; ±inf is not: an infinite aggregate (e.g. a sum over an
absurd ``1e308``) would reach the model or the API as a value far from its cause.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from credit_scoring.errors import DataContractError
from credit_scoring.features.feature_set import KEY_COLUMN
from credit_scoring.schema import table

EXAMPLES = 3


def check_input_bounds(frame: pd.DataFrame, table_name: str, *, file: str) -> None:
    """Refuse application rows outside the contract's physical bounds (as the loader, the API
    and ``score-batch`` do), naming the file, the column and a few client ids."""
    contract = table(table_name)
    for column in contract.columns:
        if column.is_categorical or column.name not in frame.columns:
            continue
        lo, hi = column.hard_limits
        values = frame[column.name].to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isinf(values) | column.outside(values, low=lo, high=hi)
        if bad.any():
            ids = frame[KEY_COLUMN].to_numpy()[bad][:EXAMPLES].tolist()
            raise DataContractError(
                f"{file}: column {column.name}: {int(bad.sum()):,} value(s) outside the "
                f"contract's bounds (expected {column.physical_text()}); e.g. "
                f"{KEY_COLUMN} {', '.join(str(i) for i in ids)} — load the data again with "
                "`credit-scoring data load`"
            )


def check_finite_arrow(features: pa.Table, *, what: str) -> None:
    """Refuse a feature table holding ±inf, naming the column and a few client ids."""
    for name in features.column_names:
        column = features.column(name)
        if name == KEY_COLUMN or not pa.types.is_floating(column.type):
            continue
        infinite = pc.is_inf(column)
        if pc.any(infinite).as_py():
            count = pc.sum(pc.cast(infinite, pa.int64())).as_py()
            ids = features.column(KEY_COLUMN).filter(infinite).to_pylist()[:EXAMPLES]
            raise DataContractError(
                f"{what}: feature {name} is infinite for {count:,} client(s), e.g. "
                f"{KEY_COLUMN} {', '.join(str(i) for i in ids)}; expected finite values — an "
                "input value beyond the contract's physical bounds? Load the data again with "
                "`credit-scoring data load`; nothing was written"
            )


def check_finite_frame(frame: pd.DataFrame, *, what: str) -> None:
    """:func:`check_finite_arrow` for a pandas feature table."""
    numeric = frame.select_dtypes(include="number")
    for name in numeric.columns:
        if name == KEY_COLUMN:
            continue
        infinite = np.isinf(numeric[name].to_numpy(dtype=np.float64, na_value=np.nan))
        if infinite.any():
            ids = frame[KEY_COLUMN].to_numpy()[infinite][:EXAMPLES].tolist()
            raise DataContractError(
                f"{what}: feature {name} is infinite for {int(infinite.sum()):,} row(s), e.g. "
                f"{KEY_COLUMN} {', '.join(str(i) for i in ids)}; expected finite values; "
                "nothing was written"
            )
