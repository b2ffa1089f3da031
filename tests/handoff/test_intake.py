"""Scoring into the store: one hand-off per ticket, appends, idempotency, cross-channel history, fail safe."""

from sqlalchemy import func, select

from tests.parallel import in_parallel
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import handoffs, tickets
from ticketbuddy.scoring.scorer import LoadedModel, Scorer

from .conftest import ANGRY, CALM, LEGAL, LINK_WINDOW, SOUR, make_ticket


def count(store, table, **where):
    query = select(func.count()).select_from(table)
    for column, value in where.items():
        query = query.where(table.c[column] == value)
    with store.reading() as conn:
        return conn.execute(query).scalar_one()


def kinds(queue, handoff_id):
    return [e.kind for e in queue.detail(handoff_id).events]


def test_an_escalation_is_committed_before_the_score_is_returned(intake, rules_scorer, db_url):
    score = intake.score(make_ticket("T-1", LEGAL), rules_scorer)
    assert score.escalate and score.route == "legal_compliance" and score.priority == "P1"
    fresh = HandoffStore(db_url)  # another connection, as a restarted service would open
    detail = HandoffQueue(fresh, intake.clock).detail(score.handoff.handoff_id)
    fresh.close()
    assert detail.status == "queued" and detail.team == "legal_compliance"
    assert detail.packet.summary == score.handoff.summary
    assert [e.kind for e in detail.events] == ["created"]
    assert "240 minutes" in score.customer_reply  # the legal team's SLA


def test_the_same_ticket_sent_ten_times_makes_one_handoff(intake, rules_scorer, store, queue):
    ids = {intake.score(make_ticket("T-1", ANGRY), rules_scorer).handoff.handoff_id for _ in range(10)}
    assert len(ids) == 1 and count(store, handoffs) == 1
    assert kinds(queue, ids.pop()) == ["created"]  # nothing new: no event, no rewrite


def test_the_same_idempotency_key_returns_the_first_handoff(intake, rules_scorer, store):
    first = intake.score(make_ticket("T-1", ANGRY), rules_scorer, idempotency_key="req-42")
    again = intake.score(make_ticket("T-2", LEGAL), rules_scorer, idempotency_key="req-42")
    assert again.handoff.handoff_id == first.handoff.handoff_id and again.ticket_id == "T-1"
    assert again.reasons[-1].code == "handoff.replay"
    assert count(store, handoffs) == 1 and count(store, tickets, ticket_id="T-2") == 0


def test_a_new_message_is_appended_and_the_summary_rebuilt(intake, rules_scorer, queue):
    first = intake.score(make_ticket("T-1", ANGRY), rules_scorer)
    later = intake.score(make_ticket("T-1", ANGRY, "Please call me back today on my mobile."), rules_scorer)
    assert later.handoff.handoff_id == first.handoff.handoff_id
    assert [m.text for m in later.handoff.history][-1] == "Please call me back today on my mobile."
    assert "Please call me back today" in later.handoff.summary
    assert "Please call me back today" not in first.handoff.summary
    assert kinds(queue, first.handoff.handoff_id) == ["created", "message_appended"]


def test_a_helpdesk_sending_only_the_new_message_still_gets_the_whole_history(intake, rules_scorer):
    intake.score(make_ticket("T-1", ANGRY), rules_scorer)
    later = intake.score(
        make_ticket("T-1", "Thanks, that helps.", at=make_ticket("x", "x").created_at), rules_scorer
    )
    assert later.escalate  # a human holds the ticket: a calm message does not take it back
    assert [m.text for m in later.handoff.history] == [ANGRY, "Thanks, that helps."]
    assert any(r.code == "handoff.existing" for r in later.reasons)


def test_a_legal_threat_reroutes_a_queued_handoff_but_not_a_claimed_one(intake, rules_scorer, queue):
    queued = intake.score(make_ticket("T-1", SOUR), rules_scorer).handoff
    claimed = intake.score(make_ticket("T-2", SOUR, customer_id="C-2"), rules_scorer).handoff
    assert queued.route == claimed.route == "general_escalations" and queued.priority == "P4"
    queue.claim(claimed.handoff_id, "agent-7")
    moved = intake.score(make_ticket("T-1", SOUR, LEGAL), rules_scorer)
    kept = intake.score(make_ticket("T-2", SOUR, LEGAL, customer_id="C-2"), rules_scorer)
    assert (moved.route, moved.handoff.team, moved.priority) == ("legal_compliance", "legal_compliance", "P1")
    assert kinds(queue, queued.handoff_id) == ["created", "message_appended", "rerouted", "priority_raised"]
    assert (kept.route, kept.handoff.claimed_by, kept.priority) == ("general_escalations", "agent-7", "P1")


