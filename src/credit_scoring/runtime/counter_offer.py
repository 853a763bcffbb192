"""Counter-offers: the largest credit amount the same model would approve.

For a REFUSE or REVIEW decision, the application is scored again at a grid of smaller credit
amounts, from a floor (``floor_share`` of the request, 30 % by default) up to the request in
steps of ``step_share``, each rounded down to ``rounding`` currency units. At each amount the
annuity is scaled in proportion (same term) and the goods price likewise, capped at the
amount. The offer is the largest grid amount whose decision is APPROVE, or none.

Every grid point is scored by the same code as the decision: the application features are
recomputed by the same vectorised function, the model row is the decision's own row with the
amount-dependent features replaced, and the whole grid of every application is predicted in
one call. Which features depend on the amounts is found once per model by probing the feature
function itself (two inputs differing only in the amounts), so no feature formula is copied
here. Because the whole grid is scored, no monotonicity of the probability in the amount is
assumed: a monotone constraint on ``AMT_CREDIT`` acts on one feature among several that move
with the amount (credit/income, annuity/income, credit/goods …), so it does not make the
probability monotone by itself. Cost: ``benchmarks/bench_counter_offer.py``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from credit_scoring.features.application import (
    APPLICATION_CATEGORICAL_FEATURES,
    APPLICATION_INPUT_COLUMNS,
    application_features,
)
from credit_scoring.runtime.bundle import Decision, FrameScores
from credit_scoring.settings import Settings

CREDIT, ANNUITY, GOODS = "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"
AMOUNT_INPUTS = (CREDIT, ANNUITY, GOODS)
APPROVE = str(Decision.APPROVE)
NUMERIC_INPUTS = tuple(
    c for c in APPLICATION_INPUT_COLUMNS if c not in set(APPLICATION_CATEGORICAL_FEATURES)
)


class MatrixScorer(Protocol):
    def score_matrix(
        self,
        matrix: NDArray[np.float64],
        *,
        review_band: float | None = None,
        num_threads: int | None = None,
    ) -> FrameScores: ...


class NumericFeatures(Protocol):
    @property
    def numeric_features(self) -> list[tuple[int, str]]: ...


@dataclass(frozen=True)
class CounterOfferPolicy:
    """The grid: ``floor_share`` … ``1 - step_share`` of the requested amount, rounded down
    to ``rounding`` currency units (never below the floor)."""

    floor_share: float = 0.30
    step_share: float = 0.05
    rounding: float = 1000.0

    def __post_init__(self) -> None:
        if not 0.0 < self.floor_share < 1.0:
            raise ValueError(f"floor_share must be in (0, 1), not {self.floor_share}")
        if not 0.0 < self.step_share < 1.0:
            raise ValueError(f"step_share must be in (0, 1), not {self.step_share}")
        if self.rounding <= 0:
            raise ValueError(f"rounding must be positive, not {self.rounding}")

    @property
    def shares(self) -> NDArray[np.float64]:
        n = math.floor((1.0 - self.floor_share) / self.step_share - 1e-9) + 1
        shares = self.floor_share + self.step_share * np.arange(n, dtype=np.float64)
        return np.asarray(shares[shares < 1.0 - 1e-9], dtype=np.float64)

    def amounts(self, requested: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(len(requested), len(shares))`` grid amounts, ascending along each row."""
        requested = np.asarray(requested, dtype=np.float64).reshape(-1, 1)
        raw = requested * self.shares.reshape(1, -1)
        rounded = np.floor(raw / self.rounding) * self.rounding
        floor = np.ceil(requested * self.floor_share)
        return np.minimum(np.maximum(rounded, floor), requested)


def policy_from_settings(settings: Settings) -> CounterOfferPolicy | None:
    """The counter-offer grid of ``settings`` (None when counter-offers are off)."""
    if not settings.counter_offers:
        return None
    return CounterOfferPolicy(
        floor_share=settings.counter_offer_floor,
        step_share=settings.counter_offer_step,
        rounding=settings.counter_offer_rounding,
    )


