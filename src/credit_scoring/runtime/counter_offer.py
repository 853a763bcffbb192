"""Counter-offers: the largest credit amount the same model would approve.

For a REFUSE or REVIEW decision, the application is scored again at a grid of smaller credit
amounts, from a floor (``floor_share`` of the request, 30 % by default) up to the request in
steps of ``step_share``, each rounded down to ``rounding`` currency units. At each amount the
annuity is scaled in proportion (same term) and the goods price likewise, capped at the
amount. Every grid point goes through the same feature builder and the same scoring code as
the decision itself, all applications' grids in one predict call; the offer is the largest
amount whose decision is APPROVE, or none.

The whole grid is scored, so no monotonicity of the probability in the amount is assumed:
the model's monotone constraint on ``AMT_CREDIT`` (when trained with one) acts on one feature
among several that move with the amount (credit/income, annuity/income, credit/goods …), so
it does not make the probability monotone by itself. With 14 grid points the cost per
refused application is measured in ``benchmarks/bench_counter_offer.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from credit_scoring.model.bundle import Decision, FrameScores

CREDIT, ANNUITY, GOODS = "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"
APPROVE = str(Decision.APPROVE)


class RowBuilder(Protocol):
    def rows_from_columns(
        self,
        columns: Mapping[str, Any],
        history_rows: NDArray[np.float64],
        found: NDArray[np.bool_],
    ) -> NDArray[np.float64]: ...


class MatrixScorer(Protocol):
    def score_matrix(
        self,
        matrix: NDArray[np.float64],
        *,
        review_band: float | None = None,
        num_threads: int | None = None,
    ) -> FrameScores: ...


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
        n = int(math.floor((1.0 - self.floor_share) / self.step_share - 1e-9)) + 1
        shares = self.floor_share + self.step_share * np.arange(n)
        return shares[shares < 1.0 - 1e-9]

    def amounts(self, requested: NDArray[np.float64]) -> NDArray[np.float64]:
        """``(len(requested), len(shares))`` grid amounts, ascending along each row."""
        requested = np.asarray(requested, dtype=np.float64).reshape(-1, 1)
        raw = requested * self.shares.reshape(1, -1)
        rounded = np.floor(raw / self.rounding) * self.rounding
        floor = np.ceil(requested * self.floor_share)
        return np.minimum(np.maximum(rounded, floor), requested)


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


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 2)


def counter_offers(
    columns: Mapping[str, Any],
    history_rows: NDArray[np.float64],
    found: NDArray[np.bool_],
    *,
    builder: RowBuilder,
    scorer: MatrixScorer,
    review_band: float,
    policy: CounterOfferPolicy,
) -> list[CounterOffer | None]:
    """The counter-offer of each application given as columns (the column input of the
    feature builder; typically only the refused or reviewed ones), ``None`` where no grid
    amount is approved."""
    credit = np.asarray(columns[CREDIT], dtype=np.float64)
    m = len(credit)
    # Nothing to lend less of: a missing, zero or sub-unit request gets no offer.
    usable = np.isfinite(credit) & (credit >= 1.0)
    if not usable.all():
        keep = np.flatnonzero(usable)
        partial = counter_offers(
            {name: np.asarray(values)[keep] for name, values in columns.items()},
            np.asarray(history_rows)[keep], np.asarray(found)[keep], builder=builder,
            scorer=scorer, review_band=review_band, policy=policy,
        )  # fmt: skip
        offers: list[CounterOffer | None] = [None] * m
        for i, offer in zip(keep.tolist(), partial, strict=True):
            offers[i] = offer
        return offers
    if m == 0:
        return []
    amounts = policy.amounts(credit)  # (m, k)
    k = amounts.shape[1]
    ratio = (amounts / credit.reshape(-1, 1)).ravel()
    grid = {name: np.repeat(np.asarray(values), k) for name, values in columns.items()}
    flat_amounts = amounts.ravel()
    grid[CREDIT] = flat_amounts
    if ANNUITY in grid:
        grid[ANNUITY] = np.asarray(grid[ANNUITY], dtype=np.float64) * ratio
    if GOODS in grid:
        goods = np.asarray(grid[GOODS], dtype=np.float64) * ratio
        grid[GOODS] = np.where(goods > flat_amounts, flat_amounts, goods)
    rows = builder.rows_from_columns(
        grid, np.repeat(np.asarray(history_rows), k, axis=0), np.repeat(found, k)
    )
    scores = scorer.score_matrix(rows, review_band=review_band, num_threads=1)
    approved = (scores.decision == APPROVE).reshape(m, k)
    offers = []
    for i in range(m):
        hits = np.flatnonzero(approved[i])
        if not hits.size:
            offers.append(None)
            continue
        j = i * k + int(hits[-1])
        offers.append(
            CounterOffer(
                amount=float(flat_amounts[j]),
                annuity=_number(grid[ANNUITY][j]) if ANNUITY in grid else None,
                goods_price=_number(grid[GOODS][j]) if GOODS in grid else None,
                probability=float(scores.probability[j]),
                points=round(float(scores.points[j])),
            )
        )
    return offers
