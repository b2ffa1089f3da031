"""The hand-off packet: history, confidence, reasons, summary and profile, built for one escalation."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta

from ticketbuddy.handoff.clock import shifted
from ticketbuddy.handoff.domain import MAX_HISTORY, CustomerProfile, Handoff, ReasonEntry
from ticketbuddy.handoff.linking import Conversation, linked_tickets, merged_history
from ticketbuddy.handoff.summary import summarise
from ticketbuddy.policy.engine import Decision, Facts, PolicyEngine
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import MAX_MESSAGES, Message, Ticket


def confidence(probability: float | None, escalate: bool) -> float | None:
    """How sure the model is of this decision: p when escalating, 1 - p when keeping the ticket."""
    if probability is None:
        return None
    return probability if escalate else 1.0 - probability


def customer_profile(ticket: Ticket, vip: bool) -> CustomerProfile:
    """The customer's profile, with open orders taken from ``metadata.open_orders`` when present."""
    open_orders = ticket.metadata.get("open_orders", [])
    return CustomerProfile(
        **ticket.customer.model_dump(),
        vip=vip,
        open_orders=open_orders if isinstance(open_orders, list) else [open_orders],
    )


def new_handoff_id() -> str:
    """A fresh, unguessable hand-off id."""
    return uuid.uuid4().hex


def build_handoff(
    ticket: Ticket,
    facts: Facts,
    decision: Decision,
    policy: Policy,
    now: datetime | None = None,
    conversations: Sequence[Conversation] | None = None,
    handoff_id: str | None = None,
) -> Handoff:
    """Assemble the packet an agent receives for an escalated ticket.

    Its history is the newest ``MAX_HISTORY`` messages; the summary reads every stored one (the
    opening that states the problem may be older) and says how many the history leaves out.

    Args:
        ticket: The escalated ticket, as scored.
        facts: What the policy saw on it.
        decision: The escalation decision (route and priority set).
        policy: The policy in force (team names, SLA).
        now: Creation time; the SLA runs from it. Defaults to the wall clock.
        conversations: The ticket's stored conversation and its linked tickets' (for the history);
            the ticket alone when None.
        handoff_id: The id of the hand-off this packet is for; a new one when None.

    Raises:
        ValueError: The decision is not an escalation.

    """
    if not decision.escalate or decision.route is None or decision.priority is None:
        raise ValueError(f"ticket {ticket.ticket_id} is not escalated: no hand-off to build")
    route = policy.routes[decision.route]
    created = now or datetime.now(UTC)
    if conversations is None:
        conversations = [Conversation(ticket.ticket_id, ticket.channel, ticket.created_at, ticket.messages)]
    history = merged_history(conversations)
    shown = history[-MAX_HISTORY:]
    omitted = sum(c.omitted for c in conversations) + len(history) - len(shown)
    summary = summarise(ticket, facts, history, omitted)
    return Handoff(
        handoff_id=handoff_id or new_handoff_id(),
        ticket_id=ticket.ticket_id,
        route=decision.route,
        team=route.team,
        team_name=policy.teams[route.team].name,
        priority=decision.priority,
        sla_minutes=route.sla_minutes,
        due_by=shifted(created, timedelta(minutes=route.sla_minutes)),
        created_at=created,
        probability=facts.probability,
        confidence=confidence(facts.probability, True),
        summary=summary.text,
        key_sentences=summary.key_sentences,
        reasons=[ReasonEntry(code=r.code, detail=r.detail) for r in decision.reasons],
        customer=customer_profile(ticket, facts.vip),
        trajectory=facts.sentiment,
        history=shown,
        history_omitted=omitted,
        linked_tickets=linked_tickets(conversations),
    )


def without_tickets(
    packet: Handoff, ticket_ids: Collection[str], ticket: Ticket, engine: PolicyEngine
) -> Handoff:
    """The packet with every message of ``ticket_ids`` taken out, and what was read from them rebuilt.

    The history and linked tickets lose those tickets; the summary, key sentences and mood are made
    again from the messages left (the summary may have quoted a removed one); the count of messages
    left out no longer counts theirs; the customer profile is taken again from the packet's own
    ticket (a rebuilt packet takes the profile of the ticket that arrived last, which may have been
    one of those). The decision's reasons and probability stay: why the hand-off is where it is.

    Args:
        packet: A stored packet.
        ticket_ids: The tickets whose messages go.
        ticket: The packet's escalated ticket, as stored (its profile and metadata).
        engine: Reads the mood and signals of what is left.

    """
    history = [m for m in packet.history if m.ticket_id not in ticket_ids]
    shown_gone = len(packet.history) - len(history)
    all_gone = sum(t.messages for t in packet.linked_tickets if t.ticket_id in ticket_ids)
    omitted = max(packet.history_omitted - (all_gone - shown_gone), 0)
    left = [Message.model_construct(role=m.role, text=m.text, sent_at=m.sent_at) for m in history][
        -MAX_MESSAGES:
    ]
    facts = engine.facts(
        ticket.model_copy(update={"messages": left or ticket.messages}), packet.probability, None
    )
    summary = summarise(ticket, facts, history, omitted)
    return packet.model_copy(
        update={
            "history": history,
            "history_omitted": omitted,
            "linked_tickets": [t for t in packet.linked_tickets if t.ticket_id not in ticket_ids],
            "summary": summary.text,
            "key_sentences": summary.key_sentences,
            "trajectory": facts.sentiment,
            "customer": customer_profile(ticket, facts.vip),
            "ticket_id": ticket.ticket_id,
        }
    )
