"""The ticket contract: the JSON shape every part of TicketBuddy reads and writes.

One ticket per line in a ``.jsonl`` file, and the same shape in the scoring API. Training records add
the labels ``escalated`` and optionally ``priority`` and ``route``. The models are strict about the
top level (an unknown field is a typo, not data) and free inside ``metadata``, within a depth and a
size: it is kept with every stored ticket and shown to agents, so a client must not make it a burden.
Times (``created_at``, ``sent_at``) lie in a window, ``EARLIEST_TIME`` up to ``LATEST_TIME``: year 1
or year 6426 is a broken export or an attack, and date arithmetic near the ends of the calendar
overflows. Labels and numbers are what they say: ``escalated`` is a JSON boolean (``"yes"`` or ``1``
is refused, not guessed), and a count or an amount is a finite number (``true``, ``Infinity`` and
``NaN`` are refused; a number written as a string, ``"12.5"``, is read as that number, as a CSV
export gives it). A ticket read back from the hand-off store (``context=STORED``) is not held to the
metadata limits nor to the time window: it was accepted under the rules of its day, and refusing it
now would lose a hand-off the store holds.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

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
#: Earliest time accepted in a ticket (``created_at``, ``sent_at``): older than any helpdesk export.
EARLIEST_TIME = datetime(1990, 1, 1, tzinfo=UTC)
#: First time no longer accepted (the window is ``EARLIEST_TIME <= t < LATEST_TIME``).
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)
#: The window in words, for error messages.
TIME_WINDOW = (
    f"from {EARLIEST_TIME:%Y-%m-%dT%H:%M:%SZ} up to, not including, {LATEST_TIME:%Y-%m-%dT%H:%M:%SZ}"
)
#: Validation context for a ticket read back from the hand-off store (see the module's docstring).
STORED = {"stored": True}

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
FamilyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
TicketId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


def _in_window(value: datetime, info: ValidationInfo) -> datetime:
    """The time in UTC (a naive one read as UTC), refused outside the window unless ``STORED``."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if in_window(aware):
        return aware.astimezone(UTC)
    if not (info.context or {}).get("stored"):
        field = info.field_name or "time"
        raise PydanticCustomError(
            "datetime_window", "{field} must be {window}", {"field": field, "window": TIME_WINDOW}
        )
    try:
        return aware.astimezone(UTC)
    except OverflowError:  # within a day of the calendar's ends: kept as given, still comparable
        return aware


def _no_flag(value: Any) -> Any:
    """Refuse ``true``/``false`` where a number belongs: lax mode would read them as 1 and 0."""
    if isinstance(value, bool):
        flag = "true" if value else "false"
        raise PydanticCustomError("number_type", "Input should be a number, not {flag}", {"flag": flag})
    return value


#: A time in the ticket contract: aware, in UTC, within the window (see ``in_window``).
Timestamp = Annotated[datetime, AfterValidator(_in_window)]
#: A finite amount, never a boolean.
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False), BeforeValidator(_no_flag)]
#: A share from 0 to 1, never a boolean.
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False), BeforeValidator(_no_flag)]
#: A count, never a boolean.
Count = Annotated[int, Field(ge=0), BeforeValidator(_no_flag)]


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
    lifetime_value: Amount | None = None
    tenure_days: Amount | None = None
    orders_12m: Count | None = None
    prior_escalations: Count | None = None

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
        sent_at: When it was sent, if known; in the same window as ``Ticket.created_at``.
        confidence: For ``bot`` turns only: the bot platform's own confidence in this answer (0–1).
            An unsure answer followed by the customer coming back is a reason to escalate.
        intent: For ``bot`` turns only: the intent label the bot platform matched, if it reports one.

    """

    model_config = ConfigDict(extra="forbid")

    role: Role
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)] = Field(
        max_length=MAX_MESSAGE_CHARS
    )
    sent_at: Timestamp | None = None
    confidence: Fraction | None = None
    intent: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _bot_only(self) -> Message:
        if self.role != "bot" and (self.confidence is not None or self.intent is not None):
            field = "confidence" if self.confidence is not None else "intent"
            raise ValueError(f"{field} is only for bot messages (the bot's own answer), not {self.role}")
        return self


class Ticket(BaseModel):
    """A customer-support ticket as TicketBuddy scores it.

    Attributes:
        ticket_id: Unique key of the ticket in the helpdesk.
        channel: ``email``, ``chat``, ``social``, ``phone`` or ``web``.
        created_at: When the ticket was opened (ISO 8601; a naive time is read as UTC), from
            ``EARLIEST_TIME`` up to, not including, ``LATEST_TIME``.
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
    created_at: Timestamp
    subject: str | None = Field(default=None, max_length=1_000)
    customer: Customer = Field(default_factory=Customer)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    metadata: dict[str, Any] = Field(default_factory=dict)

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
        escalated: Whether the ticket needed a human: a JSON boolean, never ``"yes"`` or ``1``.
        priority: The priority it was handled at, when escalated.
        route: The team (route name) that handled it, when escalated.
        triggers: The trigger families an annotator found in it (``[]``: none), when annotated; lets
            ``policy test`` measure each family's precision and recall directly.

    """

    escalated: StrictBool
    priority: Priority | None = None
    route: str | None = Field(default=None, max_length=64)
    triggers: list[FamilyName] | None = Field(default=None, max_length=32)


def metadata_problem(metadata: dict[str, Any]) -> str | None:
    """Why ``metadata`` is too deep, too big or holds ``NaN``/``Infinity``; None when it is fine.

    The limits are ``MAX_METADATA_DEPTH`` and ``MAX_METADATA_BYTES``. A number that is not finite is
    refused because JSON cannot write it: a store or a response would fail on it later.

    Example:
        >>> metadata_problem({"a": {"b": {"c": {"d": {"e": 1}}}}}) is None
        True
        >>> metadata_problem({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}})
        'nested more than 5 levels deep'
        >>> metadata_problem({"note": "x" * 20_000})
        'is 20,011 bytes as JSON, more than the 16,384 allowed'
        >>> metadata_problem({"order": {"total": float("nan")}})
        'holds a number that is not finite (NaN or Infinity), which JSON cannot carry'

    """
    if _deeper_than(metadata, MAX_METADATA_DEPTH):
        return f"nested more than {MAX_METADATA_DEPTH} levels deep"
    try:  # the size as stored, and strict JSON: one pass in C, whatever the metadata holds
        text = json.dumps(metadata, ensure_ascii=False, separators=(",", ":"), default=str, allow_nan=False)
    except ValueError:
        return "holds a number that is not finite (NaN or Infinity), which JSON cannot carry"
    size = len(text.encode())
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


def in_window(moment: datetime) -> bool:
    """True when ``moment`` (naive: read as UTC) is from ``EARLIEST_TIME`` up to ``LATEST_TIME``.

    Comparing never overflows, whatever the offset, so it is safe on any parsed time.

    Example:
        >>> in_window(datetime(1990, 1, 1)), in_window(datetime(2099, 12, 31, 23, 59))
        (True, True)
        >>> in_window(datetime(1989, 12, 31, 23, 59)), in_window(datetime(2100, 1, 1, tzinfo=UTC))
        (False, False)

    """
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return EARLIEST_TIME <= aware < LATEST_TIME


def customer_text(ticket: Ticket) -> str:
    """All customer turns of a ticket joined with blank lines, in order."""
    return "\n\n".join(m.text for m in ticket.messages if m.role == "customer")
