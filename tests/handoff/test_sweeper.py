"""The SLA sweeper on a fake clock: unclaimed hand-offs move along the chain, claimed ones stay put."""

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.serve.api import AUTH
from ticketbuddy.cli import app as cli
from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.sweeper import sweep
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.serve import app as app_module
from ticketbuddy.serve.app import create_app
from ticketbuddy.settings import ServiceSettings

from .conftest import LINK_WINDOW, SOUR, make_ticket


def test_unclaimed_moves_along_the_chain_claimed_stays_exhausted_breaches(
    store, clock, queue, one_minute_policy
):
    policy = load_policy(one_minute_policy)
    intake = Intake(store, clock, LINK_WINDOW)
    scorer = Scorer(policy, None)
    waiting = intake.score(make_ticket("T-1", SOUR, customer_id="C-1"), scorer).handoff
    taken = intake.score(make_ticket("T-2", SOUR, customer_id="C-2"), scorer).handoff
    assert waiting.route == "general_escalations" and waiting.sla_minutes == 1
    queue.claim(taken.handoff_id, "agent-1")

    clock.advance(seconds=59)
    assert sweep(store, policy, clock).moves == []  # not due yet

    teams = []
    for _ in range(4):
        clock.advance(seconds=61)
        moves = sweep(store, policy, clock).moves
        assert [m.handoff_id for m in moves] == [waiting.handoff_id]  # never the claimed one
        teams.append((moves[0].kind, moves[0].to_team))
    assert teams == [
        ("rerouted", "duty_manager"),
        ("rerouted", "senior_cx"),
        ("sla_breached", "senior_cx"),
        ("sla_breached", "senior_cx"),
    ]
    detail = queue.detail(waiting.handoff_id)
    assert (detail.status, detail.team, detail.escalation_step, detail.sla_breaches) == (
        "queued",
        "senior_cx",
        2,
        2,
    )
    assert detail.due_by == clock.now() + timedelta(minutes=1)  # each move resets the due time
    moves = [(e.kind, e.from_team, e.to_team) for e in detail.events if e.actor == "sla-sweeper"]
    assert moves[:2] == [
        ("rerouted", "general_escalations", "duty_manager"),
        ("rerouted", "duty_manager", "senior_cx"),
    ]
    assert [i.handoff_id for i in queue.list_handoffs(status="queued").items] == [
        waiting.handoff_id
    ]  # still visible
    claimed = queue.detail(taken.handoff_id)
    assert claimed.team == "general_escalations" and [e.kind for e in claimed.events] == [
        "created",
        "claimed",
    ]


def test_a_handoff_released_after_its_sla_moves_up_the_chain_at_once(store, clock, queue, one_minute_policy):
    policy = load_policy(one_minute_policy)
    scorer = Scorer(policy, None)
    handoff = Intake(store, clock, LINK_WINDOW).score(make_ticket("T-1", SOUR), scorer).handoff
    queue.claim(handoff.handoff_id, "agent-1")
    clock.advance(minutes=10)
    assert sweep(store, policy, clock).moves == []  # held by an agent: left alone
    queue.release(handoff.handoff_id, "agent-1", "wrong team")
    moves = sweep(store, policy, clock).moves
    assert [(m.handoff_id, m.kind, m.to_team) for m in moves] == [
        (handoff.handoff_id, "rerouted", "duty_manager")
    ]


def test_a_claim_held_past_the_timeout_goes_back_and_up_the_chain(store, clock, queue, one_minute_policy):
    policy = load_policy(one_minute_policy)
    assert policy.claim_timeout("general_escalations") == 480  # the policy-wide default
    assert policy.claim_timeout("senior_cx") == 120  # a route's own limit wins
    scorer = Scorer(policy, None)
    handoff = Intake(store, clock, LINK_WINDOW).score(make_ticket("T-1", SOUR), scorer).handoff
    queue.claim(handoff.handoff_id, "agent-1")
    clock.advance(minutes=479)
    assert sweep(store, policy, clock).moves == []  # still within the limit
    clock.advance(minutes=2)
    moves = sweep(store, policy, clock).moves
    assert [(m.kind, m.to_team) for m in moves] == [
        ("claim_expired", "general_escalations"),
        ("rerouted", "duty_manager"),  # its SLA passed long ago: up the chain in the same pass
    ]
    detail = queue.detail(handoff.handoff_id)
    assert (detail.status, detail.claimed_by, detail.team) == ("queued", None, "duty_manager")
    released = next(e for e in detail.events if e.kind == "released")
    assert (
        released.actor == "sla-sweeper"
        and "agent-1 held 481 min unresolved (limit 480 min)" in released.detail
    )
    assert released.from_team == released.to_team == "general_escalations"


def test_a_resolved_or_fresh_claim_is_not_expired(store, clock, queue, one_minute_policy):
    policy = load_policy(one_minute_policy)
    scorer = Scorer(policy, None)
    intake = Intake(store, clock, LINK_WINDOW)
    done = intake.score(make_ticket("T-1", SOUR, customer_id="C-1"), scorer).handoff
    queue.claim(done.handoff_id, "agent-1")
    queue.resolve(done.handoff_id, "needed")
    clock.advance(minutes=400)
    fresh = intake.score(make_ticket("T-2", SOUR, customer_id="C-2", at=clock.now()), scorer).handoff
    queue.claim(fresh.handoff_id, "agent-2")
    clock.advance(minutes=100)
    assert [m.kind for m in sweep(store, policy, clock).moves] == []
    assert queue.detail(fresh.handoff_id).claimed_by == "agent-2"


def test_the_service_sweeps_in_the_background(db_url, one_minute_policy, monkeypatch):
    def no_model(uri):
        raise RuntimeError("no model in this test")

    monkeypatch.setattr(app_module, "load_model", no_model)  # rules alone decide
    clock = FakeClock(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
    settings = ServiceSettings(
        db_url=db_url, policy_path=one_minute_policy, sweep_interval_seconds=0.05, require_model=False
    )
    with TestClient(create_app(settings, clock), headers=AUTH) as client:
        body = make_ticket("T-1", SOUR).model_dump(mode="json")
        handoff_id = client.post("/v1/score", json=body).json()["handoff"]["handoff_id"]
        clock.advance(minutes=2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            detail = client.get(f"/v1/handoffs/{handoff_id}").json()
            if detail["team"] != "general_escalations":
                break
            time.sleep(0.05)
        assert detail["team"] == "duty_manager" and detail["events"][-1]["kind"] == "rerouted"


def test_ticketbuddy_sweep_does_one_pass_and_prints_the_moves(db_url, store, one_minute_policy):
    long_ago = FakeClock(datetime.now(UTC) - timedelta(hours=1))
    scorer = Scorer(load_policy(one_minute_policy), None)
    handoff = (
        Intake(store, long_ago, LINK_WINDOW).score(make_ticket("T-1", SOUR), scorer).handoff
    )  # due 59 min ago
    args = ["sweep", "--db-url", db_url, "--policy", str(one_minute_policy)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"rerouted      {handoff.handoff_id} (T-1): general_escalations → duty_manager" in result.output
    assert "rerouted 1, SLA breached 0, claims expired 0" in result.output
    again = CliRunner().invoke(cli, args)
    assert "rerouted 0, SLA breached 0, claims expired 0" in again.output  # its new due time is an SLA away
