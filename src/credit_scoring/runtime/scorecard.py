"""Probability of default → score points (higher is safer).

``points = base_points + pdo / ln 2 · ln(odds / base_odds)`` with ``odds = (1 − p) / p`` the
good:bad odds. The defaults put 600 points at 50:1 odds and add 20 points each time the odds
double, so a probability of default of 8.07 % scores about 557.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: Probabilities are clipped to [EPS, 1 − EPS] so a calibrated 0 or 1 still has finite points.
EPS = 1e-6


@dataclass(frozen=True)
class ScoreScaling:
    """Score scale: ``base_points`` at ``base_odds`` good:bad, ``pdo`` points to double odds."""

    base_points: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    def __post_init__(self) -> None:
        if self.base_odds <= 0 or self.pdo <= 0:
            raise ValueError("base_odds and pdo must be positive")

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2.0)

    def points(self, prob: ArrayLike) -> NDArray[np.float64]:
        """Score points of probabilities of default in [0, 1]."""
        p = np.clip(np.asarray(prob, dtype=np.float64), EPS, 1.0 - EPS)
        odds = (1.0 - p) / p / self.base_odds
        # libm's log value by value, as points_one (NumPy's may differ in the last bit).
        log = np.fromiter(map(math.log, odds.ravel().tolist()), dtype=np.float64, count=odds.size)
        return self.base_points + self.factor * log.reshape(odds.shape)

    def points_one(self, prob: float) -> float:
        p = min(max(prob, EPS), 1.0 - EPS)
        return self.base_points + self.factor * math.log((1.0 - p) / p / self.base_odds)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> ScoreScaling:
        return cls(**{k: float(payload[k]) for k in ("base_points", "base_odds", "pdo")})
