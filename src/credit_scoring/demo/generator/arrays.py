"""The array types every generator module speaks: one column's values and a table's columns.

Categorical values are ``int16`` codes into the schema vocabulary of their column
(``NULL_CODE`` of :mod:`credit_scoring.demo.generator.sampling` for missing) until the writer
turns them into strings.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Codes = NDArray[np.int16]
Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Bools = NDArray[np.bool_]
#: One generated table (or chunk of it): column name → values, in any order.
Columns = dict[str, np.ndarray]
