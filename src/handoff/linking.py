"""Conversations across messages and channels: appending re-sent tickets, merging linked histories.

A helpdesk may send a ticket's whole conversation with every new message, or only the new message;
``merge_ticket`` handles both by adding to what is stored only the messages it has not seen.
``merged_history`` puts the messages of a customer's linked tickets (an email, then a chat) into one
time-ordered history, each message marked with its ticket and channel, so the agent reads everything
the customer said, wherever they said it.

A stored ticket keeps its newest ``MAX_STORED_MESSAGES`` messages (what the model scores): a ticket
re-sent with ever more messages would otherwise grow, and be rewritten, without bound. How many older
messages were dropped is kept with it (``OMITTED_KEY`` in its ``metadata``, so that the stored JSON stays
a ticket any TicketBuddy reads), and those messages are not taken for new ones when sent again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketbuddy.handoff.domain import HistoryMessage, LinkedTicket
from ticketbuddy.schemas import MAX_MESSAGES, STORED, Channel, Message, Ticket, metadata_problem

#: Most messages a stored ticket keeps, the newest: all the model ever scores of a ticket.
MAX_STORED_MESSAGES = MAX_MESSAGES
#: The ``metadata`` key of a stored ticket that counts the older messages dropped from it.
OMITTED_KEY = "ticketbuddy_messages_omitted"


@dataclass(frozen=True)
class Conversation:
    """One stored ticket's conversation: its kept messages, and how many older ones were dropped."""

    ticket_id: str
    channel: Channel
    created_at: datetime
    messages: list[Message]
    omitted: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        """Read a ticket stored as JSON (``Ticket.model_dump(mode="json")`` with its kept messages)."""
        head = Ticket.model_validate({**data, "messages": data["messages"][:1]}, context=STORED)
        messages = [Message.model_validate(m, context=STORED) for m in data["messages"]]
        return cls(head.ticket_id, head.channel, head.created_at, messages, omitted_of(data))

    @property
    def total(self) -> int:
        """Every message the ticket has had, the dropped ones included."""
        return self.omitted + len(self.messages)

    def times(self) -> list[datetime]:
        """When each message was sent; a message without ``sent_at`` takes the time of the one before."""
        current, times = self.created_at, []
        for message in self.messages:
            current = message.sent_at or current
            times.append(current)
        return times

    def last_message_at(self) -> datetime:
        """When the conversation last moved (its creation time when no message is timed)."""
        return max([self.created_at, *self.times()])


def _key(message: Message) -> tuple[str, str, datetime | None]:
    return message.role, message.text, message.sent_at


def omitted_of(data: dict[str, Any]) -> int:
    """How many older messages were dropped from a stored ticket (0 for one never capped)."""
    return int((data.get("metadata") or {}).get(OMITTED_KEY, 0))


def new_messages(stored: Sequence[Message], incoming: Sequence[Message], dropped: int = 0) -> list[Message]:
    """The incoming messages not already stored, in their order (a repeated text counts each time).

    When older messages were dropped from the stored ones (``dropped`` > 0), an incoming message that
    is not stored but comes before the first stored one (a whole conversation sent again), or was sent
    before the oldest stored one, is taken as one of those: sent again, not new.
    """
    seen = Counter(_key(m) for m in stored)
    known = []
    for message in incoming:
        known.append(seen[_key(message)] > 0)
        seen[_key(message)] -= known[-1]
    first_known = known.index(True) if True in known else 0
    oldest = min((m.sent_at for m in stored if m.sent_at is not None), default=None)
    return [
        message
        for index, (message, is_known) in enumerate(zip(incoming, known, strict=True))
        if not is_known and not (dropped and (index < first_known or _sent_before(message, oldest)))
    ]


def _sent_before(message: Message, moment: datetime | None) -> bool:
    return moment is not None and message.sent_at is not None and message.sent_at < moment


