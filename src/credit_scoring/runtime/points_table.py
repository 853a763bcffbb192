"""A scorecard served from its points table: plain numbers, no fitted estimator, no pickle.

Each characteristic (a model feature) has bins and points per bin; an application's score is
the sum of its bins' points, and the points are on the project's score scale
(:class:`~credit_scoring.runtime.scorecard.ScoreScaling`: ``points = offset − factor · log-odds
of default`` with ``offset = base_points − factor · ln(base_odds)``), so the probability of
default is ``1 / (1 + exp(−(offset − score) / factor))``, clipped into the open interval of
:mod:`~credit_scoring.runtime.calibration`.

Bins: a numerical characteristic has increasing ``splits`` s₁ < … < sₖ and k + 1 bins
``(−∞, s₁) [s₁, s₂) … [sₖ, +∞)`` plus a bin for missing values; a categorical characteristic
has lists of category codes (the bundle's vocabulary codes), a missing bin and the points of
any other code (a category unseen by the scorecard).

Reasons come from the points: a characteristic's contribution toward default is the points
it lost against the best bin of that characteristic, in log-odds (``lost / factor``); the
last column (the base) makes the contributions add up to the raw log-odds, as LightGBM's
``pred_contrib`` does.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credit_scoring.errors import BundleIntegrityError
from credit_scoring.runtime.scorecard import ScoreScaling

POINTS_TABLE_FORMAT = "points-table-1"


@dataclass(frozen=True)
class Characteristic:
    """One characteristic: its bins, the points of each, and the label of each bin."""

    feature: str
    kind: str  # "numerical" | "categorical"
    points: tuple[float, ...]
    missing_points: float
    labels: tuple[str, ...]
    splits: tuple[float, ...] = ()
    categories: tuple[tuple[float, ...], ...] = ()
    other_points: float = 0.0

    def __post_init__(self) -> None:
        if self.kind == "numerical":
            if len(self.points) != len(self.splits) + 1:
                raise BundleIntegrityError(
                    f"scorecard characteristic {self.feature}: {len(self.splits)} split(s) need "
                    f"{len(self.splits) + 1} points, found {len(self.points)}"
                )
            if any(b <= a for a, b in zip(self.splits, self.splits[1:], strict=False)):
                raise BundleIntegrityError(f"scorecard {self.feature}: splits must increase")
        elif self.kind == "categorical":
            if len(self.points) != len(self.categories):
                raise BundleIntegrityError(
                    f"scorecard characteristic {self.feature}: {len(self.categories)} bin(s), "
                    f"{len(self.points)} points"
                )
            lookup = {
                c: p for cats, p in zip(self.categories, self.points, strict=True) for c in cats
            }
            object.__setattr__(self, "_lookup", lookup)
        else:
            raise BundleIntegrityError(f"scorecard {self.feature}: unknown kind {self.kind!r}")
        object.__setattr__(self, "_splits", np.asarray(self.splits, dtype=np.float64))
        object.__setattr__(self, "_points", np.asarray(self.points, dtype=np.float64))

    @property
    def best_points(self) -> float:
        """The most points any value of this characteristic can get."""
        extra = (self.other_points,) if self.kind == "categorical" else ()
        return max((*self.points, self.missing_points, *extra))

    def points_of(self, values: NDArray[np.float64]) -> NDArray[np.float64]:
        """Points of each value of this characteristic's column."""
        values = np.asarray(values, dtype=np.float64)
        missing = np.isnan(values)
        if self.kind == "numerical":
            splits: NDArray[np.float64] = self._splits  # type: ignore[attr-defined]
            points: NDArray[np.float64] = self._points  # type: ignore[attr-defined]
            index = np.searchsorted(splits, values, side="right")
            out = points[np.minimum(index, len(self.points) - 1)]
        else:
            lookup: dict[float, float] = self._lookup  # type: ignore[attr-defined]
            out = np.array(
                [lookup.get(v, self.other_points) for v in values.tolist()], dtype=np.float64
            )
        return np.where(missing, self.missing_points, out)

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "feature": self.feature,
            "kind": self.kind,
            "points": list(self.points),
            "missing_points": self.missing_points,
            "labels": list(self.labels),
        }
        if self.kind == "numerical":
            payload["splits"] = list(self.splits)
        else:
            payload["categories"] = [list(c) for c in self.categories]
            payload["other_points"] = self.other_points
        return payload

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Characteristic:
        try:
            return cls(
                feature=str(payload["feature"]),
                kind=str(payload["kind"]),
                points=tuple(float(v) for v in payload["points"]),
                missing_points=float(payload["missing_points"]),
                labels=tuple(str(v) for v in payload["labels"]),
                splits=tuple(float(v) for v in payload.get("splits", ())),
                categories=tuple(
                    tuple(float(c) for c in cats) for cats in payload.get("categories", ())
                ),
                other_points=float(payload.get("other_points", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleIntegrityError(f"unreadable scorecard characteristic ({exc})") from exc


@dataclass(frozen=True)
class PointsTable:
    """A scorecard: characteristics in order and the score scale its points are on."""

    characteristics: tuple[Characteristic, ...]
    scaling: ScoreScaling

    @property
    def offset(self) -> float:
        return self.scaling.base_points - self.scaling.factor * math.log(self.scaling.base_odds)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(c.feature for c in self.characteristics)

    def bind(self, model_features: Sequence[str]) -> BoundPointsTable:
        """The table wired to a model matrix's columns (``model_features`` order)."""
        position = {name: j for j, name in enumerate(model_features)}
        unknown = [f for f in self.features if f not in position]
        if unknown:
            raise BundleIntegrityError(f"scorecard characteristic(s) {unknown} not model features")
        return BoundPointsTable(
            self, tuple(position[f] for f in self.features), len(model_features)
        )

    def rows(self) -> list[dict[str, Any]]:
        """The table as rows (characteristic, bin, points): the model card and the CSV."""
        out: list[dict[str, Any]] = []
        for c in self.characteristics:
            for label, points in zip(c.labels, c.points, strict=True):
                out.append({"characteristic": c.feature, "bin": label, "points": points})
            out.append({"characteristic": c.feature, "bin": "missing", "points": c.missing_points})
            if c.kind == "categorical":
                out.append(
                    {"characteristic": c.feature, "bin": "any other", "points": c.other_points}
                )
        return out

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=["characteristic", "bin", "points"])
        writer.writeheader()
        for row in self.rows():
            writer.writerow({**row, "points": f"{row['points']:.4f}"})
        return buffer.getvalue()

    def to_json(self) -> dict[str, Any]:
        return {
            "format": POINTS_TABLE_FORMAT,
            "score_scaling": self.scaling.to_json(),
            "characteristics": [c.to_json() for c in self.characteristics],
        }

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> PointsTable:
        if payload.get("format") != POINTS_TABLE_FORMAT:
            raise BundleIntegrityError(
                f"scorecard format {payload.get('format')!r}; this code reads {POINTS_TABLE_FORMAT}"
            )
        return cls(
            tuple(Characteristic.from_json(c) for c in payload["characteristics"]),
            ScoreScaling.from_json(payload["score_scaling"]),
        )


@dataclass(frozen=True)
class BoundPointsTable:
    """A points table reading model-matrix rows: scores, raw log-odds and contributions."""

    table: PointsTable
    columns: tuple[int, ...]
    n_features: int

    def points_matrix(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(rows, characteristics)`` points of each row."""
        matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
        return (
            np.column_stack(
                [
                    c.points_of(matrix[:, j])
                    for c, j in zip(self.table.characteristics, self.columns, strict=True)
                ]
            )
            if self.columns
            else np.zeros((len(matrix), 0))
        )

    def score(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """Total points of each row (characteristics summed in table order)."""
        points = self.points_matrix(matrix)
        total = np.zeros(len(points), dtype=np.float64)
        for k in range(points.shape[1]):
            total = total + points[:, k]
        return total

    def raw_score(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """Log-odds of default of each row, from its points."""
        return (self.table.offset - self.score(matrix)) / self.table.scaling.factor

    def raw_score_one(self, x: NDArray[np.float64]) -> float:
        return float(self.raw_score(np.asarray(x, dtype=np.float64).reshape(1, -1))[0])

    def contributions(self, matrix: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(rows, model features + 1)``: each characteristic's points lost against its best
        bin, in log-odds (≥ 0), in its model column; other columns 0; the last column the base
        (so a row sums to its raw log-odds)."""
        matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
        points = self.points_matrix(matrix)
        best = np.array([c.best_points for c in self.table.characteristics], dtype=np.float64)
        out = np.zeros((len(matrix), self.n_features + 1), dtype=np.float64)
        lost = (best - points) / self.table.scaling.factor
        out[:, list(self.columns)] = lost
        out[:, -1] = self.raw_score(matrix) - lost.sum(axis=1)
        return out
