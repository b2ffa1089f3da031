"""What a scored ticket is answered with: the decision, its reasons, the hand-off and the reply.

One place builds the answer, whether the hand-off was just stored by the intake, replayed for a
repeated ``Idempotency-Key``, or only previewed by batch scoring: the API and ``ticketbuddy score``
then give the same shape for the same ticket.
"""

from __future__ import annotations

from collections.abc import Sequence

from ticketbuddy.handoff.domain import Handoff, ReasonEntry, Scored
from ticketbuddy.handoff.packet import build_handoff
from ticketbuddy.policy.engine import Reason
from ticketbuddy.policy.model import Policy
from ticketbuddy.scoring.scorer import Assessment, ModelRef, Scorer


def preview(scorer: Scorer, assessment: Assessment) -> Handoff | None:
    """The packet an escalation would get from the ticket alone (None when the AI keeps it)."""
    if not assessment.decision.escalate:
        return None
    return build_handoff(assessment.ticket, assessment.facts, assessment.decision, scorer.policy)


def answer(
    scorer: Scorer,
    assessment: Assessment,
    handoff: Handoff | None,
    notes: Sequence[Reason] = (),
    handed_over: bool = False,
) -> Scored:
    """The answer for a ticket: the decision, its reasons (plus ``notes``) and the hand-off, if any.

    With a hand-off the ticket is escalated, at the hand-off's priority and route: a ticket a human
    already holds stays with them even when its newest message alone would not be escalated.
    """
    return Scored(
        ticket_id=assessment.ticket.ticket_id,
        escalate=handoff is not None,
        probability=assessment.facts.probability,
        priority=handoff.priority if handoff else None,
        route=handoff.route if handoff else None,
        reasons=entries([*assessment.decision.reasons, *notes]),
        model=scorer.model_ref(assessment.facts),
        handoff=handoff,
        customer_reply=reply(scorer.policy, handoff),
        handed_over=handed_over,
    )


def replayed(policy: Policy, handoff: Handoff, model: ModelRef, note: Reason) -> Scored:
    """The answer already given for a stored hand-off (an ``Idempotency-Key`` replay), with a note."""
    return Scored(
        ticket_id=handoff.ticket_id,
        escalate=True,
        probability=handoff.probability,
        priority=handoff.priority,
        route=handoff.route,
        reasons=[*handoff.reasons, *entries([note])],
        model=model,
        handoff=handoff,
        customer_reply=reply(policy, handoff),
    )


def reply(policy: Policy, handoff: Handoff | None) -> str | None:
    """The acknowledgement the customer is sent for this hand-off's route, naming its SLA."""
    route = policy.routes.get(handoff.route) if handoff else None
    return route.reply() if route else None


def entries(reasons: Sequence[Reason]) -> list[ReasonEntry]:
    """The policy's reasons as stored and answered."""
    return [ReasonEntry(code=r.code, detail=r.detail) for r in reasons]
