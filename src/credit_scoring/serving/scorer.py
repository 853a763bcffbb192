"""The model the API serves: the runtime's :class:`~credit_scoring.runtime.scorer.Scorer` (the
one scoring path of the API, ``score-batch`` and the dashboard) with what identifies it.

:class:`ServedModel` is built once per model load: the verified bundle and the whole history
store of the bundle's history version in memory (numpy matrix + id → row index). Scoring one
application is then a dict lookup, one numpy row and one single-threaded booster call, without
pandas.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credit_scoring.runtime.approval import require_approved
from credit_scoring.runtime.bundle import Bundle
from credit_scoring.runtime.counter_offer import CounterOfferPolicy, policy_from_settings
from credit_scoring.runtime.history_store import HistoryStore, load_history
from credit_scoring.runtime.registry import REGISTRY_PREFIX
from credit_scoring.runtime.scorer import Scored, ScoredBatch, Scorer, Shadow
from credit_scoring.runtime.source import LoadedModel, load_source, model_identity
from credit_scoring.settings import Settings

__all__ = [
    "Challenger",
    "Scored",
    "ServedModel",
    "load_history",
    "load_served_model",
    "model_identity",
    "served_identity",
]

logger = logging.getLogger(__name__)
CHALLENGER_ALIAS = "challenger"


class Challenger:
    """A second bundle scored in shadow on the champion's model row (same features): its
    answer is logged with the decision, never returned, and its failure never fails a request."""

    def __init__(self, bundle: Bundle, model_version: str) -> None:
        self.bundle = bundle
        self.model_version = model_version
        self.failures = 0

    def score_row(self, x: NDArray[np.float64], review_band: float) -> Shadow | None:
        try:
            r = self.bundle.score_row(x, review_band=review_band, with_reasons=False)
            return (self.model_version, r.probability, str(r.decision), round(r.points))
        except Exception as exc:  # a challenger never fails a request
            self._failed(exc)
            return None

    def score_matrix(
        self, matrix: NDArray[np.float64], review_band: float, num_threads: int | None
    ) -> list[Shadow | None]:
        try:
            f = self.bundle.score_matrix(matrix, review_band=review_band, num_threads=num_threads)
            v = self.model_version
            return [
                (v, p, d, round(s))
                for p, d, s in zip(
                    f.probability.tolist(), f.decision.tolist(), f.points.tolist(), strict=True
                )
            ]
        except Exception as exc:  # a challenger never fails a request
            self._failed(exc)
            return [None] * len(matrix)

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        if self.failures == 1 or self.failures % 1000 == 0:
            logger.warning(
                "challenger scoring failed; decisions are logged without its answer",
                extra={
                    "fields": {
                        "challenger": self.model_version,
                        "failures": self.failures,
                        "error": f"{exc.__class__.__name__}: {exc}"[:300],
                    }
                },
            )


class ServedModel(Scorer):
    """A bundle ready to serve (see the module docstring)."""

    def __init__(
        self,
        loaded: LoadedModel,
        history: HistoryStore,
        *,
        review_band: float | None,
        batch_threads: int | None = None,
        challenger: Challenger | None = None,
        counter_offers: CounterOfferPolicy | None = None,
    ) -> None:
        super().__init__(
            loaded.bundle, history, review_band=review_band, num_threads=batch_threads,
            counter_offers=counter_offers,
        )  # fmt: skip
        self.challenger = challenger
        self.history_clients = len(history.load_all()[0])
        self.source = loaded.source
        self.model_version = loaded.model_version
        self.bundle_checksum = loaded.bundle_checksum
        self.identity = loaded.identity
        self.feature_set_version = loaded.bundle.feature_set_version
        #: The history store version served (feature set and data, the one the bundle was
        #: trained with): logged with every decision as its ``feature_set_version``.
        self.history_version = history.version
        self.loaded_at = datetime.now(UTC)

    def score_one(self, application: Mapping[str, Any]) -> Scored:
        """The champion's answer, with the challenger's (shadow) beside it when there is one."""
        scored = super().score_one(application)
        challenger = self.challenger
        if challenger is None:
            return scored
        shadow = challenger.score_row(scored.features, self.review_band)
        return dataclasses.replace(scored, shadow=shadow)

    def as_scored(self, batch: ScoredBatch) -> list[Scored]:
        scored = super().as_scored(batch)
        challenger = self.challenger
        if challenger is None:
            return scored
        shadows = challenger.score_matrix(batch.matrix, self.review_band, self.num_threads)
        return [dataclasses.replace(s, shadow=h) for s, h in zip(scored, shadows, strict=True)]

    def card(self) -> dict[str, Any]:
        """What ``GET /v1/model`` shows."""
        metadata = self.bundle.metadata
        return {
            "model_version": self.model_version,
            "bundle_checksum": self.bundle_checksum,
            "feature_set_version": self.feature_set_version,
            "history_version": self.history_version,
            "source": self.source,
            "loaded_at": self.loaded_at,
            "threshold": self.threshold,
            "review_band": self.review_band,
            "cost_fn": metadata.cost.cost_fn,
            "cost_fp": metadata.cost.cost_fp,
            "metrics": metadata.metrics,
            "features": list(self.bundle.features),
            "categorical_features": list(self.bundle.categorical_features),
            "history_clients": self.history_clients,
            "challenger_version": None
            if self.challenger is None
            else self.challenger.model_version,
        }

    def close(self) -> None:
        """Nothing to release: the model and the cache are plain memory."""


def load_served_model(uri: str, settings: Settings) -> ServedModel:
    """Load the bundle ``uri`` names and the history cache of its history version (blocking).

    A registry version is served only once approved (:func:`require_approved`); the shadow
    challenger, if any, is loaded beside it (:func:`load_challenger`)."""
    require_approved(uri, settings)
    loaded = load_source(uri, settings)
    loaded = dataclasses.replace(loaded, identity=served_identity(uri, settings, loaded.identity))
    history = load_history(settings.resolved_database_url, loaded.bundle.history_version)
    return ServedModel(
        loaded,
        history,
        review_band=settings.review_band,
        challenger=load_challenger(uri, loaded.bundle, settings),
        counter_offers=policy_from_settings(settings),
    )


def challenger_uri(uri: str, settings: Settings) -> str | None:
    """``settings.challenger_uri``, else the registry alias ``challenger`` of the served
    model's name when the champion comes from the registry."""
    if settings.challenger_uri:
        return settings.challenger_uri
    if not uri.startswith(REGISTRY_PREFIX):
        return None
    name = uri.removeprefix(REGISTRY_PREFIX).split("@", 1)[0].rsplit("/", 1)[0]
    return f"{REGISTRY_PREFIX}{name}@{CHALLENGER_ALIAS}"


