"""Retention on a fake clock: resolved hand-offs past the period go, with their events and tickets.

Open hand-offs stay whatever their age, and so do the tickets they may need; the sweep says what it
deleted, in batches.
"""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from ticketbuddy.cli import app as cli
from ticketbuddy.handoff import retention
from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.records import Removed
from ticketbuddy.handoff.store import HandoffNotFound
from ticketbuddy.handoff.sweeper import sweep
from ticketbuddy.handoff.tables import handoff_events, handoffs, tickets

from .conftest import CALM, LINK_WINDOW, SOUR, make_ticket

RETENTION = timedelta(days=30)


def escalate(intake, scorer, ticket_id, customer_id, clock):
    return intake.score(make_ticket(ticket_id, SOUR, customer_id=customer_id, at=clock.now()), scorer).handoff


def resolve(queue, handoff_id, outcome="needed"):
    queue.claim(handoff_id, "agent-1")
    queue.resolve(handoff_id, outcome, "called the customer back")


def stored(store):
    """Hand-off ids, the hand-off id of every event, and ticket id → holding hand-off."""
    with store.reading() as conn:
        return (
            set(conn.execute(select(handoffs.c.handoff_id)).scalars()),
            list(conn.execute(select(handoff_events.c.handoff_id)).scalars()),
            dict(conn.execute(select(tickets.c.ticket_id, tickets.c.handoff_id)).all()),
        )


def packet_and_ticket(store, handoff_id):
    with store.reading() as conn:
        query = select(handoffs.c.packet, handoffs.c.ticket).where(handoffs.c.handoff_id == handoff_id)
        return tuple(conn.execute(query).one())


def test_a_resolved_handoff_past_retention_goes_with_its_events_and_tickets(
    store, clock, intake, queue, rules_scorer
):
    old = escalate(intake, rules_scorer, "T-old", "C-1", clock)
    resolve(queue, old.handoff_id)
    waiting = escalate(intake, rules_scorer, "T-open", "C-2", clock)  # never picked: open for ever
    intake.score(make_ticket("T-calm", CALM, customer_id="C-3", at=clock.now()), rules_scorer)
    clock.advance(days=20)
    newer = escalate(intake, rules_scorer, "T-new", "C-4", clock)
    resolve(queue, newer.handoff_id)
    clock.advance(days=11)  # the old one resolved 31 days ago, the newer one 11
    kept_newer, kept_open = queue.detail(newer.handoff_id), packet_and_ticket(store, waiting.handoff_id)

    report = sweep(store, rules_scorer.policy, clock, RETENTION).removed
    assert report.expired == Removed(handoffs=1, events=3, tickets=1)  # created, claimed, resolved; T-old
    assert report.forgotten_tickets == 1  # T-calm: no hand-off holds or needs it
    handoff_ids, event_owners, ticket_rows = stored(store)
    assert handoff_ids == {newer.handoff_id, waiting.handoff_id}
    assert old.handoff_id not in event_owners and set(ticket_rows) == {"T-open", "T-new"}
    with pytest.raises(HandoffNotFound):
        queue.detail(old.handoff_id)
    assert queue.detail(newer.handoff_id) == kept_newer  # untouched
    assert packet_and_ticket(store, waiting.handoff_id) == kept_open  # the SLA sweep moved it, no more
    assert sweep(store, rules_scorer.policy, clock, RETENTION).removed == retention.RetentionReport()


def test_the_tickets_an_open_handoff_needs_are_kept(store, clock, intake, queue, rules_scorer):
    first = escalate(intake, rules_scorer, "T-a", "C-5", clock)
    resolve(queue, first.handoff_id)
    clock.advance(days=25)
    second = escalate(intake, rules_scorer, "T-b", "C-5", clock)  # the same customer, open again
    clock.advance(days=6)

    report = sweep(store, rules_scorer.policy, clock, RETENTION).removed
    assert report.expired == Removed(handoffs=1, events=3, tickets=0) and report.forgotten_tickets == 0
    handoff_ids, _, ticket_rows = stored(store)
    assert handoff_ids == {second.handoff_id}
    assert ticket_rows == {"T-a": None, "T-b": second.handoff_id}  # T-a kept for C-5's open hand-off

    resolve(queue, second.handoff_id)
    clock.advance(days=31)
    report = sweep(store, rules_scorer.policy, clock, RETENTION).removed
    assert report.expired == Removed(handoffs=1, events=4, tickets=1)  # created, rerouted, claimed, resolved
    assert report.forgotten_tickets == 1  # T-a, once its customer has no open hand-off
    assert stored(store) == (set(), [], {})


