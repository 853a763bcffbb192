"""One typed settings class, read from the environment (and an optional ``.env`` file).

Settings are built by :func:`get_settings` and passed down explicitly, so tests can
override any of them; nothing is read or created at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration. Environment variables use the ``CREDIT_SCORING_`` prefix,
    except the two conventional URLs ``DATABASE_URL`` and ``MLFLOW_TRACKING_URI``."""

    model_config = SettingsConfigDict(
        env_prefix="CREDIT_SCORING_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Literal["development", "test", "production"] = "development"
    #: Root of every artefact the pipeline writes (data, features, models, stores).
    home: Path = Path("artifacts")
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "CREDIT_SCORING_DATABASE_URL")
    )
    mlflow_tracking_uri: str | None = Field(
        default=None,
        validation_alias=AliasChoices("MLFLOW_TRACKING_URI", "CREDIT_SCORING_MLFLOW_TRACKING_URI"),
    )
    registered_model_name: str = "credit-scoring"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    #: Business cost of a missed default (false negative) and of a refused good client.
    cost_fn: float = 10.0
    cost_fp: float = 1.0
    #: CODE_GENDER and NAME_FAMILY_STATUS serve the fairness report, not the model.
    use_protected_attributes: bool = False

    @property
    def resolved_database_url(self) -> str:
        """``DATABASE_URL`` or an embedded SQLite file under :attr:`home`."""
        return self.database_url or f"sqlite:///{(self.home / 'serving.sqlite').as_posix()}"

    @property
    def resolved_mlflow_tracking_uri(self) -> str:
        """``MLFLOW_TRACKING_URI`` or a local SQLite MLflow store under :attr:`home`."""
        return self.mlflow_tracking_uri or f"sqlite:///{(self.home / 'mlflow.db').as_posix()}"


def get_settings(**overrides: object) -> Settings:
    """Read settings from the environment; keyword overrides win (for tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
