"""How an existing hand-off changes when its ticket gets a new message.

The new message is scored like any other; its decision may call for more than an appended history:

- a **resolved** hand-off whose ticket escalates again is re-opened (queued, fresh SLA, claim and
  outcome cleared; the ``reopened`` event keeps the old outcome);
- a **queued** hand-off whose new decision names another route is re-routed to that route's team
  (a legal threat on a billing dispute goes to compliance); a claimed one stays with its agent;
- a more urgent priority is taken (never a less urgent one).

Each change is recorded as an event, and explained to the caller as a reason. What counts as new is
what the hand-off's stored packet was not built with yet (``unseen_count``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from ticketbuddy.handoff import records
from ticketbuddy.handoff import tickets as ticket_log
from ticketbuddy.handoff.clock import shifted
from ticketbuddy.handoff.domain import Handoff
from ticketbuddy.handoff.linking import Conversation, new_messages
from ticketbuddy.policy.engine import Decision, Reason
from ticketbuddy.policy.model import Policy
from ticketbuddy.schemas import STORED

ACTOR = "policy"


def state_changes(
    conn: Connection, row: Row, decision: Decision, policy: Policy, now: datetime, key_id: str | None = None
) -> tuple[dict[str, Any], list[Reason]]:
    """The column changes a fresh ``decision`` calls for on hand-off ``row``, with events and reasons."""
    if not decision.escalate or decision.route not in policy.routes or decision.priority is None:
        return {}, [_existing(row, row.team)]
    if row.status == "resolved":
        return _reopen(conn, row, decision, policy, now, key_id)
    changes: dict[str, Any] = {}
    notes: list[Reason] = []
    # Re-routed only towards a route at least as urgent: a refund request must not pull a legal threat
    # away from compliance; a legal threat on a billing dispute must reach it.
    if row.status == "queued" and decision.route != row.route and decision.priority <= row.priority:
        changes.update(_moved(decision.route, policy, now))
        detail = f"new message: route {row.route} → {decision.route}"
        to_team = changes["team"]
        records.add_event(conn, row.handoff_id, "rerouted", now, ACTOR, row.team, to_team, detail, key_id)
        notes.append(Reason("handoff.rerouted", f"hand-off {row.handoff_id} re-routed: {detail}"))
    if decision.priority < row.priority:
        changes["priority"] = decision.priority
        detail = f"new message: {row.priority} → {decision.priority}"
        records.add_event(conn, row.handoff_id, "priority_raised", now, ACTOR, detail=detail, key_id=key_id)
    notes.append(_existing(row, changes.get("team", row.team)))
    return changes, notes


def _reopen(
    conn: Connection, row: Row, decision: Decision, policy: Policy, now: datetime, key_id: str | None
) -> tuple[dict[str, Any], list[Reason]]:
    changes = _moved(str(decision.route), policy, now)
    changes.update(status="queued", priority=decision.priority, sla_breaches=0)
    changes.update(claimed_by=None, claimed_at=None, resolved_at=None, outcome=None, note=None)
    detail = f"new message after it was resolved ({row.outcome}): {decision.priority} to {decision.route}"
    records.add_event(conn, row.handoff_id, "reopened", now, ACTOR, row.team, changes["team"], detail, key_id)
    return changes, [Reason("handoff.reopened", f"hand-off {row.handoff_id} re-opened: {detail}")]


def _moved(route_name: str, policy: Policy, now: datetime) -> dict[str, Any]:
    """The columns of a hand-off placed on ``route_name`` now: its team, SLA and a fresh due time."""
    route = policy.routes[route_name]
    return {
        "route": route_name,
        "team": route.team,
        "team_name": policy.teams[route.team].name,
        "sla_minutes": route.sla_minutes,
        "chain_step": 0,
        "due_by": shifted(now, timedelta(minutes=route.sla_minutes)),
    }


def _existing(row: Row, team: str) -> Reason:
    holder = f" by {row.claimed_by}" if row.claimed_by else ""
    return Reason(
        "handoff.existing", f"already with {team} as hand-off {row.handoff_id} ({row.status}{holder})"
    )


def stored_reasons(row: Row) -> list[Reason]:
    """The reasons stored in a hand-off's packet (why it was escalated)."""
    return [Reason(r["code"], r["detail"]) for r in row.packet.get("reasons", [])]


def unseen_count(conn: Connection, row: Row, ticket_id: str) -> int:
    """How many of the ticket's stored messages the hand-off's packet was not built with yet.

    Compared with the stored packet, not with what this request added: of two concurrent requests
    for one new ticket, the one that adds the messages may not be the one that creates the hand-off.
    The packet's history shows only the newest messages, so the ticket's older ones are not taken for
    new; a ticket none of whose messages is recent enough to be shown is compared by count instead
    (``linked_tickets`` says how many messages it had when the packet was built).
    """
    data = ticket_log.load(conn, ticket_id)
    if data is None:
        return 0
    stored = Conversation.from_json(data)
    packet = Handoff.model_validate(row.packet, context=STORED)
    held = [m for m in packet.history if m.ticket_id == ticket_id]
    built = {t.ticket_id: t.messages for t in packet.linked_tickets}
    if held or ticket_id not in built:
        return len(new_messages(held, stored.messages, dropped=packet.history_omitted))
    return max(stored.total - built[ticket_id], 0)
