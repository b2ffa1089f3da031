"""Evaluation reads each test ticket's triggers, complexity and sentiment once, however many tickets.

The model's features and then the policy's decisions read every test ticket; the memos of the
process hold 1,024 tickets, so on a test set of thousands the decisions would find everything
again. ``Memo.room_for`` widens them for the evaluation; here the memos are shrunk to one ticket, so
a test set of a few dozen shows the same.
"""

from __future__ import annotations

import mlflow
import pytest

from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.features import complexity as complexity_module
from ticketbuddy.features import sentiment as sentiment_module
from ticketbuddy.features.semantic import SentenceEncoder
from ticketbuddy.features.triggers import FOUND_MEMO, TriggerFinder
from ticketbuddy.policy.model import load_policy
from ticketbuddy.train.evaluate import evaluate

pytestmark = pytest.mark.usefixtures("trained")


def test_evaluation_works_out_each_test_ticket_once(histories, monkeypatch):
    tickets = read_tickets(histories[1], labelled=True).tickets[:40]
    model = mlflow.pyfunc.load_model("models:/ticket-escalation@champion")
    policy = load_policy()
    for memo in (FOUND_MEMO, complexity_module._FIGURES, sentiment_module._SCORES):
        monkeypatch.setattr(memo, "base", 1)
    SentenceEncoder.forget()
    found, figured, scored = [], [], []
    find, figures, vader = TriggerFinder._find, complexity_module._figures, sentiment_module.vader_sentiment
    monkeypatch.setattr(
        TriggerFinder, "_find", lambda self, b, m: found.extend(map(tuple, b)) or find(self, b, m)
    )
    monkeypatch.setattr(complexity_module, "_figures", lambda t, e: figured.append(tuple(t)) or figures(t, e))
    monkeypatch.setattr(sentiment_module, "vader_sentiment", lambda text: scored.append(text) or vader(text))
    evaluation = evaluate(model, tickets, policy)
    assert "decision_recall" in evaluation.metrics
    assert len(found) == len(set(found)) > 0, "a ticket's triggers were found twice"
    assert len(figured) == len(set(figured)) > 0, "a ticket's complexity was worked out twice"
    assert len(scored) == len(set(scored)) > 0, "a message's sentiment was scored twice"
    assert FOUND_MEMO.size == 1  # the memos shrink back after the evaluation
