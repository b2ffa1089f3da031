"""Typed view of the ``monitor:`` section of ``params.yaml``: the experiment, noise floor and alerts.

The monitor may not import ``ticketbuddy.train`` (layers), so it reads its own section here; a test
holds the shipped file and these defaults together, as ``tests/code/test_params.py`` does for training.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ticketbuddy import yamlfile


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlertParams(_Section):
    """Thresholds a window with enough tickets must keep; a breach pages (exit code 3)."""

    min_recall: float = Field(default=0.80, ge=0, le=1)
    max_missed_escalation_rate: float = Field(default=0.05, ge=0, le=1)
    min_precision: float = Field(default=0.50, ge=0, le=1)
    max_psi: float = Field(default=0.25, gt=0)
    max_embedding_shift: float = Field(default=0.05, gt=0, le=2)


class MonitorParams(_Section):
    """``monitor:`` in params.yaml."""

    experiment: str = "ticket-escalation-live"
    min_tickets: int = Field(default=30, ge=1)
    trend_windows: int = Field(default=14, ge=2)
    alerts: AlertParams = Field(default_factory=AlertParams)


class MonitorParamsError(ValueError):
    """params.yaml cannot be read or its ``monitor:`` section fails validation; the message says which."""


def find_params_file(start: Path | None = None) -> Path | None:
    """``params.yaml`` in ``start`` (the working directory) or a parent folder holding ``dvc.yaml`` too."""
    here = (start or Path.cwd()).resolve()
    if (here / "params.yaml").is_file():
        return here / "params.yaml"
    return next(
        (
            f / "params.yaml"
            for f in here.parents
            if (f / "params.yaml").is_file() and (f / "dvc.yaml").is_file()
        ),
        None,
    )


def load_monitor_params(path: str | Path | None = None) -> MonitorParams:
    """The ``monitor:`` section of ``path`` (else the project's params.yaml); defaults outside a project.

    Raises:
        MonitorParamsError: The file named is missing, not YAML, or its section fails validation.

    """
    source = Path(path) if path is not None else find_params_file()
    if source is None:
        return MonitorParams()
    if not source.is_file():
        raise MonitorParamsError(f"params file {source} not found")
    try:
        raw = yamlfile.load(source.read_text(encoding="utf-8")) or {}
        return MonitorParams.model_validate(raw.get("monitor") or {})
    except (yaml.YAMLError, ValidationError, AttributeError) as exc:
        raise MonitorParamsError(f"params file {source}: monitor section refused: {exc}") from exc
