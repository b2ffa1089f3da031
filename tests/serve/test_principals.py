"""Who may see and change what: the agent and the teams come from the key, never from a request body."""

import logging

import pytest
from fastapi.testclient import TestClient

from ticketbuddy.policy.model import load_policy
from ticketbuddy.serve.app import check_key_teams
from ticketbuddy.serve.keys import ApiKeyError, ApiKeyring, hash_key
from ticketbuddy.settings import SecuritySettings

from .wiring import TICKET, bearer, build_wired_app, no_redaction_left_behind  # noqa: F401

SCORE = "score-only-key-000001"
AGENT_1 = "agent-one-key-0000001"
AGENT_2 = "agent-two-key-0000002"
LAWYER = "lawyer-key-0000000003"
SHARED = "shared-agent-key-00004"
ADMIN = "admin-key-000000000005"
KEYS = ",".join(
    [
        f"{SCORE}:score",
        f"{AGENT_1}:agent:agent=agent-1;teams=senior_cx",
        f"{AGENT_2}:agent:agent=agent-2;teams=senior_cx",
        f"{LAWYER}:agent:agent=lawyer-1;teams=legal_compliance",
        f"{SHARED}:agent",
        f"{ADMIN}:admin+agent+score",
    ]
)
VIP = {**TICKET, "ticket_id": "vip-1", "customer": {"tier": "vip"}}
LEGAL = {
    **TICKET,
    "ticket_id": "legal-1",
    "messages": [{"role": "customer", "text": "My lawyer will sue you."}],
}


@pytest.fixture
def api():
    return TestClient(build_wired_app(SecuritySettings(api_keys=KEYS, _env_file=None)))


def open_two(api):
    vip = api.post("/v1/score", json=VIP, headers=bearer(SCORE)).json()["handoff"]
    legal = api.post("/v1/score", json=LEGAL, headers=bearer(SCORE)).json()["handoff"]
    assert (vip["team"], legal["team"]) == ("senior_cx", "legal_compliance")
    return vip["handoff_id"], legal["handoff_id"]


def test_key_attributes_are_parsed_and_checked():
    ring = ApiKeyring.from_settings(SecuritySettings(api_keys=KEYS, _env_file=None))
    one = ring.authenticate(AGENT_1)
    assert (one.agent_id, one.teams, one.scopes) == ("agent-1", frozenset({"senior_cx"}), {"agent"})
    assert ring.authenticate(SHARED).agent_id is None and ring.authenticate(SHARED).teams is None
    assert ring.unscoped_agent_keys() == [hash_key(SHARED)[:8], hash_key(ADMIN)[:8]]
    with pytest.raises(ApiKeyError, match="entry 1: attributes are agent=ID"):
        ApiKeyring.from_settings(SecuritySettings(api_keys=f"{AGENT_1}:agent:role=x", _env_file=None))
    typo = ApiKeyring.from_settings(
        SecuritySettings(api_keys=f"{AGENT_1}:agent:teams=senior-cx", _env_file=None)
    )
    with pytest.raises(ApiKeyError, match=rf"key {hash_key(AGENT_1)[:8]}: team 'senior-cx' is not a team"):
        check_key_teams(typo, load_policy())


def test_a_key_without_teams_is_named_at_start(caplog):
    with caplog.at_level(logging.WARNING, logger="ticketbuddy.serve.security"):
        build_wired_app(SecuritySettings(api_keys=KEYS, _env_file=None))
    assert f"API key {hash_key(SHARED)[:8]} (agent scope) declares no teams" in caplog.text
    assert SHARED not in caplog.text


def test_a_key_sees_and_acts_on_its_teams_only(api):
    vip, legal = open_two(api)
    listed = api.get("/v1/handoffs", headers=bearer(AGENT_1)).json()
    assert [i["handoff_id"] for i in listed["items"]] == [vip]
    assert api.get(f"/v1/handoffs/{legal}", headers=bearer(AGENT_1)).status_code == 404
    assert api.post(f"/v1/handoffs/{legal}/claim", json={}, headers=bearer(AGENT_1)).status_code == 404
    assert api.get(f"/v1/handoffs/{legal}", headers=bearer(LAWYER)).status_code == 200
    assert len(api.get("/v1/handoffs", headers=bearer(SHARED)).json()["items"]) == 2  # declares none: all


def test_the_agent_comes_from_the_key(api):
    vip, _ = open_two(api)
    url = f"/v1/handoffs/{vip}"
    pretending = api.post(f"{url}/claim", json={"agent_id": "agent-2"}, headers=bearer(AGENT_1))
    assert pretending.status_code == 403 and "acts as agent 'agent-1'" in pretending.json()["detail"]
    claimed = api.post(f"{url}/claim", json={}, headers=bearer(AGENT_1))
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "agent-1"
    # a second agent of the same team can neither release nor resolve, with or without naming the holder
    assert api.post(f"{url}/release", json={}, headers=bearer(AGENT_2)).status_code == 409
    assert (
        api.post(f"{url}/resolve", json={"outcome": "not_needed"}, headers=bearer(AGENT_2)).status_code == 409
    )
    as_holder = {"outcome": "not_needed", "agent_id": "agent-1"}
    assert api.post(f"{url}/resolve", json=as_holder, headers=bearer(AGENT_2)).status_code == 403
    # a shared key must name the agent, and only the holder may act
    unnamed = api.post(f"{url}/resolve", json={"outcome": "needed"}, headers=bearer(SHARED))
    assert unnamed.status_code == 422 and unnamed.json()["detail"][0]["loc"] == ["body", "agent_id"]
    other = {"outcome": "needed", "agent_id": "agent-9"}
    assert api.post(f"{url}/resolve", json=other, headers=bearer(SHARED)).status_code == 409
    assert api.get(url, headers=bearer(ADMIN)).json()["status"] == "claimed"  # nothing above changed it
    done = api.post(f"{url}/resolve", json={"outcome": "needed"}, headers=bearer(AGENT_1))
    assert done.status_code == 200 and done.json()["outcome"] == "needed"


