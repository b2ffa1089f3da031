"""kill -9 of the server while 20 clients send escalating tickets: nothing acknowledged is lost.

The server is killed (SIGKILL: no shutdown hook, no flush) once a number of tickets have been
acknowledged, with 20 requests in flight; a new server on the same store must hold every acknowledged
hand-off, none twice, and re-sending every ticket must return the same hand-off for each acknowledged
one and complete the set. Run with ``pytest -s`` to see the counts (they are also test properties).
"""

from __future__ import annotations

import threading
import time

import pytest

from tests.postgres import postgres_database

from .load import crash_counts, numbered, stored_handoffs, submit
from .servers import start_server

pytestmark = pytest.mark.slow

TICKETS = 240
KILL_AFTER = 80


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crash_db(request, tmp_path):
    """The store the killed server writes: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'handoffs.db'}"
    else:
        yield from postgres_database()


def test_kill_9_under_load_loses_no_acknowledged_handoff(
    trained, mlflow_store, seed_tickets, crash_db, tmp_path, record_property
):
    env = {"MLFLOW_TRACKING_URI": mlflow_store["uri"], "TICKETBUDDY_DB_URL": crash_db}
    tickets = numbered(seed_tickets[0], "crash", TICKETS)
    first = start_server(env, tmp_path / "server.log")
    fired = threading.Lock()

    def kill_when_enough(acknowledged: int) -> None:
        if acknowledged >= KILL_AFTER and fired.acquire(blocking=False):
            first.kill()

    try:
        sent = submit(first.base, tickets, on_answer=kill_when_enough)
    finally:
        if first.proc.poll() is None:  # the load ended before the kill: fail below, leave nothing running
            first.kill()
    assert not sent.kept, "every ticket of this test escalates"
    assert KILL_AFTER <= len(sent.acknowledged) < TICKETS, sent.outcomes  # killed mid-way

    second = start_server(env, tmp_path / "server.log")
    try:
        counts = crash_counts(sent, stored_handoffs(crash_db))
        started = time.monotonic()
        resent = submit(second.base, tickets)
        counts["resent_per_second"] = round(TICKETS / (time.monotonic() - started), 1)  # printed only
    finally:
        second.stop()
    after = stored_handoffs(crash_db)
    counts["unanswered_before_kill"] = TICKETS - len(sent.acknowledged)
    counts["handoffs_after_resend"] = sum(len(ids) for ids in after.values())
    for name, value in counts.items():
        record_property(name, value)
    print(f"\nkill -9 under load ({crash_db.split(':')[0]}): {counts}; outcomes {dict(sent.outcomes)}")

    assert counts["lost"] == 0 and counts["duplicated"] == 0
    assert counts["found_after_restart"] == counts["acknowledged"]
    assert resent.outcomes == {"200": TICKETS}
    assert {t: resent.acknowledged[t] for t in sent.acknowledged} == sent.acknowledged  # same hand-offs
    assert sorted(after) == sorted(t["ticket_id"] for t in tickets)  # the set is complete
    assert counts["handoffs_after_resend"] == TICKETS  # and nothing twice
