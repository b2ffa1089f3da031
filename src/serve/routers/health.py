"""Liveness and readiness.

``/readyz`` answers 200 even when the model is missing: the service still scores by the policy's rules
and escalates anything in doubt, so taking it out of rotation would drop tickets. Its ``status`` says
``degraded: rules only`` so monitoring can alert on it. It answers 503 when the hand-off store cannot
be reached: such an instance could not record an escalation, so a load balancer should send tickets to
another replica until the store is back. Both are public: they say "unavailable", never the database's
error text (driver, host, user); that goes to the log.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Response
from pydantic import BaseModel

from ticketbuddy.handoff.store import StoreUnavailable
from ticketbuddy.serve.deps import ScorerDep, StoreDep

log = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


class HealthOut(BaseModel):
    """Liveness."""

    status: str


class ReadyOut(BaseModel):
    """Readiness, and which model is serving."""

    status: str
    model_name: str | None
    model_version: str | None
    handoff_store: str


@router.get("/healthz", response_model=HealthOut)
def healthz() -> HealthOut:
    """The process is up."""
    return HealthOut(status="ok")


@router.get(
    "/readyz",
    response_model=ReadyOut,
    responses={503: {"model": ReadyOut, "description": "The hand-off store cannot be reached."}},
)
def readyz(scorer: ScorerDep, store: StoreDep, response: Response) -> ReadyOut:
    """Ready to score: ``ready`` with a model, ``degraded: rules only`` without, 503 without a store."""
    name, version = (scorer.model.name, scorer.model.version) if scorer.model else (None, None)
    try:
        store.ping()
    except StoreUnavailable as exc:
        log.error("readiness: hand-off store unavailable: %s", exc)  # the details, for operators only
        response.status_code = 503
        return ReadyOut(
            status="not ready: hand-off store unavailable",
            model_name=name,
            model_version=version,
            handoff_store="unavailable",
        )
    status = "ready" if scorer.model is not None else "degraded: rules only"
    return ReadyOut(status=status, model_name=name, model_version=version, handoff_store="ok")
