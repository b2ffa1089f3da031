"""Two real uvicorn replicas sharing one PostgreSQL queue, as several API instances behind a load balancer.

Re-sends of one ticket spread over both replicas make one hand-off; two agents claiming the same
hand-off through different replicas: exactly one wins; what one replica stored, the other serves.
"""

import pytest

from tests.parallel import in_parallel
from tests.postgres import postgres_database
from tests.serve import api

from .servers import body, start_server

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture(scope="module")
def shared_db():
    yield from postgres_database()


@pytest.fixture(scope="module")
def replicas(trained, mlflow_store, shared_db, tmp_path_factory):
    env = {"MLFLOW_TRACKING_URI": mlflow_store["uri"], "TICKETBUDDY_DB_URL": shared_db}
    logs = tmp_path_factory.mktemp("replicas")
    servers = [start_server(env, logs / f"replica-{i}.log") for i in range(2)]
    yield [server.base for server in servers]
    for server in servers:
        server.stop()


def test_both_replicas_are_ready_on_postgresql(replicas):
    for base in replicas:
        ready = api.get(f"{base}/readyz").json()
        assert ready["status"] == "ready" and ready["handoff_store"] == "ok"


def test_resends_spread_over_replicas_make_one_handoff(replicas, seed_tickets):
    ticket = body(seed_tickets[1], ticket_id="replicated-1")
    calls = [lambda base=base: api.post(f"{base}/v1/score", json=ticket, timeout=60) for base in replicas * 5]
    responses = in_parallel(calls)
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["handoff"]["handoff_id"] for r in responses}) == 1
    handoff_id = responses[0].json()["handoff"]["handoff_id"]
    for base in replicas:
        detail = api.get(f"{base}/v1/handoffs/{handoff_id}").json()
        assert [e["kind"] for e in detail["events"]] == ["created"]
        assert len(detail["packet"]["history"]) == len(ticket["messages"])


def test_agents_claiming_through_different_replicas_exactly_one_wins(replicas, seed_tickets):
    for n in range(5):
        ticket = body(
            seed_tickets[0], ticket_id=f"replica-race-{n}", customer={"customer_id": f"RR-{n}", "tier": "vip"}
        )
        created = api.post(f"{replicas[n % 2]}/v1/score", json=ticket, timeout=30).json()
        handoff_id = created["handoff"]["handoff_id"]
        calls = [
            lambda url=f"{base}/v1/handoffs/{handoff_id}/claim", agent=agent: api.post(
                url, json={"agent_id": agent}, timeout=30
            )
            for base, agent in zip(replicas, ("ann", "bob"), strict=True)
        ]
        responses = in_parallel(calls)
        assert sorted(r.status_code for r in responses) == [200, 409]
        winner = next(r.json()["claimed_by"] for r in responses if r.status_code == 200)
        for base in replicas:
            assert api.get(f"{base}/v1/handoffs/{handoff_id}").json()["claimed_by"] == winner
