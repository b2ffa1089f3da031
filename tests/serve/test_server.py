"""A real uvicorn server, started as users start it, loading the champion from the MLflow store."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.serve import api

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(trained, mlflow_store, tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "server.log").open("w")
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_store["uri"]}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ticketbuddy.cli", "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}: {Path(log.name).read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("server did not become ready")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


def test_real_server_serves_the_champion(server, seed_tickets, trained):
    ready = httpx.get(f"{server}/readyz").json()
    assert ready == {
        "status": "ready",
        "model_name": "ticket-escalation",
        "model_version": trained.model_version,
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
