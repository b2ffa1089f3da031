"""``POST /v1/score``: one ticket in, its score (and stored hand-off when escalated) out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from ticketbuddy.serve.deps import IntakeDep, ScorerDep
from ticketbuddy.serve.metrics import record_score
from ticketbuddy.serve.schemas import ScoreOut, TicketIn, as_api

router = APIRouter(prefix="/v1", tags=["scoring"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=255,
        description="Retries with the same key return the hand-off the first request created.",
    ),
]


@router.post(
    "/score",
    response_model=ScoreOut,
    response_model_exclude_none=False,
    responses={503: {"description": "The hand-off store cannot be written: nothing recorded, retry."}},
)
def score(
    ticket: TicketIn, scorer: ScorerDep, intake: IntakeDep, idempotency_key: IdempotencyKey = None
) -> ScoreOut:
    """Decide whether the ticket needs a human now, with priority, route, reasons and hand-off.

    An escalation is committed to the hand-off queue before this answers. The same ticket sent again
    (same ``ticket_id``, or the same ``Idempotency-Key``) never creates a second hand-off: new messages
    are appended to the existing one, which the response returns. A ticket that breaks the contract
    gets a 422 naming the field. If the model is unavailable the policy's rules decide alone and the
    response's ``reasons`` say so.
    """
    result = intake.score(ticket, scorer, idempotency_key)
    record_score(result)
    return as_api(ScoreOut, result)
