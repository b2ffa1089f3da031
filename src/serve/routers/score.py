"""``POST /v1/score``: one ticket in, its score (and hand-off when escalated) out."""

from __future__ import annotations

from fastapi import APIRouter

from ticketbuddy.serve.deps import ScorerDep
from ticketbuddy.serve.schemas import ScoreOut, TicketIn

router = APIRouter(prefix="/v1", tags=["scoring"])


@router.post("/score", response_model=ScoreOut, response_model_exclude_none=False)
def score(ticket: TicketIn, scorer: ScorerDep) -> ScoreOut:
    """Decide whether the ticket needs a human now, with priority, route, reasons and hand-off.

    A ticket that breaks the contract gets a 422 naming the field. If the model is unavailable the
    policy's rules decide alone and the response's ``reasons`` say so.
    """
    return scorer.score([ticket])[0]
