"""Serving settings, read once from the environment (``TICKETBUDDY_*``) or a ``.env`` file.

The MLflow tracking store is not a TicketBuddy setting: ``MLFLOW_TRACKING_URI`` is honoured as MLflow
users expect, with the embedded ``sqlite:///mlflow.db`` as the default (see ``train.tracking``).
"""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """How the scoring service runs.

    Attributes:
        model_uri: The model to serve; the promoted champion by default.
        policy_path: Escalation policy file; None means the policy shipped with the package.
        host: Interface to listen on.
        port: Port to listen on.
        require_model: Refuse to start without a model (the default). Off (``--allow-rules-only``), a
            service whose model cannot be loaded serves by the policy's rules alone until a reload
            succeeds — for a model that fails in production, not for a forgotten training step.
        db_url: The hand-off store (SQLAlchemy URL): a SQLite file by default, PostgreSQL when several
            replicas share one queue.
        link_window_hours: A customer's tickets this close in time (any channel) share one history.
        ticket_retention_days: Scored tickets are kept this long for linking (never less than the link
            window; tickets an open hand-off may need are kept longer).
        sweep_interval_seconds: How often the in-service SLA sweeper runs; 0 turns it off (then run
            ``ticketbuddy sweep`` from a scheduler).

    """

    model_config = SettingsConfigDict(env_prefix="TICKETBUDDY_", env_file=".env", extra="ignore")

    model_uri: str = "models:/ticket-escalation@champion"
    policy_path: Path | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    require_model: bool = True
    db_url: str = "sqlite:///handoffs.db"
    link_window_hours: float = Field(default=72.0, gt=0)
    ticket_retention_days: float = Field(default=30.0, gt=0)
    sweep_interval_seconds: float = Field(default=30.0, ge=0)

    @model_validator(mode="after")
    def _retention_covers_linking(self) -> Settings:
        if self.ticket_retention_days * 24 < self.link_window_hours:
            raise ValueError(
                f"ticket_retention_days ({self.ticket_retention_days}) must cover link_window_hours"
                f" ({self.link_window_hours}): tickets would be forgotten before they could be linked"
            )
        return self

    @property
    def link_window(self) -> timedelta:
        """How far apart a customer's tickets may be and still be linked."""
        return timedelta(hours=self.link_window_hours)

    @property
    def ticket_retention(self) -> timedelta:
        """How long scored tickets are kept."""
        return timedelta(days=self.ticket_retention_days)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read on first use."""
    return Settings()
