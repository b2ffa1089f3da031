"""API keys with scopes: parsing, constant-time checks, 401/403 per router, and a real uvicorn server."""

import hashlib
import json
import logging
import re
import socket
import time
from pathlib import Path

import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from tests.serve.servers import start_server
from ticketbuddy.policy.model import load_policy
from ticketbuddy.serve import keys as api_keys
from ticketbuddy.serve.app import create_app
from ticketbuddy.serve.keys import ApiKeyError, ApiKeyring, hash_key
from ticketbuddy.serve.reload import ModelHolder
from ticketbuddy.serve.security import require_scope, unscoped_routes
from ticketbuddy.settings import SecuritySettings, ServiceSettings

from .wiring import (
    ADMIN_KEY,
    AGENT_KEY,
    ALL_KEYS,
    SCORE_KEY,
    TICKET,
    bearer,
    build_wired_app,
    no_redaction_left_behind,  # noqa: F401 - autouse fixture
    wired_client,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def client():
    with wired_client() as c:
        yield c


def test_plain_keys_are_kept_hashed_and_checked_with_their_scopes():
    ring = ApiKeyring.from_settings(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    assert len(ring) == 3
    assert ring.authenticate(SCORE_KEY).scopes == {"score"}
    assert ring.authenticate(ADMIN_KEY).scopes == {"admin", "score"}
    assert ring.authenticate(SCORE_KEY[:-1]) is None and ring.authenticate("") is None
    assert ring.authenticate(SCORE_KEY).key_id == hash_key(SCORE_KEY)[:8]
    assert SCORE_KEY.encode() not in b"".join(ring._digests) and all(
        SCORE_KEY not in repr(e) for e in ring.entries
    )


def test_keys_file_holds_hashes_with_comments(tmp_path):
    path = tmp_path / "keys.txt"
    path.write_text(
        "# helpdesk integration\n"
        f"{hash_key(SCORE_KEY)}:score   # the chatbot\n"
        "\n"
        f"{hash_key(AGENT_KEY).upper()}:agent+score\n"
    )
    ring = ApiKeyring.from_settings(
        SecuritySettings(api_keys=f"{ADMIN_KEY}:admin", api_keys_file=path, _env_file=None)
    )
    assert ring.authenticate(SCORE_KEY).scopes == {"score"}
    assert ring.authenticate(AGENT_KEY).scopes == {"agent", "score"}
    assert ring.authenticate(ADMIN_KEY).scopes == {"admin"}


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("no-scope-separator-here", "entry 1: expected key:scope1+scope2"),
        (f"{SCORE_KEY}:score,{AGENT_KEY}:reader", "entry 2: scopes must be some of admin+agent+score"),
        ("short:score", "shorter than 16 characters"),
        (f"{SCORE_KEY}:", "entry 1: scopes must be"),
    ],
)
def test_malformed_plain_keys_are_refused_naming_the_entry_not_the_key(keys, message):
    with pytest.raises(ApiKeyError, match=re.escape(message)) as info:
        ApiKeyring.from_settings(SecuritySettings(api_keys=keys, _env_file=None))
    assert SCORE_KEY not in str(info.value)


def test_malformed_keys_file_line_is_named(tmp_path):
    path = tmp_path / "keys.txt"
    path.write_text(f"# ok\n{hash_key(SCORE_KEY)}:score\nnot-a-hash:agent\n")
    with pytest.raises(ApiKeyError, match=r"keys.txt line 3: expected a 64-digit sha256"):
        ApiKeyring.from_settings(SecuritySettings(api_keys_file=path, _env_file=None))
    with pytest.raises(ApiKeyError, match="cannot read API keys file"):
        ApiKeyring.from_settings(SecuritySettings(api_keys_file=tmp_path / "missing", _env_file=None))


def test_every_stored_digest_is_compared_whichever_key_matches(monkeypatch):
    ring = ApiKeyring.from_settings(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))
    calls = []

    def counting(a, b):
        calls.append(len(a))
        return a == b

    monkeypatch.setattr(api_keys.hmac, "compare_digest", counting)
    for presented in (SCORE_KEY, ADMIN_KEY, "nobody-has-this-key-at-all"):
        calls.clear()
        ring.authenticate(presented)
        assert calls == [32, 32, 32]  # all three digests, whole 32-byte digests, no early exit


