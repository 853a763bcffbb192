"""Response bodies (what the API answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Decision = Literal["APPROVE", "REFUSE", "REVIEW"]


class Reason(BaseModel):
    """One reason for the decision: a feature group pushing toward default."""

    code: str = Field(examples=["EXT_SOURCE"])
    text: str = Field(examples=["Low external credit scores"])
    contribution: float = Field(
        description="Contribution to the log-odds of default (> 0: riskier)."
    )


class CounterOffer(BaseModel):
    """The largest credit amount the same model approves, for a REFUSE or REVIEW decision."""

    amount: float = Field(description="Credit amount (currency units), below the request.")
    annuity: float | None = Field(description="Annuity scaled with the amount (same term).")
    goods_price: float | None = Field(description="Goods price scaled, capped at the amount.")
    probability: float = Field(ge=0.0, le=1.0, description="Probability of default at it.")
    points: int = Field(description="Score points at the offered amount.")


class ScoreResult(BaseModel):
    """The decision for one application."""

    request_id: str
    client_id: int
    probability: float = Field(ge=0.0, le=1.0, description="Calibrated probability of default.")
    score: int = Field(description="Score points: 600 at odds 50:1 good:bad, 20 points to double.")
    decision: Decision
    threshold: float = Field(description="Probability of default at and above which we refuse.")
    reasons: list[Reason] = Field(max_length=4)
    counter_offer: CounterOffer | None = Field(
        default=None, description="For REFUSE/REVIEW: the largest approvable amount; else null."
    )
    model_version: str
    history_found: bool = Field(description="false: the client has no history; scored without it.")
    created_at: datetime


class BatchScoreResult(BaseModel):
    batch_id: str
    results: list[ScoreResult]


class DecisionSummary(BaseModel):
    """A logged decision, as listed."""

    request_id: str
    batch_id: str | None
    created_at: datetime
    client_id: int
    probability: float
    score: int
    decision: Decision
    threshold: float
    model_version: str
    history_found: bool
    latency_ms: float


class OutcomePublic(BaseModel):
    request_id: str
    defaulted: bool
    observed_at: datetime
    recorded_at: datetime


class FinalDecision(BaseModel):
    """The final decision: ``automatic`` (the model's stands), ``pending_review`` (a REVIEW
    waiting for an underwriter) or ``reviewed`` (the latest human decision)."""

    status: Literal["automatic", "pending_review", "reviewed"]
    final_decision: Literal["APPROVE", "REFUSE", "REVIEW", "APPROVE_COUNTER_OFFER"] | None
    reviewer: str | None = None
    reviewed_at: datetime | None = None
    channel: str | None = None
    amount: float | None = None
    reason: str | None = None
    comment: str | None = None
    reviews: int = 0


class DecisionDetail(DecisionSummary):
    """A logged decision with its inputs, reasons, model provenance and outcome."""

    bundle_checksum: str
    feature_set_version: str
    log_odds: float
    reasons: list[Reason]
    counter_offer: CounterOffer | None = None
    application: dict[str, Any]
    outcome: OutcomePublic | None = None
    final: FinalDecision | None = Field(
        default=None, description="The final decision and its status (after any review)."
    )
    logged: bool = Field(description="true: in the database; false: still in the local spool.")


class DecisionPage(BaseModel):
    items: list[DecisionSummary]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end."
    )


class ModelCard(BaseModel):
    """The model being served."""

    model_version: str
    bundle_checksum: str
    feature_set_version: str
    #: The history store version served: the feature set and the data it was built from.
    history_version: str | None = None
    source: str
    loaded_at: datetime
    threshold: float
    review_band: float
    cost_fn: float
    cost_fp: float
    metrics: dict[str, Any]
    features: list[str]
    categorical_features: list[str]
    history_clients: int


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    model_loaded: bool
    model_version: str | None
    database: bool
    spool_depth: int
    detail: str | None = None


class ReloadResult(BaseModel):
    previous_version: str | None
    model_version: str
    bundle_checksum: str
    #: True when the model or the history version it serves changed.
    changed: bool
    #: The history store version served now (feature set and data), and before the reload.
    history_version: str | None = None
    previous_history_version: str | None = None
