"""The SLA sweeper: nothing stays unpicked silently.

Every hand-off still unclaimed past its due time moves one step along its route's
``escalation_chain`` (the next team takes it, with a fresh SLA) and the move is recorded as a
``rerouted`` event. When the chain is exhausted, each further SLA period unclaimed records an
``sla_breached`` event and a warning in the log, and the hand-off stays at the top of its team's
queue. A claimed hand-off is never moved, but a claim held unresolved past the policy's
``claim_timeout_minutes`` is given back to the queue (a ``released`` event by the sweeper); its SLA
deadline has usually passed by then, so the same pass moves it up the chain. A claim forgotten at the
end of a shift is not a silent drop either.

Each pass then applies retention (``handoff.retention``): resolved hand-offs and scored tickets past
the retention period are deleted, a bounded batch per transaction.

The sweeper runs inside the service (``run_forever``, an asyncio task started in the app's lifespan)
and as ``ticketbuddy sweep`` (one pass). Moves are conditional UPDATEs guarded by the step and breach
count the sweeper read, so several API replicas sweeping the same PostgreSQL queue move a hand-off
once, not once each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Row
from sqlalchemy.engine import Connection

from ticketbuddy.handoff import records
from ticketbuddy.handoff.clock import Clock, shifted
from ticketbuddy.handoff.retention import RetentionReport, apply_retention
from ticketbuddy.handoff.store import HandoffStore, StoreUnavailable
from ticketbuddy.policy.model import Policy

log = logging.getLogger(__name__)
ACTOR = "sla-sweeper"
#: Most overdue hand-offs moved in one pass (the next pass takes the rest).
BATCH = 500


@dataclass(frozen=True)
class Move:
    """What one sweep did to one hand-off."""

    handoff_id: str
    ticket_id: str
    kind: str
    from_team: str
    to_team: str
    due_by: datetime

    def describe(self) -> str:
        """One line for the terminal and the log."""
        if self.kind == "claim_expired":
            return f"{self.handoff_id} ({self.ticket_id}): claim expired, back in the {self.to_team} queue"
        if self.kind == "rerouted":
            moved = f"{self.from_team} → {self.to_team}"
            return f"{self.handoff_id} ({self.ticket_id}): {moved}, due {self.due_by:%Y-%m-%d %H:%M} UTC"
        return f"{self.handoff_id} ({self.ticket_id}): SLA breached, still unclaimed with {self.to_team}"


@dataclass(frozen=True)
class SweepReport:
    """The moves of one pass and what retention deleted (nothing when no retention was given)."""

    moves: list[Move]
    removed: RetentionReport = field(default_factory=RetentionReport)


def sweep(
    store: HandoffStore, policy: Policy, clock: Clock, retention: timedelta | None = None
) -> SweepReport:
    """One pass: move every overdue unclaimed hand-off one step, then delete what is past retention.

    Raises:
        StoreUnavailable: The store cannot be read or written.

    """
    now = clock.now()
    moves = _expire_claims(store, policy, now)
    with store.reading() as conn:
        due = records.overdue(conn, now, BATCH)
    for row in due:
        with store.writing() as conn:
            move = _move(conn, row, policy, now)
        if move is not None:
            moves.append(move)
    if retention is None:
        return SweepReport(moves)
    return SweepReport(moves, apply_retention(store, now, retention))


def _expire_claims(store: HandoffStore, policy: Policy, now: datetime) -> list[Move]:
    """Give back to the queue every claim held unresolved past its route's claim timeout."""
    limits = [policy.claim_timeout(name) for name in policy.routes]
    shortest = min((m for m in limits if m is not None), default=None)
    if shortest is None:
        return []
    with store.reading() as conn:
        held = records.claimed_before(conn, shifted(now, -timedelta(minutes=shortest)), BATCH)
    moves = []
    for row in held:
        limit = policy.claim_timeout(row.route)
        if limit is None or row.claimed_at > shifted(now, -timedelta(minutes=limit)):
            continue
        with store.writing() as conn:
            move = _release(conn, row, limit, now)
        if move is not None:
            moves.append(move)
    return moves


