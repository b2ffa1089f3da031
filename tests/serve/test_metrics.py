"""``GET /metrics``: requests, latency, escalations, kept decisions, queue depth, SLA breaches, model."""

import random
import string
from datetime import UTC, datetime
from types import SimpleNamespace

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from ticketbuddy.handoff.domain import Scored
from ticketbuddy.scoring.scorer import ModelRef
from ticketbuddy.serve.metrics import METHOD_LABELS, Metrics, record_score, record_sla_breach
from ticketbuddy.settings import SecuritySettings

from .wiring import (
    AGENT_KEY,
    ALL_KEYS,
    SCORE_KEY,
    TICKET,
    bearer,
    build_wired_app,
    no_redaction_left_behind,  # noqa: F401 - autouse fixture
)

MODEL = SimpleNamespace(name="ticket-escalation", version="7", threshold=0.231)


def samples(text):
    """{(sample name, frozenset of labels): value} of a Prometheus exposition."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text, metric, **labels):
    return samples(text).get((metric, frozenset(labels.items())))


def score(escalate, route=None, priority=None, version="7", replay=False):
    return Scored(
        ticket_id="m-1",
        escalate=escalate,
        probability=0.9 if version else None,
        priority=priority,
        route=route,
        reasons=[],
        model=ModelRef(name="ticket-escalation", version=version),
        handed_over=escalate and not replay,
    )


def exposition(metrics):
    return metrics.exposition().decode()


def test_scores_count_escalations_by_route_and_priority_and_kept_decisions():
    metrics = Metrics()
    metrics.record_score(score(True, "senior_cx", "P1"))
    metrics.record_score(score(True, "senior_cx", "P1"))
    metrics.record_score(score(True, "billing_disputes", "P3", version=None))
    metrics.record_score(score(False))
    metrics.record_score(score(True, "senior_cx", "P1", replay=True))  # the same ticket again: not counted
    text = exposition(metrics)
    assert value(text, "ticketbuddy_escalations_total", route="senior_cx", priority="P1") == 2
    assert value(text, "ticketbuddy_escalations_total", route="billing_disputes", priority="P3") == 1
    assert value(text, "ticketbuddy_kept_by_ai_total") == 1
    assert value(text, "ticketbuddy_rules_only_decisions_total") == 1


def test_plain_functions_need_a_service_or_an_explicit_target():
    metrics = Metrics()
    record_score(score(False))  # outside a request, no target: nothing happens, nothing breaks
    record_sla_breach("senior_cx")
    assert value(exposition(metrics), "ticketbuddy_kept_by_ai_total") == 0
    record_sla_breach("senior_cx", metrics=metrics)
    record_sla_breach("senior_cx", metrics=metrics)
    metrics.record_sla_breach("legal_compliance")
    text = exposition(metrics)
    assert value(text, "ticketbuddy_sla_breaches_total", route="senior_cx") == 2
    assert value(text, "ticketbuddy_sla_breaches_total", route="legal_compliance") == 1


def test_queue_depth_and_model_are_read_at_scrape_time():
    metrics = Metrics()
    depth = {("pending", "senior_cx"): 3, ("claimed", "senior_cx"): 1}
    serving = {"model": MODEL}
    metrics.set_queue_depth_source(lambda: depth)
    metrics.set_model_source(lambda: serving["model"])
    text = exposition(metrics)
    assert value(text, "ticketbuddy_handoff_queue_depth", status="pending", route="senior_cx") == 3
    assert value(text, "ticketbuddy_handoff_queue_depth", status="claimed", route="senior_cx") == 1
    info = {"name": "ticket-escalation", "version": "7", "threshold": "0.231"}
    assert value(text, "ticketbuddy_model_info", **info) == 1
    assert value(text, "ticketbuddy_model_degraded") == 0
    assert value(text, "ticketbuddy_model_unverified") == 1  # no verified flag: loaded unchecked
    serving["model"] = SimpleNamespace(**vars(MODEL), verified=True)
    assert value(exposition(metrics), "ticketbuddy_model_unverified") == 0
    depth[("pending", "senior_cx")] = 0
    serving["model"] = None
    text = exposition(metrics)
    assert value(text, "ticketbuddy_handoff_queue_depth", status="pending", route="senior_cx") == 0
    assert value(text, "ticketbuddy_model_degraded") == 1
    assert value(text, "ticketbuddy_model_info", **info) is None
    assert value(text, "ticketbuddy_model_unverified") == 0  # no model: nothing unverified serves


def test_a_failing_source_is_left_out_and_the_scrape_still_works(caplog):
    metrics = Metrics()

    def broken():
        raise ConnectionError("queue database is down")

    metrics.set_queue_depth_source(broken)
    metrics.set_model_source(lambda: MODEL)
    text = exposition(metrics)
    assert "ticketbuddy_handoff_queue_depth" not in text
    assert value(text, "ticketbuddy_model_degraded") == 0
    assert "could not read the queue depth" in caplog.text


def test_sweeper_moves_are_counted_by_kind():
    from ticketbuddy.handoff.sweeper import Move
    from ticketbuddy.serve.app import _count_sweep_moves

    metrics = Metrics()
    record = _count_sweep_moves(metrics)
    due = datetime(2026, 11, 20, tzinfo=UTC)
    for kind in ("rerouted", "sla_breached", "claim_expired", "claim_expired"):
        record(Move("h", "t", kind, "senior_cx", "senior_cx", due))
    text = exposition(metrics)
    assert value(text, "ticketbuddy_sla_breaches_total", route="senior_cx") == 1
    assert value(text, "ticketbuddy_claims_expired_total", route="senior_cx") == 2


def test_without_sources_no_queue_or_model_series():
    text = exposition(Metrics())
    assert "ticketbuddy_handoff_queue_depth" not in text and "ticketbuddy_model_info" not in text


def test_each_app_has_its_own_registry():
    first = build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    second = build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    assert first.state.metrics.registry is not second.state.metrics.registry
    TestClient(first).post("/v1/score", json=TICKET, headers=bearer(SCORE_KEY))
    scraped = TestClient(second).get("/metrics").text
    assert value(scraped, "ticketbuddy_kept_by_ai_total") == 0


def test_the_service_exposes_requests_latency_and_scores():
    app = build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    client = TestClient(app)
    calm = client.post("/v1/score", json=TICKET, headers=bearer(SCORE_KEY))
    angry = {**TICKET, "messages": [{"role": "customer", "text": "I will call my lawyer about this"}]}
    legal = client.post("/v1/score", json=angry, headers=bearer(SCORE_KEY))
    assert calm.json()["escalate"] is False and legal.json()["route"] == "legal_compliance"
    again = client.post("/v1/score", json=angry, headers=bearer(SCORE_KEY))  # re-sent: same hand-off
    assert again.json()["handoff"]["handoff_id"] == legal.json()["handoff"]["handoff_id"]
    client.post("/v1/score", json=TICKET)  # 401
    client.get("/v1/handoffs/not-a-route/at-all")  # 401, no route
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    ok = {"route": "/v1/score", "method": "POST", "status": "200"}
    assert value(text, "ticketbuddy_http_requests_total", **ok) == 3
    assert value(text, "ticketbuddy_http_requests_total", **{**ok, "status": "401"}) == 1
    assert value(text, "ticketbuddy_http_requests_total", route="unmatched", method="GET", status="401") == 1
    latency = {"route": "/v1/score", "method": "POST"}
    assert value(text, "ticketbuddy_http_request_duration_seconds_count", **latency) == 4
    assert value(text, "ticketbuddy_http_request_duration_seconds_sum", **latency) > 0
    # record_score called inside the (threadpool) endpoint found the app's metrics
    assert value(text, "ticketbuddy_kept_by_ai_total") == 1
    assert value(text, "ticketbuddy_escalations_total", route="legal_compliance", priority="P1") == 1
    assert value(text, "ticketbuddy_rules_only_decisions_total") == 3
    assert value(text, "ticketbuddy_model_degraded") == 1  # the wired app serves by the rules alone
    assert "/v1/handoffs/not-a-route" not in text  # raw paths never become labels


def test_route_templates_label_requests_with_path_parameters():
    client = TestClient(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None)))
    client.get("/v1/handoffs/abc-123", headers=bearer(AGENT_KEY))  # 404: no such hand-off
    client.get("/v1/handoffs/def-456", headers=bearer(AGENT_KEY))
    text = client.get("/metrics").text
    labels = {"route": "/v1/handoffs/{handoff_id}", "method": "GET", "status": "404"}
    assert value(text, "ticketbuddy_http_requests_total", **labels) == 2


def invented_methods(count, seed=7):
    """``count`` distinct method tokens a client might make up, none of them a standard method."""
    rng, made = random.Random(seed), set()
    while len(made) < count:
        token = "".join(rng.choices(string.ascii_letters + string.digits, k=rng.randint(3, 12)))
        if token not in METHOD_LABELS:
            made.add(token)
    return sorted(made)


def test_methods_a_client_makes_up_add_no_series():
    client = TestClient(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None)))
    client.post("/v1/score", json=TICKET, headers=bearer(SCORE_KEY))
    before = samples(client.get("/metrics").text)
    methods = invented_methods(200)
    for method in methods:
        client.request(method, "/v1/score")  # no key: what anyone on the network can send
    for method in methods[:20]:
        client.request(method.lower(), "/no/such/path")
    text = client.get("/metrics").text
    labelled = {dict(labels)["method"] for _, labels in samples(text) if "method" in dict(labels)}
    assert labelled <= METHOD_LABELS | {"other"} and "other" in labelled
    added = {key for key in samples(text) if key not in before}
    assert {dict(labels)["method"] for _, labels in added} <= {"other", "GET"}  # GET: the scrape
    other = {"method": "other", "status": "401"}
    assert value(text, "ticketbuddy_http_requests_total", route="/v1/score", **other) == 200
    assert value(text, "ticketbuddy_http_requests_total", route="unmatched", **other) == 20
    latency = {"route": "/v1/score", "method": "other"}
    assert value(text, "ticketbuddy_http_request_duration_seconds_count", **latency) == 200
