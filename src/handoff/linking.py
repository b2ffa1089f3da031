"""Conversations across messages and channels: appending re-sent tickets, merging linked histories.

A helpdesk may send a ticket's whole conversation with every new message, or only the new message;
``merge_ticket`` handles both by adding to what is stored only the messages it has not seen.
``merged_history`` puts the messages of a customer's linked tickets (an email, then a chat) into one
time-ordered history, each message marked with its ticket and channel, so the agent reads everything
the customer said, wherever they said it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ticketbuddy.handoff.domain import HistoryMessage, LinkedTicket
from ticketbuddy.schemas import MAX_MESSAGES, STORED, Message, Ticket, metadata_problem


@dataclass(frozen=True)
class Conversation:
    """One stored ticket's conversation: every message, however many (the model sees the last 500)."""

    ticket_id: str
    channel: str
    created_at: datetime
    messages: list[Message]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        """Read a ticket stored as JSON (``Ticket.model_dump(mode="json")`` with all its messages)."""
        head = Ticket.model_validate({**data, "messages": data["messages"][:1]}, context=STORED)
        messages = [Message.model_validate(m) for m in data["messages"]]
        return cls(head.ticket_id, head.channel, head.created_at, messages)

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


def new_messages(stored: Sequence[Message], incoming: Iterable[Message]) -> list[Message]:
    """The incoming messages not already stored, in their order (a repeated text counts each time)."""
    seen = Counter(_key(m) for m in stored)
    fresh = []
    for message in incoming:
        if seen[_key(message)] > 0:
            seen[_key(message)] -= 1
        else:
            fresh.append(message)
    return fresh


def _in_order(messages: list[Message]) -> list[Message]:
    """Messages sorted by ``sent_at`` when every one has it; otherwise in the order they arrived."""
    if all(m.sent_at is not None for m in messages):
        return sorted(messages, key=lambda m: m.sent_at)  # type: ignore[arg-type,return-value]
    return messages


def merge_ticket(stored: dict[str, Any] | None, incoming: Ticket) -> tuple[dict[str, Any], list[Message]]:
    """The stored ticket brought up to date with ``incoming``, and the messages that are new.

    The newest customer profile, subject and metadata win; the earliest ``created_at`` is kept. The
    stored metadata keys the incoming ticket does not repeat are kept too, unless together they
    would break the contract's limits on metadata: then the incoming metadata alone is kept.
    """
    if stored is None:
        return incoming.model_dump(mode="json"), list(incoming.messages)
    before = Conversation.from_json(stored)
    fresh = new_messages(before.messages, incoming.messages)
    messages = _in_order([*before.messages, *fresh])
    merged = incoming.model_dump(mode="json")
    merged.update(
        created_at=min(before.created_at, incoming.created_at).isoformat(),
        subject=incoming.subject or stored.get("subject"),
        customer={**stored.get("customer", {}), **incoming.customer.model_dump(exclude_none=True)},
        metadata=_merged_metadata(stored.get("metadata", {}), incoming.metadata),
        messages=[m.model_dump(mode="json") for m in messages],
    )
    return merged, fresh


def _merged_metadata(stored: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    merged = {**stored, **incoming}
    return incoming if metadata_problem(merged) else merged


def scoring_ticket(data: dict[str, Any]) -> Ticket:
    """The stored ticket as the model scores it: its latest ``MAX_MESSAGES`` messages."""
    return Ticket.model_validate({**data, "messages": data["messages"][-MAX_MESSAGES:]}, context=STORED)


def merged_history(conversations: Sequence[Conversation]) -> list[HistoryMessage]:
    """Every message of the conversations in time order, each marked with its ticket and channel."""
    timed = [
        ((when, c.created_at, c.ticket_id, i), c, message)
        for c in conversations
        for i, (when, message) in enumerate(zip(c.times(), c.messages, strict=True))
    ]
    timed.sort(key=lambda item: item[0])
    return [
        HistoryMessage(role=m.role, text=m.text, sent_at=m.sent_at, ticket_id=c.ticket_id, channel=c.channel)
        for _, c, m in timed
    ]


def linked_tickets(conversations: Sequence[Conversation]) -> list[LinkedTicket]:
    """The tickets in a history, oldest first."""
    ordered = sorted(conversations, key=lambda c: (c.created_at, c.ticket_id))
    return [
        LinkedTicket(
            ticket_id=c.ticket_id, channel=c.channel, created_at=c.created_at, messages=len(c.messages)
        )
        for c in ordered
    ]
