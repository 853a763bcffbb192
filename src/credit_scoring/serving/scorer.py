"""The model the API serves: the runtime's :class:`~credit_scoring.runtime.scorer.Scorer` (the
one scoring path of the API, ``score-batch`` and the dashboard) with what identifies it.

:class:`ServedModel` is built once per model load: the verified bundle and the whole history
store of the bundle's history version in memory (numpy matrix + id → row index). Scoring one
application is then a dict lookup, one numpy row and one single-threaded booster call, without
pandas.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from credit_scoring.runtime.counter_offer import CounterOfferPolicy, policy_from_settings
from credit_scoring.runtime.history_store import HistoryStore, load_history
from credit_scoring.runtime.scorer import Scored, Scorer
from credit_scoring.runtime.source import LoadedModel, load_source, model_identity
from credit_scoring.settings import Settings

__all__ = ["Scored", "ServedModel", "load_history", "load_served_model", "model_identity"]


class ServedModel(Scorer):
    """A bundle ready to serve (see the module docstring)."""

    def __init__(
        self,
        loaded: LoadedModel,
        history: HistoryStore,
        *,
        review_band: float | None,
        batch_threads: int | None = None,
        counter_offers: CounterOfferPolicy | None = None,
    ) -> None:
        super().__init__(
            loaded.bundle, history, review_band=review_band, num_threads=batch_threads,
            counter_offers=counter_offers,
        )  # fmt: skip
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
        }

    def close(self) -> None:
        """Nothing to release: the model and the cache are plain memory."""


def load_served_model(uri: str, settings: Settings) -> ServedModel:
    """Load the bundle ``uri`` names and the history cache of its history version (blocking)."""
    loaded = load_source(uri, settings)
    history = load_history(settings.resolved_database_url, loaded.bundle.history_version)
    return ServedModel(
        loaded, history, review_band=settings.review_band,
        counter_offers=policy_from_settings(settings),
    )  # fmt: skip
