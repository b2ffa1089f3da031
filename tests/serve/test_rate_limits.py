"""Rate limits per API key: a flooding scoring key gets 429 with Retry-After, counted in /metrics, while
agent keys' queue calls keep being answered; buckets refill on the limiter's clock (a fake one here)."""

import re

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from tests.parallel import in_parallel
from ticketbuddy.serve.keys import ApiKeyError, ApiKeyring, Principal, hash_key
from ticketbuddy.serve.ratelimit import RateLimiter
from ticketbuddy.settings import RateBudget, RateLimitSettings, SecuritySettings, settings_problem

from .wiring import TICKET, bearer, build_wired_app, no_redaction_left_behind  # noqa: F401

SCORER = "noisy-scoring-key-0001"
AGENT = "agent-console-key-0002"
BOTH = "score-and-agent-key-003"
OWN = "own-budget-key-00000004"
UNLIMITED = "unlimited-key-000000005"
KEYS = ",".join(
    [
        f"{SCORER}:score",
        f"{AGENT}:agent",
        f"{BOTH}:score+agent",
        f"{OWN}:score:rate=0.5/s;burst=2",
        f"{UNLIMITED}:score:rate=off",
    ]
)
#: Small budgets: five scores at once then one every 4 s; thirty queue calls at once.
BUDGETS = RateLimitSettings(
    rate_limit_score="0.25/s;burst=5", rate_limit_agent="5/s;burst=30", rate_limit_admin="off", _env_file=None
)


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def wired():
    app = build_wired_app(SecuritySettings(api_keys=KEYS, _env_file=None), rate_limits=BUDGETS)
    clock = FakeClock()
    app.state.rate_limiter.clock = clock
    with TestClient(app) as client:  # one event loop for all, as in a server: threads share it
        yield client, clock


def ticket(n: int) -> dict:
    return {**TICKET, "ticket_id": f"rl-{n}"}


def score(client: TestClient, key: str, n: int):
    return client.post("/v1/score", json=ticket(n), headers=bearer(key))


def metric(client: TestClient, name: str, key: str, scope: str) -> float:
    labels = f'key_id="{hash_key(key)[:8]}",scope="{scope}"'
    found = re.search(rf"^{name}_total{{{labels}}} (\S+)$", client.get("/metrics").text, re.M)
    assert found, f"no {name} series for {labels}"
    return float(found[1])


def rules_only_decisions(client: TestClient) -> float:
    found = re.search(r"^ticketbuddy_rules_only_decisions_total (\S+)$", client.get("/metrics").text, re.M)
    return float(found[1]) if found else 0.0


def queue_call(client: TestClient, key: str, n: int):
    """One of the agents' queue calls: list, read, claim (the last two of a hand-off that is not there)."""
    if n % 3 == 0:
        return client.get("/v1/handoffs", headers=bearer(key))
    if n % 3 == 1:
        return client.get(f"/v1/handoffs/missing-{n}", headers=bearer(key))
    return client.post(f"/v1/handoffs/missing-{n}/claim", json={"agent_id": "a-1"}, headers=bearer(key))


def test_a_flooding_scoring_key_is_refused_while_agents_queue_calls_are_answered(wired):
    client, _ = wired
    calls = [lambda n=n: score(client, SCORER, n) for n in range(20)]
    calls += [lambda n=n: queue_call(client, AGENT, n) for n in range(20)]
    answers = in_parallel(calls)
    scored, queue = answers[:20], answers[20:]
    assert sorted(r.status_code for r in scored) == [200] * 5 + [429] * 15
    assert all(r.status_code in (200, 404) for r in queue), [r.status_code for r in queue]
    refused = next(r for r in scored if r.status_code == 429)
    assert refused.headers["Retry-After"] == "4"
    detail = refused.json()["detail"]
    assert "0.25 requests a second, bursts of 5" in detail and "'score'" in detail
    assert TICKET["messages"][0]["text"] not in refused.text
    assert metric(client, "ticketbuddy_rate_limited_requests", SCORER, "score") == 15
    assert metric(client, "ticketbuddy_rate_limit_admitted_requests", SCORER, "score") == 5
    assert metric(client, "ticketbuddy_rate_limited_requests", AGENT, "agent") == 0
    assert metric(client, "ticketbuddy_rate_limit_admitted_requests", AGENT, "agent") == 20
    assert rules_only_decisions(client) == 5  # refused tickets were never scored


def test_one_key_over_its_scoring_budget_keeps_its_queue_budget(wired):
    client, _ = wired
    assert [score(client, BOTH, n).status_code for n in range(6)] == [200] * 5 + [429]
    assert {queue_call(client, BOTH, n).status_code for n in range(9)} <= {200, 404}


def test_the_bucket_refills_on_the_clock(wired):
    client, clock = wired
    assert [score(client, SCORER, n).status_code for n in range(6)] == [200] * 5 + [429]
    clock.now += 2  # half a token: still refused, told the time left
    assert score(client, SCORER, 6).headers["Retry-After"] == "2"
    clock.now += 2
    assert [score(client, SCORER, n).status_code for n in (7, 8)] == [200, 429]
    clock.now += 3600  # a long pause refills to the burst, never beyond
    assert [score(client, SCORER, n).status_code for n in range(10, 16)] == [200] * 5 + [429]