def test_keys_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("TICKETBUDDY_API_KEYS", f"{AGENT_KEY}:agent")
    ring = ApiKeyring.from_settings(SecuritySettings(_env_file=None))
    assert ring.authenticate(AGENT_KEY).scopes == {"agent"}


def test_missing_and_unknown_keys_get_401_with_a_bearer_challenge(client):
    missing = client.post("/v1/score", json=TICKET)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    unknown = client.post("/v1/score", json=TICKET, headers=bearer("x" * 20))
    assert unknown.status_code == 401
    assert unknown.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    basic = client.post("/v1/score", json=TICKET, headers={"Authorization": f"Basic {SCORE_KEY}"})
    assert basic.status_code == 401


def test_each_router_needs_its_scope(client):
    assert client.post("/v1/score", json=TICKET, headers=bearer(SCORE_KEY)).status_code == 200
    assert client.post("/v1/score", json=TICKET, headers=bearer(ADMIN_KEY)).status_code == 200
    wrong = client.post("/v1/score", json=TICKET, headers=bearer(AGENT_KEY))
    assert wrong.status_code == 403 and "'score' scope" in wrong.json()["detail"]
    assert 'error="insufficient_scope"' in wrong.headers["www-authenticate"]
    assert client.get("/v1/handoffs", headers=bearer(AGENT_KEY)).status_code == 200
    assert client.get("/v1/handoffs", headers=bearer(SCORE_KEY)).status_code == 403
    assert client.get("/v1/admin/model", headers=bearer(ADMIN_KEY)).status_code == 200
    assert client.get("/v1/admin/model", headers=bearer(AGENT_KEY)).status_code == 403
    assert client.post("/v1/admin/reload", headers=bearer(SCORE_KEY)).status_code == 403


def test_probes_metrics_and_docs_need_no_key_but_unknown_paths_do(client):
    for path in ("/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"):
        assert client.get(path).status_code == 200, path
    assert client.get("/v1/nothing-here").status_code == 401
    assert client.get("/v1/nothing-here", headers=bearer(SCORE_KEY)).status_code == 404
    schemes = client.get("/openapi.json").json()["components"]["securitySchemes"]
    assert schemes["HTTPBearer"]["scheme"] == "bearer"


def test_scope_dependency_authenticates_by_itself_without_the_middleware():
    app = FastAPI()
    app.state.api_keyring = ApiKeyring.from_settings(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))

    @app.get("/admin-only", dependencies=[Depends(require_scope("admin"))])
    def admin_only() -> dict:
        return {"ok": True}

    plain = TestClient(app)
    assert plain.get("/admin-only").status_code == 401
    assert plain.get("/admin-only", headers=bearer(SCORE_KEY)).status_code == 403
    assert plain.get("/admin-only", headers=bearer(ADMIN_KEY)).json() == {"ok": True}
    with pytest.raises(ValueError, match="unknown scope"):
        require_scope("superuser")


def test_without_configured_keys_the_service_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("TICKETBUDDY_API_KEYS", raising=False)
    monkeypatch.delenv("TICKETBUDDY_API_KEYS_FILE", raising=False)
    with pytest.raises(ApiKeyError, match="no API keys configured.*--dev"):
        build_wired_app(SecuritySettings(_env_file=None))


def test_in_development_a_one_off_key_is_shown_on_the_terminal_never_logged(
    monkeypatch, caplog, capsys, tmp_path
):
    monkeypatch.delenv("TICKETBUDDY_API_KEYS", raising=False)
    settings = ServiceSettings(
        db_url=f"sqlite:///{tmp_path / 'h.db'}", sweep_interval_seconds=0, _env_file=None
    )
    holder = ModelHolder(load_policy(), "models:/ticket-escalation@champion", None)
    with caplog.at_level(logging.DEBUG):
        app = create_app(settings, holder=holder, security=SecuritySettings(_env_file=None), dev=True)
    shown = capsys.readouterr().err
    key = shown.split("development key (every scope, dies with this process): ")[1].split()[0]
    with TestClient(app) as c:
        assert c.post("/v1/score", json=TICKET).status_code == 401
        assert c.post("/v1/score", json=TICKET, headers=bearer(key)).status_code == 200
        assert c.get("/v1/handoffs", headers=bearer(key)).status_code == 200
        assert c.get("/v1/admin/model", headers=bearer(key)).status_code == 200
    assert key not in caplog.text  # on the terminal once, in no log record


