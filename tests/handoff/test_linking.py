"""Merging re-sent tickets and linked conversations: pure functions, no database."""

from datetime import timedelta

from ticketbuddy.handoff.linking import (
    Conversation,
    merge_ticket,
    merged_history,
    new_messages,
    scoring_ticket,
)
from ticketbuddy.schemas import MAX_METADATA_BYTES, Message, Ticket, metadata_problem

from .conftest import START, make_ticket


def msg(text, role="customer", minutes=None):
    sent = None if minutes is None else START + timedelta(minutes=minutes)
    return Message(role=role, text=text, sent_at=sent)


def test_new_messages_counts_repeats_and_keeps_order():
    stored = [msg("hello?"), msg("anyone?")]
    incoming = [msg("hello?"), msg("anyone?"), msg("hello?"), msg("still here")]
    assert [m.text for m in new_messages(stored, incoming)] == ["hello?", "still here"]


def test_merge_appends_only_unseen_messages_whole_conversation_or_tail():
    first = make_ticket("T-1", "one", "two")
    stored, fresh = merge_ticket(None, first)
    assert [m.text for m in fresh] == ["one", "two"]
    whole = make_ticket("T-1", "one", "two", "three")
    merged, fresh = merge_ticket(stored, whole)
    assert [m["text"] for m in merged["messages"]] == ["one", "two", "three"]
    assert [m.text for m in fresh] == ["three"]
    tail_only = make_ticket("T-1", "four", at=START + timedelta(minutes=10))
    merged, fresh = merge_ticket(merged, tail_only)
    assert [m["text"] for m in merged["messages"]] == ["one", "two", "three", "four"]
    assert merged["created_at"].startswith("2026-11-20T10:00")  # the earliest creation is kept


def test_merged_history_orders_by_time_and_marks_ticket_and_channel():
    email = make_ticket("E-1", "email one", "email two", channel="email", at=START)
    chat = make_ticket("C-1", "chat one", channel="chat", at=START + timedelta(seconds=30))
    conversations = [Conversation(t.ticket_id, t.channel, t.created_at, t.messages) for t in (chat, email)]
    history = merged_history(conversations)
    assert [(m.text, m.ticket_id, m.channel) for m in history] == [
        ("email one", "E-1", "email"),
        ("chat one", "C-1", "chat"),
        ("email two", "E-1", "email"),
    ]


def test_untimed_messages_follow_the_message_before_them():
    conversation = Conversation("T", "chat", START, [msg("a", minutes=5), msg("b"), msg("c", minutes=7)])
    assert conversation.times() == [START + timedelta(minutes=m) for m in (5, 5, 7)]
    assert conversation.last_message_at() == START + timedelta(minutes=7)


def with_metadata(ticket, metadata):
    return Ticket.model_validate({**ticket.model_dump(mode="json"), "metadata": metadata})


def test_merged_metadata_stays_within_the_contract():
    half = "x" * (MAX_METADATA_BYTES // 2)
    stored, _ = merge_ticket(None, with_metadata(make_ticket("T-1", "one"), {"a": half, "keep": 1}))
    merged, _ = merge_ticket(stored, with_metadata(make_ticket("T-1", "two"), {"keep": 2, "new": 3}))
    assert merged["metadata"] == {"a": half, "keep": 2, "new": 3}  # the newest wins, the rest is kept
    merged, _ = merge_ticket(merged, with_metadata(make_ticket("T-1", "three"), {"b": half}))
    assert merged["metadata"] == {"b": half}  # both would not fit: the incoming metadata alone
    assert metadata_problem(merged["metadata"]) is None and scoring_ticket(merged).metadata == {"b": half}


def test_a_ticket_stored_before_the_limits_still_reads_and_merges():
    stored = make_ticket("T-1", "one").model_dump(mode="json")
    stored["metadata"] = {"notes": "x" * (2 * MAX_METADATA_BYTES)}  # accepted before metadata had limits
    assert Conversation.from_json(stored).ticket_id == "T-1"
    assert scoring_ticket(stored).metadata == stored["metadata"]
    merged, fresh = merge_ticket(stored, with_metadata(make_ticket("T-1", "two"), {"open_orders": 1}))
    assert merged["metadata"] == {"open_orders": 1} and [m.text for m in fresh] == ["two"]


def test_a_ticket_stored_before_the_time_window_still_reads_back():
    """Stored under older rules (a time in 6426 was accepted then): its hand-off stays readable."""
    stored = {
        "ticket_id": "T-OLD",
        "channel": "chat",
        "created_at": "6426-01-01T00:00:00+00:00",
        "messages": [{"role": "customer", "text": "still waiting", "sent_at": "6426-01-01T00:05:00+00:00"}],
    }
    conversation = Conversation.from_json(stored)
    assert conversation.created_at.year == 6426
    assert conversation.messages[0].sent_at.year == 6426
