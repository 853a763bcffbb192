"""``credit-scoring train``."""

from __future__ import annotations


def train_command() -> None:
    """Train, evaluate and register the model (not implemented yet)."""
    raise NotImplementedError
