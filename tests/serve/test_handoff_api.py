"""The hand-off API through TestClient, with the trained model and a real SQLite file per test."""

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from tests.serve.conftest import make_client
from ticketbuddy.handoff.store import HandoffStore


def body(ticket, **changes):
    data = json.loads(ticket.model_dump_json())
    data.update(changes)
    return data


def test_seed_conversations_are_stored_with_summary_and_every_message(client, seed_tickets):
    vip, chat = (client.post("/v1/score", json=body(t)).json() for t in seed_tickets)
    stored = {
        h: client.get(f"/v1/handoffs/{h}").json()
        for h in (vip["handoff"]["handoff_id"], chat["handoff"]["handoff_id"])
    }
    vip_packet = stored[vip["handoff"]["handoff_id"]]["packet"]
    chat_packet = stored[chat["handoff"]["handoff_id"]]["packet"]
    assert "corporate gift" in vip_packet["summary"] and "Twitter" in chat_packet["summary"]
    for ticket, packet in zip(seed_tickets, (vip_packet, chat_packet), strict=True):
        assert [m["text"] for m in packet["history"]] == [m.text for m in ticket.messages]
        assert {m["channel"] for m in packet["history"]} == {ticket.channel}
    assert vip["handoff"] == vip_packet  # the response's hand-off is the stored one
    assert vip_packet["customer"]["open_orders"] == ["ORD-88213"] and vip_packet["customer"]["vip"]
    assert (
        "within 30 minutes" in chat["customer_reply"]
        and chat["handoff"]["team_name"] == "Senior Customer Experience"
    )
    assert "Already tried by the bot" in chat_packet["summary"] and "Asks for" in chat_packet["summary"]
    listed = client.get("/v1/handoffs", params={"route": "senior_cx"}).json()
    assert listed["count"] == 2 and all(i["priority"] == "P1" for i in listed["items"])


def test_a_customer_who_emailed_then_chatted_gets_one_history(client):
    # the link window counts from when the service receives a ticket: these were sent a day apart, lately
    now = datetime.now(UTC).replace(microsecond=0)
    yesterday, today = (now - timedelta(hours=30)).isoformat(), (now - timedelta(hours=6)).isoformat()
    customer = {"customer_id": "C-777", "tier": "standard", "lifetime_value": 80}
    email = {
        "ticket_id": "E-777",
        "channel": "email",
        "created_at": yesterday,
        "customer": customer,
        "messages": [
            {
                "role": "customer",
                "text": "Hello, I ordered a birthday present for my daughter (order ORD-5521). Will it arrive by Friday?",
                "sent_at": yesterday,
            }
        ],
    }
    chat = {
        "ticket_id": "CH-777",
        "channel": "chat",
        "created_at": today,
        "customer": customer,
        "messages": [
            {
                "role": "customer",
                "text": "I emailed yesterday and nobody answered. It's her birthday tomorrow. I want to speak to a manager now.",
                "sent_at": today,
            }
        ],
    }
    client.post("/v1/score", json=email)
    score = client.post("/v1/score", json=chat).json()
    assert score["escalate"]
    history = score["handoff"]["history"]
    assert [(m["ticket_id"], m["channel"]) for m in history] == [("E-777", "email"), ("CH-777", "chat")]
    assert "birthday present" in history[0]["text"]
    assert {t["ticket_id"] for t in score["handoff"]["linked_tickets"]} == {"E-777", "CH-777"}
    assert "email then chat" in score["handoff"]["summary"]


def test_ten_resends_and_a_reused_idempotency_key_make_one_handoff(client, seed_tickets):
    ids = {
        client.post("/v1/score", json=body(seed_tickets[1])).json()["handoff"]["handoff_id"]
        for _ in range(10)
    }
    assert len(ids) == 1
    first = client.post("/v1/score", json=body(seed_tickets[0]), headers={"Idempotency-Key": "k-1"}).json()
    other = body(seed_tickets[0], ticket_id="seed-vip-gift-copy")
    again = client.post("/v1/score", json=other, headers={"Idempotency-Key": "k-1"}).json()
    assert (
        again["handoff"]["handoff_id"] == first["handoff"]["handoff_id"]
        and again["ticket_id"] == "seed-vip-gift"
    )
    assert client.get("/v1/handoffs").json()["count"] == 2


