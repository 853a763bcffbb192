"""A synthetic decision log written straight to the database, without an API.

For benchmarks, demos and tests of monitoring and the dashboard at scale (300,000 decisions
take seconds to write this way, hours through HTTP). The population is a matrix of model rows
with known reference bins (built by the bundle's own :func:`reference_bins`); decisions are
spread over a time span, and a ``shift`` moves chosen numeric features (in units of their
training standard deviation) and changes outcomes through a known logistic truth.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sqlalchemy import Engine

from credit_scoring.runtime.bundle import Bundle
from credit_scoring.runtime.reference import reference_bins
from credit_scoring.runtime.scorecard import ScoreScaling
from credit_scoring.store.decision_log import insert_decisions
from credit_scoring.store.records import DecisionRecord, Reason, features_blob

_REASON: list[Reason] = [
    {"code": "EXT_SOURCE", "text": "Low external credit scores", "contribution": 0.4}
]


@dataclass(frozen=True)
class Population:
    """Model rows of a reference population: ``X`` (rows × features, float64; categorical
    features as vocabulary codes), feature names and vocabularies; ``probability`` maps rows to
    calibrated probabilities of default (used for the decisions and to draw outcomes),
    ``points`` maps probabilities to score points."""

    features: tuple[str, ...]
    vocabularies: dict[str, tuple[str, ...]]
    X: NDArray[np.float64]
    probability: Callable[[NDArray[np.float64]], NDArray[np.float64]]
    points: Callable[[NDArray[np.float64]], NDArray[np.float64]] = ScoreScaling().points
    reference_bins: dict[str, Any] | None = None

    def reference(self) -> dict[str, Any]:
        """Reference bins of the population, as a bundle stores them."""
        if self.reference_bins is not None:
            return self.reference_bins
        p = self.probability(self.X)
        return reference_bins(
            self.X,
            features=self.features,
            vocabularies=self.vocabularies,
            outputs={"probability": p, "points": self.points(p)},
        )


def bundle_population(bundle: Bundle, feature_table: pd.DataFrame) -> Population:
    """The rows of a feature table (``features build`` output) as the bundle sees them,
    scored by the bundle, with the bundle's own reference bins."""
    return Population(
        features=bundle.features,
        vocabularies=dict(bundle.vocabularies),
        X=bundle.matrix(feature_table),
        probability=lambda X: bundle.score_frame(X).probability,
        points=bundle.scaling.points,
        reference_bins=bundle.metadata.get("reference_bins"),
    )


def synthetic_population(
    n_rows: int, *, n_numeric: int, n_categorical: int, seed: int = 0, missing: float = 0.05
) -> Population:
    """Numeric features standard normal (``missing`` share NaN), categorical ones with 2–6
    categories; defaults about 8% through a logistic truth on the first five features."""
    rng = np.random.default_rng(seed)
    numeric = rng.normal(size=(n_rows, n_numeric))
    numeric[rng.random(numeric.shape) < missing] = np.nan
    names = [f"NUM_{j:03d}" for j in range(n_numeric)]
    vocabularies: dict[str, tuple[str, ...]] = {}
    columns = [numeric]
    for j in range(n_categorical):
        size = 2 + j % 5
        name = f"CAT_{j:03d}"
        vocabularies[name] = tuple(f"{name}_{c}" for c in range(size))
        shares = rng.dirichlet(np.full(size, 2.0))
        columns.append(rng.choice(size, size=(n_rows, 1), p=shares).astype(np.float64))
        names.append(name)
    coefficients = np.asarray([0.8, -0.6, 0.5, 0.4, -0.3][: min(5, n_numeric)])

    def probability(X: NDArray[np.float64]) -> NDArray[np.float64]:
        logit = -2.75 + np.nan_to_num(X[:, : coefficients.size], nan=0.0) @ coefficients
        return 1.0 / (1.0 + np.exp(-logit))

    return Population(
        features=tuple(names),
        vocabularies=vocabularies,
        X=np.hstack(columns),
        probability=probability,
    )


