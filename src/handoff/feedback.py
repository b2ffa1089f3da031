"""Verdicts on scored tickets: whether a human should have had them, from agents, QA, CSAT or the customer.

Every verdict is kept (``feedback`` rows are never updated); a ticket's label is its **latest explicit**
verdict, and only without one its latest inferred probable miss (``handoff.outcomes``). A verdict is
taken only for a ticket this store has scored: a verdict on an unknown id would be a label with no
conversation to learn from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Row, insert, select
from sqlalchemy.engine import Connection

from ticketbuddy.handoff import records
from ticketbuddy.handoff.clock import Clock
from ticketbuddy.handoff.domain import TRUSTED, Actor
from ticketbuddy.handoff.store import HandoffNotFound, HandoffStore
from ticketbuddy.handoff.tables import feedback, scorings, tickets
from ticketbuddy.schemas import Priority

Source = Literal["agent", "qa", "csat", "customer"]
Provenance = Literal["explicit", "inferred"]


class Verdict(BaseModel):
    """A person's verdict on one scored ticket (the body of ``POST /v1/feedback``)."""

    model_config = ConfigDict(extra="forbid")

    ticket_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    should_have_escalated: bool = Field(strict=True)
    route: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = Field(
        default=None, description="The route it should have gone to (a route of the policy)."
    )
    priority: Priority | None = None
    source: Source = Field(description="Who says so: an agent, QA review, a CSAT survey or the customer.")
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class FeedbackEntry(BaseModel):
    """One stored verdict, given or inferred."""

    feedback_id: int
    ticket_id: str
    at: datetime
    should_have_escalated: bool
    route: str | None = None
    priority: Priority | None = None
    source: str
    provenance: Provenance
    note: str | None = None
    evidence: dict[str, Any] | None = None


class TicketFeedback(BaseModel):
    """A ticket's verdicts, newest first, and the label they add up to."""

    ticket_id: str
    escalated_when_scored: bool = Field(description="What the service decided at its latest scoring.")
    probability: float | None = None
    label: bool | None = Field(description="The latest explicit verdict, else the latest inferred one.")
    label_provenance: Provenance | None = None
    probable_miss: bool = Field(description="The service inferred a missed escalation for this ticket.")
    verdicts: list[FeedbackEntry]


def entry(row: Row) -> FeedbackEntry:
    """A ``feedback`` row as a domain object."""
    provenance: Provenance = "inferred" if row.source == "inferred" else "explicit"
    return FeedbackEntry(**{**row._asdict(), "provenance": provenance})


def label_of(entries: list[FeedbackEntry]) -> FeedbackEntry | None:
    """The verdict that labels the ticket: the newest explicit one, else the newest inferred one."""
    ordered = sorted(entries, key=lambda e: (e.at, e.feedback_id), reverse=True)
    explicit = [e for e in ordered if e.provenance == "explicit"]
    chosen = explicit or ordered
    return chosen[0] if chosen else None


class FeedbackDesk:
    """Takes verdicts and shows them per ticket; team-bound keys see only their teams' hand-offs."""

    def __init__(self, store: HandoffStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def give(self, verdict: Verdict, *, actor: Actor = TRUSTED) -> TicketFeedback:
        """Store ``verdict`` and return the ticket's verdicts with its label.

        Raises:
            HandoffNotFound: The ticket was never scored (or was forgotten), or its hand-off is with a
                team the key may not see.

        """
        with self.store.writing() as conn:
            _visible(conn, verdict.ticket_id, actor)
            values = verdict.model_dump()
            conn.execute(insert(feedback).values(**values, at=self.clock.now(), key_id=actor.key_id))
            return _summary(conn, verdict.ticket_id)

    def for_ticket(self, ticket_id: str, *, actor: Actor = TRUSTED) -> TicketFeedback:
        """The ticket's verdicts (explicit and inferred) and its label."""
        with self.store.reading() as conn:
            _visible(conn, ticket_id, actor)
            return _summary(conn, ticket_id)


def _visible(conn: Connection, ticket_id: str, actor: Actor) -> None:
    """Refuse (as not found, no existence leak) a ticket never scored or held by another team."""
    scored = conn.execute(select(tickets.c.ticket_id).where(tickets.c.ticket_id == ticket_id)).first()
    if scored is None:
        raise HandoffNotFound(f"ticket_id: no scored ticket {ticket_id}")
    holder = records.for_ticket(conn, ticket_id)
    if holder is not None and not actor.may_see(holder.team):
        raise HandoffNotFound(f"ticket_id: no scored ticket {ticket_id}")


def _summary(conn: Connection, ticket_id: str) -> TicketFeedback:
    """The ticket's verdicts, newest first, with the label and its latest scoring."""
    rows = conn.execute(
        select(feedback)
        .where(feedback.c.ticket_id == ticket_id)
        .order_by(feedback.c.at.desc(), feedback.c.feedback_id.desc())
    )
    entries = [entry(r) for r in rows]
    last = conn.execute(
        select(scorings.c.escalated, scorings.c.probability)
        .where(scorings.c.ticket_id == ticket_id)
        .order_by(scorings.c.scoring_id.desc())
        .limit(1)
    ).first()
    chosen = label_of(entries)
    return TicketFeedback(
        ticket_id=ticket_id,
        escalated_when_scored=bool(last.escalated)
        if last
        else records.for_ticket(conn, ticket_id) is not None,
        probability=last.probability if last else None,
        label=chosen.should_have_escalated if chosen else None,
        label_provenance=chosen.provenance if chosen else None,
        probable_miss=any(e.provenance == "inferred" for e in entries),
        verdicts=entries,
    )
