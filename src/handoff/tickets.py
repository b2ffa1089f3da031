"""The log of every scored ticket: the memory that links a customer's channels and appends new messages.

Every ticket the API scores is recorded here, escalated or not, because the chat that escalates may
come hours after an email that did not: the agent must see both. Rows older than the retention period
are purged (``handoff.retention``, a batch at a time), except those a hand-off holds (they go with it)
and those an open hand-off may still need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, text, update
from sqlalchemy.engine import Connection

from ticketbuddy.handoff.linking import Conversation, merge_ticket, scoring_ticket
from ticketbuddy.handoff.tables import handoffs, tickets
from ticketbuddy.schemas import Message, Ticket


@dataclass(frozen=True)
class Recorded:
    """A ticket after recording: as stored (every message), as the model scores it, and what was new.

    Attributes:
        data: The stored ticket JSON, with every message received so far under its id.
        ticket: The same ticket as the model scores it (its latest messages).
        new: The messages this request added (all of them the first time the ticket is seen).

    """

    data: dict[str, Any]
    ticket: Ticket
    new: list[Message]


def record(conn: Connection, incoming: Ticket, now: datetime) -> Recorded:
    """Store ``incoming`` (or bring its stored copy up to date) and return the merged ticket.

    Raises:
        IntegrityError: Another transaction inserted the same new ticket first (PostgreSQL); retry.

    """
    query = select(tickets.c.ticket).where(tickets.c.ticket_id == incoming.ticket_id).with_for_update()
    stored = conn.execute(query).scalar_one_or_none()
    data, fresh = merge_ticket(stored, incoming)
    conversation = Conversation.from_json(data)
    values = {
        "customer_id": data.get("customer", {}).get("customer_id"),
        "channel": data["channel"],
        "created_at": conversation.created_at,
        "last_message_at": conversation.last_message_at(),
        "last_seen_at": now,
        "ticket": data,
    }
    if stored is None:
        conn.execute(insert(tickets).values(ticket_id=incoming.ticket_id, **values))
    else:
        conn.execute(update(tickets).where(tickets.c.ticket_id == incoming.ticket_id).values(**values))
    return Recorded(data, scoring_ticket(data), fresh)


def lock_for_placement(conn: Connection, ticket_id: str, customer_id: str | None) -> None:
    """Hold, until the transaction ends, the right to place this ticket (and this customer's tickets).

    Deciding where a ticket goes reads rows that may not exist yet (its hand-off, the customer's open
    one), and locking a missing row blocks nobody. On SQLite ``BEGIN IMMEDIATE`` already serialises
    writers; on PostgreSQL the ticket's log row is locked, and the customer's tickets take an advisory
    lock, so concurrent requests for one ticket or one customer are placed one after the other and
    see each other's hand-off instead of racing to create two or linking a ticket to itself.
    """
    conn.execute(select(tickets.c.ticket_id).where(tickets.c.ticket_id == ticket_id).with_for_update())
    if customer_id:
        lock_customer(conn, customer_id)


def lock_customer(conn: Connection, customer_id: str) -> None:
    """Hold, until the transaction ends, the right to place this customer's tickets (PostgreSQL).

    On SQLite ``BEGIN IMMEDIATE`` already gives a writer the whole database.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"customer:{customer_id}"})


def load(conn: Connection, ticket_id: str) -> dict[str, Any] | None:
    """The stored ticket JSON, or None when it was never seen (or has been purged)."""
    query = select(tickets.c.ticket).where(tickets.c.ticket_id == ticket_id)
    return conn.execute(query).scalar_one_or_none()


def attach(conn: Connection, ticket_id: str, handoff_id: str) -> None:
    """Mark the ticket as held by the hand-off (new messages on it go to that hand-off)."""
    conn.execute(update(tickets).where(tickets.c.ticket_id == ticket_id).values(handoff_id=handoff_id))


def history(
    conn: Connection, handoff_id: str, customer_id: str | None, since: datetime
) -> list[Conversation]:
    """A hand-off's conversations: its own tickets, and the customer's tickets received since ``since``."""
    mine = tickets.c.handoff_id == handoff_id
    linked = and_(tickets.c.customer_id == customer_id, tickets.c.last_seen_at >= since)
    condition = or_(mine, linked) if customer_id else mine
    rows = conn.execute(select(tickets.c.ticket).where(condition).order_by(tickets.c.created_at))
    return [Conversation.from_json(data) for data in rows.scalars()]


def needed_by_open_handoff() -> ColumnElement[bool]:
    """Tickets an open hand-off may still need: held by one, or of a customer who has one.

    A rebuilt packet reads the customer's tickets of the link window, so retention keeps them all
    while the customer has a hand-off open. Never NULL, so ``~needed_by_open_handoff()`` is safe.
    """
    open_handoffs = select(handoffs.c.handoff_id).where(handoffs.c.status != "resolved")
    open_customers = select(handoffs.c.customer_id).where(
        handoffs.c.status != "resolved", handoffs.c.customer_id.is_not(None)
    )
    return or_(
        and_(tickets.c.handoff_id.is_not(None), tickets.c.handoff_id.in_(open_handoffs)),
        and_(tickets.c.customer_id.is_not(None), tickets.c.customer_id.in_(open_customers)),
    )


def purge(conn: Connection, before: datetime, limit: int) -> int:
    """Forget up to ``limit`` tickets last seen before ``before`` that no hand-off holds or may need.

    A ticket a hand-off holds goes with that hand-off (``retention.expire_resolved``), so that the
    stored copy a packet was built from lives as long as the packet.

    Returns:
        How many tickets were deleted.

    """
    held = and_(tickets.c.handoff_id.is_not(None), tickets.c.handoff_id.in_(select(handoffs.c.handoff_id)))
    expired = and_(tickets.c.last_seen_at < before, ~held, ~needed_by_open_handoff())
    oldest = select(tickets.c.ticket_id).where(expired).order_by(tickets.c.last_seen_at).limit(limit)
    ids = list(conn.execute(oldest.with_for_update()).scalars())
    if not ids:
        return 0
    return conn.execute(delete(tickets).where(tickets.c.ticket_id.in_(ids), expired)).rowcount
