"""One exception hierarchy, translated to CLI messages and HTTP answers in one place each."""

from __future__ import annotations


class CreditScoringError(Exception):
    """Base of every error this package raises on purpose."""


class ConfigurationError(CreditScoringError):
    """A setting is missing, malformed or unsafe (e.g. a placeholder secret)."""


class DataContractError(CreditScoringError):
    """Input data breaks the data contract (missing table or column, wrong dtype, bad key…).

    The message names the table/file, the column and a few offending values or rows, and
    says what was expected.
    """


class FeatureSetMismatchError(CreditScoringError):
    """A model and a feature table/store were built from different feature-set versions."""


class BundleIntegrityError(CreditScoringError):
    """A model bundle is incomplete, tampered with (checksum) or of an unknown format."""


class ModelNotFoundError(CreditScoringError):
    """No model at the given path or registry reference."""
