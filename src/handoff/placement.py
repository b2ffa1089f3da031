"""What the intake decides about one ticket, and what it reads: placement, the scored subject, facts.

Small pure pieces of ``handoff.intake``, kept apart so the intake reads as the steps it takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from ticketbuddy.handoff import tickets as ticket_log
from ticketbuddy.handoff.domain import Handoff
from ticketbuddy.handoff.linking import Conversation, merged_history
from ticketbuddy.policy.engine import Facts, Reason
from ticketbuddy.schemas import MAX_MESSAGES, Message, Ticket
from ticketbuddy.scoring.scorer import Scorer


@dataclass(frozen=True)
class Placement:
    """Where a ticket went: its hand-off (None when the AI keeps it) and notes for the answer.

    ``handed_over``: this request put the ticket with a human (created, joined or re-opened a hand-off).
    """

    handoff: Handoff | None
    notes: list[Reason]
    handed_over: bool = False


def over_history(scorer: Scorer, ticket: Ticket, facts: Facts, conversations: list[Conversation]) -> Facts:
    """The policy's view of the whole history (every linked ticket's messages, in time order).

    The decision stays the one made on the ticket itself; what changes is what the agent reads: the
    trajectory, the mood and the signals of everything the customer said, wherever they said it.
    """
    if len(conversations) < 2:
        return facts
    messages = [
        Message.model_construct(role=m.role, text=m.text, sent_at=m.sent_at)
        for m in merged_history(conversations)
    ]
    whole = ticket.model_copy(update={"messages": messages[-MAX_MESSAGES:]})
    return scorer.engine.facts(whole, facts.probability, facts.threshold, facts.learned)


def scoring_subject(recorded: ticket_log.Recorded, holder: Row | None) -> Ticket:
    """What is scored: the whole conversation, or only what came after an agent resolved its hand-off.

    Once resolved, the old complaint no longer counts: a "thanks" must not re-open the hand-off, a
    new threat must.
    """
    if holder is not None and holder.status == "resolved" and recorded.new:
        return recorded.ticket.model_copy(update={"messages": recorded.new[-MAX_MESSAGES:]})
    return recorded.ticket


def state_of(packet: Handoff) -> dict[str, Any]:
    """The packet's queue columns (route, team, priority, SLA, due time), for the hand-off row."""
    keys = ("route", "team", "team_name", "priority", "sla_minutes", "due_by")
    return {k: getattr(packet, k) for k in keys}


def last_message_at(conversations: list[Conversation], otherwise: datetime) -> datetime:
    """When the history last moved, by the conversations' own times; ``otherwise`` when none is left.

    A hand-off's history can be empty when its tickets were purged (retention) while it stayed.
    """
    return max((c.last_message_at() for c in conversations), default=otherwise)