def test_agent_endpoints_answer_with_the_right_status(client, seed_tickets):
    handoff_id = client.post("/v1/score", json=body(seed_tickets[1])).json()["handoff"]["handoff_id"]
    url = f"/v1/handoffs/{handoff_id}"
    unnamed = client.post(f"{url}/resolve", json={"outcome": "needed"})  # a shared key names the agent
    assert unnamed.status_code == 422 and unnamed.json()["detail"][0]["loc"] == ["body", "agent_id"]
    assert client.post(f"{url}/resolve", json={"outcome": "needed", "agent_id": "agent-1"}).status_code == 409
    assert client.post(f"{url}/claim", json={"agent_id": ""}).status_code == 422
    claimed = client.post(f"{url}/claim", json={"agent_id": "agent-1"})
    assert claimed.status_code == 200 and claimed.json()["status"] == "claimed"
    second = client.post(f"{url}/claim", json={"agent_id": "agent-2"})
    assert second.status_code == 409 and "already claimed by agent-1" in second.json()["detail"]
    assert client.post(f"{url}/release", json={"agent_id": "agent-2"}).status_code == 409
    assert client.post(f"{url}/release", json={}).status_code == 422
    released = client.post(f"{url}/release", json={"agent_id": "agent-1", "note": "end of shift"})
    assert released.status_code == 200 and released.json()["status"] == "queued"
    assert client.post(f"{url}/claim", json={"agent_id": "agent-1"}).status_code == 200
    assert client.post(f"{url}/resolve", json={"outcome": "maybe"}).status_code == 422
    done = client.post(
        f"{url}/resolve", json={"outcome": "needed", "note": "called the customer", "agent_id": "agent-1"}
    )
    assert done.status_code == 200 and done.json()["outcome"] == "needed"
    assert client.get("/v1/handoffs/nope").status_code == 404
    assert client.post("/v1/handoffs/nope/claim", json={"agent_id": "a"}).status_code == 404
    assert client.get("/v1/handoffs", params={"status": "lost"}).status_code == 422
    events = [e["kind"] for e in client.get(url).json()["events"]]
    assert events == ["created", "claimed", "released", "claimed", "resolved"]


def test_an_unwritable_store_answers_503_not_a_fake_handoff(scorer, seed_tickets, tmp_path, caplog):
    client = make_client(scorer, f"sqlite:///{tmp_path / 'no-such-folder' / 'handoffs.db'}")
    response = client.post("/v1/score", json=body(seed_tickets[0]))
    assert response.status_code == 503 and response.headers["retry-after"]
    assert "unavailable" in response.json()["detail"] and "Nothing was recorded" in response.json()["detail"]
    assert client.get("/v1/handoffs").status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["status"] == "not ready: hand-off store unavailable"
    # public answers say "unavailable"; what failed, and where, goes to the log only
    assert ready.json()["handoff_store"] == "unavailable"
    assert "unable to open database file" not in response.text + ready.text
    assert "unable to open database file" in caplog.text


def test_a_locked_store_answers_503_then_recovers(scorer, seed_tickets, db_url, tmp_path, caplog):
    store = HandoffStore(db_url, busy_timeout=0.2)
    client = make_client(scorer, db_url, store)
    assert client.get("/v1/handoffs").status_code == 200  # creates the schema
    blocker = sqlite3.connect(tmp_path / "handoffs.db", isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock too long
    try:
        response = client.post("/v1/score", json=body(seed_tickets[0]))
        assert response.status_code == 503 and "unavailable" in response.json()["detail"]
        assert "database is locked" in caplog.text and "locked" not in response.text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    retried = client.post("/v1/score", json=body(seed_tickets[0]))
    assert retried.status_code == 200
    assert client.get("/v1/handoffs").json()["count"] == 1
    store.close()
