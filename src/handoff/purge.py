"""Erasing one customer from the hand-off store (``ticketbuddy purge --customer ID``).

The right to be forgotten wins over the queue: in one transaction, the purge deletes

- every ticket of the customer: the ticket rows with their ``customer_id``, and the ticket each of
  their hand-offs was opened for;
- every hand-off opened for the customer (``handoffs.customer_id``) or for one of those tickets, open
  ones too (an agent working one sees it gone), with its event log; a ticket of someone else that
  one of them held is kept, held by none;
- the customer's messages copied into other hand-offs' packets. A ticket joins the hand-off of the
  customer it was sent for, and stays with it when the helpdesk later sends it under another
  customer id (records merged or corrected): the first customer's packet then holds the second
  one's messages, marked with the ticket's id. Those messages leave the packet's history and linked
  tickets, and the summary, key sentences and mood are made again from what is left.

Other packets are searched for the customer's ticket ids in their JSON text, so a copy is found even
when no row points at it any more. That reads every packet once (a rare, deliberate operation); on
SQLite the store's writers wait meanwhile, on PostgreSQL only those of this customer.

Nothing of the customer id is kept to record the purge: customer ids are few and guessable, so a
hash of one is found again by hashing each of them, and would keep the link the purge removes. The
log gets one warning with the counts (stamped with its time by the log); who asked, and why, belongs
with the request itself; and a second purge of the same id, which finds nothing, shows it is done.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Row, Select, Text, cast, delete, false, func, or_, select, true
from sqlalchemy.engine import Connection

from ticketbuddy.handoff import records
from ticketbuddy.handoff import tickets as ticket_log
from ticketbuddy.handoff.domain import PACKET_VERSION, Handoff
from ticketbuddy.handoff.linking import scoring_ticket
from ticketbuddy.handoff.packet import without_tickets
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import feedback, handoff_events, handoffs, scorings, tickets
from ticketbuddy.policy.engine import PolicyEngine
from ticketbuddy.schemas import STORED

log = logging.getLogger(__name__)
#: Ticket ids looked for in one scan of the packets (one condition each: SQLite limits their depth).
IDS_PER_SCAN = 100


@dataclass(frozen=True)
class Erasure:
    """What a purge removed (or would remove): counts that reconcile with the rows that were there."""

    tickets: int = 0
    handoffs: int = 0
    open_handoffs: int = 0
    events: int = 0
    messages: int = 0
    other_handoffs: int = 0
    outcomes: int = 0

    @property
    def nothing(self) -> bool:
        """Whether there is nothing of the customer to remove."""
        return not (self.tickets or self.handoffs or self.events or self.messages or self.outcomes)

    def lines(self) -> list[str]:
        """The counts, one line each, for the terminal."""
        return [
            f"tickets deleted: {self.tickets}",
            f"hand-offs deleted: {self.handoffs}, of which open (closed by the purge): {self.open_handoffs}",
            f"events deleted: {self.events}",
            f"messages removed from other hand-offs: {self.messages} (from {self.other_handoffs} hand-offs)",
            f"scorings and verdicts deleted: {self.outcomes}",
        ]

    def describe(self) -> str:
        """The counts on one line, for the log and the confirmation question."""
        return (
            f"tickets {self.tickets}, hand-offs {self.handoffs} (open {self.open_handoffs}),"
            f" events {self.events}, messages in other hand-offs {self.messages} (in {self.other_handoffs}),"
            f" scorings and verdicts {self.outcomes}"
        )


@dataclass(frozen=True)
class _Found:
    """The customer's ticket ids, their hand-offs, and the other hand-offs holding their messages."""

    ticket_ids: set[str]
    own: list[Row]
    others: list[Row]


def preview(store: HandoffStore, customer_id: str) -> Erasure:
    """What ``purge_customer`` would remove now; nothing is changed.

    Raises:
        StoreUnavailable: The store cannot be read.

    """
    with store.reading() as conn:
        found = _find(conn, customer_id, lock=False)
        existing = select(func.count()).where(tickets.c.ticket_id.in_(found.ticket_ids))
        events = select(func.count()).where(handoff_events.c.handoff_id.in_(_ids(found.own)))
        return Erasure(
            tickets=conn.execute(existing).scalar_one(),
            handoffs=len(found.own),
            open_handoffs=_open(found.own),
            events=conn.execute(events).scalar_one(),
            messages=sum(_copied(row, found.ticket_ids) for row in found.others),
            other_handoffs=len(found.others),
            outcomes=sum(
                conn.execute(select(func.count()).where(c)).scalar_one()
                for c in _outcomes(found, customer_id)
            ),
        )


