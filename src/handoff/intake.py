"""From a scored ticket to a stored hand-off, committed before the API answers.

For every ticket the API receives, ``Intake.score``:

1. answers a repeated ``Idempotency-Key`` with the hand-off that key created (nothing is scored again);
2. records the ticket (every ticket, escalated or not), adding only the messages not seen before;
3. scores the ticket's whole conversation with the ``Scorer`` (model + policy, rules alone if the
   model fails);
4. in one transaction, places it: a ticket that already has a hand-off gets its new messages
   appended (and is re-routed, re-prioritised or re-opened when the new message calls for it); a
   ticket of a customer who already has an open hand-off joins it, escalated or not (a human has
   that customer now, and the answer says so); any other escalation creates a hand-off whose history
   merges the customer's linked tickets from every channel.

A packet's summary and trajectory are computed over its whole history, every linked ticket included,
so the mood the agent reads is the customer's latest, wherever they said it.

A ticket never gets a second hand-off: the ``handoffs.ticket_id`` and ``idempotency_key`` columns are
unique, and a request that loses a race to insert re-reads what the winner wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Row
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ticketbuddy.handoff import outcomes, records
from ticketbuddy.handoff import tickets as ticket_log
from ticketbuddy.handoff.answer import answer, replayed
from ticketbuddy.handoff.changes import state_changes, stored_reasons, unseen_count
from ticketbuddy.handoff.clock import Clock, shifted
from ticketbuddy.handoff.domain import PACKET_VERSION, Handoff, Scored
from ticketbuddy.handoff.linking import Conversation
from ticketbuddy.handoff.packet import build_handoff, new_handoff_id
from ticketbuddy.handoff.placement import (
    Placement,
    last_message_at,
    over_history,
    scoring_subject,
    state_of,
)
from ticketbuddy.handoff.store import HandoffStore, StoreUnavailable
from ticketbuddy.policy.engine import Decision, Facts, Reason
from ticketbuddy.schemas import Ticket
from ticketbuddy.scoring.scorer import Assessment, ModelRef, Scorer
from ticketbuddy.scoring.tracking import REGISTERED_MODEL

log = logging.getLogger(__name__)
T = TypeVar("T")
#: How often a write that lost a race (a concurrent insert of the same ticket) is retried.
ATTEMPTS = 3


class Intake:
    """Scores tickets and keeps the hand-off store in step, one transaction per step.

    Args:
        store: The hand-off store.
        clock: Where "now" comes from (SLA due times, event times).
        link_window: How far apart a customer's tickets may be and still share one history.
        sentiment_drop: How much worse a kept ticket's customer must sound after the bot's answer for
            the keep to count as a probable miss (``handoff.outcomes``).

    """

    def __init__(
        self, store: HandoffStore, clock: Clock, link_window: timedelta, sentiment_drop: float = 0.3
    ) -> None:
        self.store = store
        self.clock = clock
        self.link_window = link_window
        self.sentiment_drop = sentiment_drop

    def score(
        self,
        ticket: Ticket,
        scorer: Scorer,
        idempotency_key: str | None = None,
        requester: str | None = None,
    ) -> Scored:
        """Score one ticket; any hand-off it leads to is committed before this returns.

        Args:
            ticket: The ticket as received.
            scorer: Model and policy.
            idempotency_key: The client's ``Idempotency-Key``; replays are scoped to ``requester``, so
                one key's requests never replay another's.
            requester: The public id of the API key that sent it, recorded on every event it causes.

        Raises:
            StoreUnavailable: The store cannot be written; nothing is claimed to be queued.

        """
        key = f"{requester}:{idempotency_key}" if requester and idempotency_key else idempotency_key
        if key and (replay := self.replay(key, scorer)):
            return replay
        try:
            recorded, holder = self._retry(lambda conn: self._record(conn, ticket))
            assessment = scorer.assess([scoring_subject(recorded, holder)])[0]
            placed = self._retry(
                lambda conn: self._logged(
                    conn,
                    self._place(conn, recorded, assessment, scorer, key, requester),
                    recorded,
                    assessment,
                    scorer,
                    requester,
                )
            )
        except IntegrityError:
            if key and (replay := self.replay(key, scorer)):
                return replay
            raise StoreUnavailable("hand-off store: conflicting concurrent writes; retry") from None
        return answer(scorer, assessment, placed.handoff, placed.notes, placed.handed_over)

    def replay(self, key: str, scorer: Scorer) -> Scored | None:
        """The answer already given to a request with this ``Idempotency-Key``, or None."""
        with self.store.reading() as conn:
            row = records.for_key(conn, key)
        if row is None:
            return None
        detail = f"Idempotency-Key already used for hand-off {row.handoff_id} (ticket {row.ticket_id})"
        model = ModelRef(name=row.model_name or REGISTERED_MODEL, version=row.model_version)
        note = Reason("handoff.replay", detail + "; this request was not scored again")
        return replayed(scorer.policy, records.to_handoff(row), model, note)

    def _record(self, conn: Connection, ticket: Ticket) -> tuple[ticket_log.Recorded, Row | None]:
        """Record the ticket, and read the hand-off that already holds it (if any)."""
        recorded = ticket_log.record(conn, ticket, self.clock.now())
        return recorded, records.for_ticket(conn, ticket.ticket_id)

    def _retry(self, step: Callable[[Connection], T]) -> T:
        """Run ``step`` in a write transaction, again if it lost an insert race (PostgreSQL)."""
        for attempt in range(ATTEMPTS):
            try:
                with self.store.writing() as conn:
                    return step(conn)
            except IntegrityError:
                if attempt == ATTEMPTS - 1:
                    raise
                log.info("hand-off store: concurrent insert, retrying (attempt %d)", attempt + 2)
        raise AssertionError("unreachable")

    def _logged(
        self,
        conn: Connection,
        placed: Placement,
        recorded: ticket_log.Recorded,
        assessment: Assessment,
        scorer: Scorer,
        requester: str | None,
    ) -> Placement:
        """Log the scoring and any probable misses it reveals, in the placement's transaction."""
        version = scorer.model_ref(assessment.facts).version
        outcome = outcomes.Outcome(
            assessment, placed.handoff, placed.handed_over, recorded.new, version, requester
        )
        outcomes.log_scoring(conn, outcome, self.clock.now(), self.link_window, self.sentiment_drop)
        return placed

    def _place(
        self,
        conn: Connection,
        recorded: ticket_log.Recorded,
        assessment: Assessment,
        scorer: Scorer,
        key: str | None,
        requester: str | None,
    ) -> Placement:
        """Append to the ticket's hand-off, join the customer's open one, or create one (or none).

        A customer's tickets are linked only when this one was created within the link window of its
        receipt (server time): a ticket back-dated to 1970 with someone's customer id is nobody's.
        """
        now = self.clock.now()
        ticket = recorded.ticket
        ticket_log.lock_for_placement(conn, ticket.ticket_id, ticket.customer.customer_id)
        own = records.for_ticket(conn, ticket.ticket_id, for_update=True)
        if own is not None:
            return self._update(conn, own, recorded, assessment, scorer, now, requester)
        customer = ticket.customer.customer_id if self._linkable(ticket, now) else None
        since = shifted(now, -self.link_window)
        shared = records.open_for_customer(conn, customer, since) if customer else None
        if shared is not None:
            ticket_log.attach(conn, ticket.ticket_id, shared.handoff_id)
            return self._update(conn, shared, recorded, assessment, scorer, now, requester, joined=True)
        if not assessment.decision.escalate:
            return Placement(None, [])
        created = self._create(conn, recorded, assessment, scorer, now, key, requester, customer)
        return Placement(created, [], handed_over=True)

    def _linkable(self, ticket: Ticket, now: datetime) -> bool:
        """Whether the ticket says it was created within the link window of now (server time)."""
        return abs(now - ticket.created_at) <= self.link_window

    def _create(
        self,
        conn: Connection,
        recorded: ticket_log.Recorded,
        assessment: Assessment,
        scorer: Scorer,
        now: datetime,
        key: str | None,
        requester: str | None,
        customer: str | None,
    ) -> Handoff:
        ticket, decision = recorded.ticket, assessment.decision
        handoff_id = new_handoff_id()
        ticket_log.attach(conn, ticket.ticket_id, handoff_id)
        conversations = self._conversations(conn, handoff_id, customer, now)
        facts = over_history(scorer, ticket, assessment.facts, conversations)
        packet = build_handoff(ticket, facts, decision, scorer.policy, now, conversations, handoff_id)
        model = scorer.model_ref(assessment.facts)
        records.create(
            conn,
            {
                **state_of(packet),
                "handoff_id": handoff_id,
                "ticket_id": ticket.ticket_id,
                "customer_id": customer,
                "status": "queued",
                "created_at": now,
                "updated_at": now,
                "last_message_at": last_message_at(conversations, now),
                "idempotency_key": key,
                "model_name": model.name,
                "model_version": model.version,
                "ticket": recorded.data,
                "packet": packet.model_dump(mode="json"),
                "packet_version": PACKET_VERSION,
            },
        )
        linked = [c.ticket_id for c in conversations if c.ticket_id != ticket.ticket_id]
        detail = f"{packet.priority} to {packet.route}" + (
            f"; history links {', '.join(linked)}" if linked else ""
        )
        records.add_event(
            conn, handoff_id, "created", now, "scorer", to_team=packet.team, detail=detail, key_id=requester
        )
        return records.to_handoff(records.stored(conn, handoff_id))

    def _update(
        self,
        conn: Connection,
        row: Row,
        recorded: ticket_log.Recorded,
        assessment: Assessment,
        scorer: Scorer,
        now: datetime,
        requester: str | None,
        joined: bool = False,
    ) -> Placement:
        """Bring an existing hand-off up to date with a ticket's new messages and fresh decision.

        ``joined``: the ticket is another of the customer's, joining their open hand-off.
        """
        decision = assessment.decision
        unseen = unseen_count(conn, row, recorded.ticket.ticket_id)
        if row.status == "resolved" and not unseen:
            return Placement(
                records.to_handoff(row),
                [Reason("handoff.resolved", f"hand-off {row.handoff_id} is resolved")],
            )
        if row.status == "resolved" and not decision.escalate:
            detail = f"hand-off {row.handoff_id} was resolved ({row.outcome}); the new message needs no human"
            return Placement(None, [Reason("handoff.resolved", detail)])
        ticket = recorded.ticket
        joining: list[Reason] = []
        if joined:
            detail = f"ticket {ticket.ticket_id} ({ticket.channel}) of the same customer joined"
            records.add_event(conn, row.handoff_id, "linked", now, "scorer", detail=detail, key_id=requester)
            joining.append(Reason("handoff.linked", f"joined the customer's open hand-off {row.handoff_id}"))
        elif unseen:
            detail = f"{unseen} new message(s) on ticket {ticket.ticket_id} ({ticket.channel})"
            records.add_event(
                conn, row.handoff_id, "message_appended", now, "scorer", detail=detail, key_id=requester
            )
        changes, notes = state_changes(conn, row, decision, scorer.policy, now, requester)
        notes += joining
        handed_over = joined or changes.get("status") == "queued"  # joined, or re-opened
        if not (changes or unseen or joined):
            return Placement(records.to_handoff(row), notes)
        route = changes.get("route", row.route)
        priority = changes.get("priority", row.priority)
        reasons = decision.reasons if decision.escalate else stored_reasons(row)
        packet_decision = Decision(True, priority, route, reasons, decision.rules_only)
        changes.update(self._rebuilt(conn, row, ticket, assessment.facts, packet_decision, scorer, now))
        if row.ticket_id == ticket.ticket_id:
            changes["ticket"] = recorded.data
        records.change(conn, row.handoff_id, changes)
        return Placement(records.to_handoff(records.stored(conn, row.handoff_id)), notes, handed_over)

    def _rebuilt(
        self,
        conn: Connection,
        row: Row,
        ticket: Ticket,
        facts: Facts,
        decision: Decision,
        scorer: Scorer,
        now: datetime,
    ) -> dict[str, Any]:
        """The packet of hand-off ``row`` rebuilt over its whole history, as column values."""
        conversations = self._conversations(conn, row.handoff_id, row.customer_id, row.created_at)
        facts = over_history(scorer, ticket, facts, conversations)
        packet = build_handoff(
            ticket, facts, decision, scorer.policy, row.created_at, conversations, row.handoff_id
        )
        packet_json = packet.model_dump(mode="json")
        return {
            "packet": packet_json,
            "packet_version": PACKET_VERSION,
            "updated_at": now,
            "last_message_at": last_message_at(conversations, row.last_message_at or now),
        }

    def _conversations(
        self, conn: Connection, handoff_id: str, customer_id: str | None, created: datetime
    ) -> list[Conversation]:
        """The hand-off's own tickets, and the customer's tickets received in the window before ``created``.

        Both ends are server times: when this store received the tickets, when it made the hand-off.
        """
        return ticket_log.history(conn, handoff_id, customer_id, shifted(created, -self.link_window))
