"""Serving settings, read once from the environment (``TICKETBUDDY_*``) or a ``.env`` file.

The MLflow tracking store is not a TicketBuddy setting: ``MLFLOW_TRACKING_URI`` is honoured as MLflow
users expect, with the embedded ``sqlite:///mlflow.db`` as the default (see ``train.tracking``).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """How the scoring service runs.

    Attributes:
        model_uri: The model to serve; the promoted champion by default.
        policy_path: Escalation policy file; None means the policy shipped with the package.
        host: Interface to listen on.
        port: Port to listen on.
        require_model: Refuse to start without a model, instead of serving by the rules alone.

    """

    model_config = SettingsConfigDict(env_prefix="TICKETBUDDY_", env_file=".env", extra="ignore")

    model_uri: str = "models:/ticket-escalation@champion"
    policy_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    require_model: bool = False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read on first use."""
    return Settings()
