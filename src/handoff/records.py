"""Reading and writing hand-off rows and events inside a store transaction.

Functions here take an open ``Connection`` (from ``HandoffStore.writing`` / ``reading``) so callers
compose several steps into one transaction. State changes are conditional UPDATEs (``... WHERE status
= 'queued'``): when two agents or two sweepers act at once, exactly one UPDATE matches a row, on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, delete, insert, or_, select, update
from sqlalchemy.engine import Connection

from ticketbuddy.handoff.domain import Handoff, HandoffEvent, QueueItem
from ticketbuddy.handoff.tables import handoff_events, handoffs, tickets
from ticketbuddy.schemas import STORED

#: Columns that hold the queue's state; they override the same fields of the stored packet.
STATE_FIELDS = ("route", "team", "team_name", "priority", "status", "claimed_by", "sla_minutes", "due_by")


def to_handoff(row: Row) -> Handoff:
    """The stored packet with the queue's current state (team, priority, status, due time) on it."""
    packet = Handoff.model_validate(row.packet, context=STORED)
    state = {name: getattr(row, name) for name in STATE_FIELDS}
    fixed = {"handoff_id": row.handoff_id, "ticket_id": row.ticket_id, "created_at": row.created_at}
    return packet.model_copy(update={**state, **fixed})


def to_item(row: Row) -> QueueItem:
    """A row as the queue lists it."""
    return QueueItem(
        handoff_id=row.handoff_id,
        ticket_id=row.ticket_id,
        customer_id=row.customer_id,
        route=row.route,
        team=row.team,
        team_name=row.team_name,
        priority=row.priority,
        status=row.status,
        sla_minutes=row.sla_minutes,
        due_by=row.due_by,
        created_at=row.created_at,
        claimed_by=row.claimed_by,
        claimed_at=row.claimed_at,
        resolved_at=row.resolved_at,
        outcome=row.outcome,
        note=row.note,
        escalation_step=row.chain_step,
        sla_breaches=row.sla_breaches,
        summary=row.packet.get("summary", ""),
    )


def get(conn: Connection, handoff_id: str, for_update: bool = False) -> Row | None:
    """The hand-off row with this id, or None."""
    query = select(handoffs).where(handoffs.c.handoff_id == handoff_id)
    return conn.execute(query.with_for_update() if for_update else query).first()


def stored(conn: Connection, handoff_id: str) -> Row:
    """The hand-off row with this id, which the caller has just written (a missing one is a bug)."""
    row = get(conn, handoff_id)
    if row is None:
        raise LookupError(f"hand-off {handoff_id} was written in this transaction but cannot be read")
    return row


def for_ticket(conn: Connection, ticket_id: str, for_update: bool = False) -> Row | None:
    """The hand-off holding this ticket: opened for it, or joined by it as a linked ticket."""
    joined = select(tickets.c.handoff_id).where(tickets.c.ticket_id == ticket_id).scalar_subquery()
    query = select(handoffs).where(or_(handoffs.c.ticket_id == ticket_id, handoffs.c.handoff_id == joined))
    return conn.execute(query.with_for_update() if for_update else query).first()


def for_key(conn: Connection, key: str) -> Row | None:
    """The hand-off created by the request that carried this ``Idempotency-Key``."""
    return conn.execute(select(handoffs).where(handoffs.c.idempotency_key == key)).first()


def open_for_customer(conn: Connection, customer_id: str, since: datetime) -> Row | None:
    """The customer's most recently active open hand-off, changed since ``since`` (server time)."""
    query = (
        select(handoffs)
        .where(
            handoffs.c.customer_id == customer_id,
            handoffs.c.status != "resolved",
            handoffs.c.updated_at >= since,
        )
        .order_by(handoffs.c.updated_at.desc())
        .limit(1)
    )
    return conn.execute(query.with_for_update()).first()


def listing(
    conn: Connection,
    route: str | None = None,
    team: str | None = None,
    status: str | None = None,
    limit: int = 50,
    teams: frozenset[str] | None = None,
) -> list[Row]:
    """Hand-offs most urgent first (P1 before P2 ..., then oldest); open ones when no status is given."""
    query = select(handoffs)
    if route:
        query = query.where(handoffs.c.route == route)
    if team:
        query = query.where(handoffs.c.team == team)
    if teams is not None:
        query = query.where(handoffs.c.team.in_(sorted(teams)))
    query = query.where(handoffs.c.status == status if status else handoffs.c.status != "resolved")
    query = query.order_by(handoffs.c.priority, handoffs.c.created_at, handoffs.c.handoff_id).limit(limit)
    return list(conn.execute(query))


def overdue(conn: Connection, now: datetime, limit: int) -> list[Row]:
    """Queued (unclaimed) hand-offs whose due time has passed, longest overdue first."""
    return _oldest(conn, "queued", handoffs.c.due_by, now, limit)