@dataclass(frozen=True)
class CounterOffer:
    """An approvable offer: credit amount, annuity and goods price (currency units), its
    calibrated probability of default and score points."""

    amount: float
    annuity: float | None
    goods_price: float | None
    probability: float
    points: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "amount": self.amount,
            "annuity": self.annuity,
            "goods_price": self.goods_price,
            "probability": self.probability,
            "points": self.points,
        }


@functools.cache
def amount_dependent_features() -> frozenset[str]:
    """Application features whose value moves with the amounts, found by probing
    :func:`application_features` with two inputs that differ only in the amounts."""
    rng = np.random.default_rng(0)
    columns = {name: np.repeat(rng.uniform(1.0, 2.0), 2) for name in NUMERIC_INPUTS}
    for name in AMOUNT_INPUTS:
        columns[name] = columns[name] * np.array([1.0, 0.37])
    features = application_features(columns)
    moved = set()
    for name, values in features.items():
        values = np.asarray(values)
        if values.dtype.kind == "f" and not (
            values[0] == values[1] or (np.isnan(values[0]) and np.isnan(values[1]))
        ):
            moved.add(name)
    return frozenset(moved)


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 2)


class CounterOfferSearch:
    """Counter-offers of a model: its feature builder (for the column of each feature), its
    scorer, its review band and the grid policy. Built once per model load."""

    def __init__(
        self,
        builder: NumericFeatures,
        scorer: MatrixScorer,
        *,
        review_band: float,
        policy: CounterOfferPolicy,
    ) -> None:
        dependent = amount_dependent_features()
        self._dependent = [(j, name) for j, name in builder.numeric_features if name in dependent]
        self.scorer = scorer
        self.review_band = review_band
        self.policy = policy

    def offers(
        self, rows: NDArray[np.float64], inputs: Mapping[str, Any]
    ) -> list[CounterOffer | None]:
        """The counter-offer of each application: ``rows`` are their model rows (as decided),
        ``inputs`` their raw numeric fields as columns (name → one value per application;
        absent names are missing). ``None`` where no grid amount is approved, or where
        nothing can be lent less of (a missing or sub-unit request)."""
        m = len(rows)
        offers: list[CounterOffer | None] = [None] * m
        credit = np.asarray(inputs[CREDIT], dtype=np.float64).reshape(m)
        usable = np.flatnonzero(np.isfinite(credit) & (credit >= 1.0))
        if not len(usable):
            return offers
        names = [n for n in NUMERIC_INPUTS if n in inputs]
        numeric = np.array([inputs[n] for n in names], dtype=np.float64).reshape(len(names), m)
        numeric = numeric[:, usable]
        amounts = self.policy.amounts(credit[usable])  # (u, k)
        k = amounts.shape[1]
        flat_amounts = amounts.ravel()
        ratio = flat_amounts / np.repeat(credit[usable], k)
        grid = dict(zip(names, np.repeat(numeric, k, axis=1), strict=True))
        grid[CREDIT] = flat_amounts
        annuity = grid.get(ANNUITY)
        if annuity is not None:
            grid[ANNUITY] = annuity * ratio
        goods = grid.get(GOODS)
        if goods is not None:
            scaled = goods * ratio
            grid[GOODS] = np.where(scaled > flat_amounts, flat_amounts, scaled)
        with np.errstate(over="ignore"):  # an overflowing ratio is inf, as on the decision
            features = application_features(grid)
        matrix = np.repeat(np.asarray(rows, dtype=np.float64)[usable], k, axis=0)
        for j, name in self._dependent:
            matrix[:, j] = features[name]
        scores = self.scorer.score_matrix(matrix, review_band=self.review_band, num_threads=1)
        approved = (scores.decision == APPROVE).reshape(len(usable), k)
        for u, i in enumerate(usable.tolist()):
            hits = np.flatnonzero(approved[u])
            if not hits.size:
                continue
            j = u * k + int(hits[-1])
            offers[i] = CounterOffer(
                amount=float(flat_amounts[j]),
                annuity=_number(grid[ANNUITY][j]) if ANNUITY in grid else None,
                goods_price=_number(grid[GOODS][j]) if GOODS in grid else None,
                probability=float(scores.probability[j]),
                points=round(float(scores.points[j])),
            )
        return offers