def _in_order(messages: list[Message]) -> list[Message]:
    """Messages sorted by ``sent_at`` when every one has it; otherwise in the order they arrived."""
    if all(m.sent_at is not None for m in messages):
        return sorted(messages, key=lambda m: m.sent_at)  # type: ignore[arg-type,return-value]
    return messages


def merge_ticket(stored: dict[str, Any] | None, incoming: Ticket) -> tuple[dict[str, Any], list[Message]]:
    """The stored ticket brought up to date with ``incoming``, and the messages that are new.

    The newest customer profile, subject and metadata win; the earliest ``created_at`` is kept; the
    newest ``MAX_STORED_MESSAGES`` messages are kept, the count of older ones under ``OMITTED_KEY``.
    The stored metadata keys the incoming ticket does not repeat are kept too, unless together they
    would break the contract's limits on metadata: then the incoming metadata alone is kept.
    """
    if stored is None:
        data = incoming.model_dump(mode="json")
        data["metadata"].pop(OMITTED_KEY, None)  # a count only this module writes
        return data, list(incoming.messages)
    before = Conversation.from_json(stored)
    fresh = new_messages(before.messages, incoming.messages, before.omitted)
    messages = _in_order([*before.messages, *fresh])
    kept = messages[-MAX_STORED_MESSAGES:]
    metadata = _merged_metadata(stored.get("metadata", {}), incoming.metadata)
    metadata[OMITTED_KEY] = before.omitted + len(messages) - len(kept)
    if not metadata[OMITTED_KEY]:
        del metadata[OMITTED_KEY]
    merged = incoming.model_dump(mode="json")
    merged.update(
        created_at=min(before.created_at, incoming.created_at).isoformat(),
        subject=incoming.subject or stored.get("subject"),
        customer={**stored.get("customer", {}), **incoming.customer.model_dump(exclude_none=True)},
        metadata=metadata,
        messages=[m.model_dump(mode="json") for m in kept],
    )
    return merged, fresh


def _merged_metadata(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    """Stored keys the incoming ticket does not repeat, unless together they break the metadata caps."""
    merged = {**stored, **incoming}
    return dict(incoming) if metadata_problem(merged) else merged


def scoring_ticket(data: dict[str, Any]) -> Ticket:
    """The stored ticket as the model scores it: its latest ``MAX_MESSAGES`` messages, its own metadata."""
    metadata = {k: v for k, v in (data.get("metadata") or {}).items() if k != OMITTED_KEY}
    messages = data["messages"][-MAX_MESSAGES:]
    return Ticket.model_validate({**data, "messages": messages, "metadata": metadata}, context=STORED)


def in_time_order(conversations: Sequence[Conversation]) -> list[tuple[Conversation, Message]]:
    """Every message of the conversations in time order (ties: the older ticket's first), with its own."""
    timed = [
        ((when, c.created_at, c.ticket_id, i), c, message)
        for c in conversations
        for i, (when, message) in enumerate(zip(c.times(), c.messages, strict=True))
    ]
    timed.sort(key=lambda item: item[0])
    return [(c, m) for _, c, m in timed]


def merged_history(conversations: Sequence[Conversation]) -> list[HistoryMessage]:
    """Every message of the conversations in time order, each marked with its ticket and channel.

    Built from messages validated when they were read, so not validated again: a ticket stored before
    the contract's time window (``schemas.TIME_WINDOW``) keeps its history.
    """
    return [
        HistoryMessage.model_construct(
            role=m.role, text=m.text, sent_at=m.sent_at, ticket_id=c.ticket_id, channel=c.channel
        )
        for c, m in in_time_order(conversations)
    ]


def linked_tickets(conversations: Sequence[Conversation]) -> list[LinkedTicket]:
    """The tickets in a history, oldest first, each with every message it has had (dropped ones too)."""
    ordered = sorted(conversations, key=lambda c: (c.created_at, c.ticket_id))
    return [
        LinkedTicket.model_construct(
            ticket_id=c.ticket_id, channel=c.channel, created_at=c.created_at, messages=c.total
        )
        for c in ordered
    ]
