"""`data import mapping`: the bot platform's confidence and intent, mapped from export columns onto bot turns."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.data.importers.fields import parse_confidence
from ticketbuddy.data.jsonl import read_tickets

pytestmark = pytest.mark.data

HEADER = "ticket_id,role,at,body,score,matched\n"
PER_MESSAGE = """\
layout: per_message
ticket_id: ticket_id
text: body
role: {column: role, values: {user: customer, agent: agent, bot: bot}}
timestamp: at
channel: {default: chat}
confidence: score
intent: matched
"""


def run(*args):
    return CliRunner().invoke(app, ["data", "import", *map(str, args)])


def jsonl(path):
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines()]


def reasons(path):
    return {row["line"]: row["reason"] for row in jsonl(path)}


def bots(path):
    return {t["ticket_id"]: [m for m in t["messages"] if m["role"] == "bot"] for t in jsonl(path)}


def write(tmp_path, rows, mapping=PER_MESSAGE, header=HEADER, name="export.csv"):
    src, yaml = tmp_path / name, tmp_path / "map.yaml"
    src.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    yaml.write_text(mapping, encoding="utf-8")
    return src, yaml


@pytest.mark.parametrize(
    ("value", "scale", "expected"),
    [
        ("0.87", "auto", 0.87),
        ("87%", "auto", 0.87),
        (" 87.5 % ", "auto", 0.875),
        ("87", "auto", 0.87),
        (87, "auto", 0.87),
        ("1", "auto", 1.0),
        ("0", "auto", 0.0),
        ("1", "percent", 0.01),
        ("0.5", "percent", 0.005),
        ("50%", "fraction", 0.5),
        ("", "auto", None),
        (float("nan"), "auto", None),  # how pandas writes a blank cell
    ],
)
def test_confidence_rule(value, scale, expected):
    assert parse_confidence(value, scale) == expected


@pytest.mark.parametrize(
    ("value", "scale", "reason"),
    [
        ("high", "auto", "not a number"),
        ("0,87", "auto", "not a number"),
        (True, "auto", "not a number"),
        ("nan", "auto", "not between 0 and 1"),
        ("-0.1", "auto", "not between 0 and 1"),
        ("101", "auto", "more than 100%"),
        ("100.5%", "fraction", "more than 100%"),
        ("87", "fraction", "more than 1"),
        ("120", "percent", "more than 100%"),
    ],
)
def test_confidence_rule_refuses(value, scale, reason):
    got = parse_confidence(value, scale)
    assert isinstance(got, str) and reason in got


def test_per_message_confidence_and_intent_land_on_bot_turns(tmp_path):
    src, yaml = write(
        tmp_path,
        [
            "A,user,2024-03-01T09:00:00,Where is my parcel?,,",  # 2
            "A,bot,2024-03-01T09:00:05,Here is how to track it.,87%,order_status",  # 3
            "A,user,2024-03-01T09:03:00,Still nothing.,0.4,greeting",  # 4: on a customer row
            "A,bot,2024-03-01T09:03:05,Sorry to hear that.,0.31,order_missing",  # 5
            "A,agent,2024-03-01T09:10:00,I will look into it.,55,",  # 6: on an agent row
            "B,user,2024-03-02T10:00:00,Reset my password,,",  # 7
            "B,bot,2024-03-02T10:00:05,Use the link.,high,password_reset",  # 8: bad value
            "B,bot,2024-03-02T10:00:09,Anything else?,140,password_reset",  # 9: out of range
            "B,bot,2024-03-02T10:00:15,Bye.,93,",  # 10: a bare percentage, no intent
            "C,user,2024-03-03T11:00:00,Hello,,",  # 11
            "C,bot,2024-03-03T11:00:02,Hi! How can I help?,,small_talk",  # 12: intent, no confidence
        ],
    )
    result = run("mapping", src, "--mapping", yaml, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 1  # two rows rejected
    assert "rows read 11 = tickets written 3 (from 9 rows) + rows rejected 2" in result.stdout
    assert "bot messages 4: with confidence 3 (75.0%), with intent 3 (75.0%)" in result.stdout
    assert reasons(tmp_path / "t.rejects.jsonl") == {
        8: "confidence (column 'score'): 'high' is not a number or a percentage",
        9: "confidence (column 'score'): '140' is more than 100%",
    }
    assert "warning: 1 row(s): confidence (column 'score') on customer rows: ignored" in result.stderr
    assert "warning: 1 row(s): intent (column 'matched') on customer rows: ignored" in result.stderr
    assert "warning: 1 row(s): confidence (column 'score') on agent rows: ignored" in result.stderr
    got = bots(tmp_path / "t.jsonl")
    assert [(m.get("confidence"), m.get("intent")) for m in got["A"]] == [
        (0.87, "order_status"),
        (0.31, "order_missing"),
    ]
    assert [(m.get("confidence"), m.get("intent")) for m in got["B"]] == [(0.93, None)]
    assert [(m.get("confidence"), m.get("intent")) for m in got["C"]] == [(None, "small_talk")]
    others = [m for t in jsonl(tmp_path / "t.jsonl") for m in t["messages"] if m["role"] != "bot"]
    assert others and not any("confidence" in m or "intent" in m for m in others)
    assert len(read_tickets(tmp_path / "t.jsonl").tickets) == 3


@pytest.mark.parametrize(
    ("spec", "cells", "expected"),
    [
        ("{column: score, scale: percent}", ("1", "0.5"), [0.01, 0.005]),
        ("{column: score, scale: fraction}", ("1", "0.5"), [1.0, 0.5]),
        ("{column: score, values: {High: 0.9, low: 0.2}}", ("high", "LOW"), [0.9, 0.2]),
    ],
    ids=["percent", "fraction", "bands"],
)
def test_scale_and_value_map(tmp_path, spec, cells, expected):
    mapping = PER_MESSAGE.replace("confidence: score", f"confidence: {spec}")
    rows = ["A,user,2024-03-01T09:00:00,Hi,,"]
    rows += [f"A,bot,2024-03-01T09:00:0{i + 1},Answer {i},{cell},x" for i, cell in enumerate(cells)]
    src, yaml = write(tmp_path, rows, mapping)
    assert run("mapping", src, "--mapping", yaml, "--out", tmp_path / "t.jsonl").exit_code == 0
    assert [m["confidence"] for m in bots(tmp_path / "t.jsonl")["A"]] == expected


def test_jsonl_numbers_and_nested_fields(tmp_path):
    mapping = PER_MESSAGE.replace("confidence: score", "confidence: nlu.score").replace(
        "intent: matched", "intent: nlu.intent"
    )
    rows = [
        {"ticket_id": "A", "role": "user", "at": "2024-03-01T09:00:00", "body": "Hi"},
        {
            "ticket_id": "A",
            "role": "bot",
            "at": "2024-03-01T09:00:01",
            "body": "Hello",
            "nlu": {"score": 0.75, "intent": "greet"},
        },
        {"ticket_id": "A", "role": "bot", "at": "2024-03-01T09:00:02", "body": "Sure", "nlu": {"score": 64}},
        {"ticket_id": "A", "role": "bot", "at": "2024-03-01T09:00:03", "body": "Hm", "nlu": {"score": True}},
    ]
    src, yaml = write(tmp_path, [json.dumps(r) for r in rows], mapping, header="", name="export.jsonl")
    result = run("mapping", src, "--mapping", yaml, "--out", tmp_path / "j.jsonl")
    assert reasons(tmp_path / "j.rejects.jsonl") == {
        4: "confidence (column 'nlu.score'): 'True' is not a number or a percentage"
    }
    assert [(m.get("confidence"), m.get("intent")) for m in bots(tmp_path / "j.jsonl")["A"]] == [
        (0.75, "greet"),
        (0.64, None),
    ]
    assert result.exit_code == 1


def test_an_intent_longer_than_the_contract_allows_rejects_the_row(tmp_path):
    rows = ["A,user,2024-03-01T09:00:00,Hi,,", f"A,bot,2024-03-01T09:00:01,Hello,0.9,{'x' * 129}"]
    src, yaml = write(tmp_path, rows)
    result = run("mapping", src, "--mapping", yaml, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 1
    assert reasons(tmp_path / "t.rejects.jsonl") == {
        3: "message.intent: String should have at most 128 characters"
    }


PER_TICKET = """\
text: question
answer: {column: reply, role: bot}
timestamp: {default: "2025-01-01T00:00:00Z"}
channel: {default: web}
confidence: score
intent: matched
"""


def test_per_ticket_puts_them_on_a_bot_answer(tmp_path):
    src, yaml = write(
        tmp_path,
        [
            "Where is my order?,It is on its way.,0.92,order_status",  # 2
            "Refund please,,0.5,refund",  # 3: no answer: nothing to carry them
            "Cancel it,Done.,maybe,cancel",  # 4: bad value
        ],
        PER_TICKET,
        header="question,reply,score,matched\n",
    )
    result = run("mapping", src, "--mapping", yaml, "--out", tmp_path / "t.jsonl")
    assert "rows read 3 = tickets written 2 (from 2 rows) + rows rejected 1" in result.stdout
    assert reasons(tmp_path / "t.rejects.jsonl") == {
        4: "confidence (column 'score'): 'maybe' is not a number or a percentage"
    }
    assert "warning: 1 row(s): confidence (column 'score') on rows without a bot message" in result.stderr
    tickets = {t["ticket_id"]: t["messages"] for t in jsonl(tmp_path / "t.jsonl")}
    assert tickets["2"][1] == {
        "role": "bot",
        "text": "It is on its way.",
        "confidence": 0.92,
        "intent": "order_status",
    }
    assert tickets["2"][0] == {
        "role": "customer",
        "text": "Where is my order?",
        "sent_at": "2025-01-01T00:00:00Z",
    }
    assert len(tickets["3"]) == 1


AGENT_ANSWER = PER_TICKET.replace("role: bot", "role: agent")


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (AGENT_ANSWER, "confidence: per_ticket rows carry it only on an answer with role: bot"),
        (
            AGENT_ANSWER.replace("confidence: score\n", ""),
            "intent: per_ticket rows carry it only on an answer",
        ),
        (
            PER_TICKET.replace("text: question\nanswer: {column: reply, role: bot}\n", "text: question\n"),
            "confidence: per_ticket",
        ),
        (
            PER_TICKET.replace("confidence: score", "confidence: {column: score, default: 0.5}"),
            "confidence: Value error, no default",
        ),
        (
            PER_TICKET.replace("confidence: score", "confidence: {column: score, scale: percentage}"),
            "confidence.scale: Input should be",
        ),
    ],
    ids=["agent-answer", "intent-on-agent-answer", "no-answer", "default", "bad-scale"],
)
def test_mapping_errors_name_the_key(tmp_path, mapping, message):
    src, yaml = write(tmp_path, ["Hi,Hello,0.9,greet"], mapping, header="question,reply,score,matched\n")
    result = run("mapping", src, "--mapping", yaml, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 2
    assert message in result.stderr
    assert not (tmp_path / "t.jsonl").exists()


def test_a_missing_confidence_column_is_named(tmp_path):
    src, yaml = write(tmp_path, ["A,user,2024-03-01T09:00:00,Hi"], header="ticket_id,role,at,body\n")
    result = run("mapping", src, "--mapping", yaml, "--out", tmp_path / "t.jsonl")
    assert result.exit_code == 1
    assert "missing column(s) 'score', 'matched'" in result.stderr
