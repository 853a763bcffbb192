"""Raw application → model row → decision, with the served bundle and its history cache.

:class:`ServedModel` is built once per model load: the verified bundle, the online feature
builder (the same application-feature function as training) and the whole history store of
the bundle's feature set in memory (numpy matrix + id → row index). Scoring one application
is then a dict lookup, one numpy row and one single-threaded booster call, without pandas.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from credit_scoring.features.feature_set import FeatureSet
from credit_scoring.features.online import OnlineFeatureBuilder, application_columns
from credit_scoring.features.store import HistoryStore
from credit_scoring.io import file_sha256
from credit_scoring.model.bundle import CHECKSUMS_FILE, Bundle, Decision, load_bundle
from credit_scoring.model.reasons import MAX_REASONS, Reason
from credit_scoring.runtime.counter_offer import CounterOfferPolicy, CounterOfferSearch
from credit_scoring.settings import Settings

logger = logging.getLogger(__name__)

REGISTRY_PREFIX = "models:/"
CLIENT_KEY = "SK_ID_CURR"
APPROVE = str(Decision.APPROVE)


@dataclass(frozen=True)
class Scored:
    """One scored application: calibrated probability of default in [0, 1], raw log-odds,
    score points, decision, up to four reasons and the model row (bundle feature order)."""

    probability: float
    log_odds: float
    score: int
    decision: str
    reasons: list[dict[str, Any]]
    history_found: bool
    features: NDArray[np.float64]
    #: The largest approvable amount for a REFUSE/REVIEW (``CounterOffer.as_dict``), or None.
    counter_offer: dict[str, Any] | None = None


def _reason_dicts(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    return [{"code": r.code, "text": r.text, "contribution": r.contribution} for r in reasons]


def load_history(database_url: str, version: str) -> HistoryStore:
    """The published history of feature set ``version``, loaded whole into memory.

    The store's connection pool is released at once; lookups are then answered from memory.
    """
    store = HistoryStore.open(database_url, version)
    try:
        store.load_all()
    finally:
        store.close()
    return store


def _feature_set(bundle: Bundle, history: HistoryStore) -> FeatureSet:
    """The bundle's feature set: its model features, and its history features as the bundle
    lists them (so a store lacking one fails the load, not every request)."""
    stored = bundle.metadata.get("feature_set")
    if isinstance(stored, dict):
        return FeatureSet.from_json(stored)
    model_features = set(bundle.features)
    listed = bundle.metadata.get("history_features")
    history_features = tuple(
        listed if isinstance(listed, list) else (c for c in history.columns if c in model_features)
    )
    from_history = set(history_features)
    return FeatureSet(
        version=bundle.feature_set_version,
        model_features=bundle.features,
        categorical_features=bundle.categorical_features,
        protected_columns=(),
        history_features=history_features,
        application_features=tuple(f for f in bundle.features if f not in from_history),
    )


class ServedModel:
    """A bundle ready to serve (see the module docstring)."""

    def __init__(
        self,
        bundle: Bundle,
        history: HistoryStore,
        *,
        source: str,
        model_version: str,
        bundle_checksum: str,
        identity: str,
        review_band: float | None,
        batch_threads: int | None = None,
        counter_offer_policy: CounterOfferPolicy | None = None,
    ) -> None:
        self.bundle = bundle
        self.history = history
        self.history_clients = len(history.load_all()[0])
        self.source = source
        self.model_version = model_version
        self.bundle_checksum = bundle_checksum
        self.identity = identity
        self.feature_set_version = bundle.feature_set_version
        #: The history store version served (feature set and data, the one the bundle was
        #: trained with): logged with every decision as its ``feature_set_version``.
        self.history_version = history.version
        self.threshold = bundle.threshold
        self.review_band = bundle.review_band if review_band is None else review_band
        self.loaded_at = datetime.now(UTC)
        self.builder = OnlineFeatureBuilder(
            _feature_set(bundle, history), bundle.vocabularies, history.columns
        )
        #: LightGBM threads of a batch's predict and TreeSHAP (single rows use one).
        self.batch_threads = batch_threads
        # Tabulate TreeSHAP and load its compiled kernel now, not on the first refusal.
        bundle.contributions(np.full(len(bundle.features), np.nan))
        groups = bundle.reason_index.groups
        self._reason_words = ([g.code for g in groups], [g.text for g in groups])
        #: Grid of counter-offers for REFUSE/REVIEW decisions (None: no counter-offers).
        self._counter_offers: CounterOfferSearch | None = None
        self.counter_offer_policy = counter_offer_policy

    def feature_row(self, application: Mapping[str, Any]) -> tuple[NDArray[np.float64], bool]:
        """The model row of one raw application and whether the client has history."""
        history_row = self.history.lookup(int(application[CLIENT_KEY]))
        return self.builder.row(application, history_row), history_row is not None

    def score_one(self, application: Mapping[str, Any]) -> Scored:
        """Score one raw application (schema field names; absent or None = missing).

        Reasons (the feature groups pushing most toward default) are given for REFUSE and
        REVIEW decisions, the adverse ones; an approval carries none.
        """
        x, found = self.feature_row(application)
        result = self.bundle.score_row(x, review_band=self.review_band, with_reasons=False)
        decision = str(result.decision)
        reasons: list[dict[str, Any]] = []
        offer = None
        if decision != APPROVE:
            index = self.bundle.reason_index
            grouped = index.group_contributions(self.bundle.contributions(x))
            reasons = _reason_dicts(index.top_reasons(grouped, limit=MAX_REASONS))
            if self.counter_offer_policy is not None:
                offer = self._offers(x.reshape(1, -1), application_columns([application]))[0]
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

    @property
    def counter_offer_policy(self) -> CounterOfferPolicy | None:
        return None if self._counter_offers is None else self._counter_offers.policy

    @counter_offer_policy.setter
    def counter_offer_policy(self, policy: CounterOfferPolicy | None) -> None:
        self._counter_offers = (
            None
            if policy is None
            else CounterOfferSearch(
                self.builder, self.bundle, review_band=self.review_band, policy=policy
            )
        )

    def _offers(
        self, rows: NDArray[np.float64], inputs: Mapping[str, Any]
    ) -> list[dict[str, Any] | None]:
        assert self._counter_offers is not None
        return [
            None if o is None else o.as_dict() for o in self._counter_offers.offers(rows, inputs)
        ]

    def score_many(
        self,
        applications: Sequence[Mapping[str, Any]],
        columns: Mapping[str, NDArray[Any]] | None = None,
    ) -> list[Scored]:
        """Score a batch with the same answers as :meth:`score_one` for each application.

        Vectorised: the model rows are built column by column (history rows gathered with
        one index from the in-memory store), one predict scores every row, and exact TreeSHAP
        (:mod:`~credit_scoring.model.treeshap`) runs once over the adverse rows, on
        :attr:`batch_threads` threads. ``columns``, when
        given, holds the same fields as columns (field name → one value per application, as
        batch validation builds them): the rows are then filled from them, not the dicts.
        """
        n = len(applications)
        if columns is None:
            ids = np.fromiter((int(a[CLIENT_KEY]) for a in applications), dtype=np.int64, count=n)
        else:
            ids = np.asarray(columns[CLIENT_KEY], dtype=np.int64)
        history_rows, found = self.history.lookup_many(ids)
        if columns is None:
            X = self.builder.rows(applications, history_rows, found)
        else:
            X = self.builder.rows_from_columns(columns, history_rows, found)
        bundle = self.bundle
        frame = bundle.score_matrix(X, review_band=self.review_band, num_threads=self.batch_threads)
        # Bit-equal to score_one: the array calibration and points use libm value by value.
        log_odds: list[float] = frame.raw_score.tolist()
        probability: list[float] = frame.probability.tolist()
        points: list[float] = frame.points.tolist()
        decisions: list[str] = frame.decision.tolist()
        adverse = np.flatnonzero(frame.decision != APPROVE)
        reasons: dict[int, list[dict[str, Any]]] = {}
        offers: dict[int, dict[str, Any] | None] = {}
        if len(adverse) and self.counter_offer_policy is not None:
            if columns is None:
                subset = application_columns([applications[i] for i in adverse.tolist()])
            else:
                subset = {k: np.asarray(v)[adverse] for k, v in columns.items()}
            found_offers = self._offers(X[adverse], subset)
            offers = dict(zip(adverse.tolist(), found_offers, strict=True))
        if len(adverse):
            contrib = bundle.contributions_frame(X[adverse], num_threads=self.batch_threads)
            order, top, count = bundle.top_reason_positions(bundle.grouped_contributions(contrib))
            codes, texts = self._reason_words
            for i, ks, vs, c in zip(
                adverse.tolist(), order.tolist(), top.tolist(), count.tolist(), strict=True
            ):
                reasons[i] = [
                    {"code": codes[k], "text": texts[k], "contribution": v}
                    for k, v in zip(ks[:c], vs[:c], strict=True)
                ]
        found_list: list[bool] = found.tolist()
        return [
            Scored(
                probability=probability[i],
                log_odds=log_odds[i],
                score=round(points[i]),
                decision=decisions[i],
                reasons=reasons.get(i, []),
                history_found=found_list[i],
                features=X[i],
                counter_offer=offers.get(i),
            )
            for i in range(n)
        ]

    def card(self) -> dict[str, Any]:
        """What ``GET /v1/model`` shows."""
        metadata = self.bundle.metadata
        costs = metadata.get("cost", {}) if isinstance(metadata.get("cost"), dict) else {}
        return {
            "model_version": self.model_version,
            "bundle_checksum": self.bundle_checksum,
            "feature_set_version": self.feature_set_version,
            "history_version": self.history_version,
            "source": self.source,
            "loaded_at": self.loaded_at,
            "threshold": self.threshold,
            "review_band": self.review_band,
            "cost_fn": float(costs.get("cost_fn", metadata.get("cost_fn", float("nan")))),
            "cost_fp": float(costs.get("cost_fp", metadata.get("cost_fp", float("nan")))),
            "metrics": metadata.get("metrics", {}),
            "features": list(self.bundle.features),
            "categorical_features": list(self.bundle.categorical_features),
            "history_clients": self.history_clients,
        }

    def close(self) -> None:
        """Nothing to release: the model and the cache are plain memory."""


def model_identity(uri: str, settings: Settings) -> str:
    """What ``uri`` points to now: ``<name>/<version>`` for a registry reference, the
    checksum manifest's hash for a bundle folder (cheap; polled for reloads)."""
    if uri.startswith(REGISTRY_PREFIX):
        from credit_scoring.model.registry import mlflow_client

        client = mlflow_client(settings)
        ref = uri.removeprefix(REGISTRY_PREFIX)
        if "@" in ref:
            name, alias = ref.split("@", 1)
            version = client.get_model_version_by_alias(name, alias)
        else:
            name, _, number = ref.rpartition("/")
            version = client.get_model_version(name, number)
        return f"{version.name}/{version.version}"
    return file_sha256(Path(uri) / CHECKSUMS_FILE)


def load_served_model(uri: str, settings: Settings) -> ServedModel:
    """Load the bundle ``uri`` names and the history cache of its feature set (blocking)."""
    identity = model_identity(uri, settings)
    download_dir: Path | None = None
    try:
        if uri.startswith(REGISTRY_PREFIX):
            # A private download folder per load: concurrent workers never share one.
            settings.home.mkdir(parents=True, exist_ok=True)
            download_dir = Path(tempfile.mkdtemp(prefix=".serving-download-", dir=settings.home))
        bundle = load_bundle(uri, settings=settings, download_dir=download_dir)
        checksum = file_sha256(bundle.path / CHECKSUMS_FILE)
        model_id = bundle.model_id  # cached now: a downloaded folder is removed below
        model_version = identity if uri.startswith(REGISTRY_PREFIX) else model_id
    finally:
        if download_dir is not None:
            shutil.rmtree(download_dir, ignore_errors=True)
    history = load_history(settings.resolved_database_url, bundle.history_version)
    return ServedModel(
        bundle,
        history,
        source=uri,
        model_version=model_version,
        bundle_checksum=checksum,
        identity=identity,
        review_band=settings.review_band,
        counter_offer_policy=settings.counter_offer_policy(),
    )
