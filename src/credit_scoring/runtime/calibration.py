"""Probability calibration fitted out of fold and stored as plain numbers.

The map takes the model's raw score (log-odds) to a calibrated probability of default. Every
map is **strictly increasing**, so calibration never creates ties and never changes the
ranking (the calibrated AUC equals the raw AUC), and every probability lies in the open
interval ``[PROB_MIN, PROB_MAX] = [1e-4, 1 − 1e-4]`` (a probability of default is never 0
or 1; the points scale then spans about 447 … 753).

Two methods:

- ``platt``: ``p = 1 / (1 + exp(-(a·raw + b)))`` (two numbers, ``a > 0``).
- ``isotonic``: isotonic regression made strictly increasing — one knot per constant block of
  the fitted step function (the block's mean raw score, the logit of its default rate with
  half an event added),
  joined by straight lines in log-odds and continued beyond the first and last knot with the
  Platt slope. A plain isotonic step map has a few dozen levels: it ties thousands of
  applicants, cuts the AUC and returns exact 0 and 1.

The maps are fitted in :mod:`credit_scoring.training.calibration`. No fitted
estimator is ever pickled; the same numbers are reapplied identically when a bundle is loaded,
and a single row gets the very value its row gets in an array (libm's ``exp``, value by value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from credit_scoring.errors import BundleIntegrityError

Method = Literal["platt", "isotonic"]

#: Every probability the model outputs lies in [PROB_MIN, PROB_MAX] (an open interval of (0, 1)).
PROB_MIN = 1e-4
PROB_MAX = 1.0 - 1e-4


def clip_probability(prob: NDArray[np.float64]) -> NDArray[np.float64]:
    """``prob`` clipped into [PROB_MIN, PROB_MAX]."""
    return np.clip(prob, PROB_MIN, PROB_MAX)


def _sigmoid_one(z: float) -> float:
    p = 1.0 / (1.0 + math.exp(-z)) if z > -700.0 else 0.0
    return min(max(p, PROB_MIN), PROB_MAX)


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    # libm's exp value by value, as _sigmoid_one: NumPy's vectorised exp may differ in the
    # last bit, and a batch must give the API's probabilities.
    exp = math.exp
    e = np.fromiter(
        (exp(-v) if v > -700.0 else math.inf for v in z.ravel().tolist()),
        dtype=np.float64,
        count=z.size,
    ).reshape(z.shape)
    return clip_probability(1.0 / (1.0 + e))


@dataclass(frozen=True)
class Calibration:
    """A fitted, strictly increasing map from raw log-odds to probability of default.

    ``platt``: ``a``, ``b``. ``isotonic``: knots ``x`` (raw scores, strictly increasing) and
    ``z`` (log-odds, strictly increasing), tails of slope ``a`` beyond the end knots.
    """

    method: Method
    a: float = 1.0
    b: float = 0.0
    x: tuple[float, ...] = ()
    z: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not self.a > 0.0:
            raise BundleIntegrityError(f"calibration slope must be positive, got {self.a}")
        if self.method == "isotonic":
            x, z = np.asarray(self.x, dtype=np.float64), np.asarray(self.z, dtype=np.float64)
            if len(x) != len(z) or not len(x):
                raise BundleIntegrityError("isotonic calibration needs as many x as z knots")
            if np.any(np.diff(x) <= 0) or np.any(np.diff(z) <= 0):
                raise BundleIntegrityError("isotonic calibration knots must strictly increase")
        # numpy copies for the isotonic path, built once (the map is applied per request).
        object.__setattr__(self, "_x", np.asarray(self.x, dtype=np.float64))
        object.__setattr__(self, "_z", np.asarray(self.z, dtype=np.float64))

    def log_odds(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated log-odds of an array of raw scores (strictly increasing in ``raw``)."""
        raw = np.asarray(raw, dtype=np.float64)
        if self.method == "platt":
            return self.a * raw + self.b
        x: NDArray[np.float64] = self._x  # type: ignore[attr-defined]
        z: NDArray[np.float64] = self._z  # type: ignore[attr-defined]
        inside = np.interp(raw, x, z)
        below = z[0] + self.a * (raw - x[0])
        above = z[-1] + self.a * (raw - x[-1])
        return np.where(raw < x[0], below, np.where(raw > x[-1], above, inside))

    def apply(self, raw: NDArray[np.float64]) -> NDArray[np.float64]:
        """Calibrated probabilities of an array of raw scores, in [PROB_MIN, PROB_MAX]."""
        return _sigmoid(self.log_odds(np.asarray(raw, dtype=np.float64)))

    def apply_one(self, raw: float) -> float:
        """Calibrated probability of a single raw score; equal to :meth:`apply` of the row."""
        if self.method == "platt":
            return _sigmoid_one(self.a * raw + self.b)
        return float(self.apply(np.array([raw], dtype=np.float64))[0])

    def to_json(self) -> dict[str, Any]:
        if self.method == "platt":
            return {"method": "platt", "a": self.a, "b": self.b}
        return {"method": "isotonic", "a": self.a, "x": list(self.x), "z": list(self.z)}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Calibration:
        method = payload.get("method")
        try:
            if method == "platt":
                return cls("platt", a=float(payload["a"]), b=float(payload["b"]))
            if method == "isotonic":
                return cls(
                    "isotonic",
                    a=float(payload["a"]),
                    x=tuple(float(v) for v in payload["x"]),
                    z=tuple(float(v) for v in payload["z"]),
                )
        except KeyError as exc:
            raise BundleIntegrityError(f"{method} calibration lacks {exc}") from exc
        raise BundleIntegrityError(f"unknown calibration method {method!r}")


IDENTITY = Calibration("platt", a=1.0, b=0.0)
