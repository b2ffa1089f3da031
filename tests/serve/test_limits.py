"""Request size limits: 413 with a clear message by Content-Length or by counting a chunked body; 422
for metadata nested too deep or too big."""

import asyncio
import json

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from ticketbuddy.serve.limits import BodySizeLimitMiddleware
from ticketbuddy.settings import DEFAULT_MAX_BODY_BYTES, LimitsSettings, SecuritySettings

from .wiring import (
    ALL_KEYS,
    SCORE_KEY,
    TICKET,
    bearer,
    build_wired_app,
    no_redaction_left_behind,  # noqa: F401 - autouse fixture
)

LIMIT = 1000


def echo_app(limit=LIMIT):
    app = FastAPI()
    app.state.calls = 0

    @app.post("/echo")
    async def echo(request: Request) -> dict:
        request.app.state.calls += 1
        body = await request.body()
        return {"size": len(body), "head": body[:20].decode()}

    app.add_middleware(BodySizeLimitMiddleware, max_body_bytes=limit)
    return app


def chunks(total, size=100):
    sent = 0
    while sent < total:
        step = min(size, total - sent)
        yield b"a" * step
        sent += step


@pytest.fixture
def echo():
    app = echo_app()
    return app, TestClient(app)


def test_body_at_the_limit_passes_unchanged(echo):
    app, client = echo
    body = b"{" + b"a" * (LIMIT - 1)
    response = client.post("/echo", content=body)
    assert response.status_code == 200 and response.json() == {"size": LIMIT, "head": body[:20].decode()}
    assert app.state.calls == 1


def test_declared_length_over_the_limit_is_413_before_the_app_runs(echo):
    app, client = echo
    response = client.post("/echo", content=b"a" * (LIMIT + 1))
    assert response.status_code == 413
    assert response.json() == {
        "detail": "request body too large: the limit is 1,000 bytes (1,001 bytes sent)"
    }
    assert response.headers["connection"] == "close"
    assert app.state.calls == 0


def test_chunked_body_is_counted_while_read(echo):
    app, client = echo
    assert client.post("/echo", content=chunks(LIMIT)).json()["size"] == LIMIT
    response = client.post("/echo", content=chunks(LIMIT + 50))
    assert response.status_code == 413
    assert response.json()["detail"] == "request body too large: the limit is 1,000 bytes"
    assert app.state.calls == 1  # only the body within the limit reached the app


def run_asgi(app, headers, messages):
    """Drive an ASGI app by hand: return what it sent and how many receive() calls it made."""
    sent, received = [], []
    queue = list(messages)

    async def receive():
        received.append(1)
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/echo", "headers": headers, "query_string": b""}
    asyncio.run(app(scope, receive, send))
    return sent, len(received)


def test_a_lying_or_unreadable_content_length_never_reaches_the_app():
    calls = []

    async def app(scope, receive, send):
        calls.append(1)

    middleware = BodySizeLimitMiddleware(app, max_body_bytes=LIMIT)
    sent, _ = run_asgi(middleware, [(b"content-length", b"12abc")], [])
    assert sent[0]["status"] == 400 and b"Content-Length" in sent[1]["body"]
    sent, reads = run_asgi(middleware, [(b"content-length", b"99999999")], [])
    assert sent[0]["status"] == 413 and reads == 0  # refused without reading a byte
    # more bytes than declared (a server that does not enforce framing) are still counted
    body = [{"type": "http.request", "body": b"a" * 600, "more_body": True}] * 2
    sent, _ = run_asgi(middleware, [(b"content-length", b"10")], body)
    assert sent[0]["status"] == 413 and calls == []


def test_client_leaving_mid_body_gets_nothing_and_the_app_is_not_called():
    calls = []

    async def app(scope, receive, send):
        calls.append(1)

    middleware = BodySizeLimitMiddleware(app, max_body_bytes=LIMIT)
    sent, _ = run_asgi(middleware, [], [{"type": "http.request", "body": b"a", "more_body": True}])
    assert sent == [] and calls == []


def test_limit_comes_from_settings(monkeypatch):
    assert LimitsSettings(_env_file=None).max_body_bytes == DEFAULT_MAX_BODY_BYTES == 1024 * 1024
    monkeypatch.setenv("TICKETBUDDY_MAX_BODY_BYTES", "2048")
    assert LimitsSettings(_env_file=None).max_body_bytes == 2048


