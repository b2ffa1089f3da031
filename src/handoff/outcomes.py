"""What happened after a decision: one row per scoring, and the probable misses the service infers.

Recall in production is invisible unless something records the tickets the AI *kept* that a human
later had to take. Every scoring writes a ``scorings`` row (decision, probability, model, mood; no
customer text) in the same transaction as its placement, and two patterns are recorded at once as
**probable misses** (``feedback`` rows with ``source = 'inferred'`` and their evidence):

- ``came_back_escalated``: a kept ticket whose customer comes back within the link window, on any
  channel, and is then escalated;
- ``worse_after_bot_answer``: a kept ticket re-sent after the bot's answer with the customer's last
  turn scoring at least ``sentiment_drop`` lower than when it was kept.

Each is recorded once per kept scoring; an explicit verdict (``POST /v1/feedback``) always outranks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, delete, func, insert, select
from sqlalchemy.engine import Connection

from ticketbuddy.handoff.clock import shifted
from ticketbuddy.handoff.domain import Handoff
from ticketbuddy.handoff.tables import feedback, scorings
from ticketbuddy.schemas import Message, Ticket
from ticketbuddy.scoring.scorer import Assessment

#: The evidence rules of a probable miss.
CAME_BACK = "came_back_escalated"
WORSE = "worse_after_bot_answer"


@dataclass(frozen=True)
class Outcome:
    """One scoring as placed: the assessment, the hand-off it is in (if any), and what the request added."""

    assessment: Assessment
    handoff: Handoff | None
    handed_over: bool
    new: list[Message]
    model_version: str | None = None
    key_id: str | None = None


def log_scoring(
    conn: Connection, outcome: Outcome, now: datetime, link_window: timedelta, drop: float
) -> int:
    """Record the scoring and any probable misses it reveals; returns how many misses were recorded."""
    previous = _last_scoring(conn, outcome.assessment.ticket.ticket_id)
    conn.execute(insert(scorings).values(**_row(outcome, now)))
    found = _worse_after_answer(outcome, previous, drop)
    if outcome.assessment.decision.escalate:
        found += _came_back(conn, outcome, now, link_window)
    for ticket_id, evidence in found:
        _infer(conn, ticket_id, evidence, outcome, now)
    return len(found)


def _row(outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The ``scorings`` row of one scoring: figures and names, never what the customer wrote."""
    ticket, facts, decision = outcome.assessment.ticket, outcome.assessment.facts, outcome.assessment.decision
    customer = [m.text for m in ticket.messages if m.role == "customer"]
    handoff = outcome.handoff
    return {
        "ticket_id": ticket.ticket_id,
        "customer_id": ticket.customer.customer_id,
        "at": now,
        "channel": ticket.channel,
        "tier": facts.tier,
        "escalated": decision.escalate,
        "handed_over": outcome.handed_over,
        "handoff_id": handoff.handoff_id if handoff else None,
        "probability": facts.probability,
        "threshold": facts.threshold,
        "priority": decision.priority if decision.escalate else None,
        "route": decision.route if decision.escalate else None,
        "rules_only": decision.rules_only,
        "model_version": outcome.model_version,
        "families": ",".join(sorted(facts.triggers))[:500],
        "sentiment_last": facts.sentiment.get("last") if customer else None,
        "customer_turns": len(customer),
        "customer_chars": sum(len(text) for text in customer),
        "key_id": outcome.key_id,
    }


def _last_scoring(conn: Connection, ticket_id: str) -> Row | None:
    """The ticket's most recent scoring before this one, or None."""
    query = (
        select(scorings)
        .where(scorings.c.ticket_id == ticket_id)
        .order_by(scorings.c.at.desc(), scorings.c.scoring_id.desc())
        .limit(1)
    )
    return conn.execute(query).first()


