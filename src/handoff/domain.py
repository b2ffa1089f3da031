"""The hand-off's own types: what is built, stored and returned, independent of the HTTP API.

These are what the hand-off store writes (``handoffs.packet`` holds a ``Handoff`` as JSON, with its
format's version in ``handoffs.packet_version``) and what the queue, the intake and batch scoring
return. The API maps them to its response models at the edge (``serve.schemas``), so renaming an API
field never changes what is written to the database, and a stored packet of an older format is read
by the code that knows that format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ticketbuddy.schemas import Channel, Message, Priority
from ticketbuddy.scoring.scorer import ModelRef

#: The format of the ``Handoff`` JSON written to ``handoffs.packet`` (``handoffs.packet_version``).
#: Still 1 with ``history_omitted``: a field with a default reads every older packet as it was (nothing
#: left out), and older code ignores it.
PACKET_VERSION = 1
#: Most messages a packet's ``history`` holds: the newest, about what an agent reads before acting.
MAX_HISTORY = 200

HandoffStatus = Literal["queued", "claimed", "resolved"]
Outcome = Literal["needed", "not_needed"]
EventKind = Literal[
    "created",
    "message_appended",
    "linked",
    "priority_raised",
    "claimed",
    "released",
    "rerouted",
    "sla_breached",
    "resolved",
    "reopened",
]


class _Domain(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReasonEntry(_Domain):
    """Why part of a decision was taken: a stable ``code`` and a readable ``detail``."""

    code: str
    detail: str


class CustomerProfile(_Domain):
    """The customer as the agent needs to see them."""

    customer_id: str | None = None
    tier: str | None = None
    vip: bool = False
    lifetime_value: float | None = None
    tenure_days: float | None = None
    orders_12m: int | None = None
    prior_escalations: int | None = None
    open_orders: list[Any] = Field(default_factory=list)


class HistoryMessage(Message):
    """One message of a hand-off's history, marked with the ticket and channel it came from."""

    ticket_id: str | None = None
    channel: Channel | None = None


class LinkedTicket(_Domain):
    """A ticket whose messages are in the hand-off's history; ``messages``: every one it has had."""

    ticket_id: str
    channel: Channel
    created_at: datetime
    messages: int


class Handoff(_Domain):
    """A hand-off packet with its queue state: everything an agent needs, where it is, when it is due.

    ``history`` holds the messages of the escalated ticket and of the customer's linked tickets,
    merged in time order: the newest ``MAX_HISTORY``, with ``history_omitted`` counting the older ones
    left out (the summary says so). ``status``, ``team``, ``priority`` and ``due_by`` are the queue's
    state when the hand-off comes from the store.
    """

    handoff_id: str
    ticket_id: str
    route: str
    team: str
    team_name: str
    priority: Priority
    status: HandoffStatus = "queued"
    claimed_by: str | None = None
    sla_minutes: int
    due_by: datetime
    created_at: datetime
    probability: float | None
    confidence: float | None
    summary: str
    key_sentences: list[str]
    reasons: list[ReasonEntry]
    customer: CustomerProfile
    trajectory: dict[str, float]
    history: list[HistoryMessage]
    history_omitted: int = 0
    linked_tickets: list[LinkedTicket] = Field(default_factory=list)


class Scored(_Domain):
    """The outcome for one ticket: the decision, its reasons and the hand-off it is with, if any.

    ``escalate`` is True when a human has the ticket: a hand-off was created for it, or it joined or
    extended one. ``handed_over`` (not part of any answer) is True only when this request put the
    ticket with a human — created a hand-off, joined the customer's open one or re-opened a resolved
    one — and not for a replay or a new message on a hand-off that already had it: what the
    escalation metrics count.
    """

    ticket_id: str
    escalate: bool
    probability: float | None
    priority: Priority | None
    route: str | None
    reasons: list[ReasonEntry]
    model: ModelRef
    handoff: Handoff | None = None
    customer_reply: str | None = None
    handed_over: bool = Field(default=False, exclude=True)


class HandoffEvent(_Domain):
    """One entry of a hand-off's event log: what happened, when, who did it, from and to which team."""

    kind: EventKind
    at: datetime
    actor: str | None = None
    from_team: str | None = None
    to_team: str | None = None
    detail: str | None = None
    key_id: str | None = None


class QueueItem(_Domain):
    """A hand-off as the queue shows it: where it is, who has it, when it is due, and its summary."""

    handoff_id: str
    ticket_id: str
    customer_id: str | None
    route: str
    team: str
    team_name: str
    priority: Priority
    status: HandoffStatus
    sla_minutes: int
    due_by: datetime
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    resolved_at: datetime | None = None
    outcome: Outcome | None = None
    note: str | None = None
    escalation_step: int
    sla_breaches: int
    summary: str


class QueuePage(_Domain):
    """A page of the queue, most urgent first."""

    count: int
    items: list[QueueItem]


class HandoffDetail(QueueItem):
    """One hand-off in full: its queue state, the packet and the event log."""

    packet: Handoff
    events: list[HandoffEvent]


@dataclass(frozen=True)
class Actor:
    """Who acts on the queue: what the presenting API key says, never what a request body claims.

    Attributes:
        key_id: The key's public id, recorded on every event it causes; None in-process.
        agent_id: The agent the key acts as; None for a shared key (which must name an agent).
        teams: The teams whose hand-offs the key may see and act on; None for every team.
        admin: The key has the ``admin`` scope: it may force a release or resolve, which is logged.
        agent: The key has the ``agent`` scope: it may read the packets of its teams' hand-offs.
        trusted: In-process callers (commands, tests): the service itself, bound by nothing above.

    """

    key_id: str | None = None
    agent_id: str | None = None
    teams: frozenset[str] | None = None
    admin: bool = False
    trusted: bool = False
    agent: bool = False

    def may_see(self, team: str) -> bool:
        """Whether this actor may see and act on a hand-off now with ``team``."""
        return self.teams is None or team in self.teams


#: The service itself (commands, the sweeper, tests): every team, no agent of its own.
TRUSTED = Actor(trusted=True)