def test_a_calm_ticket_is_recorded_but_not_queued(intake, rules_scorer, store):
    score = intake.score(make_ticket("T-1", CALM), rules_scorer)
    assert not score.escalate and score.handoff is None
    assert count(store, tickets, ticket_id="T-1") == 1 and count(store, handoffs) == 0


def test_email_then_chat_from_the_same_customer_share_one_history(intake, rules_scorer, clock):
    email = make_ticket("E-1", "My parcel never came.", CALM, channel="email", at=clock.now())
    assert not intake.score(email, rules_scorer).escalate
    chat_at = clock.advance(hours=5)
    chat = intake.score(make_ticket("C-1", LEGAL, channel="chat", at=chat_at), rules_scorer)
    history = chat.handoff.history
    assert [(m.ticket_id, m.channel, m.text) for m in history] == [
        ("E-1", "email", "My parcel never came."),
        ("E-1", "email", CALM),
        ("C-1", "chat", LEGAL),
    ]
    assert [t.ticket_id for t in chat.handoff.linked_tickets] == ["E-1", "C-1"]
    assert "via email then chat (2 linked tickets)" in chat.handoff.summary
    assert "My parcel never came." in chat.handoff.summary


def test_a_second_escalation_of_the_customer_joins_the_open_handoff(
    intake, rules_scorer, store, queue, clock
):
    email = intake.score(make_ticket("E-1", ANGRY, channel="email", at=clock.now()), rules_scorer)
    chat = intake.score(make_ticket("C-1", LEGAL, channel="chat", at=clock.advance(hours=1)), rules_scorer)
    assert chat.handoff.handoff_id == email.handoff.handoff_id and count(store, handoffs) == 1
    assert chat.route == "legal_compliance"  # the legal threat re-routes the joint hand-off
    assert {m.ticket_id for m in chat.handoff.history} == {"E-1", "C-1"}
    assert "linked" in kinds(queue, email.handoff.handoff_id)
    again = intake.score(make_ticket("C-1", LEGAL, "Hello?", channel="chat", at=clock.now()), rules_scorer)
    assert again.handoff.handoff_id == email.handoff.handoff_id  # the chat now belongs to that hand-off


def test_a_calm_ticket_of_the_customer_joins_the_open_handoff_and_says_so(intake, rules_scorer, queue, clock):
    handoff = intake.score(make_ticket("E-1", ANGRY, channel="email", at=clock.now()), rules_scorer).handoff
    calm = intake.score(make_ticket("W-1", CALM, channel="web", at=clock.advance(minutes=20)), rules_scorer)
    assert calm.escalate and calm.handoff.handoff_id == handoff.handoff_id  # a human has this customer
    assert calm.route == handoff.route and calm.customer_reply and calm.handed_over
    assert "handoff.linked" in [r.code for r in calm.reasons]
    assert "linked" in kinds(queue, handoff.handoff_id)
    history = queue.detail(handoff.handoff_id).packet.history
    assert [(m.ticket_id, m.text) for m in history] == [("E-1", ANGRY), ("W-1", CALM)]


def test_tickets_outside_the_link_window_stay_apart(intake, rules_scorer, clock):
    intake.score(make_ticket("E-1", CALM, channel="email", at=clock.now()), rules_scorer)
    later = clock.advance(hours=LINK_WINDOW.total_seconds() / 3600 + 1)
    chat = intake.score(make_ticket("C-1", LEGAL, at=later), rules_scorer)
    assert [m.ticket_id for m in chat.handoff.history] == ["C-1"]


def test_a_resolved_handoff_reopens_when_its_ticket_escalates_again(intake, rules_scorer, queue, store):
    handoff = intake.score(make_ticket("T-1", ANGRY), rules_scorer).handoff
    queue.claim(handoff.handoff_id, "agent-1")
    queue.resolve(handoff.handoff_id, "needed", "refunded")
    thanks = intake.score(make_ticket("T-1", ANGRY, "Thanks, that helps."), rules_scorer)
    assert not thanks.escalate and queue.detail(handoff.handoff_id).status == "resolved"
    back = intake.score(make_ticket("T-1", ANGRY, "Thanks, that helps.", LEGAL), rules_scorer)
    assert back.escalate and back.handoff.handoff_id == handoff.handoff_id and back.handoff.status == "queued"
    assert kinds(queue, handoff.handoff_id)[-1] == "reopened" and count(store, handoffs) == 1


