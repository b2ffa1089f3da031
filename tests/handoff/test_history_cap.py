"""Bounded records: a packet's history holds the newest messages, a stored ticket the newest 500.

A customer who writes hundreds of messages, or a helpdesk that re-sends a ticket with ever more of
them, no longer grows a hand-off (rewritten on every message) without bound; what is left out is
counted, and the summary says the history was shortened.
"""

from datetime import timedelta

from sqlalchemy import delete, select

from ticketbuddy.handoff import linking
from ticketbuddy.handoff.domain import MAX_HISTORY
from ticketbuddy.handoff.linking import OMITTED_KEY, merge_ticket
from ticketbuddy.handoff.tables import handoffs, tickets
from ticketbuddy.schemas import MAX_MESSAGES

from .conftest import LEGAL, SOUR, START, make_ticket


def texts(first: int, last: int) -> list[str]:
    """Message texts number ``first`` to ``last`` (inclusive); the first of all is a legal threat."""
    return [LEGAL if n == 1 else f"Message number {n} about my broken order." for n in range(first, last + 1)]


def window(first: int, last: int, ticket_id: str = "T-1"):
    """Ticket ``ticket_id`` carrying messages ``first`` to ``last``, message n sent at START + n minutes."""
    return make_ticket(ticket_id, *texts(first, last), at=START + timedelta(minutes=first))


def stored_ticket(store, ticket_id="T-1"):
    with store.reading() as conn:
        return conn.execute(select(tickets.c.ticket).where(tickets.c.ticket_id == ticket_id)).scalar_one()


def events(queue, handoff_id):
    return [(e.kind, e.detail) for e in queue.detail(handoff_id).events if e.kind == "message_appended"]


def test_a_customer_who_sends_500_messages_gets_the_newest_200_and_a_count(intake, rules_scorer, queue):
    score = intake.score(window(1, MAX_MESSAGES), rules_scorer)
    packet = queue.detail(score.handoff.handoff_id).packet
    assert MAX_HISTORY == 200 and len(packet.history) == MAX_HISTORY
    assert packet.history_omitted == MAX_MESSAGES - MAX_HISTORY == 300
    assert [m.text for m in packet.history] == texts(301, 500)  # the newest, in order
    assert "History shortened: 300 earlier messages not shown." in packet.summary
    assert "legal action" in packet.summary  # the summary still reads the opening that states the problem
    assert [(t.ticket_id, t.messages) for t in packet.linked_tickets] == [("T-1", 500)]
    assert score.handoff == packet  # the answer carries the capped packet too


def test_a_short_history_is_not_shortened(intake, rules_scorer):
    packet = intake.score(window(1, 3), rules_scorer).handoff
    assert packet.history_omitted == 0 and "History shortened" not in packet.summary


def test_resent_tickets_stay_capped_and_only_new_messages_count(intake, rules_scorer, queue, store):
    handoff_id = intake.score(window(1, 100), rules_scorer).handoff.handoff_id
    for first in range(101, 601, 100):  # a helpdesk sending only the new messages, 100 at a time
        intake.score(window(first, first + 99), rules_scorer)
    data = stored_ticket(store)
    assert len(data["messages"]) == MAX_MESSAGES and data["metadata"][OMITTED_KEY] == 100
    assert data["messages"][0]["text"] == texts(101, 101)[0]  # the oldest dropped, the newest kept
    packet = queue.detail(handoff_id).packet
    assert len(packet.history) == MAX_HISTORY and packet.history_omitted == 400
    assert packet.linked_tickets[0].messages == 600
    assert [d for _, d in events(queue, handoff_id)] == ["100 new message(s) on ticket T-1 (chat)"] * 5

    # The whole conversation as the contract allows (its newest 500), or an old request sent again,
    # holds nothing new: no event, no rewrite.
    intake.score(window(101, 600), rules_scorer)
    intake.score(window(1, 100), rules_scorer)
    assert len(events(queue, handoff_id)) == 5 and stored_ticket(store) == data
    intake.score(window(102, 601), rules_scorer)  # one new message at the end
    assert events(queue, handoff_id)[-1] == ("message_appended", "1 new message(s) on ticket T-1 (chat)")
    data = stored_ticket(store)
    assert len(data["messages"]) == MAX_MESSAGES and data["metadata"][OMITTED_KEY] == 101
    with store.reading() as conn:
        row_ticket = conn.execute(select(handoffs.c.ticket)).scalar_one()
    assert len(row_ticket["messages"]) == MAX_MESSAGES  # the hand-off's copy of its ticket too
    assert queue.detail(handoff_id).packet.history[-1].text == texts(601, 601)[0]


def test_the_omitted_count_stays_out_of_what_is_scored_and_exported():
    stored, _ = merge_ticket(None, window(1, MAX_MESSAGES))
    merged, fresh = merge_ticket(stored, window(MAX_MESSAGES + 1, MAX_MESSAGES + 2))
    assert len(fresh) == 2 and merged["metadata"] == {OMITTED_KEY: 2}
    assert linking.scoring_ticket(merged).metadata == {}


def test_untimed_messages_sent_again_whole_are_not_taken_for_new(monkeypatch):
    monkeypatch.setattr(linking, "MAX_STORED_MESSAGES", 3)
    untimed = make_ticket("T-1", "one", "two", "three", "four")
    untimed = untimed.model_copy(
        update={"messages": [m.model_copy(update={"sent_at": None}) for m in untimed.messages]}
    )
    stored, _ = merge_ticket(None, untimed)
    capped, _ = merge_ticket(stored, untimed.model_copy(update={"messages": untimed.messages[-1:]}))
    assert [m["text"] for m in capped["messages"]] == ["two", "three", "four"]
    assert capped["metadata"][OMITTED_KEY] == 1
    whole = untimed.model_copy(
        update={"messages": [*untimed.messages, untimed.messages[0].model_copy(update={"text": "five"})]}
    )
    merged, fresh = merge_ticket(capped, whole)
    assert [m.text for m in fresh] == ["five"]  # "one" was dropped earlier, not new
    assert [m["text"] for m in merged["messages"]] == ["three", "four", "five"]
    assert merged["metadata"][OMITTED_KEY] == 2


def test_a_ticket_forgotten_and_sent_again_is_read_against_its_handoff(intake, rules_scorer, queue, store):
    """Its stored copy starts again from the new message: that message, not a count, says what is new."""
    handoff_id = intake.score(make_ticket("T-1", SOUR), rules_scorer).handoff.handoff_id
    queue.claim(handoff_id, "agent-1")
    queue.resolve(handoff_id, "not_needed")
    with store.writing() as conn:
        conn.execute(delete(tickets))  # as ticket retention did before held tickets went with their hand-off
    again = intake.score(make_ticket("T-1", LEGAL, at=START + timedelta(hours=1)), rules_scorer)
    assert again.handoff.handoff_id == handoff_id and again.handoff.status == "queued"  # re-opened
