"""Typed FastAPI dependencies: route handlers ask for what they need, tests override it.

They are ``async``: none of them blocks, and FastAPI runs a plain ``def`` dependency in its thread
pool, one hop per dependency per request, which under load queues behind the requests it serves.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ticketbuddy.handoff.clock import Clock
from ticketbuddy.handoff.domain import Actor
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.serve.keys import Principal
from ticketbuddy.settings import ServiceSettings


async def get_scorer(request: Request) -> Scorer:
    """The scorer in use now; it changes when the champion alias moves (see ``serve.reload``).

    A request keeps the scorer it got for its whole life, so a reload never changes a model mid-request.
    """
    return request.app.state.model_holder.current()


async def get_app_settings(request: Request) -> ServiceSettings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_store(request: Request) -> HandoffStore:
    """The hand-off store (its schema is created on first use if start-up could not reach it)."""
    return request.app.state.store


async def get_clock(request: Request) -> Clock:
    """The clock SLA times are read from (a fake one in tests)."""
    return request.app.state.clock


ScorerDep = Annotated[Scorer, Depends(get_scorer)]
SettingsDep = Annotated[ServiceSettings, Depends(get_app_settings)]
StoreDep = Annotated[HandoffStore, Depends(get_store)]
ClockDep = Annotated[Clock, Depends(get_clock)]


async def get_actor(request: Request) -> Actor:
    """Who acts, as the presenting API key says (set by the key check before any route runs)."""
    principal: Principal = request.state.principal
    return Actor(
        key_id=principal.key_id,
        agent_id=principal.agent_id,
        teams=principal.teams,
        admin="admin" in principal.scopes,
        agent="agent" in principal.scopes,
    )


ActorDep = Annotated[Actor, Depends(get_actor)]


async def get_intake(store: StoreDep, clock: ClockDep, settings: SettingsDep) -> Intake:
    """Scoring that stores every escalation before answering."""
    return Intake(store, clock, settings.link_window, settings.miss_sentiment_drop)


async def get_queue(store: StoreDep, clock: ClockDep) -> HandoffQueue:
    """The agents' queue."""
    return HandoffQueue(store, clock)


IntakeDep = Annotated[Intake, Depends(get_intake)]
QueueDep = Annotated[HandoffQueue, Depends(get_queue)]
