"""The one scoring path: a bundle and the history of its feature set → scored applications.

:class:`Scorer` is used unchanged by the API (one application or a batch), by ``score-batch``
(local and Spark) and by the dashboard's what-if page, so a client gets the same probability,
points, decision and reasons whichever way it is scored. It is built once per model load: the
online feature builder (the application-feature function of training, the history join and
the vocabulary encoding) is planned here, and TreeSHAP is tabulated before the first refusal.

One application (:meth:`Scorer.score_one`) is a history lookup, one numpy row and one
single-threaded booster call, without pandas. Many (:meth:`Scorer.score_columns`) are built
column by column, predicted at once, and explained by one exact TreeSHAP pass over the adverse
rows; every row is bit-equal to the one-row answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from credit_scoring.features.feature_set import KEY_COLUMN
from credit_scoring.runtime.bundle import Bundle, Decision, FrameScores
from credit_scoring.runtime.counter_offer import (
    CounterOffer,
    CounterOfferPolicy,
    CounterOfferSearch,
    amount_inputs,
)
from credit_scoring.runtime.online import OnlineFeatureBuilder, application_columns
from credit_scoring.runtime.reasons import MAX_REASONS

APPROVE = str(Decision.APPROVE)


class History(Protocol):
    """History rows of clients, in :attr:`columns` order (NaN for missing aggregates)."""

    @property
    def columns(self) -> tuple[str, ...]: ...

    def lookup(self, client_id: int) -> NDArray[np.float64] | None:
        """The client's history row, or None when the client has no history."""
        ...

    def lookup_many(
        self, client_ids: NDArray[np.int64]
    ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        """(one row per client, found): rows of clients without history are NaN."""
        ...


@dataclass(frozen=True)
class Scored:
    """One scored application: calibrated probability of default, raw log-odds, score points,
    decision, up to four reasons (adverse decisions only) and the model row."""

    probability: float
    log_odds: float
    score: int
    decision: str
    reasons: list[dict[str, Any]]
    history_found: bool
    features: NDArray[np.float64]
    #: For REFUSE/REVIEW: the largest approvable amount (``CounterOffer.as_dict``), or None.
    counter_offer: dict[str, Any] | None = None
    #: A shadow challenger's (version, probability, decision, score) for the same row: logged
    #: with the decision by the API, never returned (None without a challenger).
    shadow: Shadow | None = None


#: A shadow challenger's answer: (model version, probability, decision, score points).
Shadow = tuple[str, float, str, int]


@dataclass(frozen=True)
class ScoredBatch:
    """Scores of many applications, as arrays aligned with the input rows.

    Reasons are given for the adverse rows (``adverse`` positions, in order): row
    ``adverse[i]`` has reason groups ``reason_order[i, :reason_count[i]]`` with contributions
    ``reason_top[i, :reason_count[i]]`` (largest first). They are empty when the batch was
    scored without reasons.
    """

    ids: NDArray[np.int64]
    scores: FrameScores
    history_found: NDArray[np.bool_]
    matrix: NDArray[np.float64]
    adverse: NDArray[np.intp]
    reason_order: NDArray[np.intp]
    reason_top: NDArray[np.float64]
    reason_count: NDArray[np.intp]
    #: Counter-offers by row position (adverse rows only; empty without counter-offers).
    offers: dict[int, CounterOffer | None] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def score(self) -> NDArray[np.int64]:
        """Score points rounded to integers (half to even, as Python's ``round``)."""
        return np.round(self.scores.points).astype(np.int64)


class Scorer:
    """A bundle and the history of its feature set, ready to score raw applications.

    ``review_band`` overrides the bundle's band (None keeps it); ``num_threads`` is the number
    of LightGBM/TreeSHAP threads of a batch (LightGBM's default when None; one row always uses
    one). The answers depend on neither the batch size nor the threads. ``counter_offers``:
    the grid of counter-offers given with REFUSE/REVIEW decisions (None: none).
    """

    def __init__(
        self,
        bundle: Bundle,
        history: History,
        *,
        review_band: float | None = None,
        num_threads: int | None = None,
        counter_offers: CounterOfferPolicy | None = None,
    ) -> None:
        self.bundle = bundle
        self.history = history
        self.review_band = bundle.review_band if review_band is None else review_band
        self.num_threads = num_threads
        self.threshold = bundle.threshold
        self.builder = OnlineFeatureBuilder(
            bundle.feature_set, bundle.vocabularies, history.columns
        )
        groups = bundle.reason_index.groups
        self.reason_codes: tuple[str, ...] = tuple(g.code for g in groups)
        self.reason_texts: tuple[str, ...] = tuple(g.text for g in groups)
        # Tabulate TreeSHAP and load its compiled kernel now, not on the first refusal.
        bundle.contributions(np.full(len(bundle.features), np.nan))
        self._offers: CounterOfferSearch | None = None
        self.counter_offer_policy = counter_offers

    @property
    def counter_offer_policy(self) -> CounterOfferPolicy | None:
        return None if self._offers is None else self._offers.policy

    @counter_offer_policy.setter
    def counter_offer_policy(self, policy: CounterOfferPolicy | None) -> None:
        self._offers = (
            None
            if policy is None
            else CounterOfferSearch(
                self.builder, self.bundle, review_band=self.review_band, policy=policy
            )
        )

    # -- one application ---------------------------------------------------------------------
    def feature_row(self, application: Mapping[str, Any]) -> tuple[NDArray[np.float64], bool]:
        """The model row of one raw application and whether the client has history."""
        history_row = self.history.lookup(int(application[KEY_COLUMN]))
        return self.builder.row(application, history_row), history_row is not None

    def score_one(self, application: Mapping[str, Any]) -> Scored:
        """Score one raw application (schema field names; absent or None = missing).

        Reasons (the feature groups pushing most toward default) are given for REFUSE and
        REVIEW decisions, the adverse ones; an approval carries none.
        """
        x, found = self.feature_row(application)
        bundle = self.bundle
        result = bundle.score_row(x, review_band=self.review_band, with_reasons=False)
        decision = str(result.decision)
        reasons: list[dict[str, Any]] = []
        offer = None
        if decision != APPROVE:
            index = bundle.reason_index
            grouped = index.group_contributions(bundle.contributions(x))
            order, top, count = index.top_positions(grouped)
            reasons = self._reason_dicts(order.tolist(), top.tolist(), int(count))
            if self._offers is not None:
                found_offer = self._offers.offers(x.reshape(1, -1), amount_inputs([application]))[0]
                offer = None if found_offer is None else found_offer.as_dict()
        return Scored(
            probability=result.probability,
            log_odds=result.raw_score,
            score=round(result.points),
            decision=decision,
            reasons=reasons,
            history_found=found,
            features=x,
            counter_offer=offer,
        )

    # -- many applications -------------------------------------------------------------------
    def score_columns(
        self, ids: NDArray[np.int64], columns: Mapping[str, Any], *, with_reasons: bool = True
    ) -> ScoredBatch:
        """Score applications given as columns (field name → one value per application: the
        column input of :meth:`OnlineFeatureBuilder.rows_from_columns`); ``ids`` are their
        client ids."""
        ids = np.asarray(ids, dtype=np.int64)
        history_rows, found = self.history.lookup_many(ids)
        matrix = self.builder.rows_from_columns(columns, history_rows, found)
        batch = self._score_matrix(ids, matrix, found, with_reasons=with_reasons)
        return self._with_offers(batch, lambda rows: {
            name: np.asarray(values)[rows] for name, values in columns.items()
        })  # fmt: skip

    def score_many(
        self,
        applications: Sequence[Mapping[str, Any]],
        columns: Mapping[str, NDArray[Any]] | None = None,
    ) -> list[Scored]:
        """Score a batch with the same answers as :meth:`score_one` for each application.

        ``columns``, when given, holds the same fields as columns (field name → one value per
        application, as the API's batch validation builds them): the rows are then filled from
        them, not from the dicts.
        """
        n = len(applications)
        if columns is None:
            ids = np.fromiter((int(a[KEY_COLUMN]) for a in applications), dtype=np.int64, count=n)
            history_rows, found = self.history.lookup_many(ids)
            matrix = self.builder.rows(applications, history_rows, found)
            batch = self._score_matrix(ids, matrix, found, with_reasons=True)
            batch = self._with_offers(
                batch, lambda rows: application_columns([applications[i] for i in rows.tolist()])
            )
        else:
            batch = self.score_columns(np.asarray(columns[KEY_COLUMN]), columns)
        return self.as_scored(batch)

    def as_scored(self, batch: ScoredBatch) -> list[Scored]:
        """The batch as one :class:`Scored` per application."""
        frame = batch.scores
        # Bit-equal to score_one: the array calibration and points use libm value by value.
        log_odds: list[float] = frame.raw_score.tolist()
        probability: list[float] = frame.probability.tolist()
        points: list[float] = frame.points.tolist()
        decisions: list[str] = frame.decision.tolist()
        reasons = dict(zip(batch.adverse.tolist(), self.reason_lists(batch), strict=True))
        found: list[bool] = batch.history_found.tolist()
        offers = {i: None if o is None else o.as_dict() for i, o in batch.offers.items()}
        return [
            Scored(
                probability=probability[i],
                log_odds=log_odds[i],
                score=round(points[i]),
                decision=decisions[i],
                reasons=reasons.get(i, []),
                history_found=found[i],
                features=batch.matrix[i],
                counter_offer=offers.get(i),
            )
            for i in range(len(batch))
        ]

    def _with_offers(
        self, batch: ScoredBatch, inputs_of: Callable[[NDArray[np.intp]], Mapping[str, Any]]
    ) -> ScoredBatch:
        """``batch`` with the counter-offers of its REFUSE/REVIEW rows (all their grids in one
        predict); ``inputs_of(rows)`` gives those rows' raw fields as columns."""
        if self._offers is None:
            return batch
        rows = np.flatnonzero(batch.scores.decision != APPROVE)
        if not len(rows):
            return batch
        found = self._offers.offers(batch.matrix[rows], inputs_of(rows))
        return replace(batch, offers=dict(zip(rows.tolist(), found, strict=True)))

    def reason_lists(self, batch: ScoredBatch) -> list[list[dict[str, Any]]]:
        """The reasons of each adverse row of ``batch`` (as the API answers them)."""
        return [
            self._reason_dicts(order, top, count)
            for order, top, count in zip(
                batch.reason_order.tolist(),
                batch.reason_top.tolist(),
                batch.reason_count.tolist(),
                strict=True,
            )
        ]

    def reason_code_lists(self, batch: ScoredBatch) -> list[list[str]]:
        """The reason codes of each adverse row of ``batch``, largest contribution first."""
        codes = self.reason_codes
        return [
            [codes[k] for k in order[:count]]
            for order, count in zip(
                batch.reason_order.tolist(), batch.reason_count.tolist(), strict=True
            )
        ]

    def _reason_dicts(self, order: list[int], top: list[float], count: int) -> list[dict[str, Any]]:
        codes, texts = self.reason_codes, self.reason_texts
        return [
            {"code": codes[k], "text": texts[k], "contribution": v}
            for k, v in zip(order[:count], top[:count], strict=True)
        ]

    def _score_matrix(
        self,
        ids: NDArray[np.int64],
        matrix: NDArray[np.float64],
        found: NDArray[np.bool_],
        *,
        with_reasons: bool,
    ) -> ScoredBatch:
        bundle = self.bundle
        frame = bundle.score_matrix(
            matrix, review_band=self.review_band, num_threads=self.num_threads
        )
        groups = len(self.reason_codes)
        adverse = (
            np.flatnonzero(frame.decision != APPROVE) if with_reasons else np.empty(0, np.intp)
        )
        if len(adverse):
            contrib = bundle.contributions_frame(matrix[adverse], num_threads=self.num_threads)
            grouped = bundle.grouped_contributions(contrib)
            order, top, count = bundle.reason_index.top_positions(grouped)
        else:
            order = np.empty((0, min(groups, MAX_REASONS)), dtype=np.intp)
            top = np.empty((0, min(groups, MAX_REASONS)), dtype=np.float64)
            count = np.empty(0, dtype=np.intp)
        return ScoredBatch(
            ids=ids,
            scores=frame,
            history_found=np.asarray(found, dtype=bool),
            matrix=matrix,
            adverse=adverse,
            reason_order=order,
            reason_top=top,
            reason_count=count,
        )
