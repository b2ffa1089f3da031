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
from ticketbuddy.handoff.domain import TRUSTED, Actor, HandoffDetail, QueueItem, QueuePage
from ticketbuddy.handoff.store import (
    AgentRequired,
    HandoffConflict,
    HandoffForbidden,
    HandoffNotFound,
    HandoffStore,
)

#: Most hand-offs one listing returns.
MAX_LIMIT = 500


class HandoffQueue:
    """What agents do with hand-offs, as the presenting key allows.

    Every method takes the ``Actor`` the API key makes (``TRUSTED``, the service itself, by default):
    a hand-off of a team the actor may not see is reported as not found; an actor bound to an agent
    acts as that agent only; a shared key must name the agent; only the holder may release or resolve,
    unless an admin key forces it (logged).

    Args:
        store: The hand-off store.
        clock: Where "now" comes from (claim and resolve times).

    """

    def __init__(self, store: HandoffStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def list_handoffs(
        self,
        route: str | None = None,
        team: str | None = None,
        status: str | None = None,
        limit: int = 50,
        *,
        actor: Actor = TRUSTED,
    ) -> QueuePage:
        """Hand-offs most urgent first: P1 before P2 ..., then oldest; open ones when no status is given."""
        with self.store.reading() as conn:
            rows = records.listing(conn, route, team, status, min(limit, MAX_LIMIT), teams=actor.teams)
        items = [records.to_item(r) for r in rows]
        return QueuePage(count=len(items), items=items)

    def detail(self, handoff_id: str, *, actor: Actor = TRUSTED) -> HandoffDetail:
        """One hand-off: queue state, packet and event log.

        Raises:
            HandoffNotFound: No hand-off has this id that the actor may see.

        """
        with self.store.reading() as conn:
            row = _visible(records.get(conn, handoff_id), handoff_id, actor)
            events = records.events(conn, handoff_id)
        item = records.to_item(row)
        return HandoffDetail(**dict(item), packet=records.to_handoff(row), events=events)

    def claim(self, handoff_id: str, agent_id: str | None = None, *, actor: Actor = TRUSTED) -> QueueItem:
        """Give a queued hand-off to the agent; claiming again by the same agent is harmless.

        Raises:
            HandoffNotFound: No hand-off has this id that the actor may see.
            HandoffConflict: Another agent holds it, or it is resolved.
            HandoffForbidden: The key acts as another agent than ``agent_id``.
            AgentRequired: Neither the key nor the request names the agent.

        """
        agent = _agent(actor, agent_id, required=True)
        now = self.clock.now()
        with self.store.writing() as conn:
            _visible(records.get(conn, handoff_id, for_update=True), handoff_id, actor)
            values = {"status": "claimed", "claimed_by": agent, "claimed_at": now, "updated_at": now}
            won = records.change(conn, handoff_id, values, status="queued")
            row = records.stored(conn, handoff_id)
            if won:
                records.add_event(
                    conn, handoff_id, "claimed", now, actor=agent, from_team=row.team, key_id=actor.key_id
                )
        if won or (row.status == "claimed" and row.claimed_by == agent):
            return records.to_item(row)
        holder = f" by {row.claimed_by}" if row.claimed_by else ""
        raise HandoffConflict(f"hand-off {handoff_id} is already {row.status}{holder}")

    def release(
        self,
        handoff_id: str,
        agent_id: str | None = None,
        note: str | None = None,
        *,
        actor: Actor = TRUSTED,
        force: bool = False,
    ) -> QueueItem:
        """Give a claimed hand-off back to the queue; only the agent holding it may (or a forcing admin).

        The SLA deadline stays as it was: the customer has been waiting since the hand-off was made.

        Raises:
            HandoffNotFound: No hand-off has this id that the actor may see.
            HandoffConflict: It is not claimed, or is claimed by another agent.
            HandoffForbidden: The key acts as another agent, or forces without the admin scope.
            AgentRequired: Neither the key nor the request names the agent, and nothing is forced.

        """
        agent = _agent(actor, agent_id, required=not _forcing(actor, force))
        now = self.clock.now()
        detail = _detail("released", note, actor, agent)
        holder = {"claimed_by": agent} if agent else {}
        with self.store.writing() as conn:
            _visible(records.get(conn, handoff_id, for_update=True), handoff_id, actor)
            name = agent or f"admin key {actor.key_id}"
            won = records.release(conn, handoff_id, now, name, detail, key_id=actor.key_id, **holder)
            row = records.get(conn, handoff_id)
        return _holder_action_result(row, won, handoff_id, agent, "released")

    def resolve(
        self,
        handoff_id: str,
        outcome: str,
        note: str | None = None,
        agent_id: str | None = None,
        *,
        actor: Actor = TRUSTED,
        force: bool = False,
    ) -> QueueItem:
        """Close a claimed hand-off with its outcome (a label: was the escalation needed?).

        Only the agent holding it may: an outcome is a training label, so who gave it matters. An
        admin key may force it (the event says so); the service itself (``TRUSTED``) may too.

        Raises:
            HandoffNotFound: No hand-off has this id that the actor may see.
            HandoffConflict: It is not claimed, or is claimed by another agent.
            HandoffForbidden: The key acts as another agent, or forces without the admin scope.
            AgentRequired: Neither the key nor the request names the agent, and nothing is forced.

        """
        agent = _agent(actor, agent_id, required=not _forcing(actor, force) and not actor.trusted)
        now = self.clock.now()
        expected = {"status": "claimed", **({"claimed_by": agent} if agent else {})}
        values = {
            "status": "resolved",
            "outcome": outcome,
            "note": note,
            "resolved_at": now,
            "updated_at": now,
        }
        with self.store.writing() as conn:
            _visible(records.get(conn, handoff_id, for_update=True), handoff_id, actor)
            won = records.change(conn, handoff_id, values, **expected)
            row = records.get(conn, handoff_id)
            if won and row is not None:
                records.add_event(
                    conn, handoff_id, "resolved", now, actor=agent or row.claimed_by,
                    detail=_detail(f"outcome {outcome}", None, actor, agent), key_id=actor.key_id,
                )  # fmt: skip
        return _holder_action_result(row, won, handoff_id, agent, "resolved")


def _visible(row: Row | None, handoff_id: str, actor: Actor) -> Row:
    """The row, if it exists and the actor may see its team; otherwise not found (no existence leak)."""
    if row is None or not actor.may_see(row.team):
        raise HandoffNotFound(f"no hand-off {handoff_id}")
    return row


def _agent(actor: Actor, named: str | None, required: bool) -> str | None:
    """The agent acting: the key's own, else the one the request names (required unless forcing)."""
    if actor.agent_id is not None:
        if named is not None and named != actor.agent_id:
            raise HandoffForbidden(f"this API key acts as agent {actor.agent_id!r}, not {named!r}")
        return actor.agent_id
    if named is None and required:
        raise AgentRequired("agent_id: required, this API key acts as no one agent")
    return named


def _forcing(actor: Actor, force: bool) -> bool:
    if force and not (actor.admin or actor.trusted):
        raise HandoffForbidden("force needs an API key with the admin scope")
    return force


def _detail(what: str, note: str | None, actor: Actor, agent: str | None) -> str:
    forced = f" (forced by admin key {actor.key_id})" if agent is None and actor.admin else ""
    return f"{what}{forced}" + (f": {note}" if note else "")


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