def test_a_ticket_with_a_5_mb_message_is_413_on_the_wired_service():
    app = build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    client = TestClient(app)
    huge = {**TICKET, "messages": [{"role": "customer", "text": "x" * 5_000_000}]}
    response = client.post("/v1/score", json=huge, headers=bearer(SCORE_KEY))
    assert response.status_code == 413 and "limit is 1,048,576 bytes" in response.json()["detail"]
    body = json.dumps(huge).encode()
    chunked = client.post(
        "/v1/score",
        content=(body[i : i + 65536] for i in range(0, len(body), 65536)),
        headers={**bearer(SCORE_KEY), "content-type": "application/json"},
    )
    assert chunked.status_code == 413
    small = client.post("/v1/score", json=TICKET, headers=bearer(SCORE_KEY))
    assert small.status_code == 200 and small.json()["ticket_id"] == TICKET["ticket_id"]
    # without a key the size is never looked at: unauthenticated clients learn nothing
    assert client.post("/v1/score", json=huge).status_code == 401


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}, "nested more than 5 levels deep"),
        ({"notes": "x" * 20_000}, "is 20,012 bytes as JSON, more than the 16,384 allowed"),
    ],
    ids=["too-deep", "too-big"],
)
def test_metadata_beyond_its_limits_is_422_naming_the_field(metadata, reason):
    client = TestClient(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None)))
    response = client.post("/v1/score", json={**TICKET, "metadata": metadata}, headers=bearer(SCORE_KEY))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "metadata"] and reason in error["msg"]
    within = client.post(
        "/v1/score", json={**TICKET, "metadata": {"open_orders": 2}}, headers=bearer(SCORE_KEY)
    )
    assert within.status_code == 200


WINDOW = "must be from 1990-01-01T00:00:00Z up to, not including, 2100-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        ({"created_at": "0001-01-01T00:30:00+01:00"}, ["created_at"], f"created_at {WINDOW}"),
        ({"created_at": "0001-01-01T00:00:00Z"}, ["created_at"], f"created_at {WINDOW}"),
        ({"created_at": "6426-02-01T00:00:00Z"}, ["created_at"], f"created_at {WINDOW}"),
        ({"created_at": "9999-12-31T23:59:59-01:00"}, ["created_at"], f"created_at {WINDOW}"),
        (
            {"messages": [{"role": "customer", "text": "Where is it?", "sent_at": "1989-12-31T23:00:00Z"}]},
            ["messages", 0, "sent_at"],
            f"sent_at {WINDOW}",
        ),
        (
            {"customer": {"orders_12m": True}},
            ["customer", "orders_12m"],
            "Input should be a valid integer",
        ),
        ({"customer": {"lifetime_value": "Infinity"}}, ["customer", "lifetime_value"], "valid number"),
    ],
    ids=["year-1-offset", "year-1", "year-6426", "year-9999-offset", "sent-at-1989", "count-true", "inf"],
)
def test_a_time_outside_the_window_or_a_flag_for_a_number_is_422_naming_the_field(change, loc, msg):
    client = TestClient(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None)))
    response = client.post("/v1/score", json={**TICKET, **change}, headers=bearer(SCORE_KEY))
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", *loc] and msg in error["msg"]


def test_nan_or_infinity_in_raw_json_is_422_not_500_and_a_naive_time_at_the_window_start_is_scored():
    client = TestClient(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None)))
    body = json.dumps({**TICKET, "customer": {"lifetime_value": 1}}).replace(": 1}", ": Infinity}")
    headers = {**bearer(SCORE_KEY), "content-type": "application/json"}
    infinite = client.post("/v1/score", content=body, headers=headers)
    assert infinite.status_code == 422
    assert infinite.json()["detail"][0]["loc"] == ["body", "customer", "lifetime_value"]
    assert infinite.json()["detail"][0]["input"] == "Infinity"  # echoed as JSON can write it
    nan = json.dumps({**TICKET, "metadata": {"order": {"total": 1}}}).replace(": 1}", ": NaN}")
    in_metadata = client.post("/v1/score", content=nan, headers=headers)
    assert in_metadata.status_code == 422
    [error] = in_metadata.json()["detail"]
    assert error["loc"] == ["body", "metadata"] and "not finite" in error["msg"]
    edge = client.post(
        "/v1/score", json={**TICKET, "created_at": "1990-01-01T00:00:00"}, headers=bearer(SCORE_KEY)
    )
    assert edge.status_code == 200 and edge.json()["ticket_id"] == TICKET["ticket_id"]


def test_what_the_contract_refuses_after_the_api_model_let_it_through_is_a_422_not_a_500():
    """The API's model and the contract's are meant to agree; where they do not, the answer is a 422."""
    from fastapi.exceptions import RequestValidationError

    from ticketbuddy.serve.schemas import TicketIn

    ticket = TicketIn.model_validate(TICKET)
    slipped = ticket.model_copy(update={"metadata": {"total": float("nan")}})  # as if the API let NaN in
    with pytest.raises(RequestValidationError) as refused:
        slipped.as_ticket()
    [error] = refused.value.errors()
    assert error["loc"] == ("body", "metadata") and "not finite" in error["msg"]
