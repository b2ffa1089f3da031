"""Retention: what customers wrote is kept for the retention period, then deleted, a batch at a time.

Two kinds of record hold customer text, and one period (``TICKETBUDDY_TICKET_RETENTION_DAYS``)
governs both, so that no copy outlives the original:

- a **scored ticket** (``tickets``) is forgotten once last seen longer ago than the period;
- a **resolved hand-off** is deleted — its row (packet, ticket copy, agent's note), its event log and
  the tickets it holds — once resolved longer ago than the period, and none of its tickets seen since
  (a customer still writing on the ticket keeps it, so a late "thanks" is read against its verdict).

Scorings and verdicts (``handoff.outcomes``) hold no customer text, but their ids tie them to a person:
they are deleted after the same period, counted by when they were made.

Open hand-offs (queued, claimed) are never touched, whatever their age, and neither are the tickets
they may need: those the open hand-off holds and every ticket of its customer (a rebuilt packet reads
them). A ticket of an expired hand-off that the customer's open hand-off may need is kept and forgotten
later, under its own retention.

Deleted rather than redacted: a resolved hand-off is a training label only with its customer's text
(the model learns from the conversation), so a redacted stub would teach nothing, while every column
kept (ticket id, customer id, the agent's free-text note, event details) would still tie it to a person.
Labels are meant to leave the store through ``ticketbuddy handoffs export`` within the period; the
counts the service needs over time are its Prometheus metrics.

Each batch is one short write transaction of at most ``BATCH`` hand-offs (or tickets), and one pass
runs at most ``MAX_BATCHES`` of each, so the queue's writers are never held up for long; a backlog
(the first pass after an upgrade) is cleared over the following passes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.engine import Connection

from ticketbuddy.handoff import outcomes as outcome_log
from ticketbuddy.handoff import records
from ticketbuddy.handoff import tickets as ticket_log
from ticketbuddy.handoff.clock import shifted
from ticketbuddy.handoff.records import Removed
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import handoffs, tickets

#: Most hand-offs (or tickets) deleted in one transaction.
BATCH = 200
#: Most transactions of each kind in one pass.
MAX_BATCHES = 10


@dataclass(frozen=True)
class RetentionReport:
    """What one pass deleted: resolved hand-offs past retention (events, tickets with them), old tickets."""

    expired: Removed = field(default_factory=Removed)
    forgotten_tickets: int = 0
    forgotten_outcomes: int = 0

    @property
    def deleted_any(self) -> bool:
        """Whether this pass deleted anything."""
        return bool(
            self.forgotten_tickets or self.expired.handoffs or self.expired.tickets or self.forgotten_outcomes
        )

    def describe(self) -> str:
        """One line for the terminal and the log."""
        e = self.expired
        return (
            f"old tickets forgotten {self.forgotten_tickets},"
            f" resolved hand-offs past retention deleted {e.handoffs}"
            f" (with {e.events} events, {e.tickets} tickets), scorings and verdicts {self.forgotten_outcomes}"
        )


def apply_retention(store: HandoffStore, now: datetime, retention: timedelta) -> RetentionReport:
    """Delete what is past retention at ``now``: resolved hand-offs first, then old tickets.

    Raises:
        StoreUnavailable: The store cannot be read or written (batches already committed stay done).

    """
    before = shifted(now, -retention)
    expired = _in_batches(store, lambda conn: expire_resolved(conn, before, BATCH), lambda r: r.handoffs)
    forgotten = _in_batches(
        store, lambda conn: Removed(tickets=ticket_log.purge(conn, before, BATCH)), lambda r: r.tickets
    )
    outcomes = _in_batches(
        store, lambda conn: Removed(tickets=outcome_log.expire(conn, before, BATCH)), lambda r: r.tickets
    )
    return RetentionReport(expired, forgotten.tickets, outcomes.tickets)


def expire_resolved(conn: Connection, before: datetime, limit: int) -> Removed:
    """Delete up to ``limit`` hand-offs resolved before ``before`` whose tickets were not seen since.

    The rows are chosen and locked in this transaction, and only resolved ones are chosen, so a
    hand-off re-opened at the same moment is either re-opened first (and kept) or deleted first (and
    its ticket's new message placed as a new one's).
    """
    seen_since = exists().where(
        tickets.c.handoff_id == handoffs.c.handoff_id, tickets.c.last_seen_at >= before
    )
    expired = and_(handoffs.c.status == "resolved", handoffs.c.resolved_at < before, ~seen_since)
    oldest = select(handoffs.c.handoff_id).where(expired).order_by(handoffs.c.resolved_at).limit(limit)
    ids = list(conn.execute(oldest.with_for_update()).scalars())
    if not ids:
        return Removed()
    return records.delete_handoffs(conn, ids, keep_tickets=ticket_log.needed_by_open_handoff())


def _in_batches(
    store: HandoffStore, step: Callable[[Connection], Removed], counted: Callable[[Removed], int]
) -> Removed:
    """Run ``step`` in one write transaction after another until a batch comes back short."""
    total = Removed()
    for _ in range(MAX_BATCHES):
        with store.writing() as conn:
            done = step(conn)
        total += done
        if counted(done) < BATCH:
            break
    return total
