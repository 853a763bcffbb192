"""``credit-scoring data load``."""

from __future__ import annotations


def load_command() -> None:
    """Validate the Kaggle tables and write typed Parquet (not implemented yet)."""
    raise NotImplementedError