def test_unscoped_routes_finds_an_open_endpoint():
    assert unscoped_routes(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None))) == []
    assert unscoped_routes(create_app(ServiceSettings())) == []  # the service itself: every route has a scope


def test_new_key_helper_prints_a_key_and_its_hash_line(capsys):
    assert api_keys.main(["score+agent"]) == 0
    lines = capsys.readouterr().out.splitlines()
    key = lines[0].split(": ")[1].strip()
    assert lines[1].endswith(f"{key}:score+agent")
    assert lines[2].split()[-1] == f"{hashlib.sha256(key.encode()).hexdigest()}:score+agent"
    assert api_keys.main(["admin", "--env"]) == 0
    env_line = capsys.readouterr().out.strip()
    ring = ApiKeyring.from_settings(SecuritySettings(api_keys=env_line.split("=", 1)[1], _env_file=None))
    assert ring.authenticate(env_line.split("=", 1)[1].rsplit(":", 1)[0]).scopes == {"admin"}


# --- a real uvicorn server ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def wired_server(trained, mlflow_store, tmp_path_factory):
    """The real service (``ticketbuddy serve``) with this module's keys and the default 1 MiB limit."""
    log_path = tmp_path_factory.mktemp("wired") / "server.log"
    env = {"TICKETBUDDY_API_KEYS": ALL_KEYS, "TICKETBUDDY_MAX_BODY_BYTES": str(1024 * 1024),
           "MLFLOW_TRACKING_URI": mlflow_store["uri"]}  # fmt: skip
    server = start_server(env, log_path)
    yield server.base, log_path
    server.stop()


@pytest.mark.slow
def test_real_server_refuses_without_a_key_and_oversized_bodies(wired_server):
    base, _ = wired_server
    missing = httpx.post(f"{base}/v1/score", json=TICKET, timeout=10)
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
    assert (
        httpx.post(f"{base}/v1/score", json=TICKET, headers=bearer(AGENT_KEY), timeout=10).status_code == 403
    )
    ok = httpx.post(f"{base}/v1/score", json=TICKET, headers=bearer(SCORE_KEY), timeout=10)
    assert ok.status_code == 200 and ok.json()["ticket_id"] == "sec-1"
    huge = {**TICKET, "messages": [{"role": "customer", "text": "x" * 5_000_000}]}
    refused = httpx.post(f"{base}/v1/score", json=huge, headers=bearer(SCORE_KEY), timeout=30)
    assert refused.status_code == 413
    assert "limit is 1,048,576 bytes" in refused.json()["detail"]
    # the server is still fine afterwards
    assert httpx.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"


@pytest.mark.slow
def test_real_server_logs_hold_no_ticket_text_or_contact_details(wired_server):
    base, log_path = wired_server
    text = (
        "My card 4111 1111 1111 1111 was charged twice, email me at jane.doe@example.com "
        "or call +44 7700 900123 before I go to the newspaper"
    )
    ticket = {**TICKET, "ticket_id": "sec-2", "messages": [{"role": "customer", "text": text}]}
    response = httpx.post(
        f"{base}/v1/score?contact=jane.doe@example.com", json=ticket, headers=bearer(SCORE_KEY), timeout=10
    )
    assert response.status_code == 200 and response.json()["escalate"] is True
    deadline = time.monotonic() + 10
    while "/v1/score?" not in log_path.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    logs = log_path.read_text()
    assert '"POST /v1/score?[query redacted] HTTP/1.1" 200' in logs
    for secret in ("jane.doe", "example.com", "4111", "7700 900123", "newspaper", "charged twice"):
        assert secret not in logs, secret
    assert json.dumps(text) not in logs
