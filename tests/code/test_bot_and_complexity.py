"""The bot's own confidence, complex complaints, escalation rules, priority floors and long texts."""

import numpy as np
import pytest
import yaml

from ticketbuddy.features.bot import bot_confidence
from ticketbuddy.features.complexity import complexity, references
from ticketbuddy.features.conversation import Turn, parse_turns, tickets_to_frame
from ticketbuddy.features.encoder import MAX_TOKENS, OnnxEncoder, ensure_encoder
from ticketbuddy.features.semantic import SentenceEncoder
from ticketbuddy.policy.engine import Learned, PolicyEngine
from ticketbuddy.policy.model import default_policy_path, load_policy
from ticketbuddy.schemas import Ticket


def ticket(messages: list[dict], tier: str = "standard") -> Ticket:
    return Ticket.model_validate(
        {
            "ticket_id": "t",
            "channel": "chat",
            "created_at": "2026-11-01T09:00:00Z",
            "customer": {"tier": tier},
            "messages": messages,
        }
    )


def customer(text: str) -> dict:
    return {"role": "customer", "text": text}


def bot(text: str, confidence: float | None = None) -> dict:
    return {"role": "bot", "text": text, **({"confidence": confidence} if confidence is not None else {})}


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine(load_policy())


def test_confidence_is_for_bot_messages_and_travels_to_the_model_frame():
    with pytest.raises(ValueError, match="confidence is only for bot messages"):
        ticket([{"role": "customer", "text": "hi", "confidence": 0.4}])
    t = ticket([customer("hi"), {"role": "bot", "text": "hello", "confidence": 0.35, "intent": "greeting"}])
    turns = parse_turns(tickets_to_frame([t])["messages"][0])
    assert turns[1] == Turn("bot", "hello", 0.35) and turns[0].confidence is None


def test_bot_figures_count_unsure_answers_the_customer_came_back_to():
    turns = [
        Turn("customer", "a"),
        Turn("bot", "b", 0.9),
        Turn("customer", "c"),
        Turn("bot", "d", 0.3),
        Turn("customer", "e"),
        Turn("bot", "f", 0.4),
    ]
    figures = bot_confidence(turns)
    assert figures == {
        "last": 0.4,
        "lowest": 0.3,
        "low_turns": 2.0,
        "low_then_customer": 1.0,
        "reported": 3.0,
    }
    assert bot_confidence([Turn("customer", "a"), Turn("bot", "b")])["reported"] == 0.0


def test_an_unsure_bot_the_customer_came_back_to_escalates_with_the_evidence(engine):
    unsure = ticket(
        [customer("Where is my parcel?"), bot("It may arrive soon.", 0.32), customer("That's not an answer.")]
    )
    decision = engine.decide(engine.facts(unsure, probability=0.01, threshold=0.5))
    assert decision.escalate
    reason = next(r for r in decision.reasons if r.code == "rule.unsure-bot-customer-back")
    assert "lowest bot confidence 0.32" in reason.detail and "2 customer turns" in reason.detail
    sure = ticket(
        [customer("Where is my parcel?"), bot("It arrives tomorrow.", 0.95), customer("Great, thanks.")]
    )
    assert not engine.decide(engine.facts(sure, probability=0.01, threshold=0.5)).escalate
    unreported = ticket([customer("Where is my parcel?"), bot("It may arrive soon."), customer("ok thanks")])
    assert not engine.decide(engine.facts(unreported, probability=0.01, threshold=0.5)).escalate


