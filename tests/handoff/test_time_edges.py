"""Times at the ends of what a datetime holds (years 1 and 9999): windows and due times never overflow.

The contract refuses times outside 1990-2100, but a store may hold tickets stored before it bounded
them (a time in 6426 was accepted then), so every window (link window, retention, claim timeout) and every due time is
computed with ``clock.shifted``, held at the first or last representable time instead of failing.
"""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from ticketbuddy.handoff import sweeper
from ticketbuddy.handoff.clock import FakeClock, shifted
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.linking import Conversation
from ticketbuddy.handoff.placement import last_message_at
from ticketbuddy.policy.model import load_policy
from ticketbuddy.schemas import Ticket

from .conftest import CALM, LEGAL, LINK_WINDOW, make_ticket

FIRST = datetime(1, 1, 1, 1, 0, tzinfo=UTC)
LAST = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)


def test_shifting_past_either_end_holds_at_the_end():
    assert shifted(FIRST, -LINK_WINDOW) == datetime.min.replace(tzinfo=UTC)
    assert shifted(LAST, timedelta(minutes=240)) == datetime.max.replace(tzinfo=UTC)
    assert shifted(LAST, -LINK_WINDOW) == LAST - LINK_WINDOW  # within range: plain arithmetic


@pytest.mark.parametrize("moment", [FIRST, LAST], ids=["year-1", "year-9999"])
def test_tickets_at_either_end_of_time_are_scored_stored_and_linked(store, rules_scorer, moment):
    intake = Intake(store, FakeClock(moment), LINK_WINDOW)  # the server's clock there too: every window
    first = intake.score(make_ticket("T-1", LEGAL, at=moment, stored=True), rules_scorer)
    joined = intake.score(make_ticket("T-2", CALM, channel="email", at=moment, stored=True), rules_scorer)
    assert first.escalate and first.handoff.due_by >= moment
    assert joined.handoff.handoff_id == first.handoff.handoff_id  # the customer's open hand-off, found
    report = sweeper.sweep(store, load_policy(), FakeClock(moment), retention=timedelta(days=30))
    assert report.moves == []


@pytest.mark.parametrize("moment", [FIRST, LAST], ids=["year-1", "year-9999"])
def test_a_ticket_from_either_end_of_time_sent_today_is_scored(intake, rules_scorer, moment):
    score = intake.score(make_ticket("T-1", LEGAL, at=moment, stored=True), rules_scorer)
    assert score.escalate and score.handoff.linked_tickets[0].created_at == moment


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_a_time_outside_the_window_is_refused_naming_the_field(when):
    ticket = {
        "ticket_id": "T-1",
        "channel": "chat",
        "created_at": when,
        "messages": [{"role": "customer", "text": "Hi"}],
    }
    with pytest.raises(ValidationError) as refused:
        Ticket.model_validate(ticket)
    [error] = refused.value.errors()
    assert error["loc"] == ("created_at",) and error["msg"].startswith("created_at must be from 1990")


def test_an_empty_history_moved_last_when_the_handoff_did():
    assert last_message_at([], otherwise=LAST) == LAST
    conversation = Conversation(
        "T-1", "chat", FIRST, make_ticket("T-1", CALM, at=FIRST, stored=True).messages
    )
    assert last_message_at([conversation], otherwise=LAST) == FIRST
