"""The agents' queue on a real database: order, claim, release, resolve, and claims racing from threads."""

import threading

import pytest

from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffConflict, HandoffNotFound, HandoffStore

from .conftest import ANGRY, LEGAL, SOUR, make_ticket


@pytest.fixture
def three(intake, rules_scorer, clock):
    """A P4 (oldest), a P3 and a P1 (newest) hand-off, each for another customer."""
    made = {}
    for n, text in enumerate([SOUR, ANGRY, LEGAL]):
        score = intake.score(make_ticket(f"T-{n}", text, customer_id=f"C-{n}", at=clock.now()), rules_scorer)
        made[score.priority] = score.handoff.handoff_id
        clock.advance(minutes=1)
    return made


def test_the_most_urgent_then_oldest_come_first(intake, rules_scorer, clock, queue, three):
    older_p1 = three["P1"]
    newer_p1 = intake.score(make_ticket("T-9", LEGAL, customer_id="C-9", at=clock.now()), rules_scorer)
    listed = [i.handoff_id for i in queue.list_handoffs().items]
    assert listed == [older_p1, newer_p1.handoff.handoff_id, three["P3"], three["P4"]]
    routes = {i.handoff_id: i.route for i in queue.list_handoffs().items}  # the P3's route is the policy's
    assert routes[three["P3"]] not in {routes[older_p1], routes[three["P4"]]}
    assert [i.handoff_id for i in queue.list_handoffs(route=routes[three["P3"]]).items] == [three["P3"]]
    assert [i.handoff_id for i in queue.list_handoffs(team="legal_compliance", limit=1).items] == [older_p1]


def test_claimed_and_resolved_are_listed_by_status(queue, three):
    queue.claim(three["P3"], "agent-1")
    queue.claim(three["P4"], "agent-2")
    queue.resolve(three["P4"], "not_needed", "just venting")
    assert {i.handoff_id for i in queue.list_handoffs().items} == {three["P1"], three["P3"]}  # open ones
    assert [i.handoff_id for i in queue.list_handoffs(status="queued").items] == [three["P1"]]
    resolved = queue.list_handoffs(status="resolved").items
    assert [(i.handoff_id, i.outcome, i.note) for i in resolved] == [
        (three["P4"], "not_needed", "just venting")
    ]


def test_claim_and_resolve_rules(queue, three):
    handoff = three["P1"]
    with pytest.raises(HandoffConflict, match="only a claimed hand-off"):
        queue.resolve(handoff, "needed")
    claimed = queue.claim(handoff, "agent-1")
    assert claimed.status == "claimed" and claimed.claimed_by == "agent-1"
    assert queue.claim(handoff, "agent-1").claimed_by == "agent-1"  # a retry by the holder is harmless
    with pytest.raises(HandoffConflict, match="already claimed by agent-1"):
        queue.claim(handoff, "agent-2")
    with pytest.raises(HandoffConflict, match="claimed by agent-1, not agent-2"):
        queue.resolve(handoff, "needed", agent_id="agent-2")
    done = queue.resolve(handoff, "needed", "called back", agent_id="agent-1")
    assert (done.status, done.outcome, done.note) == ("resolved", "needed", "called back")
    with pytest.raises(HandoffConflict, match="is resolved"):
        queue.resolve(handoff, "needed")
    with pytest.raises(HandoffNotFound):
        queue.claim("no-such-id", "agent-1")
    events = queue.detail(handoff).events
    assert [(e.kind, e.actor) for e in events] == [
        ("created", "scorer"),
        ("claimed", "agent-1"),
        ("resolved", "agent-1"),
    ]


def test_only_the_holder_releases_and_the_handoff_is_queued_again(queue, three):
    handoff = three["P3"]
    with pytest.raises(HandoffConflict, match="only a claimed hand-off can be released"):
        queue.release(handoff, "agent-1")
    due_by = queue.detail(handoff).due_by
    queue.claim(handoff, "agent-1")
    with pytest.raises(HandoffConflict, match="claimed by agent-1, not agent-2"):
        queue.release(handoff, "agent-2")
    released = queue.release(handoff, "agent-1", "end of shift")
    assert (released.status, released.claimed_by, released.due_by) == ("queued", None, due_by)
    assert queue.claim(handoff, "agent-2").claimed_by == "agent-2"  # another agent can take it now
    events = [(e.kind, e.actor, e.detail) for e in queue.detail(handoff).events]
    assert events[1:] == [
        ("claimed", "agent-1", None),
        ("released", "agent-1", "released: end of shift"),
        ("claimed", "agent-2", None),
    ]
    with pytest.raises(HandoffNotFound):
        queue.release("no-such-id", "agent-1")


def test_many_agents_claiming_at_once_exactly_one_wins(db_url, clock, three):
    """Eight agents, each with its own connection pool (as separate replicas would be), race per hand-off."""
    agents = 8
    stores = [HandoffStore(db_url) for _ in range(agents)]
    try:
        for handoff_id in three.values():
            barrier = threading.Barrier(agents)
            results: dict[str, str] = {}

            def claim(n: int, handoff_id=handoff_id, barrier=barrier, results=results) -> None:
                queue = HandoffQueue(stores[n], clock)
                barrier.wait()
                try:
                    queue.claim(handoff_id, f"agent-{n}")
                    results[f"agent-{n}"] = "won"
                except HandoffConflict:
                    results[f"agent-{n}"] = "409"

            threads = [threading.Thread(target=claim, args=(n,)) for n in range(agents)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            winners = [agent for agent, outcome in results.items() if outcome == "won"]
            assert len(results) == agents and len(winners) == 1
            detail = HandoffQueue(stores[0], clock).detail(handoff_id)
            assert detail.claimed_by == winners[0]
            assert [e.kind for e in detail.events].count("claimed") == 1
    finally:
        for store in stores:
            store.close()
