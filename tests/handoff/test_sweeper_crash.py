"""kill -9 of ``ticketbuddy sweep`` in the middle of its moves: no half-applied move, the next pass finishes.

Hundreds of hand-offs are created a day in the past, so every one is past its SLA; a real ``ticketbuddy
sweep`` process starts moving them up their escalation chains and is killed (SIGKILL) once some moves
are committed. Every hand-off must then be with exactly one team, the one its events say (a move and
its ``rerouted`` event are one transaction), and the next sweep must move each remaining one once.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.tables import handoff_events, handoffs

from .conftest import LINK_WINDOW, SOUR, make_ticket

pytestmark = pytest.mark.slow

HANDOFFS = 150
KILL_AFTER = 15


def overdue_handoffs(store, scorer, count: int) -> None:
    """``count`` hand-offs created a day ago (each ticket its own customer): all past their SLA now."""
    past = datetime.now(UTC) - timedelta(days=1)
    intake = Intake(store, FakeClock(past), LINK_WINDOW)
    for n in range(count):
        intake.score(make_ticket(f"T-{n}", SOUR, customer_id=f"C-{n}", at=past), scorer)


def rerouted(store) -> int:
    with store.reading() as conn:
        query = select(func.count()).where(handoff_events.c.kind == "rerouted")
        return conn.execute(query).scalar_one()


def sweep_process(db_url: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "ticketbuddy.cli", "sweep", "--db-url", db_url]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_after_moves(process: subprocess.Popen, store, moves: int) -> None:
    """SIGKILL ``process`` as soon as ``moves`` re-routings are committed (fail if it ends first)."""
    while rerouted(store) < moves:
        assert process.poll() is None, f"the sweep ended before {moves} moves: raise HANDOFFS"
        time.sleep(0.005)
    process.kill()
    process.wait(timeout=30)


def where_each_is(store) -> list[tuple[str, str, int, list[str]]]:
    """Every hand-off's team and chain step, with the teams its ``rerouted`` events moved it to, in order."""
    with store.reading() as conn:
        rows = conn.execute(select(handoffs.c.handoff_id, handoffs.c.team, handoffs.c.chain_step)).all()
        events = conn.execute(
            select(handoff_events.c.handoff_id, handoff_events.c.to_team)
            .where(handoff_events.c.kind == "rerouted")
            .order_by(handoff_events.c.event_id)
        ).all()
    moved: dict[str, list[str]] = {}
    for handoff_id, to_team in events:
        moved.setdefault(handoff_id, []).append(to_team)
    return [(h, team, step, moved.get(h, [])) for h, team, step in rows]


def assert_consistent(placed: list[tuple[str, str, int, list[str]]], route_team: str) -> Counter[int]:
    """Each hand-off is where its events put it, and moved at most once; how many moved 0 and 1 times."""
    for handoff_id, team, step, moves in placed:
        assert step == len(moves) <= 1, (handoff_id, step, moves)  # no move without its event, none twice
        assert team == (moves[-1] if moves else route_team), (handoff_id, team, moves)
    return Counter(len(moves) for *_, moves in placed)


def test_a_sweep_killed_mid_moves_leaves_no_half_move_and_the_next_finishes(
    store, db_url, rules_scorer, record_property
):
    overdue_handoffs(store, rules_scorer, HANDOFFS)
    route_team = where_each_is(store)[0][1]
    killed = sweep_process(db_url)
    kill_after_moves(killed, store, KILL_AFTER)
    after_kill = assert_consistent(where_each_is(store), route_team)

    finished = sweep_process(db_url)
    assert finished.wait(timeout=300) == 0, finished.stderr.read().decode() if finished.stderr else ""
    after_next = assert_consistent(where_each_is(store), route_team)
    figures = {
        "handoffs": HANDOFFS,
        "moved_before_kill": after_kill[1],
        "moved_after_next_sweep": after_next[1],
    }
    for name, value in figures.items():
        record_property(name, value)
    print(f"\nsweep killed mid-moves ({db_url.split(':')[0]}): {figures}")

    assert 0 < after_kill[1] < HANDOFFS  # killed in the middle
    assert after_next == {1: HANDOFFS}  # the next pass moved each of the rest, once