def purge_customer(store: HandoffStore, customer_id: str, engine: PolicyEngine) -> Erasure:
    """Erase one customer from the store, in one transaction; a second run removes nothing.

    Args:
        store: The hand-off store.
        customer_id: The customer's ``customer.customer_id``.
        engine: Reads the mood and signals of the other packets' messages that are left.

    Raises:
        StoreUnavailable: The store cannot be written; nothing was erased.

    """
    with store.writing() as conn:
        ticket_log.lock_customer(conn, customer_id)
        found = _find(conn, customer_id, lock=True)
        messages = sum(_strip(conn, row, found.ticket_ids, engine) for row in found.others)
        deleted = conn.execute(delete(tickets).where(tickets.c.ticket_id.in_(found.ticket_ids))).rowcount
        # What the customer's hand-offs still hold is someone else's ticket: kept, held by none.
        removed = records.delete_handoffs(conn, _ids(found.own), keep_tickets=true())
        scored, judged = _outcomes(found, customer_id)
        outcomes = conn.execute(delete(scorings).where(scored)).rowcount
        outcomes += conn.execute(delete(feedback).where(judged)).rowcount
    erasure = Erasure(
        deleted, removed.handoffs, _open(found.own), removed.events, messages, len(found.others), outcomes
    )
    log.warning("a customer was erased from hand-off store %s: %s", store.where, erasure.describe())
    return erasure


def _find(conn: Connection, customer_id: str, lock: bool) -> _Found:
    """The customer's tickets and hand-offs, and the other hand-offs holding their messages."""

    def rows(query: Select) -> list[Row]:
        return list(conn.execute(query.with_for_update() if lock else query))

    ticket_ids = {
        r.ticket_id for r in rows(select(tickets.c.ticket_id).where(tickets.c.customer_id == customer_id))
    }
    mine = or_(handoffs.c.customer_id == customer_id, handoffs.c.ticket_id.in_(ticket_ids))
    own = rows(select(handoffs).where(mine))
    ticket_ids |= {row.ticket_id for row in own}
    ordered = sorted(ticket_ids)
    scans = (
        _mentioning(ordered[i : i + IDS_PER_SCAN], _ids(own)) for i in range(0, len(ordered), IDS_PER_SCAN)
    )
    others = {row.handoff_id: row for scan in scans for row in rows(scan) if _copied(row, ticket_ids)}
    return _Found(ticket_ids, own, list(others.values()))


def _outcomes(found: _Found, customer_id: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The customer's scorings and the verdicts on their tickets (ids and figures, tied to a person)."""
    ids = sorted(found.ticket_ids)
    return (
        or_(scorings.c.customer_id == customer_id, scorings.c.ticket_id.in_(ids)),
        feedback.c.ticket_id.in_(ids),
    )


def _mentioning(ticket_ids: Collection[str], besides: Sequence[str]) -> Select:
    """Hand-offs (other than ``besides``) whose packet's JSON text names one of the tickets."""
    text = cast(handoffs.c.packet, Text)
    names = [text.contains(json.dumps(t), autoescape=True) for t in ticket_ids]
    return select(handoffs).where(or_(false(), *names), handoffs.c.handoff_id.not_in(besides))


def _copied(row: Row, ticket_ids: Collection[str]) -> int:
    """How many messages of these tickets a hand-off's packet holds."""
    return sum(m.get("ticket_id") in ticket_ids for m in row.packet.get("history", []))


def _strip(conn: Connection, row: Row, ticket_ids: Collection[str], engine: PolicyEngine) -> int:
    """Take the customer's messages out of another hand-off's packet; how many there were."""
    packet = Handoff.model_validate(row.packet, context=STORED)
    cleaned = without_tickets(packet, ticket_ids, scoring_ticket(row.ticket), engine)
    values = {"packet": cleaned.model_dump(mode="json"), "packet_version": PACKET_VERSION}
    records.change(conn, row.handoff_id, values)
    return len(packet.history) - len(cleaned.history)


def _ids(rows: Sequence[Row]) -> list[str]:
    return [row.handoff_id for row in rows]


def _open(rows: Sequence[Row]) -> int:
    return sum(row.status != "resolved" for row in rows)
