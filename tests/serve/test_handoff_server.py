"""The queue behind a real uvicorn server: crash-safe storage, concurrent claims, re-sends, latency."""

import os
import signal
import time

import pytest

from tests.parallel import in_parallel
from tests.serve import api
from ticketbuddy.scoring import copies

from .servers import body, start_server

pytestmark = pytest.mark.slow


def server_env(mlflow_store, db_url):
    return {"MLFLOW_TRACKING_URI": mlflow_store["uri"], "TICKETBUDDY_DB_URL": db_url}


@pytest.fixture(scope="module")
def db_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('queue') / 'handoffs.db'}"


@pytest.fixture(scope="module")
def server(trained, mlflow_store, db_url, tmp_path_factory):
    running = start_server(server_env(mlflow_store, db_url), tmp_path_factory.mktemp("log") / "server.log")
    yield running.base
    running.stop()


def test_a_killed_service_loses_no_handoff_nor_leaves_its_model_copy(
    trained, mlflow_store, seed_tickets, tmp_path
):
    scratch = tmp_path / "tmp"  # where each server copies the model's files (``scoring.copies``)
    scratch.mkdir()
    env = {**server_env(mlflow_store, f"sqlite:///{tmp_path / 'handoffs.db'}"), "TMPDIR": str(scratch)}
    first = start_server(env, tmp_path / "server.log")
    try:
        score = api.post(f"{first.base}/v1/score", json=body(seed_tickets[0]), timeout=30).json()
    finally:
        first.kill()  # SIGKILL right after the answer: no shutdown hook, no flush
    [left] = scratch.glob(f"{copies.PREFIX}*")  # no exit handler ran
    then = time.time() - 2 * copies.GRACE_SECONDS  # past the grace for a copy being made
    os.utime(left, (then, then))
    second = start_server(env, tmp_path / "server.log")
    try:
        listed = api.get(f"{second.base}/v1/handoffs").json()
        detail = api.get(f"{second.base}/v1/handoffs/{score['handoff']['handoff_id']}").json()
        assert not left.exists(), "the next load sweeps a killed process's copy"
    finally:
        second.stop()
    assert [i["handoff_id"] for i in listed["items"]] == [score["handoff"]["handoff_id"]]
    assert detail["packet"] == score["handoff"] and detail["status"] == "queued"
    # SIGTERM: uvicorn shuts down gracefully and re-raises the signal; serve turns it into an exit
    assert second.proc.returncode == 128 + signal.SIGTERM, (tmp_path / "server.log").read_text()[-2000:]
    assert not list(scratch.glob(f"{copies.PREFIX}*")), "a stopped server removes its own copy"


def test_ten_concurrent_resends_of_a_ticket_make_one_handoff(server, seed_tickets):
    ticket = body(seed_tickets[1], ticket_id="resend-1")
    responses = in_parallel([lambda: api.post(f"{server}/v1/score", json=ticket, timeout=60)] * 10)
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["handoff"]["handoff_id"] for r in responses}) == 1
    detail = api.get(f"{server}/v1/handoffs/{responses[0].json()['handoff']['handoff_id']}").json()
    assert [e["kind"] for e in detail["events"]] == ["created"]


def test_two_agents_claiming_at_once_exactly_one_wins(server, seed_tickets):
    for n in range(5):
        ticket = body(
            seed_tickets[0], ticket_id=f"race-{n}", customer={"customer_id": f"R-{n}", "tier": "vip"}
        )
        handoff_id = api.post(f"{server}/v1/score", json=ticket, timeout=30).json()["handoff"]["handoff_id"]
        url = f"{server}/v1/handoffs/{handoff_id}/claim"
        responses = in_parallel(
            [
                lambda agent=agent, url=url: api.post(url, json={"agent_id": agent}, timeout=30)
                for agent in ("ann", "bob")
            ]
        )
        assert sorted(r.status_code for r in responses) == [200, 409]
        winner = next(r.json()["claimed_by"] for r in responses if r.status_code == 200)
        assert api.get(f"{server}/v1/handoffs/{handoff_id}").json()["claimed_by"] == winner
