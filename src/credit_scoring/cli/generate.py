"""``credit-scoring data generate``."""

from __future__ import annotations


def generate_command() -> None:
    """Generate a synthetic population (not implemented yet)."""
    raise NotImplementedError
