"""Verdicts on scored tickets: ``POST /v1/feedback`` and ``GET /v1/tickets/{ticket_id}/feedback``.

An agent, QA reviewer, CSAT survey or the customer says whether a scored ticket (kept or escalated)
should have gone to a human; every verdict is kept and the latest explicit one is the ticket's label
(``ticketbuddy labels export``). The per-ticket view also shows the probable misses the service
inferred itself, with their evidence.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ticketbuddy.handoff.feedback import FeedbackDesk, TicketFeedback, Verdict
from ticketbuddy.serve.answers import STORE, WITH_BODY, answers
from ticketbuddy.serve.deps import ActorDep, ClockDep, ScorerDep, StoreDep

router = APIRouter(tags=["feedback"])

_UNKNOWN = {404: "No scored ticket has this id (or its hand-off is with a team this key cannot see)."}


async def get_desk(store: StoreDep, clock: ClockDep) -> FeedbackDesk:
    """Where verdicts are stored and read."""
    return FeedbackDesk(store, clock)


DeskDep = Annotated[FeedbackDesk, Depends(get_desk)]


@router.post(
    "/v1/feedback",
    response_model=TicketFeedback,
    status_code=201,
    responses=answers(*WITH_BODY, *STORE, said=_UNKNOWN),
)
def give_feedback(verdict: Verdict, desk: DeskDep, actor: ActorDep, scorer: ScorerDep) -> Any:
    """Record a verdict on a scored ticket; the answer is the ticket's verdicts and its label now."""
    if verdict.route is not None and verdict.route not in scorer.policy.routes:
        known = ", ".join(sorted(scorer.policy.routes))
        error = {
            "loc": ["body", "route"],
            "msg": f"unknown route; the policy's routes are {known}",
            "type": "value_error",
        }
        return JSONResponse(status_code=422, content={"detail": [error]})
    return desk.give(verdict, actor=actor)


@router.get(
    "/v1/tickets/{ticket_id}/feedback",
    response_model=TicketFeedback,
    responses=answers(*STORE, said=_UNKNOWN),
)
def ticket_feedback(ticket_id: str, desk: DeskDep, actor: ActorDep) -> TicketFeedback:
    """A ticket's verdicts, newest first (given and inferred, with evidence), and the label they make."""
    return desk.for_ticket(ticket_id, actor=actor)
