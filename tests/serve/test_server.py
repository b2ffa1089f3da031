"""A real uvicorn server, started as users start it, loading the champion from the MLflow store."""

import json

import httpx
import pytest

from tests.serve import api
from tests.serve.servers import start_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(trained, mlflow_store, tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server.log"
    running = start_server({"MLFLOW_TRACKING_URI": mlflow_store["uri"]}, log)
    yield running.base
    running.stop()


def test_real_server_serves_the_champion(server, seed_tickets, trained):
    ready = httpx.get(f"{server}/readyz").json()
    assert ready == {
        "status": "ready",
        "model_name": "ticket-escalation",
        "model_version": trained.model_version,
        "handoff_store": "ok",
    }
    body = json.loads(seed_tickets[1].model_dump_json())
    score = api.post(f"{server}/v1/score", json=body, timeout=30).json()
    assert (score["escalate"], score["priority"], score["route"]) == (True, "P1", "senior_cx")


def test_real_server_answers_bad_input_with_422(server):
    response = api.post(f"{server}/v1/score", json={"ticket_id": "x"}, timeout=30)
    assert response.status_code == 422
    assert {"channel", "messages", "created_at"} <= {e["loc"][-1] for e in response.json()["detail"]}


def test_docs_are_served(server):
    assert httpx.get(f"{server}/docs").status_code == 200
    assert "/v1/score" in httpx.get(f"{server}/openapi.json").json()["paths"]