def claimed_before(conn: Connection, before: datetime, limit: int) -> list[Row]:
    """Claimed hand-offs whose claim is older than ``before``, oldest claim first."""
    return _oldest(conn, "claimed", handoffs.c.claimed_at, before, limit)


def _oldest(conn: Connection, status: str, column: Any, until: datetime, limit: int) -> list[Row]:
    """Up to ``limit`` hand-offs in ``status`` whose ``column`` is at or before ``until``, earliest first."""
    query = select(handoffs).where(handoffs.c.status == status, column <= until).order_by(column).limit(limit)
    return list(conn.execute(query))


def resolved(conn: Connection) -> list[Row]:
    """Every resolved hand-off, in the order they were resolved."""
    query = select(handoffs).where(handoffs.c.status == "resolved").order_by(handoffs.c.resolved_at)
    return list(conn.execute(query))


def create(conn: Connection, values: Mapping[str, Any]) -> None:
    """Insert a hand-off row (``IntegrityError`` when its ticket or idempotency key already has one)."""
    conn.execute(insert(handoffs).values(**values))


def change(conn: Connection, handoff_id: str, values: Mapping[str, Any], **expected: Any) -> bool:
    """Update a hand-off only if its columns still hold ``expected``; True when the row was updated.

    Example:
        ``change(conn, id, {"status": "claimed", ...}, status="queued")`` is the claim: of two agents
        claiming at once, one UPDATE matches and the other finds the status already changed.

    """
    query = update(handoffs).where(handoffs.c.handoff_id == handoff_id)
    for column, value in expected.items():
        query = query.where(handoffs.c[column] == value)
    return conn.execute(query.values(**values)).rowcount == 1


def release(
    conn: Connection,
    handoff_id: str,
    at: datetime,
    actor: str,
    detail: str,
    team: str | None = None,
    key_id: str | None = None,
    **holder: Any,
) -> bool:
    """Put a claimed hand-off back in the queue if its claim still matches ``holder``; log ``released``.

    The SLA deadline is left as it was; ``team`` (whose queue it returns to) goes in the event when
    known. True when it was released; False when the claim changed meanwhile (resolved, released, or
    held by someone else).
    """
    values = {"status": "queued", "claimed_by": None, "claimed_at": None, "updated_at": at}
    if not change(conn, handoff_id, values, status="claimed", **holder):
        return False
    add_event(conn, handoff_id, "released", at, actor, team, team, detail, key_id)
    return True


def add_event(
    conn: Connection,
    handoff_id: str,
    kind: str,
    at: datetime,
    actor: str | None = None,
    from_team: str | None = None,
    to_team: str | None = None,
    detail: str | None = None,
    key_id: str | None = None,
) -> None:
    """Append one entry to a hand-off's event log (never updated; deleted only with its hand-off).

    ``key_id`` is the API key that caused it (its public id), None for the service's own moves.
    """
    conn.execute(
        insert(handoff_events).values(
            handoff_id=handoff_id,
            kind=kind,
            at=at,
            actor=actor,
            from_team=from_team,
            to_team=to_team,
            detail=detail,
            key_id=key_id,
        )
    )


def events(conn: Connection, handoff_id: str) -> list[HandoffEvent]:
    """A hand-off's event log, oldest first."""
    query = (
        select(handoff_events)
        .where(handoff_events.c.handoff_id == handoff_id)
        .order_by(handoff_events.c.event_id)
    )
    return [
        HandoffEvent(
            kind=r.kind,
            at=r.at,
            actor=r.actor,
            from_team=r.from_team,
            to_team=r.to_team,
            detail=r.detail,
            key_id=r.key_id,
        )
        for r in conn.execute(query)
    ]


@dataclass(frozen=True)
class Removed:
    """Rows deleted: hand-offs, their events, and tickets."""

    handoffs: int = 0
    events: int = 0
    tickets: int = 0

    def __add__(self, other: Removed) -> Removed:
        return Removed(
            self.handoffs + other.handoffs, self.events + other.events, self.tickets + other.tickets
        )


def delete_handoffs(conn: Connection, ids: Sequence[str], keep_tickets: ColumnElement[bool]) -> Removed:
    """Delete these hand-offs with their event logs and the tickets they hold.

    A held ticket matching ``keep_tickets`` is kept, no longer held by any hand-off: its next message
    is placed as any other ticket's (and it is forgotten when its own retention ends).
    """
    held = tickets.c.handoff_id.in_(ids)
    events_deleted = conn.execute(delete(handoff_events).where(handoff_events.c.handoff_id.in_(ids))).rowcount
    conn.execute(update(tickets).where(held, keep_tickets).values(handoff_id=None))
    tickets_deleted = conn.execute(delete(tickets).where(held)).rowcount
    handoffs_deleted = conn.execute(delete(handoffs).where(handoffs.c.handoff_id.in_(ids))).rowcount
    return Removed(handoffs_deleted, events_deleted, tickets_deleted)
