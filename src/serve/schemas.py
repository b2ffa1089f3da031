"""Request and response models of the scoring API (``XIn`` / ``XOut``), the score contract of DESIGN.md.

The same ``ScoreOut`` is written, one per line, by ``ticketbuddy score``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from ticketbuddy.schemas import Message, Priority, Ticket

TicketIn = Ticket


class ReasonOut(BaseModel):
    """Why part of the decision was taken: a stable code and a readable detail."""

    code: str = Field(examples=["trigger.public_exposure"])
    detail: str = Field(examples=["matched 'twitter'"])


class ModelRefOut(BaseModel):
    """Which registered model scored the ticket; ``version`` is None when the rules decided alone."""

    name: str
    version: str | None
    threshold: float | None = None


class CustomerProfileOut(BaseModel):
    """The customer as the agent needs to see them."""

    customer_id: str | None = None
    tier: str | None = None
    vip: bool = False
    lifetime_value: float | None = None
    tenure_days: float | None = None
    orders_12m: int | None = None
    prior_escalations: int | None = None
    open_orders: list[Any] = Field(default_factory=list)


class HandoffOut(BaseModel):
    """Everything a human agent needs so the customer never repeats themselves."""

    handoff_id: str
    ticket_id: str
    route: str
    team: str
    team_name: str
    priority: Priority
    sla_minutes: int
    due_by: datetime
    created_at: datetime
    probability: float | None
    confidence: float | None
    summary: str
    key_sentences: list[str]
    reasons: list[ReasonOut]
    customer: CustomerProfileOut
    trajectory: dict[str, float]
    history: list[Message]


class ScoreOut(BaseModel):
    """The score of one ticket: the decision, its reasons and, when escalated, the hand-off."""

    ticket_id: str
    escalate: bool
    probability: float | None = Field(description="Calibrated probability that a human is needed.")
    priority: Priority | None = Field(description="P1 (most urgent) to P4; null when the AI keeps it.")
    route: str | None = Field(description="Route (team) taking it; null when the AI keeps it.")
    reasons: list[ReasonOut]
    model: ModelRefOut
    handoff: HandoffOut | None = None
    customer_reply: str | None = Field(
        default=None, description="Acknowledgement to send the customer, naming the team's SLA."
    )