def challenger_identity(uri: str, settings: Settings) -> str:
    """What the challenger reference points to now ("" without one): a change reloads."""
    reference = challenger_uri(uri, settings)
    if reference is None:
        return ""
    try:
        return model_identity(reference, settings)
    except Exception:  # no challenger alias: no challenger
        return ""


def served_identity(uri: str, settings: Settings, champion: str | None = None) -> str:
    """The champion's identity and the challenger's (polled: either changing reloads)."""
    champion = model_identity(uri, settings) if champion is None else champion
    challenger = challenger_identity(uri, settings)
    return f"{champion}+{challenger}" if challenger else champion


def load_challenger(uri: str, champion: Bundle, settings: Settings) -> Challenger | None:
    """The shadow challenger, or None (none configured, or it cannot be loaded: logged, the
    champion is served regardless). It scores the champion's model row, so it must have the
    champion's features. Its answers are never returned, so it need not be approved; its
    signature is verified like any bundle's when signatures are required."""
    reference = challenger_uri(uri, settings)
    if reference is None:
        return None
    if not settings.challenger_uri and not challenger_identity(uri, settings):
        return None  # no challenger alias in the registry
    try:
        loaded = load_source(reference, settings)
        if loaded.bundle.features != champion.features:
            raise ValueError(
                f"challenger {reference} uses feature set {loaded.bundle.feature_set_version}, "
                f"the champion {champion.feature_set_version}: a shadow challenger scores the "
                "champion's model row, so both need the same features"
            )
        return Challenger(loaded.bundle, loaded.model_version)
    except Exception as exc:
        logger.warning(
            "challenger not loaded; serving the champion alone",
            extra={"fields": {"challenger": reference, "error": f"{exc}"[:300]}},
        )
        return None
