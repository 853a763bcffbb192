"""Counter-offers: the largest credit amount the same model would approve.

For a REFUSE or REVIEW decision, the application is scored again at a grid of smaller credit
amounts, from a floor (``floor_share`` of the request, 30 % by default) up to the request in
steps of ``step_share``, each rounded down to ``rounding`` currency units. At each amount the
annuity is scaled in proportion (same term) and the goods price likewise, capped at the
amount. The offer is the largest grid amount whose decision is APPROVE, or none.

Every grid point is scored by the same code as the decision: the features that move with the
amounts are recomputed by the feature code's own function for them
(:func:`~credit_scoring.features.application.amount_features`, the operations
:func:`application_features` performs; a test probes the latter to check that no other feature
moves), the model row is the decision's own row with those features replaced, and the whole
grid of every application is predicted in one call. For a LightGBM model the grid is predicted
by walking the tabulated trees (:meth:`TreeShap.raw_scores`, equal to LightGBM's raw score to
the bit): in each tree the decision row's path is followed down to its first split on an
amount feature (a path without one gives every grid row the decision row's leaf), and only
from there is each grid row walked. Because the whole grid is
scored, no monotonicity of the probability in the amount is assumed: a monotone constraint on
``AMT_CREDIT`` acts on one feature among several that move with the amount (credit/income,
annuity/income, credit/goods …), so it does not make the probability monotone by itself.
Cost: ``benchmarks/bench_counter_offer.py``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from credit_scoring.features.application import (
    AMOUNT_FEATURE_INPUTS,
    AMOUNT_FEATURES,
    amount_features,
)
from credit_scoring.runtime.bundle import Bundle, Decision
from credit_scoring.settings import Settings

CREDIT, ANNUITY, GOODS = "AMT_CREDIT", "AMT_ANNUITY", "AMT_GOODS_PRICE"
APPROVE = str(Decision.APPROVE)


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

    @functools.cached_property
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


def amount_inputs(applications: Sequence[Mapping[str, Any]]) -> dict[str, NDArray[np.float64]]:
    """The raw fields a counter-offer needs (:data:`AMOUNT_FEATURE_INPUTS`) of applications, as
    columns (absent or None: missing)."""
    values = np.array(
        [tuple(map(a.get, AMOUNT_FEATURE_INPUTS)) for a in applications], dtype=np.float64
    ).reshape(len(applications), len(AMOUNT_FEATURE_INPUTS))
    return dict(zip(AMOUNT_FEATURE_INPUTS, values.T, strict=True))


def _number(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 2)


class CounterOfferSearch:
    """Counter-offers of a model: its feature builder (for the column of each feature), its
    bundle, its review band and the grid policy. Built once per model load."""

    def __init__(
        self,
        builder: NumericFeatures,
        bundle: Bundle,
        *,
        review_band: float,
        policy: CounterOfferPolicy,
    ) -> None:
        dependent = set(AMOUNT_FEATURES)
        self._dependent = [(j, name) for j, name in builder.numeric_features if name in dependent]
        self.bundle = bundle
        self.review_band = review_band
        self.policy = policy
        self._columns = np.array([j for j, _ in self._dependent], dtype=np.intp)
        #: The tabulated trees (None for a served scorecard or untabulated trees: the grid is
        #: then scored as a matrix).
        self._trees = bundle.tree_shap if bundle.points is None else None
        self._bracket = approval_bracket(bundle, review_band)

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
        names = [n for n in AMOUNT_FEATURE_INPUTS if n in inputs]
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
            features = amount_features(grid)
        base = np.asarray(rows, dtype=np.float64)[usable]
        matrix = np.repeat(base, k, axis=0)
        matrix[:, self._columns] = np.column_stack([features[name] for _, name in self._dependent])
        bundle = self.bundle
        if self._trees is not None:
            raw = self._trees.raw_scores(matrix, base, self._columns)
            approved = self._approved(raw)

            def probability(j: int) -> float:
                return float(bundle.calibration.apply(raw[j : j + 1])[0])
        else:
            scores = bundle.score_matrix(matrix, review_band=self.review_band, num_threads=1)
            approved = scores.decision == APPROVE

            def probability(j: int) -> float:
                return float(scores.probability[j])

        approved = approved.reshape(len(usable), k)
        for u, i in enumerate(usable.tolist()):
            hits = np.flatnonzero(approved[u])
            if not hits.size:
                continue
            j = u * k + int(hits[-1])
            offers[i] = CounterOffer(
                amount=float(flat_amounts[j]),
                annuity=_number(grid[ANNUITY][j]) if ANNUITY in grid else None,
                goods_price=_number(grid[GOODS][j]) if GOODS in grid else None,
                probability=(p := probability(j)),
                points=round(float(bundle.scaling.points(np.array([p]))[0])),
            )
        return offers

    def _approved(self, raw: NDArray[np.float64]) -> NDArray[np.bool_]:
        """Which raw scores the bundle approves: those outside :func:`approval_bracket` by a
        comparison, those inside by calibrating them."""
        lo, hi = self._bracket
        approved = raw < lo
        unsure = np.flatnonzero((raw >= lo) & (raw < hi))
        if len(unsure):
            probability = self.bundle.calibration.apply(raw[unsure])
            decision = self.bundle.decisions(probability, review_band=self.review_band)
            approved[unsure] = decision == APPROVE
        return approved


def approval_bracket(bundle: Bundle, review_band: float) -> tuple[float, float]:
    """``(lo, hi)``: the bundle approves every raw score below ``lo`` and none from ``hi`` up.

    The calibration is strictly increasing and a decision is APPROVE below a probability cut,
    so approval is a down-set of raw scores; it is found on a fine grid of raw scores (both
    ends approved-or-not as sampled, the raw scores between two samples left to be decided by
    calibrating them). A sampled map that is not a down-set leaves every score undecided."""
    raw = np.linspace(-50.0, 50.0, 20_001)
    probability = bundle.calibration.apply(raw)
    approved = bundle.decisions(probability, review_band=review_band) == APPROVE
    flips = np.flatnonzero(approved[1:] != approved[:-1])
    if len(flips) > 1 or (len(flips) == 1 and not approved[0]):
        return -math.inf, math.inf
    if not len(flips):
        return (float(raw[-1]), math.inf) if approved[0] else (-math.inf, float(raw[0]))
    return float(raw[flips[0]]), float(raw[flips[0] + 1])