def test_references_topic_spread_repeats_and_bot_loops():
    assert references("order #123456, ORDER 123456 and account ab-7781; ticket 99") == {"123456", "ab7781"}
    encoder = SentenceEncoder()
    looping = [
        Turn("customer", "My order #55512 never arrived."),
        Turn("bot", "Orders usually arrive within 5 working days."),
        Turn("customer", "My order #55512 still has not arrived."),
        Turn("bot", "Orders usually arrive within 5 working days."),
    ]
    figures = complexity(looping, encoder)
    assert figures["bot_loop"] == 1.0 and figures["customer_repeat"] > 0.8 and figures["references"] == 1.0
    calm = complexity([Turn("customer", "Where is my order?"), Turn("bot", "On its way.")], encoder)
    assert calm["bot_loop"] == 0.0 and calm["customer_repeat"] == 0.0 and calm["topic_spread"] == 0.0
    two_topics = "The kettle I bought leaks all over the counter. Also my invoice has the wrong VAT number."
    assert complexity([Turn("customer", two_topics)], encoder)["topic_spread"] > 0.5
    thanks = complexity(
        [Turn("customer", "My kettle leaks all over the counter. Thanks, that's all!")], encoder
    )
    assert thanks["topic_spread"] == 0.0  # a courtesy is not a second topic


def test_a_complex_complaint_escalates_with_its_figures(engine):
    story = (
        "Order #40021 came with a cracked screen and it will not switch on, the error code is E4. "
        "Then order #40022 was charged twice on my card and I still have no refund. "
        "And on top of that the replacement for order #40023 never shipped, so I have been without a "
        "working phone for three weeks, I have called four times and written twice, and every time I am "
        "promised a call back that never comes, which is why I am writing again in this much detail."
    )
    facts = engine.facts(ticket([customer(story)]), probability=0.01, threshold=0.5)
    assert facts.distinct_issues >= 3
    decision = engine.decide(facts)
    reason = next(r for r in decision.reasons if r.code == "rule.complex-complaint")
    assert "distinct issues" in reason.detail and "customer words" in reason.detail


def test_a_bot_looping_on_a_customer_escalates(engine):
    messages = [
        customer("My parcel is missing."),
        bot("Parcels can take up to 7 days to arrive. Please check back later."),
        customer("It has been 12 days."),
        bot("Parcels can take up to 7 days to arrive. Please check back later."),
        customer("You said that already."),
    ]
    decision = engine.decide(engine.facts(ticket(messages), probability=0.01, threshold=0.5))
    assert decision.escalate and "rule.bot-looping" in [r.code for r in decision.reasons]


def test_fraud_found_by_meaning_is_never_below_p2_even_if_the_model_says_p4(engine):
    text = "Someone got into my account overnight and changed the email address on it."
    learned = Learned(
        priority="P4", priority_confidence=0.99, route="general_escalations", route_confidence=0.99
    )
    facts = engine.facts(ticket([customer(text)]), probability=0.9, threshold=0.5, learned=learned)
    assert "fraud" in facts.semantic
    priority, route, _ = engine.assign(facts)
    assert priority <= "P2" and route == "trust_safety"


def test_a_learned_priority_raises_a_hard_rule_but_never_lowers_it(engine):
    text = "I will be reporting you to the financial ombudsman about this."
    for learned_priority, expected in (("P1", "P1"), ("P4", "P2")):
        learned = Learned(priority=learned_priority, priority_confidence=0.9)
        facts = engine.facts(ticket([customer(text)]), probability=0.9, threshold=0.5, learned=learned)
        assert engine.assign(facts)[0] == expected


def test_a_family_floor_holds_when_no_rule_names_the_family(tmp_path):
    raw = yaml.safe_load(default_policy_path().read_text())
    raw["priority_rules"] = [r for r in raw["priority_rules"] if "regulatory" not in str(r.get("when"))]
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    engine = PolicyEngine(load_policy(path))
    facts = engine.facts(ticket([customer("I am reporting you to the regulator.")]), 0.3, 0.5)
    priority, _, reasons = engine.assign(facts)
    assert priority == "P2" and reasons[0].code == "priority.floor.regulatory"


def test_long_texts_are_read_to_the_end():
    encoder = OnnxEncoder(ensure_encoder())
    opening = "The parcel was late but that is fine. " * 40
    ending = "My card was then charged twice and nobody will refund me."
    assert encoder.token_counts([opening + ending])[0] > MAX_TOKENS
    whole, start_only, end_only = encoder.encode([opening + ending, opening, ending])
    assert float(whole @ end_only) > float(start_only @ end_only) + 0.05
    assert np.isclose(np.linalg.norm(whole), 1.0)
