"""The seed's conversations, scored by the trained model plus the shipped policy."""

import pytest

from ticketbuddy.handoff.batch import score_tickets

pytestmark = pytest.mark.model


def test_seed_conversations_escalate_p1_to_senior_cx_with_sla(scorer, seed_tickets):
    sla = scorer.policy.routes["senior_cx"].sla_minutes
    for score in score_tickets(scorer, seed_tickets):
        assert score.escalate, score.ticket_id
        assert (score.priority, score.route) == ("P1", "senior_cx"), score.ticket_id
        assert f"within {sla} minutes" in score.customer_reply
        assert score.handoff is not None and score.handoff.sla_minutes == sla


def test_the_model_itself_escalates_the_seed_conversations(scorer, seed_tickets):
    """Not a rule: the learned probability is over the threshold stored with the model."""
    for score in score_tickets(scorer, seed_tickets):
        assert score.probability >= score.model.threshold, (score.ticket_id, score.probability)
        assert score.reasons[0].code == "model.probability"


def test_calm_faq_from_standard_customer_is_not_escalated(scorer, faq_ticket):
    score = score_tickets(scorer, [faq_ticket])[0]
    assert not score.escalate
    assert score.probability < score.model.threshold
    assert score.handoff is None and score.customer_reply is None


def test_vip_reason_and_public_threat_reason_are_given(scorer, seed_tickets):
    vip, chat = score_tickets(scorer, seed_tickets)
    assert any(r.code == "customer.vip" for r in vip.reasons)
    assert any(r.code == "trigger.public_exposure" and "post about this" in r.detail for r in chat.reasons)


def test_handoff_packet_carries_history_summary_and_profile(scorer, seed_tickets):
    vip, chat = score_tickets(scorer, seed_tickets)
    assert "corporate gift" in vip.handoff.summary
    assert "Twitter" in chat.handoff.summary
    assert [m.text for m in chat.handoff.history] == [m.text for m in seed_tickets[1].messages]
    assert vip.handoff.customer.vip and vip.handoff.customer.lifetime_value == 5000
    assert vip.handoff.customer.open_orders == ["ORD-88213"]
    assert 0.0 <= chat.handoff.confidence <= 1.0
