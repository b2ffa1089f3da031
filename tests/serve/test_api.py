"""The scoring API through FastAPI's TestClient, with the session's scorer injected."""

import json

import pytest
from fastapi.testclient import TestClient

from tests.serve.api import AUTH
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.serve.app import create_app
from ticketbuddy.serve.deps import get_scorer
from ticketbuddy.settings import ServiceSettings

from .wiring import TICKET

FAQ = {**TICKET, "ticket_id": "api-1"}


def client_for(scorer):
    app = create_app(ServiceSettings())
    app.dependency_overrides[get_scorer] = lambda: scorer
    return TestClient(app, headers=AUTH)  # no lifespan: the injected scorer is used, nothing else is loaded


@pytest.fixture(scope="module")
def client(scorer):
    return client_for(scorer)


def test_score_returns_contract_fields(client, seed_tickets):
    body = json.loads(seed_tickets[0].model_dump_json())
    response = client.post("/v1/score", json=body)
    assert response.status_code == 200
    score = response.json()
    assert {"ticket_id", "escalate", "probability", "priority", "route", "reasons", "model"} <= set(score)
    assert score["model"]["name"] == "ticket-escalation" and score["model"]["version"]
    assert score["handoff"]["handoff_id"] and score["handoff"]["sla_minutes"] == 30
    assert "; largest contributions: " in score["reasons"][0]["detail"]
    assert score["handoff"]["reasons"][0] == score["reasons"][0]  # the agent sees them in the packet
    assert "30 minutes" in score["customer_reply"]


def test_calm_ticket_is_kept_by_the_ai(client):
    score = client.post("/v1/score", json=FAQ).json()
    assert score["escalate"] is False and score["handoff"] is None and score["route"] is None


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"channel": "pigeon"}, ["body", "channel"]),
        ({"messages": []}, ["body", "messages"]),
        (
            {"messages": [{"role": "customer", "text": "hi"}, {"role": "robot", "text": "x"}]},
            ["body", "messages", 1, "role"],
        ),
        ({"created_at": "not a date"}, ["body", "created_at"]),
        ({"customer": {"lifetime_value": "lots"}}, ["body", "customer", "lifetime_value"]),
        ({"ticket_id": ""}, ["body", "ticket_id"]),
        # what fuzzing found: a time UTC cannot hold, numbers where the schema says otherwise, blank text
        ({"created_at": "0001-01-01T00:00:00+05:00"}, ["body", "created_at"]),
        ({"created_at": 0}, ["body", "created_at"]),
        (
            {"messages": [{"role": "customer", "text": "hi", "sent_at": 1}]},
            ["body", "messages", 0, "sent_at"],
        ),
        ({"messages": [{"role": "customer", "text": " \n "}]}, ["body", "messages", 0, "text"]),
        ({"ticket_id": "\t"}, ["body", "ticket_id"]),
        ({"customer": {"orders_12m": True}}, ["body", "customer", "orders_12m"]),
        ({"customer": {"lifetime_value": "12"}}, ["body", "customer", "lifetime_value"]),
        (
            {"messages": [{"role": "bot", "text": "hi", "confidence": False}]},
            ["body", "messages", 0, "confidence"],
        ),
    ],
)
def test_bad_input_is_422_naming_the_field(client, change, loc):
    response = client.post("/v1/score", json={**FAQ, **change})
    assert response.status_code == 422
    assert loc in [err["loc"] for err in response.json()["detail"]]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_a_ticket_dated_at_either_end_of_time_is_refused_naming_the_field(client, when):
    legal = {"role": "customer", "text": "My solicitor will hear about this", "sent_at": when}
    response = client.post(
        "/v1/score", json={**FAQ, "ticket_id": f"api-{when[:4]}", "created_at": when, "messages": [legal]}
    )
    assert response.status_code == 422
    assert {tuple(e["loc"]) for e in response.json()["detail"]} == {
        ("body", "created_at"),
        ("body", "messages", 0, "sent_at"),
    }


def test_a_null_customer_is_an_unknown_one(client):
    response = client.post("/v1/score", json={**FAQ, "ticket_id": "api-null-customer", "customer": None})
    assert response.status_code == 200


def test_missing_field_and_non_json_body_are_422(client):
    body = {k: v for k, v in FAQ.items() if k != "messages"}
    assert client.post("/v1/score", json=body).status_code == 422
    response = client.post("/v1/score", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["model_name"] == "ticket-escalation"
    assert ready["handoff_store"] == "ok"


def test_without_a_model_the_rules_decide_and_nothing_is_dropped():
    degraded = client_for(Scorer(load_policy(), None))
    assert degraded.get("/readyz").json()["status"] == "degraded: rules only"
    angry = {
        **FAQ,
        "messages": [{"role": "customer", "text": "This is awful, I am furious, nobody helps me"}],
    }
    score = degraded.post("/v1/score", json=angry).json()
    assert score["escalate"] is True and score["route"] == "general_escalations"
    assert score["reasons"][0]["code"] == "rules_only" and score["model"]["version"] is None
    assert score["handoff"]["handoff_id"]


def test_model_failure_on_a_ticket_falls_back_to_rules(scorer):
    class Broken:
        def predict(self, frame):
            raise RuntimeError("boom")

    from dataclasses import replace

    broken = Scorer(scorer.policy, replace(scorer.model, pyfunc=Broken(), lean=Broken()))
    legal = {**FAQ, "messages": [{"role": "customer", "text": "My solicitor will hear about this"}]}
    score = client_for(broken).post("/v1/score", json=legal).json()
    assert score["escalate"] and score["route"] == "legal_compliance"
    assert score["reasons"][0]["code"] == "rules_only"
