"""Verdicts, probable misses and ``labels export`` through the API (TestClient, the trained model, real SQLite)."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.data.jsonl import read_tickets


def at(hours_ago: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours_ago)).replace(microsecond=0).isoformat()


def ticket(ticket_id, channel, messages, customer="C-4100", hours_ago=1.0):
    when = at(hours_ago)
    return {
        "ticket_id": ticket_id,
        "channel": channel,
        "created_at": when,
        "customer": {"customer_id": customer, "tier": "standard", "lifetime_value": 120},
        "messages": [{"role": role, "text": words, "sent_at": when} for role, words in messages],
    }


CALM = [("customer", "Hi, could you tell me which days you deliver to my area? Thanks.")]
LEGAL = [
    ("customer", "Third time I'm asking. My solicitor is preparing a claim against your company."),
    ("customer", "I want a manager to call me today or we will see you in court."),
]


def kept(client, ticket_id="E-1", **kwargs):
    answer = client.post("/v1/score", json=ticket(ticket_id, "email", CALM, **kwargs)).json()
    assert answer["escalate"] is False, answer["reasons"]
    return answer


def test_a_verdict_on_a_kept_ticket_is_stored_and_the_latest_explicit_one_is_its_label(client):
    kept(client)
    first = client.post(
        "/v1/feedback",
        json={
            "ticket_id": "E-1",
            "should_have_escalated": True,
            "source": "qa",
            "route": "legal_compliance",
            "note": "x",
        },
    )
    assert first.status_code == 201, first.text
    assert first.json()["label"] is True and first.json()["label_provenance"] == "explicit"
    assert first.json()["escalated_when_scored"] is False
    second = client.post(
        "/v1/feedback", json={"ticket_id": "E-1", "should_have_escalated": False, "source": "agent"}
    )
    shown = client.get("/v1/tickets/E-1/feedback").json()
    assert second.json() == shown
    assert shown["label"] is False and [v["source"] for v in shown["verdicts"]] == ["agent", "qa"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"ticket_id": "NEVER-SCORED"}, 404, None),
        ({"route": "astrology"}, 422, "route"),
        ({"source": "boss"}, 422, "source"),
        ({"priority": "P9"}, 422, "priority"),
        ({"should_have_escalated": "maybe"}, 422, "should_have_escalated"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_a_bad_verdict_is_refused_naming_what_is_wrong_and_nothing_is_stored(
    client, db_url, change, status, field
):
    kept(client)
    verdict = {"ticket_id": "E-1", "should_have_escalated": True, "source": "qa", **change}
    answer = client.post("/v1/feedback", json=verdict)
    assert answer.status_code == status, answer.text
    if field:
        assert field in [e["loc"][-1] for e in answer.json()["detail"]]
    else:
        assert "NEVER-SCORED" in answer.json()["detail"]
    with create_engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM feedback")).scalar_one() == 0


def test_a_kept_ticket_whose_customer_comes_back_and_is_escalated_is_a_probable_miss(client):
    kept(client, hours_ago=20)
    assert client.get("/v1/tickets/E-1/feedback").json()["probable_miss"] is False
    chat = client.post("/v1/score", json=ticket("CH-2", "chat", LEGAL)).json()
    assert chat["escalate"] is True
    shown = client.get("/v1/tickets/E-1/feedback").json()
    assert (
        shown["probable_miss"] is True and shown["label"] is True and shown["label_provenance"] == "inferred"
    )
    (miss,) = shown["verdicts"]
    assert miss["source"] == "inferred" and miss["evidence"]["rule"] == "came_back_escalated"
    assert miss["evidence"]["escalated_ticket"] == "CH-2" and miss["route"] == chat["route"]
    client.post("/v1/score", json=ticket("CH-2", "chat", [*LEGAL, ("customer", "Still waiting.")]))
    assert len(client.get("/v1/tickets/E-1/feedback").json()["verdicts"]) == 1  # recorded once
    client.post("/v1/feedback", json={"ticket_id": "E-1", "should_have_escalated": False, "source": "qa"})
    overruled = client.get("/v1/tickets/E-1/feedback").json()
    assert overruled["label"] is False and overruled["label_provenance"] == "explicit"


def test_another_customers_escalation_is_no_miss_of_mine(client):
    kept(client, hours_ago=20)
    client.post("/v1/score", json=ticket("CH-2", "chat", LEGAL, customer="C-9999"))
    assert client.get("/v1/tickets/E-1/feedback").json()["probable_miss"] is False


def test_a_kept_chat_resent_angrier_after_the_bots_answer_is_a_probable_miss(client):
    opening = [("customer", "Hello, my parcel was due yesterday, is there any news on it please?")]
    first = client.post("/v1/score", json=ticket("CH-5", "chat", opening)).json()
    assert first["escalate"] is False
    angrier = [
        *opening,
        ("bot", "Your parcel is on its way and should arrive soon."),
        ("customer", "That is useless. This is awful, the worst service ever, I am furious and fed up."),
    ]
    client.post("/v1/score", json=ticket("CH-5", "chat", angrier))
    shown = client.get("/v1/tickets/CH-5/feedback").json()
    assert shown["probable_miss"] is True
    evidence = shown["verdicts"][0]["evidence"]
    assert evidence["rule"] == "worse_after_bot_answer"
    assert evidence["sentiment_now"] <= evidence["sentiment_when_kept"] - 0.3


def test_a_calm_follow_up_after_the_bots_answer_is_no_miss(client):
    opening = [("customer", "Hello, my parcel was due yesterday, is there any news on it please?")]
    client.post("/v1/score", json=ticket("CH-6", "chat", opening))
    calm = [*opening, ("bot", "It arrives tomorrow morning."), ("customer", "Lovely, thank you very much!")]
    client.post("/v1/score", json=ticket("CH-6", "chat", calm))
    assert client.get("/v1/tickets/CH-6/feedback").json()["probable_miss"] is False


def test_every_scoring_is_logged_with_its_decision_and_no_customer_text(client, db_url):
    kept(client)
    escalated = client.post("/v1/score", json=ticket("CH-2", "chat", LEGAL)).json()
    with create_engine(db_url).connect() as conn:
        rows = [r._asdict() for r in conn.execute(text("SELECT * FROM scorings ORDER BY scoring_id"))]
    assert [(r["ticket_id"], bool(r["escalated"])) for r in rows] == [("E-1", False), ("CH-2", True)]
    assert (
        rows[1]["route"] == escalated["route"] and rows[1]["handoff_id"] == escalated["handoff"]["handoff_id"]
    )
    assert rows[1]["customer_turns"] == 2 and rows[1]["customer_chars"] == sum(len(t) for _, t in LEGAL)
    words = {w.strip(".,'").lower() for _, t in CALM + LEGAL for w in t.split() if len(w) > 6}
    stored = " ".join(str(v) for r in rows for v in r.values()).lower()
    assert not [w for w in words if w in stored]


def export(db_url, out, *extra):
    result = CliRunner().invoke(app, ["labels", "export", "--db-url", db_url, "--out", str(out), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def resolve(client, handoff_id, outcome):
    assert client.post(f"/v1/handoffs/{handoff_id}/claim", json={"agent_id": "agent-7"}).status_code == 200
    answer = client.post(
        f"/v1/handoffs/{handoff_id}/resolve", json={"agent_id": "agent-7", "outcome": outcome}
    )
    assert answer.status_code == 200, answer.text


def test_every_kind_of_verdict_becomes_one_labelled_ticket_with_its_provenance(client, db_url, tmp_path):
    kept(client, "E-1", hours_ago=20)  # becomes a probable miss when the same customer escalates
    chat = client.post("/v1/score", json=ticket("CH-2", "chat", LEGAL)).json()
    resolve(client, chat["handoff"]["handoff_id"], "needed")
    kept(client, "E-3", customer="C-3")  # QA says it should have gone to a human, then changes its mind
    for verdict in (True, False):
        client.post(
            "/v1/feedback", json={"ticket_id": "E-3", "should_have_escalated": verdict, "source": "qa"}
        )
    kept(client, "E-4", customer="C-4")  # never judged: not exported
    client.post("/v1/feedback", json={"ticket_id": "CH-2", "should_have_escalated": True, "source": "csat"})

    output = export(db_url, tmp_path / "labels.jsonl")
    result = read_tickets(tmp_path / "labels.jsonl", labelled=True)
    assert result.rejects == [] and result.rows_read == 3
    labels = {t.ticket_id: t for t in result.tickets}
    assert set(labels) == {"E-1", "CH-2", "E-3"}
    provenance = {k: t.metadata["label"]["provenance"] for k, t in labels.items()}
    assert provenance == {"E-1": "inferred", "CH-2": "feedback", "E-3": "feedback"}
    assert labels["E-1"].escalated and labels["E-1"].metadata["label"]["rule"] == "came_back_escalated"
    assert not labels["E-3"].escalated and labels["E-3"].metadata["label"]["verdicts"] == 2
    assert labels["CH-2"].escalated and labels["CH-2"].route == chat["route"] is not None
    # the hand-off's history links the customer's earlier email: the label carries the whole conversation
    assert labels["CH-2"].metadata["label"]["linked_tickets"] == ["E-1"]
    assert [m.text for m in labels["CH-2"].messages] == [t for _, t in CALM + LEGAL]
    assert "verdicts read 5 (feedback 3, handoff 1, inferred 1)" in output
    assert (
        "labels written 3 (feedback 2, inferred 1); superseded by a newer or explicit verdict on the same ticket 2"
        in output
    )


def test_since_leaves_out_older_verdicts_and_a_bad_date_is_refused(client, db_url, tmp_path):
    kept(client, "E-3", customer="C-3")
    client.post("/v1/feedback", json={"ticket_id": "E-3", "should_have_escalated": True, "source": "agent"})
    export(db_url, tmp_path / "later.jsonl", "--since", "2999-01-01")
    assert (tmp_path / "later.jsonl").read_text() == ""
    export(db_url, tmp_path / "all.jsonl", "--since", at(1)[:10])
    assert json.loads((tmp_path / "all.jsonl").read_text())["escalated"] is True
    refused = CliRunner().invoke(
        app, ["labels", "export", "--db-url", db_url, "--out", "x", "--since", "last week"]
    )
    assert refused.exit_code == 2 and "not an ISO date" in refused.output
