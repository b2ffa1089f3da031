"""Starting the service: no model means no start (unless rules only is asked for), and it says why."""

import json

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.serve import api
from tests.serve.servers import serve_refusing, start_server
from ticketbuddy.scoring.lookup import ModelUnavailable
from ticketbuddy.serve.app import create_app
from ticketbuddy.settings import ServiceSettings

pytestmark = pytest.mark.slow

VIP_POLITE = {
    "ticket_id": "vip-polite-1",
    "channel": "email",
    "created_at": "2026-11-21T09:00:00Z",
    "customer": {"customer_id": "c-vip-polite", "tier": "vip", "lifetime_value": 12000},
    "messages": [
        {
            "role": "customer",
            "text": "The chairs for our new office were due last Thursday and have not come.",
        }
    ],
}


@pytest.fixture
def empty_store(tmp_path):
    return {
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "TICKETBUDDY_DB_URL": f"sqlite:///{tmp_path / 'h.db'}",
    }


def test_serve_without_a_model_refuses_to_start_and_says_how_to_train(empty_store):
    done = serve_refusing(empty_store)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr
    [line] = [x for x in done.stderr.splitlines() if x.strip()]
    assert line.startswith("ticketbuddy serve: not started: no model named 'ticket-escalation'")
    assert "make train" in line and "--allow-rules-only" in line


def test_a_bad_redaction_pattern_stops_serve_naming_the_variable_and_the_pattern(empty_store):
    env = {
        **empty_store,
        "TICKETBUDDY_API_KEYS": "",
        "TICKETBUDDY_REDACT_PATTERNS": "ACC-[0-9]{8} ;; member no[",
    }
    done = serve_refusing(env, "--allow-rules-only")  # no model needed to get as far as the logs
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "Uvicorn running" not in done.stderr
    [line] = [x for x in done.stderr.splitlines() if x.startswith("ticketbuddy serve:")]
    assert "ephemeral key" not in done.stderr  # refused before anything else was set up
    assert line == (
        "ticketbuddy serve: not started: TICKETBUDDY_REDACT_PATTERNS: pattern 2 of 2 ('member no[')"
        " is not a valid regular expression: unterminated character set at position 9"
    )


def test_rules_only_on_request_is_safe_for_a_vip_and_says_why(empty_store, tmp_path):
    server = start_server(empty_store, tmp_path / "server.log", args=("--allow-rules-only",))
    try:
        assert httpx.get(f"{server.base}/readyz").json()["status"] == "degraded: rules only"
        status = api.get(f"{server.base}/v1/admin/model").json()
        assert status["model"]["degraded"] is True
        assert "no model named 'ticket-escalation'" in status["last_error"]
        score = api.post(f"{server.base}/v1/score", json=VIP_POLITE, timeout=30).json()
        assert (score["escalate"], score["priority"], score["route"]) == (True, "P1", "senior_cx")
        assert score["handoff"]["handoff_id"] and "30 minutes" in score["customer_reply"]
        listed = api.get(f"{server.base}/v1/handoffs").json()
        assert score["handoff"]["handoff_id"] in json.dumps(listed)
    finally:
        server.stop()


def test_an_unknown_alias_is_reported_by_the_admin_endpoint(trained, tmp_path):
    settings = ServiceSettings(
        model_uri="models:/ticket-escalation@nosuchalias",
        require_model=False,
        db_url=f"sqlite:///{tmp_path / 'h.db'}",
        sweep_interval_seconds=0,
        _env_file=None,
    )
    with TestClient(create_app(settings), headers=api.AUTH) as client:
        assert client.get("/readyz").json()["status"] == "degraded: rules only"
        status = client.get("/v1/admin/model").json()
        assert "no alias @nosuchalias" in status["last_error"] and "@champion" in status["last_error"]


def test_the_model_is_required_by_default(trained, tmp_path):
    settings = ServiceSettings(
        model_uri="models:/ticket-escalation@nosuchalias",
        db_url=f"sqlite:///{tmp_path / 'h.db'}",
        _env_file=None,
    )
    assert settings.require_model is True
    with pytest.raises(ModelUnavailable, match="--allow-rules-only"), TestClient(create_app(settings)):
        pass
