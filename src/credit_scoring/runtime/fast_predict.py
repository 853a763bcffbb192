"""Single-row LightGBM prediction without per-call setup.

``Booster.predict`` rebuilds a predictor on each call (≈ 30 µs of overhead for one row, and
for ``pred_contrib`` it re-walks every tree first). LightGBM's C API has a "fast single row"
path that keeps the predictor configured between calls; it is used here through the ctypes
handle LightGBM's own Python package exposes. If that handle is ever missing, the public
``Booster.predict(..., num_threads=1)`` is used instead; a test checks both agree exactly.
"""

from __future__ import annotations

import contextlib
import ctypes
from typing import Any

import lightgbm as lgb
import numpy as np
from numpy.typing import NDArray

_PREDICT_RAW_SCORE = 1
_PREDICT_CONTRIB = 3
_DTYPE_FLOAT64 = 1


def _c_api() -> tuple[Any, Any] | None:
    try:
        from lightgbm.basic import _LIB, _safe_call
    except ImportError:  # pragma: no cover - depends on LightGBM internals
        return None
    if not hasattr(_LIB, "LGBM_BoosterPredictForMatSingleRowFast"):  # pragma: no cover
        return None
    return _LIB, _safe_call


class SingleRowPredictor:
    """Raw score or contributions of one float64 row, one thread, no Python-side setup."""

    def __init__(self, booster: lgb.Booster, *, use_c_api: bool = True) -> None:
        self._booster = booster
        self._n_features = booster.num_feature()
        self._configs: dict[int, ctypes.c_void_p] = {}
        api = _c_api() if use_c_api else None
        self._lib: Any = None
        self._safe_call: Any = None
        if api is not None:
            self._lib, self._safe_call = api
            for kind in (_PREDICT_RAW_SCORE, _PREDICT_CONTRIB):
                config = ctypes.c_void_p()
                self._safe_call(
                    self._lib.LGBM_BoosterPredictForMatSingleRowFastInit(
                        booster._handle,
                        ctypes.c_int(kind),
                        ctypes.c_int(0),
                        ctypes.c_int(-1),
                        ctypes.c_int(_DTYPE_FLOAT64),
                        ctypes.c_int32(self._n_features),
                        b"num_threads=1",
                        ctypes.byref(config),
                    )
                )
                self._configs[kind] = config

    @property
    def uses_c_api(self) -> bool:
        return bool(self._configs)

    def _fast(self, kind: int, row: NDArray[np.float64], size: int) -> NDArray[np.float64]:
        out = np.empty(size, dtype=np.float64)
        out_len = ctypes.c_int64()
        self._safe_call(
            self._lib.LGBM_BoosterPredictForMatSingleRowFast(
                self._configs[kind],
                row.ctypes.data_as(ctypes.c_void_p),
                ctypes.byref(out_len),
                out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
            )
        )
        return out

    def _row(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        row = np.ascontiguousarray(x, dtype=np.float64).ravel()
        if row.size != self._n_features:
            raise ValueError(f"row has {row.size} values; the model expects {self._n_features}")
        return row

    def raw_score(self, x: NDArray[np.float64]) -> float:
        """The row's raw score (log-odds of default)."""
        row = self._row(x)
        if self._configs:
            return float(self._fast(_PREDICT_RAW_SCORE, row, 1)[0])
        return float(self._booster.predict(row.reshape(1, -1), raw_score=True, num_threads=1)[0])

    def contributions(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        """``pred_contrib`` of the row: one log-odds contribution per feature, then the base."""
        row = self._row(x)
        if self._configs:
            return self._fast(_PREDICT_CONTRIB, row, self._n_features + 1)
        return np.asarray(
            self._booster.predict(row.reshape(1, -1), pred_contrib=True, num_threads=1)
        ).ravel()

    def close(self) -> None:
        if self._lib is not None:
            for config in self._configs.values():
                self._lib.LGBM_FastConfigFree(config)
        self._configs = {}

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # interpreter shutdown
            self.close()
