"""Where MLflow keeps runs and models, the same for train, score and serve.

``MLFLOW_TRACKING_URI`` wins when set. Otherwise TicketBuddy uses the embedded default: a SQLite
database ``mlflow.db`` and an artifact folder ``mlartifacts`` in the current directory (the repo root
for ``make`` and DVC), the same pair ``mlflow ui`` is pointed at in the README.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import urlparse

from ticketbuddy.settings import TrackingSettings

DEFAULT_ARTIFACT_DIR = "mlartifacts"
REGISTERED_MODEL = "ticket-escalation"
CHAMPION = "champion"


def tracking_uri(settings: TrackingSettings | None = None) -> str:
    """The tracking URI in force: ``MLFLOW_TRACKING_URI`` or the embedded SQLite default."""
    return (settings or TrackingSettings()).tracking_uri


def artifact_location(uri: str) -> str | None:
    """Artifact root for new experiments on a local SQLite store: ``mlartifacts`` beside the db file.

    Returns None for a tracking server, which decides its own artifact store.
    """
    parsed = urlparse(uri)
    if parsed.scheme != "sqlite":
        return None
    db_path = Path(uri.removeprefix("sqlite:///"))
    return (db_path.resolve().parent / DEFAULT_ARTIFACT_DIR).as_uri()


def configure(settings: TrackingSettings | None = None) -> str:
    """Point MLflow at the tracking store in force, quietly; return the URI used.

    Quietly: MLflow's INFO lines (creating tables, validating the input example) say nothing a
    TicketBuddy user can act on, so its logger shows warnings and errors only, unless
    ``MLFLOW_LOGGING_LEVEL`` asks for more.
    """
    settings = settings or TrackingSettings()
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", settings.logging_level)  # for MLflow's own set-up
    import mlflow

    logging.getLogger("mlflow").setLevel(settings.logging_level.upper())

    uri = tracking_uri(settings)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return uri


def ensure_experiment(name: str) -> str:
    """The id of experiment ``name``, created (with the local artifact root) when missing."""
    import mlflow

    uri = configure()
    existing = mlflow.get_experiment_by_name(name)
    if existing is not None:
        return existing.experiment_id
    return mlflow.create_experiment(name, artifact_location=artifact_location(uri))
