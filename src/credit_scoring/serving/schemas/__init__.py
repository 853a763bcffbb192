"""Request and response models of the scoring API, split by direction."""

from credit_scoring.serving.schemas.application import application_model
from credit_scoring.serving.schemas.requests import OutcomeCreate, batch_request_model
from credit_scoring.serving.schemas.responses import (
    BatchScoreResult,
    DecisionDetail,
    DecisionPage,
    DecisionSummary,
    Health,
    ModelCard,
    OutcomePublic,
    Readiness,
    ReloadResult,
    ScoreResult,
)

__all__ = [
    "BatchScoreResult",
    "DecisionDetail",
    "DecisionPage",
    "DecisionSummary",
    "Health",
    "ModelCard",
    "OutcomeCreate",
    "OutcomePublic",
    "Readiness",
    "ReloadResult",
    "ScoreResult",
    "application_model",
    "batch_request_model",
]
