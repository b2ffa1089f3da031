"""The agents' side of the queue: list, read, claim, release and resolve hand-offs.

A claim is a conditional UPDATE (``status = 'queued'``): when two agents claim at once, exactly one
UPDATE matches, that agent gets the hand-off and the other a ``HandoffConflict`` (HTTP 409). An agent
who cannot finish a hand-off (shift over, wrong skills) releases it: it goes back to the queue with its
original SLA deadline, so if that has passed the sweeper moves it up the escalation chain at once.
Resolving is allowed only on a claimed hand-off, and its outcome (``needed`` / ``not_needed``) becomes
a training label (see ``handoff.export``).
"""

from __future__ import annotations

from sqlalchemy import Row, func, select

from ticketbuddy.handoff import records, tables
from ticketbuddy.handoff.clock import Clock
from ticketbuddy.handoff.domain import HandoffDetail, QueueItem, QueuePage
from ticketbuddy.handoff.store import HandoffConflict, HandoffNotFound, HandoffStore

#: Most hand-offs one listing returns.
MAX_LIMIT = 500


class HandoffQueue:
    """What agents do with hand-offs.

    Args:
        store: The hand-off store.
        clock: Where "now" comes from (claim and resolve times).

    """

    def __init__(self, store: HandoffStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def list_handoffs(
        self, route: str | None = None, team: str | None = None, status: str | None = None, limit: int = 50
    ) -> QueuePage:
        """Hand-offs most urgent first: P1 before P2 ..., then oldest; open ones when no status is given."""
        with self.store.reading() as conn:
            rows = records.listing(conn, route, team, status, min(limit, MAX_LIMIT))
        items = [records.to_item(r) for r in rows]
        return QueuePage(count=len(items), items=items)

    def detail(self, handoff_id: str) -> HandoffDetail:
        """One hand-off: queue state, packet and event log.

        Raises:
            HandoffNotFound: No hand-off has this id.

        """
        with self.store.reading() as conn:
            row = records.get(conn, handoff_id)
            if row is None:
                raise HandoffNotFound(f"no hand-off {handoff_id}")
            events = records.events(conn, handoff_id)
        item = records.to_item(row)
        return HandoffDetail(**dict(item), packet=records.to_handoff(row), events=events)

    def claim(self, handoff_id: str, agent_id: str) -> QueueItem:
        """Give a queued hand-off to ``agent_id``; claiming again by the same agent is harmless.

        Raises:
            HandoffNotFound: No hand-off has this id.
            HandoffConflict: Another agent holds it, or it is resolved.

        """
        now = self.clock.now()
        with self.store.writing() as conn:
            values = {"status": "claimed", "claimed_by": agent_id, "claimed_at": now, "updated_at": now}
            won = records.change(conn, handoff_id, values, status="queued")
            row = records.get(conn, handoff_id)
            if won and row is not None:
                records.add_event(conn, handoff_id, "claimed", now, actor=agent_id, from_team=row.team)
        if row is None:
            raise HandoffNotFound(f"no hand-off {handoff_id}")
        if won or (row.status == "claimed" and row.claimed_by == agent_id):
            return records.to_item(row)
        holder = f" by {row.claimed_by}" if row.claimed_by else ""
        raise HandoffConflict(f"hand-off {handoff_id} is already {row.status}{holder}")

    def release(self, handoff_id: str, agent_id: str, note: str | None = None) -> QueueItem:
        """Give a claimed hand-off back to the queue; only the agent holding it may.

        The SLA deadline stays as it was: the customer has been waiting since the hand-off was made.

        Raises:
            HandoffNotFound: No hand-off has this id.
            HandoffConflict: It is not claimed, or is claimed by another agent.

        """
        now = self.clock.now()
        detail = f"released: {note}" if note else "released"
        with self.store.writing() as conn:
            won = records.release(conn, handoff_id, now, agent_id, detail, claimed_by=agent_id)
            row = records.get(conn, handoff_id)
        return _holder_action_result(row, won, handoff_id, agent_id, "released")

    def resolve(
        self, handoff_id: str, outcome: str, note: str | None = None, agent_id: str | None = None
    ) -> QueueItem:
        """Close a claimed hand-off with its outcome (a label: was the escalation needed?).

        Raises:
            HandoffNotFound: No hand-off has this id.
            HandoffConflict: It is not claimed, or is claimed by another agent than ``agent_id``.

        """
        now = self.clock.now()
        expected = {"status": "claimed", **({"claimed_by": agent_id} if agent_id else {})}
        with self.store.writing() as conn:
            values = {
                "status": "resolved",
                "outcome": outcome,
                "note": note,
                "resolved_at": now,
                "updated_at": now,
            }
            won = records.change(conn, handoff_id, values, **expected)
            row = records.get(conn, handoff_id)
            if won and row is not None:
                actor = agent_id or row.claimed_by
                records.add_event(conn, handoff_id, "resolved", now, actor=actor, detail=f"outcome {outcome}")
        return _holder_action_result(row, won, handoff_id, agent_id, "resolved")


def _holder_action_result(
    row: Row | None, won: bool, handoff_id: str, agent_id: str | None, action: str
) -> QueueItem:
    """The hand-off after an action only its holder may take, or why the action did not happen."""
    if row is None:
        raise HandoffNotFound(f"no hand-off {handoff_id}")
    if won:
        return records.to_item(row)
    if row.status != "claimed":
        raise HandoffConflict(
            f"hand-off {handoff_id} is {row.status}: only a claimed hand-off can be {action}"
        )
    raise HandoffConflict(f"hand-off {handoff_id} is claimed by {row.claimed_by}, not {agent_id}")


def depth_by_status_route(store: HandoffStore) -> dict[tuple[str, str], int]:
    """Open hand-offs counted by (status, route): the queue depth the metrics export."""
    query = (
        select(tables.handoffs.c.status, tables.handoffs.c.route, func.count())
        .where(tables.handoffs.c.status != "resolved")
        .group_by(tables.handoffs.c.status, tables.handoffs.c.route)
    )
    with store.reading() as conn:
        return {(status, route): int(n) for status, route, n in conn.execute(query)}
