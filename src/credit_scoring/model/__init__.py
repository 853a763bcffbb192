"""Model training and decision: cross-validated LightGBM against baselines, cost-optimal
threshold, calibration, score points, reason codes, fairness, MLflow registry, and the model
bundle with its fast single-row scoring.

Public API: :func:`load_bundle` / :class:`Bundle` (serving), :func:`run_training` and
:func:`fit_model` (training).
"""

from credit_scoring.model.bundle import Bundle, Decision, FrameScores, RowScore, load_bundle
from credit_scoring.model.reasons import Reason
from credit_scoring.model.train import TrainOptions, fit_model

__all__ = [
    "Bundle",
    "Decision",
    "FrameScores",
    "Reason",
    "RowScore",
    "TrainOptions",
    "fit_model",
    "load_bundle",
]
