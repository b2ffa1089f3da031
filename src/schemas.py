"""The ticket contract: the JSON shape every part of TicketBuddy reads and writes.

One ticket per line in a ``.jsonl`` file, and the same shape in the scoring API. Training records add
the labels ``escalated`` and optionally ``priority`` and ``route``. The models are strict about the
top level (an unknown field is a typo, not data) and free inside ``metadata``, within a depth and a
size: it is kept with every stored ticket and shown to agents, so a client must not make it a burden.
A ticket read back from the hand-off store (``context=STORED``) is not held to those two limits: it
was accepted under the rules of its day.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

Channel = Literal["email", "chat", "social", "phone", "web"]
Role = Literal["customer", "agent", "bot"]
Priority = Literal["P1", "P2", "P3", "P4"]

#: Longest message text accepted, in characters. Real e-mails with quoted history stay well below it;
#: anything longer is a paste accident or an attack and is refused with a clear reason.
MAX_MESSAGE_CHARS = 20_000
#: Most messages in one ticket.
MAX_MESSAGES = 500
#: Deepest nesting of ``metadata``: the object itself is level 1, ``{"order": {"lines": [...]}}`` is 3.
MAX_METADATA_DEPTH = 5
#: Largest ``metadata``, in bytes of compact UTF-8 JSON: facts for the agent, not a document store.
MAX_METADATA_BYTES = 16 * 1024
#: Validation context for a ticket read back from the hand-off store (see the module's docstring).
STORED = {"stored": True}

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
FamilyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
TicketId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class Customer(BaseModel):
    """What the organisation knows of the customer; every field is optional.

    Attributes:
        customer_id: The organisation's customer key; links tickets across channels.
        tier: Loyalty tier, lower-cased (e.g. ``standard``, ``silver``, ``gold``, ``vip``).
        lifetime_value: Money spent with the organisation, in its currency.
        tenure_days: Days since the customer's first order or sign-up.
        orders_12m: Orders in the past twelve months.
        prior_escalations: Earlier tickets of this customer that went to a human.

    """

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, max_length=128)
    tier: str | None = Field(default=None, max_length=32)
    lifetime_value: float | None = Field(default=None, ge=0)
    tenure_days: float | None = Field(default=None, ge=0)
    orders_12m: int | None = Field(default=None, ge=0)
    prior_escalations: int | None = Field(default=None, ge=0)

    @field_validator("tier")
    @classmethod
    def _normalise_tier(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip().lower()
        return value or None


class Message(BaseModel):
    """One turn of the conversation.

    Attributes:
        role: Who wrote it: ``customer``, ``agent`` (a human) or ``bot`` (the AI assistant).
        text: What was written; never empty.
        sent_at: When it was sent, if known.
        confidence: For ``bot`` turns only: the bot platform's own confidence in this answer (0–1).
            An unsure answer followed by the customer coming back is a reason to escalate.
        intent: For ``bot`` turns only: the intent label the bot platform matched, if it reports one.

    """

    model_config = ConfigDict(extra="forbid")

    role: Role
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        max_length=MAX_MESSAGE_CHARS
    )
    sent_at: datetime | None = None
    confidence: float | None = Field(default=None, ge=0.0, le=1.0, allow_inf_nan=False)
    intent: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _bot_only(self) -> Message:
        if self.role != "bot" and (self.confidence is not None or self.intent is not None):
            field = "confidence" if self.confidence is not None else "intent"
            raise ValueError(f"{field} is only for bot messages (the bot's own answer), not {self.role}")
        return self

    @field_validator("sent_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        return _as_utc(value) if value is not None else None


class Ticket(BaseModel):
    """A customer-support ticket as TicketBuddy scores it.

    Attributes:
        ticket_id: Unique key of the ticket in the helpdesk.
        channel: ``email``, ``chat``, ``social``, ``phone`` or ``web``.
        created_at: When the ticket was opened (ISO 8601; a naive time is read as UTC).
        subject: Subject line, for channels that have one.
        customer: The customer's profile; any field may be missing.
        messages: The conversation in time order; at least one message.
        metadata: Free-form extra facts (open orders, source system, ...).

    Example:
        >>> Ticket.model_validate({"ticket_id": "T-1", "channel": "chat",
        ...     "created_at": "2026-11-01T09:00:00Z",
        ...     "messages": [{"role": "customer", "text": "Where is my order?"}]}).channel
        'chat'

    """

    model_config = ConfigDict(extra="forbid")

    ticket_id: TicketId
    channel: Channel
    created_at: datetime
    subject: str | None = Field(default=None, max_length=1_000)
    customer: Customer = Field(default_factory=Customer)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("created_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return _as_utc(value)

    @field_validator("metadata")
    @classmethod
    def _bounded(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        problem = metadata_problem(value)
        if problem and not (info.context or {}).get("stored"):
            raise ValueError(problem)
        return value

    @field_validator("customer", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value


class LabelledTicket(Ticket):
    """A historical ticket with the decision a human made about it.

    Attributes:
        escalated: Whether the ticket needed a human.
        priority: The priority it was handled at, when escalated.
        route: The team (route name) that handled it, when escalated.
        triggers: The trigger families an annotator found in it (``[]``: none), when annotated; lets
            ``policy test`` measure each family's precision and recall directly.

    """

    escalated: bool
    priority: Priority | None = None
    route: str | None = Field(default=None, max_length=64)
    triggers: list[FamilyName] | None = Field(default=None, max_length=32)


def metadata_problem(metadata: dict[str, Any]) -> str | None:
    """Why ``metadata`` is over ``MAX_METADATA_DEPTH`` or ``MAX_METADATA_BYTES``; None when within both.

    Example:
        >>> metadata_problem({"a": {"b": {"c": {"d": {"e": 1}}}}}) is None
        True
        >>> metadata_problem({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}})
        'nested more than 5 levels deep'
        >>> metadata_problem({"note": "x" * 20_000})
        'is 20,011 bytes as JSON, more than the 16,384 allowed'

    """
    if _deeper_than(metadata, MAX_METADATA_DEPTH):
        return f"nested more than {MAX_METADATA_DEPTH} levels deep"
    size = len(json.dumps(metadata, ensure_ascii=False, separators=(",", ":"), default=str).encode())
    if size > MAX_METADATA_BYTES:
        return f"is {size:,} bytes as JSON, more than the {MAX_METADATA_BYTES:,} allowed"
    return None


def _deeper_than(value: Any, levels: int) -> bool:
    """True when objects and arrays in ``value`` nest more than ``levels`` deep.

    It stops as soon as they do, so an object nested 10,000 deep costs no more than one nested 6 deep.
    """
    if not isinstance(value, dict | list):
        return False
    if levels == 0:
        return True
    children = value.values() if isinstance(value, dict) else value
    return any(_deeper_than(child, levels - 1) for child in children)


def _as_utc(value: datetime) -> datetime:
    """Read a naive timestamp as UTC so that times from different sources compare."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00: a ValueError is a 422 naming the field, not a 500
        raise ValueError("outside the times UTC can hold (years 1 to 9999)") from None


def customer_text(ticket: Ticket) -> str:
    """All customer turns of a ticket joined with blank lines, in order."""
    return "\n\n".join(m.text for m in ticket.messages if m.role == "customer")