@dataclass(frozen=True)
class LogSpec:
    """How to turn population rows into logged decisions."""

    start: datetime
    span: timedelta
    threshold: float = 0.12
    review_band: float = 0.0  # REVIEW within ± this of the threshold, as the API decides
    model_version: str = "offline-1"
    bundle_checksum: str = "0" * 64
    feature_set_version: str = "offline"
    outcome_share: float = 1.0  # share of decisions whose outcome is known
    shift: Mapping[str, float] | None = None  # feature → shift in standard deviations
    seed: int = 1
    feature_share: float = 1.0  # share of decisions logged with their model row


def sample_decisions(
    population: Population, n: int, spec: LogSpec
) -> tuple[NDArray[np.float64], dict[str, NDArray[Any]]]:
    """``n`` decisions drawn from the population (rows with replacement), shifted as asked.

    Returns the model rows and the logged columns (times, probability, decision, outcome…).
    """
    rng = np.random.default_rng(spec.seed)
    X = population.X[rng.integers(0, population.X.shape[0], size=n)].copy()
    for name, sd_shift in (spec.shift or {}).items():
        j = population.features.index(name)
        X[:, j] += sd_shift * np.nanstd(population.X[:, j])
    p = np.clip(population.probability(X), 1e-9, 1.0 - 1e-9)
    offsets = np.sort(rng.random(n)) * spec.span.total_seconds()
    defaulted = (rng.random(n) < p).astype(np.float64)
    defaulted[rng.random(n) >= spec.outcome_share] = np.nan
    columns: dict[str, NDArray[Any]] = {
        "offset_seconds": offsets,
        "probability": p,
        "score": np.rint(population.points(p)),
        "decision": np.where(
            (p >= spec.threshold - spec.review_band) & (p < spec.threshold + spec.review_band),
            "REVIEW",
            np.where(p >= spec.threshold, "REFUSE", "APPROVE"),
        ),
        "latency_ms": rng.gamma(4.0, 0.5, size=n),
        "history_found": rng.random(n) < 0.85,
        "defaulted": defaulted,
        "with_features": rng.random(n) < spec.feature_share,
    }
    return X, columns


def _records(
    X: NDArray[np.float64], columns: Mapping[str, NDArray[Any]], spec: LogSpec, first_id: int
) -> Iterator[tuple[DecisionRecord, dict[str, Any] | None]]:
    for i in range(X.shape[0]):
        created = spec.start + timedelta(seconds=float(columns["offset_seconds"][i]))
        request_id = str(uuid.UUID(int=(first_id + i) | (7 << 76)))
        p = float(columns["probability"][i])
        decision = DecisionRecord(
            request_id=request_id,
            batch_id=None,
            created_at=created,
            client_id=first_id + i,
            model_version=spec.model_version,
            bundle_checksum=spec.bundle_checksum,
            feature_set_version=spec.feature_set_version,
            probability=p,
            log_odds=float(np.log(p / (1.0 - p))),
            score=int(columns["score"][i]),
            decision=columns["decision"][i],
            threshold=spec.threshold,
            reasons=_REASON if columns["decision"][i] != "APPROVE" else [],
            history_found=bool(columns["history_found"][i]),
            latency_ms=float(columns["latency_ms"][i]),
            raw_input={"SK_ID_CURR": first_id + i},
            features=features_blob(X[i]) if columns["with_features"][i] else None,
        )
        y = columns["defaulted"][i]
        outcome = None
        if not np.isnan(y):
            outcome = {
                "request_id": request_id,
                "defaulted": bool(y),
                "observed_at": created + timedelta(days=30),
                "recorded_at": created + timedelta(days=30),
            }
        yield decision, outcome


def write_decision_log(
    engine: Engine,
    population: Population,
    n: int,
    spec: LogSpec,
    *,
    first_id: int = 1,
    batch_size: int = 20_000,
) -> int:
    """Insert ``n`` synthetic decisions (and their known outcomes); returns ``n``."""
    X, columns = sample_decisions(population, n, spec)
    batch: list[DecisionRecord] = []
    batch_outcomes: list[dict[str, Any]] = []

    def flush() -> None:
        insert_decisions(engine, batch, batch_outcomes)
        batch.clear()
        batch_outcomes.clear()

    for decision, outcome in _records(X, columns, spec, first_id):
        batch.append(decision)
        if outcome is not None:
            batch_outcomes.append(outcome)
        if len(batch) >= batch_size:
            flush()
    flush()
    return n