def test_only_an_admin_forces_and_it_is_logged_with_the_key(api):
    vip, _ = open_two(api)
    url = f"/v1/handoffs/{vip}"
    api.post(f"{url}/claim", json={}, headers=bearer(AGENT_1))
    refused = api.post(f"{url}/resolve", json={"outcome": "needed", "force": True}, headers=bearer(AGENT_2))
    assert refused.status_code == 403 and "admin scope" in refused.json()["detail"]
    forced = api.post(f"{url}/resolve", json={"outcome": "not_needed", "force": True}, headers=bearer(ADMIN))
    assert forced.status_code == 200
    events = {e["kind"]: e for e in api.get(url, headers=bearer(ADMIN)).json()["events"]}
    admin_id = hash_key(ADMIN)[:8]
    assert f"forced by admin key {admin_id}" in events["resolved"]["detail"]
    assert events["resolved"]["key_id"] == admin_id
    assert events["claimed"]["key_id"] == hash_key(AGENT_1)[:8]
    assert events["created"]["key_id"] == hash_key(SCORE)[:8]  # every event names the key that caused it


def test_the_packet_goes_only_to_keys_that_may_read_it(api):
    scored = api.post("/v1/score", json=VIP, headers=bearer(SCORE)).json()
    assert scored["escalate"] and scored["customer_reply"]
    assert set(scored["handoff"]) == {
        "handoff_id", "ticket_id", "route", "team", "team_name", "priority", "status", "sla_minutes",
        "due_by", "created_at",
    }  # fmt: skip
    again = api.post("/v1/score", json=VIP, headers=bearer(ADMIN)).json()  # an admin key reads it
    assert again["handoff"]["history"] and again["handoff"]["summary"]


def recent(hours: float) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(hours=hours)).replace(microsecond=0).isoformat()


def test_a_backdated_ticket_with_a_victims_id_reads_and_touches_nothing(api):
    victim = {"customer_id": "C-victim", "tier": "standard"}
    private = "My account number is 12 and my new address is the old mill, please keep it private."
    api.post("/v1/score", headers=bearer(SCORE), json={
        **TICKET, "ticket_id": "v-1", "created_at": recent(5), "customer": victim,
        "messages": [{"role": "customer", "text": private}]})  # fmt: skip
    complaint = {**TICKET, "ticket_id": "v-2", "created_at": recent(2), "customer": victim,
                 "messages": [{"role": "customer", "text": "This is awful, I am furious, nobody helps me."}]}  # fmt: skip
    theirs = api.post("/v1/score", json=complaint, headers=bearer(SCORE)).json()["handoff"]["handoff_id"]
    before = api.get(f"/v1/handoffs/{theirs}", headers=bearer(ADMIN)).json()
    assert any(private in m["text"] for m in before["packet"]["history"])  # the victim's own history links
    attack = {**TICKET, "ticket_id": "x-1", "created_at": "1990-01-01T00:00:00Z",  # the earliest accepted
              "customer": victim,
              "messages": [{"role": "customer", "text": "I will get my lawyer onto you. Show me my history."}]}  # fmt: skip
    answer = api.post("/v1/score", json=attack, headers=bearer(SCORE)).json()
    assert answer["escalate"] and answer["handoff"]["handoff_id"] != theirs
    assert "history" not in answer["handoff"] and private not in str(answer)
    mine = api.get(f"/v1/handoffs/{answer['handoff']['handoff_id']}", headers=bearer(ADMIN)).json()
    assert [m["ticket_id"] for m in mine["packet"]["history"]] == ["x-1"]  # even an admin sees no victim text
    after = api.get(f"/v1/handoffs/{theirs}", headers=bearer(ADMIN)).json()
    assert after["packet"] == before["packet"] and after["events"] == before["events"]  # untouched


def test_idempotency_keys_belong_to_the_key_that_sent_them(api):
    first = api.post("/v1/score", json=LEGAL, headers={**bearer(SCORE), "Idempotency-Key": "req-1"}).json()
    other = {**VIP, "ticket_id": "vip-other"}
    second = api.post("/v1/score", json=other, headers={**bearer(ADMIN), "Idempotency-Key": "req-1"}).json()
    assert (
        second["ticket_id"] == "vip-other"
        and second["handoff"]["handoff_id"] != first["handoff"]["handoff_id"]
    )
    replay = api.post("/v1/score", json=other, headers={**bearer(SCORE), "Idempotency-Key": "req-1"}).json()
    assert replay["handoff"]["handoff_id"] == first["handoff"]["handoff_id"]  # the same key still replays
