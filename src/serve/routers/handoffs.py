"""The agents' queue: ``/v1/handoffs`` to list, read, claim, release and resolve hand-offs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ticketbuddy.serve.answers import STORE, WITH_BODY, Answers, answers
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

_NOT_FOUND = "No hand-off has this id (or it is with a team this API key cannot see)."
_CLAIMED = {"handoff_id": "$response.body#/handoff_id"}
#: A claimed hand-off is next released or resolved (OpenAPI links).
_CLAIM_LINKS = {
    "ReleaseHandoff": {
        "operationId": "release_handoff_v1_handoffs__handoff_id__release_post",
        "parameters": _CLAIMED,
    },
    "ResolveHandoff": {
        "operationId": "resolve_handoff_v1_handoffs__handoff_id__resolve_post",
        "parameters": _CLAIMED,
    },
}


def _changing(conflict: str) -> Answers:
    """The answers of an operation changing one hand-off's state, ``conflict`` saying when it is 409."""
    return answers(*WITH_BODY, *STORE, said={404: _NOT_FOUND, 409: conflict})


@router.get("", response_model=HandoffListOut, responses=answers(*STORE))
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


@router.get(
    "/{handoff_id}", response_model=HandoffDetailOut, responses=answers(*STORE, said={404: _NOT_FOUND})
)
def get_handoff(handoff_id: str, queue: QueueDep, actor: ActorDep) -> HandoffDetailOut:
    """One hand-off: its queue state, the full packet and every event that happened to it."""
    return as_api(HandoffDetailOut, queue.detail(handoff_id, actor=actor))


@router.post(
    "/{handoff_id}/claim",
    response_model=HandoffItemOut,
    responses={200: {"links": _CLAIM_LINKS}, **_changing("Already claimed or resolved.")},
)
def claim_handoff(handoff_id: str, body: ClaimIn, queue: QueueDep, actor: ActorDep) -> HandoffItemOut:
    """Take a queued hand-off. Of two agents claiming at once exactly one wins; the other gets 409."""
    return as_api(HandoffItemOut, queue.claim(handoff_id, body.agent_id, actor=actor))


@router.post(
    "/{handoff_id}/release",
    response_model=HandoffItemOut,
    responses=_changing("Not claimed by this agent."),
)
def release_handoff(handoff_id: str, body: ReleaseIn, queue: QueueDep, actor: ActorDep) -> HandoffItemOut:
    """Give a claimed hand-off back to the queue (only its holder may); its SLA deadline is unchanged."""
    return as_api(
        HandoffItemOut, queue.release(handoff_id, body.agent_id, body.note, actor=actor, force=body.force)
    )


@router.post(
    "/{handoff_id}/resolve",
    response_model=HandoffItemOut,
    responses=_changing("Not claimed (or claimed by another agent)."),
)
def resolve_handoff(handoff_id: str, body: ResolveIn, queue: QueueDep, actor: ActorDep) -> HandoffItemOut:
    """Close a claimed hand-off with its outcome: was a human needed? Outcomes become training labels."""
    return as_api(
        HandoffItemOut,
        queue.resolve(handoff_id, body.outcome, body.note, body.agent_id, actor=actor, force=body.force),
    )
