"""Synthetic Home Credit data with known ground truth.

:func:`generate_dataset` writes the eight Kaggle tables (Parquet or Kaggle-like CSV) for a
population of clients whose true default probability is a known function of their observable
application fields and history rows, plus ``truth.parquet`` and ``oracle.json`` with the best
achievable AUC, Brier score and business cost. The marginal distributions are baked into
:mod:`credit_scoring.demo.generator.profile`; nothing is read at run time.
"""

from __future__ import annotations

from credit_scoring.demo.generator.runner import (
    CHUNK_CLIENTS,
    GENERATOR_VERSION,
    ORACLE_FILE,
    TRUTH_FILE,
    GenerationError,
    GenerationResult,
    default_test_clients,
    generate_dataset,
    truth_intercept,
)
from credit_scoring.demo.generator.writer import FORMATS, Format, file_name

__all__ = [
    "CHUNK_CLIENTS",
    "FORMATS",
    "GENERATOR_VERSION",
    "ORACLE_FILE",
    "TRUTH_FILE",
    "Format",
    "GenerationError",
    "GenerationResult",
    "default_test_clients",
    "file_name",
    "generate_dataset",
    "truth_intercept",
]