def test_a_keys_own_budget_replaces_the_default(wired):
    client, _ = wired
    assert [score(client, OWN, n).status_code for n in range(3)] == [200, 200, 429]
    refused = score(client, OWN, 3)
    assert refused.headers["Retry-After"] == "2" and "bursts of 2" in refused.json()["detail"]
    assert {score(client, UNLIMITED, n).status_code for n in range(12)} == {200}


def test_refused_before_the_body_is_read_and_unknown_keys_touch_no_bucket(wired):
    client, _ = wired
    for n in range(5):
        score(client, SCORER, n)
    too_big = client.post("/v1/score", content=b"x" * 2_000_000, headers=bearer(SCORER))
    assert too_big.status_code == 429  # not 413: the body was never read
    assert client.post("/v1/score", json=ticket(9), headers=bearer("unknown-key-00000000")).status_code == 401
    assert {k for k, _ in client.app.state.rate_limiter._buckets} == {hash_key(SCORER)[:8]}
    assert {client.get("/healthz").status_code for _ in range(40)} == {200}  # probes are not limited


def test_a_disabled_budget_never_refuses():
    limiter = RateLimiter({"score": RateBudget(0.0, 0)}, clock=lambda: 0.0)
    caller = Principal("0123abcd", frozenset({"score"}))
    assert {limiter.admit(caller, "score") for _ in range(10_000)} == {0.0}
    app = build_wired_app(
        SecuritySettings(api_keys=KEYS, _env_file=None),
        rate_limits=RateLimitSettings(rate_limit_agent="off", _env_file=None),
    )
    app.state.rate_limiter.clock = lambda: 0.0
    client = TestClient(app)
    assert {queue_call(client, AGENT, n).status_code for n in range(60)} <= {200, 404}


def test_a_path_no_route_serves_spends_the_keys_tightest_budget(wired):
    client, _ = wired
    assert [client.get("/v1/nowhere", headers=bearer(BOTH)).status_code for _ in range(6)] == [404] * 5 + [
        429
    ]
    assert score(client, BOTH, 1).status_code == 429  # score (0.25/s) is tighter than agent (5/s)
    assert queue_call(client, BOTH, 0).status_code == 200


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ("rate=fast", "entry 2: a rate is N/s or N/min"),
        ("rate=3/h", "entry 2: a rate is N/s or N/min"),
        ("burst=3", "entry 2: burst=N needs rate=N/s"),
        ("rate=3/s;burst=0", "entry 2: burst is a whole number"),
        ("rate=3/s;burst=many", "entry 2: burst is a whole number"),
        ("rate=", "entry 2: attributes are agent=ID, teams=team1\\+team2, rate=N/s and burst=N"),
    ],
)
def test_a_malformed_key_budget_is_refused_naming_the_entry_not_the_key(attributes, message):
    secret = "a-secret-key-0000000009"
    with pytest.raises(ApiKeyError, match=message) as refused:
        ApiKeyring.from_settings(
            SecuritySettings(api_keys=f"{AGENT}:agent,{secret}:score:{attributes}", _env_file=None)
        )
    assert secret not in str(refused.value)


def test_key_budgets_are_parsed_from_the_environment_string_and_the_keys_file(tmp_path):
    ring = ApiKeyring.from_settings(SecuritySettings(api_keys=KEYS, _env_file=None))
    assert ring.authenticate(OWN).rate == RateBudget(0.5, 2)
    assert ring.authenticate(UNLIMITED).rate.unlimited and ring.authenticate(SCORER).rate is None
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"{hash_key(OWN)}:score:agent=a-1;rate=30/min\n{hash_key(AGENT)}:agent:burst=2\n")
    with pytest.raises(ApiKeyError, match="keys line 2: burst=N needs rate=N/s"):
        ApiKeyring.from_settings(SecuritySettings(api_keys_file=keys_file, _env_file=None))
    keys_file.write_text(f"{hash_key(OWN)}:score:agent=a-1;rate=30/min\n")
    own = ApiKeyring.from_settings(SecuritySettings(api_keys_file=keys_file, _env_file=None)).authenticate(
        OWN
    )
    assert (own.agent_id, own.rate) == ("a-1", RateBudget(0.5, 1))


def test_a_malformed_default_budget_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("TICKETBUDDY_RATE_LIMIT_SCORE", "lots")
    with pytest.raises(ValidationError) as refused:
        RateLimitSettings(_env_file=None)
    assert settings_problem(refused.value).startswith("TICKETBUDDY_RATE_LIMIT_SCORE: a rate is N/s")
    monkeypatch.setenv("TICKETBUDDY_RATE_LIMIT_SCORE", "10/s;brust=5")
    with pytest.raises(ValidationError, match="TICKETBUDDY_RATE_LIMIT_SCORE: a budget is RATE"):
        RateLimitSettings(_env_file=None)
    defaults = RateLimitSettings(rate_limit_score="25/s;burst=50", _env_file=None)
    assert defaults.budget("score") == RateBudget(25.0, 50)