def test_a_customer_still_writing_on_a_resolved_ticket_keeps_it(store, clock, intake, queue, rules_scorer):
    handoff = escalate(intake, rules_scorer, "T-1", "C-1", clock)
    resolve(queue, handoff.handoff_id)
    later = clock.advance(days=10)
    thanks = make_ticket("T-1", SOUR, "Thanks, all sorted now.", customer_id="C-1", at=later)
    assert intake.score(thanks, rules_scorer).handoff is None  # read, not re-opened
    clock.advance(days=21)  # resolved 31 days ago, last written on 21 days ago
    assert sweep(store, rules_scorer.policy, clock, RETENTION).removed.expired == Removed()
    clock.advance(days=10)
    assert sweep(store, rules_scorer.policy, clock, RETENTION).removed.expired.handoffs == 1


def test_a_backlog_is_deleted_in_bounded_batches(store, clock, intake, queue, rules_scorer, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    monkeypatch.setattr(retention, "MAX_BATCHES", 2)
    for n in range(5):
        resolve(queue, escalate(intake, rules_scorer, f"T-{n}", f"C-{n}", clock).handoff_id)
    clock.advance(days=31)
    passes = [sweep(store, rules_scorer.policy, clock, RETENTION).removed.expired.handoffs for _ in range(3)]
    assert passes == [4, 1, 0]  # two batches of two per pass, the rest at the next pass
    with store.reading() as conn:
        assert conn.execute(select(func.count()).select_from(handoffs)).scalar_one() == 0


def test_ticketbuddy_sweep_prints_what_retention_deleted(db_url, store, rules_scorer):
    from ticketbuddy.handoff.queue import HandoffQueue

    long_ago = FakeClock(datetime.now(UTC) - timedelta(days=40))
    intake = Intake(store, long_ago, LINK_WINDOW)
    resolve(HandoffQueue(store, long_ago), escalate(intake, rules_scorer, "T-1", "C-1", long_ago).handoff_id)
    intake.score(make_ticket("T-2", CALM, customer_id="C-2", at=long_ago.now()), rules_scorer)
    result = CliRunner().invoke(cli, ["sweep", "--db-url", db_url])
    assert result.exit_code == 0, result.output
    assert (
        "old tickets forgotten 1, resolved hand-offs past retention deleted 1 (with 3 events, 1 tickets)"
        in result.output
    )


def test_scorings_and_verdicts_go_after_the_same_period_and_recent_ones_stay(store, rules_scorer):
    from ticketbuddy.handoff.feedback import FeedbackDesk, Verdict
    from ticketbuddy.handoff.tables import feedback, scorings

    clock = FakeClock(datetime.now(UTC))
    intake = Intake(store, clock, LINK_WINDOW)
    intake.score(make_ticket("T-old", CALM, customer_id="C-1", at=clock.now()), rules_scorer)
    FeedbackDesk(store, clock).give(Verdict(ticket_id="T-old", should_have_escalated=True, source="qa"))
    clock.advance(days=20)
    intake.score(make_ticket("T-new", CALM, customer_id="C-2", at=clock.now()), rules_scorer)
    clock.advance(days=11)
    report = sweep(store, rules_scorer.policy, clock, RETENTION).removed
    assert report.forgotten_outcomes == 2 and "scorings and verdicts 2" in report.describe()
    with store.reading() as conn:
        assert list(conn.execute(select(scorings.c.ticket_id)).scalars()) == ["T-new"]
        assert conn.execute(select(func.count()).select_from(feedback)).scalar_one() == 0
