"""The FastAPI application: built by ``create_app``, loading policy and model once at start-up."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ticketbuddy import __version__
from ticketbuddy.policy.model import load_policy
from ticketbuddy.serve.routers import health, score
from ticketbuddy.serve.scoring import LoadedModel, Scorer, load_model
from ticketbuddy.serve.settings import Settings, get_settings

log = logging.getLogger(__name__)


def _load_model_or_none(settings: Settings) -> LoadedModel | None:
    """Load the served model; without it the service runs on the rules alone (unless required)."""
    try:
        model = load_model(settings.model_uri)
    except Exception as exc:
        if settings.require_model:
            raise
        log.warning("model %s not loaded (%s): serving by the policy's rules alone", settings.model_uri, exc)
        return None
    log.info("serving model %s version %s", model.name, model.version)
    return model


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the scoring service. Nothing is loaded until the app starts (lifespan).

    A policy that fails validation stops start-up with a message naming the entry at fault.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        policy = load_policy(settings.policy_path)
        app.state.settings = settings
        app.state.scorer = Scorer(policy, _load_model_or_none(settings))
        yield

    app = FastAPI(
        title="TicketBuddy",
        version=__version__,
        summary="Decides whether a support ticket needs a human now, and hands it over with full context.",
        lifespan=lifespan,
    )
    app.include_router(health.router)
    app.include_router(score.router)
    return app