def test_when_the_model_fails_the_rules_decide_and_the_handoff_is_stored(store, clock, rules_scorer, queue):
    class Broken:
        def predict(self, frame):
            raise RuntimeError("boom")

    model = LoadedModel(Broken(), "ticket-escalation", "7", threshold=0.4)
    broken = Scorer(rules_scorer.policy, model)
    score = Intake(store, clock, LINK_WINDOW).score(make_ticket("T-1", SOUR), broken)
    assert score.escalate and score.route == "general_escalations"  # the fallback route
    assert score.reasons[0].code == "rules_only"
    assert queue.detail(score.handoff.handoff_id).packet.reasons[0].code == "rules_only"
    assert score.model.version is None


def test_concurrent_resends_of_a_new_ticket_make_one_handoff_and_one_event(db_url, clock, rules_scorer):
    """Ten requests for one new ticket at the same moment, each on its own connection pool."""
    stores = [HandoffStore(db_url) for _ in range(10)]
    ticket = make_ticket("T-1", ANGRY, SOUR)
    scores = in_parallel(
        [lambda s=s: Intake(s, clock, LINK_WINDOW).score(ticket, rules_scorer) for s in stores]
    )
    ids = [score.handoff.handoff_id for score in scores if score is not None]
    try:
        assert len(ids) == 10 and len(set(ids)) == 1
        assert count(stores[0], handoffs) == 1
        assert kinds(HandoffQueue(stores[0], clock), ids[0]) == ["created"]
    finally:
        for store in stores:
            store.close()


def test_concurrent_escalations_of_one_customer_share_one_handoff(db_url, clock, rules_scorer):
    """Five channels of one customer escalating at the same moment: one hand-off holding all five."""
    stores = [HandoffStore(db_url) for _ in range(5)]
    tickets = [make_ticket(f"T-{n}", ANGRY, customer_id="C-1", at=clock.now()) for n in range(5)]
    calls = [
        lambda s=s, t=t: Intake(s, clock, LINK_WINDOW).score(t, rules_scorer)
        for s, t in zip(stores, tickets, strict=True)
    ]
    ids = [score.handoff.handoff_id for score in in_parallel(calls) if score is not None]
    try:
        assert len(ids) == 5 and len(set(ids)) == 1
        assert count(stores[0], handoffs) == 1
        assert kinds(HandoffQueue(stores[0], clock), ids[0]) == ["created", *["linked"] * 4]
    finally:
        for store in stores:
            store.close()


def test_the_packet_reads_the_mood_of_every_linked_ticket(intake, rules_scorer, queue, clock):
    refund = "Could you refund the second charge on my card, please? Thank you, that would be lovely."
    first = intake.score(make_ticket("E-1", refund, channel="email", at=clock.now()), rules_scorer)
    calm_mood = first.handoff.trajectory["last"]
    fury = "This is disgusting. You are useless, I am furious and I feel cheated by your awful company."
    chat = intake.score(make_ticket("C-1", fury, channel="chat", at=clock.advance(minutes=30)), rules_scorer)
    assert chat.handoff.handoff_id == first.handoff.handoff_id
    packet = queue.detail(first.handoff.handoff_id).packet
    assert packet.trajectory["first"] == calm_mood and packet.trajectory["last"] < -0.5 < calm_mood
    assert f"→ {packet.trajectory['last']:+.2f})" in packet.summary  # the mood the agent reads is the chat's


def test_a_less_urgent_request_does_not_pull_a_handoff_off_its_route(intake, rules_scorer, clock):
    legal = intake.score(make_ticket("E-1", LEGAL, channel="email", at=clock.now()), rules_scorer)
    assert (legal.route, legal.priority) == ("legal_compliance", "P1")
    refund = "Also, could you refund the delivery charge?"
    later = intake.score(
        make_ticket("C-1", refund, channel="chat", at=clock.advance(minutes=10)), rules_scorer
    )
    assert later.handoff.handoff_id == legal.handoff.handoff_id
    assert (later.route, later.priority) == ("legal_compliance", "P1")  # still with compliance, still P1