def _release(conn: Connection, row: Row, limit: int, now: datetime) -> Move | None:
    """Put a stale claim back in the queue, unless the agent acted on it meanwhile."""
    held = _minutes(now - row.claimed_at)
    detail = f"claim by {row.claimed_by} held {held} min unresolved (limit {limit} min)"
    holder = {"claimed_by": row.claimed_by, "claimed_at": row.claimed_at}
    if not records.release(conn, row.handoff_id, now, ACTOR, detail, row.team, **holder):
        return None  # resolved, released or re-claimed meanwhile
    return Move(row.handoff_id, row.ticket_id, "claim_expired", row.team, row.team, row.due_by)


def _move(conn: Connection, row: Row, policy: Policy, now: datetime) -> Move | None:
    """Re-route ``row`` to the next team of its chain, or record a breach when the chain is done."""
    route = policy.routes.get(row.route) or policy.routes[policy.fallback_route]
    chain = route.escalation_chain
    due_by = shifted(now, timedelta(minutes=route.sla_minutes))
    guard = {"status": "queued", "chain_step": row.chain_step, "sla_breaches": row.sla_breaches}
    late = f"unclaimed {_minutes(now - row.created_at)} min (SLA {route.sla_minutes} min)"
    if row.chain_step < len(chain):
        team = chain[row.chain_step]
        values = {"team": team, "team_name": policy.teams[team].name, "chain_step": row.chain_step + 1}
        if not records.change(conn, row.handoff_id, {**values, "due_by": due_by}, **guard):
            return None  # claimed or moved meanwhile (another replica's sweeper)
        detail = f"{late}: escalation chain step {row.chain_step + 1} of {len(chain)}"
        records.add_event(conn, row.handoff_id, "rerouted", now, ACTOR, row.team, team, detail)
        return Move(row.handoff_id, row.ticket_id, "rerouted", row.team, team, due_by)
    values = {"sla_breaches": row.sla_breaches + 1, "due_by": due_by}
    if not records.change(conn, row.handoff_id, values, **guard):
        return None
    detail = f"{late}: escalation chain exhausted, breach {row.sla_breaches + 1}"
    records.add_event(conn, row.handoff_id, "sla_breached", now, ACTOR, row.team, row.team, detail)
    return Move(row.handoff_id, row.ticket_id, "sla_breached", row.team, row.team, due_by)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


async def run_forever(
    store: HandoffStore,
    policy: Policy,
    clock: Clock,
    interval: float,
    retention: timedelta | None = None,
    on_move: Callable[[Move], None] | None = None,
) -> None:
    """Sweep now and every ``interval`` seconds until cancelled; a failed pass is logged, not fatal.

    ``on_move`` is told of every move (the service counts SLA breaches in its metrics with it).
    """
    while True:
        try:
            report = await asyncio.to_thread(sweep, store, policy, clock, retention)
        except StoreUnavailable as exc:
            log.error("SLA sweep skipped: %s", exc)
        except Exception:  # the loop must survive anything: a dead sweeper leaves tickets unpicked
            log.exception("SLA sweep failed")
        else:
            _tell(report, on_move)
        await asyncio.sleep(interval)


def _tell(report: SweepReport, on_move: Callable[[Move], None] | None) -> None:
    """Log each move (breaches and expired claims as warnings) and what retention deleted."""
    for move in report.moves:
        (log.warning if move.kind in ("sla_breached", "claim_expired") else log.info)(
            "SLA sweep: %s", move.describe()
        )
        if on_move is not None:
            on_move(move)
    if report.removed.deleted_any:
        log.info("retention: %s", report.removed.describe())


def start(
    store: HandoffStore,
    policy: Policy,
    clock: Clock,
    interval: float,
    retention: timedelta | None = None,
    on_move: Callable[[Move], None] | None = None,
) -> asyncio.Task | None:
    """Start the in-service sweeper; None when ``interval`` is 0 (then ``ticketbuddy sweep`` does it)."""
    if interval <= 0:
        return None
    loop = run_forever(store, policy, clock, interval, retention, on_move)
    return asyncio.create_task(loop, name="sla-sweeper")


async def stop(task: asyncio.Task | None) -> None:
    """Cancel a background task (the sweeper, the live monitor) and wait for it to finish."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
