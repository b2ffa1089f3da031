"""``POST /v1/score``: one ticket in, its score (and stored hand-off when escalated) out."""

from __future__ import annotations

import functools
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Request

from ticketbuddy.handoff.domain import Actor
from ticketbuddy.serve.answers import STORE, WITH_BODY, answers
from ticketbuddy.serve.deps import ActorDep, IntakeDep, ScorerDep
from ticketbuddy.serve.metrics import record_score
from ticketbuddy.serve.schemas import HandoffRefOut, ScoreOut, TicketIn, as_api

router = APIRouter(prefix="/v1", tags=["scoring"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=200,
        description="Retries with the same key return the hand-off the first request created"
        " (keys are scoped to the API key presenting them).",
    ),
]

_HANDOFF = {"handoff_id": "$response.body#/handoff/handoff_id"}
#: Where a score leads (OpenAPI links, followed by clients and by the fuzz test's stateful phase).
SCORE_LINKS = {
    "GetHandoff": {"operationId": "get_handoff_v1_handoffs__handoff_id__get", "parameters": _HANDOFF},
    "ClaimHandoff": {
        "operationId": "claim_handoff_v1_handoffs__handoff_id__claim_post",
        "parameters": _HANDOFF,
    },
    "TicketFeedback": {
        "operationId": "ticket_feedback_v1_tickets__ticket_id__feedback_get",
        "parameters": {"ticket_id": "$response.body#/ticket_id"},
    },
}


@router.post(
    "/score",
    response_model=ScoreOut,
    response_model_exclude_none=False,
    responses={200: {"links": SCORE_LINKS}, **answers(*WITH_BODY, *STORE)},
)
async def score(
    request: Request,
    ticket: TicketIn,
    scorer: ScorerDep,
    intake: IntakeDep,
    actor: ActorDep,
    idempotency_key: IdempotencyKey = None,
) -> ScoreOut:
    """Decide whether the ticket needs a human now, with priority, route, reasons and hand-off.

    An escalation is committed to the hand-off queue before this answers. The same ticket sent again
    (same ``ticket_id``, or the same ``Idempotency-Key``) never creates a second hand-off: new messages
    are appended to the existing one, which the response returns. A ticket that breaks the contract
    gets a 422 naming the field. If the model is unavailable the policy's rules decide alone and the
    response's ``reasons`` say so.

    The full packet (history, summary, customer profile) is answered only to a key that may read it —
    one with the ``agent`` scope for the hand-off's team, or ``admin``; any other key gets the
    hand-off's id, route, team, priority, status and SLA, and the reply for the customer.
    """
    # The store and the model block: they run in threads of their own, a few at a time (twice the
    # scoring slots, so one request's writes overlap another's scoring); the rest wait here, first
    # come first served, instead of as parked threads fighting for the interpreter.
    received = ticket.as_ticket()
    work = functools.partial(intake.score, received, scorer, idempotency_key, requester=actor.key_id)
    result = await anyio.to_thread.run_sync(work, limiter=request.app.state.scoring_limiter)
    record_score(result)
    out = as_api(ScoreOut, result)
    if out.handoff is not None and not may_read_packet(actor, out.handoff.team):
        out = out.model_copy(update={"handoff": HandoffRefOut.model_validate(out.handoff.model_dump())})
    return out


def may_read_packet(actor: Actor, team: str) -> bool:
    """An agent of the hand-off's team (or of every team), or an admin, reads the customer's packet."""
    return actor.admin or (actor.agent and actor.may_see(team))