def _worse_after_answer(
    outcome: Outcome, previous: Row | None, drop: float
) -> list[tuple[str, dict[str, Any]]]:
    """The ticket, when it was kept and the customer wrote again after a bot answer, in a worse mood."""
    if previous is None or previous.escalated or previous.sentiment_last is None:
        return []
    if not _answered_then_wrote(outcome.assessment.ticket, outcome.new):
        return []
    now_mood = outcome.assessment.facts.sentiment.get("last")
    if now_mood is None or now_mood > previous.sentiment_last - drop:
        return []
    evidence = {
        "rule": WORSE,
        "kept_at": previous.at.isoformat(),
        "kept_probability": previous.probability,
        "sentiment_when_kept": round(previous.sentiment_last, 3),
        "sentiment_now": round(float(now_mood), 3),
        "escalated_now": outcome.assessment.decision.escalate,
    }
    return [(outcome.assessment.ticket.ticket_id, evidence)]


def _answered_then_wrote(ticket: Ticket, new: list[Message]) -> bool:
    """Whether a new customer message follows a bot message in the conversation."""
    fresh = {(m.sent_at, m.role, m.text) for m in new if m.role == "customer"}
    seen_bot = False
    for message in ticket.messages:
        if message.role == "bot":
            seen_bot = True
        elif seen_bot and (message.sent_at, message.role, message.text) in fresh:
            return True
    return False


def _came_back(
    conn: Connection, outcome: Outcome, now: datetime, link_window: timedelta
) -> list[tuple[str, dict[str, Any]]]:
    """The customer's other tickets kept (last scoring) within the link window before this escalation."""
    ticket = outcome.assessment.ticket
    customer = ticket.customer.customer_id
    if not customer:
        return []
    latest = (
        select(scorings.c.ticket_id, func.max(scorings.c.scoring_id).label("last_id"))
        .where(
            scorings.c.customer_id == customer,
            scorings.c.ticket_id != ticket.ticket_id,
            scorings.c.at >= shifted(now, -link_window),
        )
        .group_by(scorings.c.ticket_id)
        .subquery()
    )
    query = (
        select(scorings).join(latest, scorings.c.scoring_id == latest.c.last_id).where(~scorings.c.escalated)
    )
    decision = outcome.assessment.decision
    found = []
    for kept in conn.execute(query.order_by(scorings.c.at)):
        if _already_inferred(conn, kept.ticket_id, CAME_BACK, kept.at):
            continue
        evidence = {
            "rule": CAME_BACK,
            "kept_at": kept.at.isoformat(),
            "kept_probability": kept.probability,
            "kept_channel": kept.channel,
            "escalated_ticket": ticket.ticket_id,
            "escalated_channel": ticket.channel,
            "hours_later": round((now - kept.at).total_seconds() / 3600, 2),
            "priority": decision.priority,
            "route": decision.route,
        }
        found.append((kept.ticket_id, evidence))
    return found


def _already_inferred(conn: Connection, ticket_id: str, rule: str, since: datetime) -> bool:
    """Whether a probable miss of this rule was recorded for the ticket since its kept scoring."""
    query = select(feedback.c.evidence).where(
        and_(feedback.c.ticket_id == ticket_id, feedback.c.source == "inferred", feedback.c.at >= since)
    )
    return any((evidence or {}).get("rule") == rule for evidence in conn.execute(query).scalars())


def _infer(
    conn: Connection, ticket_id: str, evidence: dict[str, Any], outcome: Outcome, now: datetime
) -> None:
    """Write one probable miss: should have escalated, with the escalation's route and priority if known."""
    decision = outcome.assessment.decision
    escalated = decision.escalate
    conn.execute(
        insert(feedback).values(
            ticket_id=ticket_id,
            at=now,
            should_have_escalated=True,
            route=decision.route if escalated else None,
            priority=decision.priority if escalated else None,
            source="inferred",
            note=None,
            evidence=evidence,
            key_id=None,
        )
    )


def expire(conn: Connection, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` scorings and up to ``limit`` verdicts older than ``before``; how many went.

    They hold no customer text, but their ids tie them to a person, so they are kept no longer than
    the tickets they describe (``handoff.retention``).
    """
    gone = 0
    for table, key in ((scorings, scorings.c.scoring_id), (feedback, feedback.c.feedback_id)):
        oldest = list(
            conn.execute(select(key).where(table.c.at < before).order_by(table.c.at).limit(limit)).scalars()
        )
        if oldest:
            gone += conn.execute(delete(table).where(key.in_(oldest))).rowcount
    return gone
