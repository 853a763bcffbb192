"""Response bodies (what the API answers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from credit_scoring.store.records import (
    ANSWER_FIELDS,
    DETAIL_FIELDS,
    SUMMARY_FIELDS,
    record_model,
)


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


# The decision bodies derive from the one decision record (types, bounds, descriptions); the
# routes answer bytes written from the same field lists, and tests validate real answers.
ScoreResult = record_model("ScoreResult", ANSWER_FIELDS, doc="The decision for one application.")
DecisionSummary = record_model(
    "DecisionSummary", SUMMARY_FIELDS, doc="A logged decision, as listed."
)
DecisionDetail = record_model(
    "DecisionDetail",
    (*DETAIL_FIELDS, "raw_input"),
    doc="A logged decision with its inputs, reasons, model provenance and outcome.",
    base=DecisionSummary,
    renamed={"raw_input": "application"},
    outcome=(OutcomePublic | None, None),
    final=(
        FinalDecision | None,
        Field(default=None, description="The final decision and its status (after any review)."),
    ),
    logged=(bool, Field(description="true: in the database; false: still in the local spool.")),
)
BatchScoreResult = create_model(
    "BatchScoreResult",
    __config__=ConfigDict(extra="forbid"),
    batch_id=(str, ...),
    results=(list[ScoreResult], ...),  # type: ignore[valid-type]
)
DecisionPage = create_model(
    "DecisionPage",
    __config__=ConfigDict(extra="forbid"),
    items=(list[DecisionSummary], ...),  # type: ignore[valid-type]
    next_cursor=(
        str | None,
        Field(description="Pass as `cursor` for the next page; null at the end."),
    ),
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


class DrainState(BaseModel):
    consecutive_failures: int
    #: unreachable, schema, constraint or other (``None`` after a success).
    error_class: str | None
    last_success_age_seconds: float


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    model_loaded: bool
    model_version: str | None
    database: bool
    spool_depth: int
    spool_limit: int
    spool_present: bool
    drain: DrainState
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
