"""Request and response models of the API (``XIn`` / ``XOut``): scores (DESIGN.md) and hand-offs.

These are the API's shapes only. What the service computes and stores are the hand-off's domain types
(``handoff.domain``); ``as_api`` maps one to its response model at the edge, so the API can rename or
drop a field without changing what is stored, and a stored field the API does not show stays hidden.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, StringConstraints, ValidationError, field_validator

from ticketbuddy.handoff.domain import EventKind, HandoffStatus, Outcome
from ticketbuddy.schemas import (
    MAX_MESSAGE_CHARS,
    MAX_MESSAGES,
    STORED,
    Channel,
    Customer,
    Message,
    Priority,
    Ticket,
)

OutT = TypeVar("OutT", bound=BaseModel)
#: Text with something in it besides white space: ``\x1c``-``\x1f`` are white space to Python's
#: ``str.strip`` and regex but not to the validator's, so the pattern names them and both read it alike.
NOT_BLANK = r"[^\s\x1c-\x1f]"
NonBlank = StringConstraints(strip_whitespace=True, min_length=1, pattern=NOT_BLANK)
#: A JSON number, never ``true`` or ``"12"`` (which pydantic would otherwise read as 1 and 12).
Number = Field(default=None, ge=0, strict=True)
#: A finite JSON number: raw ``Infinity`` or ``NaN`` (which Python's JSON reads) is refused here too.
FiniteNumber = Field(default=None, ge=0, strict=True, allow_inf_nan=False)


def iso_text(value: Any) -> Any:
    """A time as the schema says: ISO 8601 text (pydantic would also read a number as Unix seconds).

    Raises:
        ValueError: ``value`` is a number (a 422 naming the field).

    """
    if isinstance(value, int | float):
        raise ValueError("a date-time is ISO 8601 text, not a number")
    return value


class CustomerIn(Customer):
    """``Customer`` as the API takes it: numbers are JSON numbers, as its schema says."""

    lifetime_value: float | None = FiniteNumber
    tenure_days: float | None = FiniteNumber
    orders_12m: int | None = Number
    prior_escalations: int | None = Number


class MessageIn(Message):
    """``Message`` as the API takes it: text that is not only white space, a numeric confidence."""

    text: Annotated[str, NonBlank] = Field(max_length=MAX_MESSAGE_CHARS)
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False, strict=True)

    _sent_at_text = field_validator("sent_at", mode="before")(iso_text)


class TicketIn(Ticket):
    """``Ticket`` as the API takes it: what its schema says is exactly what is accepted.

    The ticket contract (``ticketbuddy.schemas``) also reads files, whose numbers may be text; a
    request's JSON types must be the schema's, and a text of white space only is refused, not stripped
    to nothing after the schema allowed it. ``as_ticket`` hands the contract's own model on.
    """

    ticket_id: Annotated[str, NonBlank, StringConstraints(max_length=128)]
    customer: CustomerIn | None = Field(default_factory=CustomerIn)  # type: ignore[assignment]  # null: {}
    messages: list[MessageIn] = Field(min_length=1, max_length=MAX_MESSAGES)  # type: ignore[assignment]

    _created_at_text = field_validator("created_at", mode="before")(iso_text)

    def as_ticket(self) -> Ticket:
        """The same ticket as the contract's ``Ticket`` (what scoring and the store work with).

        Raises:
            RequestValidationError: The contract refuses what this model let through (a 422 naming the
                field, as for any invalid body, never a 500); the two are meant to agree.

        """
        try:
            return Ticket.model_validate(self.model_dump())
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False)
            errors = [{**error, "loc": ("body", *error["loc"])} for error in errors]
            raise RequestValidationError(errors) from None


def as_api(model: type[OutT], value: BaseModel) -> OutT:
    """A domain object (``handoff.domain``) as the API's response model ``model``.

    Validated as stored (``schemas.STORED``): what the service holds was accepted under the rules of
    its day, and a hand-off stored before a limit was added must still be shown, not fail.
    """
    return model.model_validate(value.model_dump(), context=STORED)


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


class HistoryMessageOut(Message):
    """One message of a hand-off's history, marked with the ticket and channel it came from."""

    ticket_id: str | None = None
    channel: Channel | None = None


class LinkedTicketOut(BaseModel):
    """A ticket whose messages are in the hand-off's history (the escalated one and its linked ones)."""

    ticket_id: str
    channel: Channel
    created_at: datetime
    messages: int = Field(description="Every message the ticket has had, older ones left out included.")


