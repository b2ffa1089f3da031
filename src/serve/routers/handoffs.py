"""The agents' queue: ``/v1/handoffs`` to list, read, claim, release and resolve hand-offs."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from ticketbuddy.serve.deps import ActorDep, QueueDep
from ticketbuddy.serve.schemas import (
    ClaimIn,
    HandoffDetailOut,
    HandoffItemOut,
    HandoffListOut,
    HandoffStatus,
    ReleaseIn,
    ResolveIn,
    as_api,
)

router = APIRouter(prefix="/v1/handoffs", tags=["handoffs"])

_UNAVAILABLE: dict[int | str, dict[str, Any]] = {503: {"description": "The hand-off store is unavailable."}}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No hand-off has this id."}}


@router.get("", response_model=HandoffListOut, responses=_UNAVAILABLE)
def list_handoffs(
    queue: QueueDep,
    actor: ActorDep,
    route: Annotated[str | None, Query(description="Only this route.")] = None,
    team: Annotated[str | None, Query(description="Only hand-offs now with this team.")] = None,
    status: Annotated[
        HandoffStatus | None, Query(description="Only this status; open ones if unset.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HandoffListOut:
    """The queue, most urgent first: P1 before P2 ..., then oldest first."""
    return as_api(
        HandoffListOut, queue.list_handoffs(route=route, team=team, status=status, limit=limit, actor=actor)
    )


@router.get("/{handoff_id}", response_model=HandoffDetailOut, responses={**_NOT_FOUND, **_UNAVAILABLE})
def get_handoff(handoff_id: str, queue: QueueDep, actor: ActorDep) -> HandoffDetailOut:
    """One hand-off: its queue state, the full packet and every event that happened to it."""
    return as_api(HandoffDetailOut, queue.detail(handoff_id, actor=actor))


@router.post(
    "/{handoff_id}/claim",
    response_model=HandoffItemOut,
    responses={**_NOT_FOUND, **_UNAVAILABLE, 409: {"description": "Already claimed or resolved."}},
)
def claim_handoff(handoff_id: str, body: ClaimIn, queue: QueueDep, actor: ActorDep) -> HandoffItemOut:
    """Take a queued hand-off. Of two agents claiming at once exactly one wins; the other gets 409."""
    return as_api(HandoffItemOut, queue.claim(handoff_id, body.agent_id, actor=actor))


@router.post(
    "/{handoff_id}/release",
    response_model=HandoffItemOut,
    responses={**_NOT_FOUND, **_UNAVAILABLE, 409: {"description": "Not claimed by this agent."}},
)
def release_handoff(handoff_id: str, body: ReleaseIn, queue: QueueDep, actor: ActorDep) -> HandoffItemOut:
    """Give a claimed hand-off back to the queue (only its holder may); its SLA deadline is unchanged."""
    return as_api(
        HandoffItemOut, queue.release(handoff_id, body.agent_id, body.note, actor=actor, force=body.force)
    )


@router.post(
    "/{handoff_id}/resolve",
    response_model=HandoffItemOut,
    responses={
        **_NOT_FOUND,
        **_UNAVAILABLE,
        409: {"description": "Not claimed (or claimed by another agent)."},
    },
)
def resolve_handoff(handoff_id: str, body: ResolveIn, queue: QueueDep, actor: ActorDep) -> HandoffItemOut:
    """Close a claimed hand-off with its outcome: was a human needed? Outcomes become training labels."""
    return as_api(
        HandoffItemOut,
        queue.resolve(handoff_id, body.outcome, body.note, body.agent_id, actor=actor, force=body.force),
    )
