"""Liveness and readiness.

``/readyz`` answers 200 even when the model is missing: the service still scores by the policy's rules
and escalates anything in doubt, so taking it out of rotation would drop tickets. Its ``status`` says
``degraded: rules only`` so monitoring can alert on it.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ticketbuddy.serve.deps import ScorerDep

router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    """Liveness."""

    status: str


class ReadyOut(BaseModel):
    """Readiness, and which model is serving."""

    status: str
    model_name: str | None
    model_version: str | None


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadyOut)
def readyz(scorer: ScorerDep) -> ReadyOut:
    """Ready to score: ``ready`` with a model, ``degraded: rules only`` without."""
    if scorer.model is None:
        return ReadyOut(status="degraded: rules only", model_name=None, model_version=None)
    return ReadyOut(status="ready", model_name=scorer.model.name, model_version=scorer.model.version)