class HandoffRefOut(BaseModel):
    """The hand-off as a key that may not read the customer's packet sees it: where it is, when due."""

    handoff_id: str
    ticket_id: str
    route: str
    team: str
    team_name: str
    priority: Priority
    status: HandoffStatus = "queued"
    sla_minutes: int
    due_by: datetime
    created_at: datetime


class HandoffOut(HandoffRefOut):
    """Everything a human agent needs so the customer never repeats themselves.

    ``history`` holds the messages of the escalated ticket and of the customer's linked tickets from
    other channels, merged in time order: the newest ones, ``history_omitted`` counting the older ones
    left out; ``status``, ``team``, ``priority`` and ``due_by`` are the queue's current state when the
    hand-off comes from the store.
    """

    claimed_by: str | None = None
    probability: float | None
    confidence: float | None
    summary: str
    key_sentences: list[str]
    reasons: list[ReasonOut]
    customer: CustomerProfileOut
    trajectory: dict[str, float]
    history: list[HistoryMessageOut]
    history_omitted: int = Field(
        default=0, description="Older messages left out of history, which holds the newest ones."
    )
    linked_tickets: list[LinkedTicketOut] = Field(default_factory=list)


class ScoreOut(BaseModel):
    """The score of one ticket: the decision, its reasons and, when escalated, the hand-off."""

    ticket_id: str
    escalate: bool
    probability: float | None = Field(description="Calibrated probability that a human is needed.")
    priority: Priority | None = Field(description="P1 (most urgent) to P4; null when the AI keeps it.")
    route: str | None = Field(description="Route (team) taking it; null when the AI keeps it.")
    reasons: list[ReasonOut]
    model: ModelRefOut
    handoff: HandoffOut | HandoffRefOut | None = Field(
        default=None,
        description="The hand-off when escalated: the full packet for a key that may read it (agent of"
        " its team, or admin), else its id, route, team, priority, status and SLA.",
    )
    customer_reply: str | None = Field(
        default=None, description="Acknowledgement to send the customer, naming the team's SLA."
    )


AgentId = Annotated[str, NonBlank, StringConstraints(max_length=128)]


AGENT_FROM_KEY = (
    "The agent acting. A key that acts as one agent needs none (another one is refused with 403); a shared"
    " key must name it (422 without)."
)


class ClaimIn(BaseModel):
    """An agent takes a queued hand-off."""

    agent_id: AgentId | None = Field(default=None, examples=["agent-042"], description=AGENT_FROM_KEY)


class ReleaseIn(BaseModel):
    """The agent holding a hand-off gives it back to the queue (or an admin key forces it)."""

    agent_id: AgentId | None = Field(default=None, examples=["agent-042"], description=AGENT_FROM_KEY)
    note: str | None = Field(default=None, max_length=5_000, examples=["end of shift"])
    force: bool = Field(
        default=False, strict=True, description="Release whoever holds it (admin scope; logged)."
    )


class ResolveIn(BaseModel):
    """The agent's verdict on a claimed hand-off; it becomes a training label.

    Attributes:
        outcome: ``needed`` when the ticket really needed a human, ``not_needed`` otherwise.
        note: Free text for the record.
        agent_id: The agent holding the claim (see ``ClaimIn``); only the holder may resolve.
        force: Resolve whoever holds it (admin scope; logged).

    """

    outcome: Outcome
    note: str | None = Field(default=None, max_length=5_000)
    agent_id: AgentId | None = Field(default=None, description=AGENT_FROM_KEY)
    force: bool = Field(default=False, strict=True)


class HandoffEventOut(BaseModel):
    """One entry of a hand-off's event log: what happened, when, who did it, from and to which team."""

    kind: EventKind
    at: datetime
    actor: str | None = None
    from_team: str | None = None
    to_team: str | None = None
    detail: str | None = None
    key_id: str | None = Field(default=None, description="The API key that did it (its public id).")


class HandoffItemOut(BaseModel):
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
    escalation_step: int = Field(description="Steps taken along the route's escalation chain.")
    sla_breaches: int = Field(description="SLA periods that passed unclaimed after the chain ran out.")
    summary: str


class HandoffListOut(BaseModel):
    """A page of the queue, most urgent first (P1 before P2 ..., then oldest)."""

    count: int
    items: list[HandoffItemOut]


class HandoffDetailOut(HandoffItemOut):
    """One hand-off in full: its queue state, the packet and the event log."""

    packet: HandoffOut
    events: list[HandoffEventOut]


class ErrorOut(BaseModel):
    """Why a request was refused (401, 403, 404, 409, 413, 429, 503 ...): one readable sentence.

    A 422 keeps FastAPI's validation shape instead: a list of errors, each naming its field.
    """

    detail: str = Field(examples=["no hand-off h-0123"])
