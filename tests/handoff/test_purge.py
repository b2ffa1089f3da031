"""``ticketbuddy purge --customer ID``: one customer erased everywhere in the store, nobody else touched.

The customer has a calm ticket, a resolved hand-off and an open one, and a ticket that first joined
another customer's hand-off and was later sent under their id (the helpdesk corrected the customer):
that other hand-off holds their messages, and must lose exactly those.
"""

import json
import logging
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from ticketbuddy.cli import app as cli
from ticketbuddy.handoff.purge import Erasure, preview, purge_customer
from ticketbuddy.handoff.tables import feedback, handoff_events, metadata, scorings, tickets
from ticketbuddy.policy.engine import PolicyEngine

from .conftest import SOUR, START, make_ticket

ERASED, KEPT = "CUST-ERASE-0042", "CUST-KEEP-0077"
CALM_TEXT = "Do you sell gift cards, asks zebra-1?"
OLD_TEXT = f"{SOUR} Order zebra-2 is missing."
SHARED_FIRST = f"{SOUR} Parcel zebra-3 is lost."
SHARED_LATER = f"{SOUR} Parcel zebra-4 never came either."
OPEN_TEXT = f"{SOUR} Order zebra-5 is late."
KEPT_TEXT = f"{SOUR} Order koala-1 is broken."


def send(intake, scorer, ticket_id, text, customer_id, minutes, *earlier):
    ticket = make_ticket(
        ticket_id, *earlier, text, customer_id=customer_id, at=START + timedelta(minutes=minutes)
    )
    return intake.score(ticket, scorer).handoff


def two_customers(intake, scorer, queue):
    """The scene of the module docstring; the hand-off ids (erased customer's old and open, the other's)."""
    assert send(intake, scorer, "T-calm", CALM_TEXT, ERASED, 0) is None
    old = send(intake, scorer, "T-old", OLD_TEXT, ERASED, 1)
    queue.claim(old.handoff_id, "agent-1")
    queue.resolve(old.handoff_id, "needed")
    kept = send(intake, scorer, "T-kept", KEPT_TEXT, KEPT, 10)
    assert send(intake, scorer, "T-shared", SHARED_FIRST, KEPT, 20).handoff_id == kept.handoff_id
    later = send(intake, scorer, "T-shared", SHARED_LATER, ERASED, 20, SHARED_FIRST)  # now theirs
    assert later.handoff_id == kept.handoff_id and len(later.history) == 3
    current = send(intake, scorer, "T-open", OPEN_TEXT, ERASED, 40)
    queue.claim(current.handoff_id, "agent-2")  # open, and held by an agent
    return old.handoff_id, current.handoff_id, kept.handoff_id


def everything(store) -> str:
    """Every row of every table, JSON packets and tickets included, as one text."""
    with store.reading() as conn:
        rows = [[dict(r._mapping) for r in conn.execute(select(t))] for t in metadata.sorted_tables]
    return json.dumps(rows, default=str)


def events_of(store, *handoff_ids):
    with store.reading() as conn:
        query = select(func.count()).where(handoff_events.c.handoff_id.in_(handoff_ids))
        return conn.execute(query).scalar_one()


def scorings_of(store, customer_id=None):
    query = select(func.count()).select_from(scorings)
    if customer_id:
        query = query.where(scorings.c.customer_id == customer_id)
    with store.reading() as conn:
        return conn.execute(query).scalar_one()


def outcome_rows(store):
    with store.reading() as conn:
        return sum(
            conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (scorings, feedback)
        )


def test_purge_erases_every_trace_of_one_customer_and_nothing_of_another(
    store, intake, queue, rules_scorer, caplog
):
    old, current, kept = two_customers(intake, rules_scorer, queue)
    kept_events = events_of(store, kept)
    expected = Erasure(
        tickets=4,
        handoffs=2,
        open_handoffs=1,
        events=events_of(store, old, current),
        messages=2,
        other_handoffs=1,
        outcomes=preview(store, ERASED).outcomes,
    )
    rows_before = outcome_rows(store)  # their T-calm, kept then followed by an escalation, is a probable miss
    assert expected.outcomes >= scorings_of(store, ERASED) >= 3  # every scoring of theirs is logged
    assert preview(store, ERASED) == expected
    assert "zebra" in everything(store) and ERASED in everything(store)

    with caplog.at_level(logging.INFO):
        assert purge_customer(store, ERASED, PolicyEngine(rules_scorer.policy)) == expected
    text = everything(store)
    assert ERASED not in text and "zebra" not in text
    assert all(
        ERASED not in r.getMessage() for r in caplog.records
    )  # the record of the purge does not name them

    other = queue.detail(kept)
    assert [m.text for m in other.packet.history] == [KEPT_TEXT]
    assert [t.ticket_id for t in other.packet.linked_tickets] == ["T-kept"]
    assert "koala-1" in other.packet.summary and other.status == "queued" and other.customer_id == KEPT
    assert other.packet.customer.customer_id == KEPT  # the profile was the erased customer's last ticket's
    assert len(other.events) == kept_events  # its log is its own
    assert [i.handoff_id for i in queue.list_handoffs().items] == [kept]  # theirs is closed, the other open

    assert scorings_of(store, ERASED) == 0 and scorings_of(store, KEPT) > 0
    assert outcome_rows(store) == rows_before - expected.outcomes == 1  # the count is what went
    assert preview(store, ERASED).nothing
    assert purge_customer(store, ERASED, PolicyEngine(rules_scorer.policy)) == Erasure()  # idempotent


def test_the_command_asks_prints_counts_that_reconcile_and_finds_nothing_the_second_time(
    db_url, intake, queue, rules_scorer
):
    two_customers(intake, rules_scorer, queue)
    args = ["purge", "--customer", ERASED, "--db-url", db_url]
    declined = CliRunner().invoke(cli, args, input="n\n")
    assert declined.exit_code == 1 and "nothing erased" in declined.output
    assert (
        "to erase from" in declined.output
        and "tickets 4, hand-offs 2 (open 1), events 5, messages in other hand-offs 2 (in 1)"
        in declined.output
    )
    assert ERASED in everything(intake.store)

    done = CliRunner().invoke(cli, args, input="y\n")
    assert done.exit_code == 0, done.output
    assert "tickets deleted: 4" in done.output
    assert "hand-offs deleted: 2, of which open (closed by the purge): 1" in done.output
    assert "messages removed from other hand-offs: 2 (from 1 hand-offs)" in done.output
    again = CliRunner().invoke(cli, [*args, "--yes"])
    assert again.exit_code == 0 and "nothing to erase" in again.output


def test_a_ticket_now_of_another_customer_that_their_handoff_held_is_kept(store, intake, queue, rules_scorer):
    theirs = send(intake, rules_scorer, "T-1", OPEN_TEXT, ERASED, 0)
    assert send(intake, rules_scorer, "T-2", KEPT_TEXT, ERASED, 5).handoff_id == theirs.handoff_id  # joined
    send(intake, rules_scorer, "T-2", "Please use my own account.", KEPT, 5, KEPT_TEXT)  # now the other's

    erased = purge_customer(store, ERASED, PolicyEngine(rules_scorer.policy))
    assert (erased.tickets, erased.handoffs, erased.messages) == (1, 1, 0)
    with store.reading() as conn:
        assert conn.execute(select(tickets.c.ticket_id, tickets.c.handoff_id)).all() == [("T-2", None)]
    assert ERASED not in everything(store)
