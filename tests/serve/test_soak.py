"""A bounded soak: 20 clients for a minute on a real server with SQLite, scoring and claiming.

Half the requests score escalating tickets, a quarter score calm ones the AI keeps, a quarter are
agents taking a hand-off from the queue (two agents may race for one: the loser's 409 is expected).
Afterwards: no errors, the server's memory grew less than 10 % from the end of the warm-up (a sixth
of the run) to the end, and the queue holds exactly the escalations accepted minus those claimed.
``TICKETBUDDY_SOAK_SECONDS`` shortens or lengthens the run for local use (60 by default, as in CI).
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil
import pytest
from sqlalchemy import func, select

from tests.serve.api import AUTH
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import handoffs

from .load import CLIENTS, endless
from .servers import start_server

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("TICKETBUDDY_SOAK_SECONDS", "60"))
WARM_UP = SECONDS / 6


@dataclass
class Tally:
    """Every answer by request kind and status, the hand-offs accepted and the claims won."""

    answers: Counter[tuple[str, str]] = field(default_factory=Counter)
    escalations: set[str] = field(default_factory=set)
    claimed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def errors(self) -> dict[tuple[str, str], int]:
        """Answers that are neither 2xx nor a lost claim race (409)."""
        return {
            (kind, status): n
            for (kind, status), n in self.answers.items()
            if not status.startswith("2") and (kind, status) != ("claim", "409")
        }


def score(client: httpx.Client, base: str, ticket: dict[str, Any], tally: Tally, kind: str) -> None:
    response = client.post(f"{base}/v1/score", json=ticket, timeout=120)
    handoff = response.json().get("handoff") if response.status_code == 200 else None
    with tally.lock:
        tally.answers[kind, str(response.status_code)] += 1
        if handoff is not None:
            tally.escalations.add(handoff["handoff_id"])


def claim(client: httpx.Client, base: str, agent: str, tally: Tally) -> None:
    listed = client.get(f"{base}/v1/handoffs", params={"status": "queued", "limit": 10}, timeout=120)
    with tally.lock:
        tally.answers["list", str(listed.status_code)] += 1
    items = listed.json()["items"] if listed.status_code == 200 else []
    if not items:
        return
    target = random.choice(items)["handoff_id"]  # several agents may pick the same one: a race
    response = client.post(f"{base}/v1/handoffs/{target}/claim", json={"agent_id": agent}, timeout=120)
    with tally.lock:
        tally.answers["claim", str(response.status_code)] += 1
        tally.claimed += response.status_code == 200


def client_loop(base: str, n: int, tickets: dict[str, Iterator[dict[str, Any]]], tally: Tally) -> None:
    """One client until the tickets run out: escalating, calm, escalating, claim, and again.

    ``tickets`` is shared: a generator must not be resumed by two threads at once, so it is read under
    ``tally.lock``.
    """
    turns = ["escalating", "calm", "escalating", "claim"]
    with httpx.Client(headers=AUTH) as client:
        for turn in range(n, 10**9):
            kind = turns[turn % len(turns)]
            if kind == "claim":
                claim(client, base, f"agent-{n}", tally)
                continue
            with tally.lock:
                ticket = next(tickets[kind], None)
            if ticket is None:
                return
            score(client, base, ticket, tally, kind)


def queued(db_url: str) -> int:
    store = HandoffStore(db_url)
    try:
        with store.reading() as conn:
            return conn.execute(select(func.count()).where(handoffs.c.status == "queued")).scalar_one()
    finally:
        store.close()


def test_twenty_clients_for_a_minute(
    trained, mlflow_store, seed_tickets, faq_ticket, tmp_path, record_property
):
    db_url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    server = start_server(
        {"MLFLOW_TRACKING_URI": mlflow_store["uri"], "TICKETBUDDY_DB_URL": db_url}, tmp_path / "log"
    )
    process = psutil.Process(server.proc.pid)
    stop, tally = threading.Event(), Tally()
    tickets = {
        "escalating": endless(seed_tickets[0], "soak-e", stop),
        "calm": endless(faq_ticket, "soak-c", stop),
    }
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            clients = [pool.submit(client_loop, server.base, n, tickets, tally) for n in range(CLIENTS)]
            time.sleep(WARM_UP)
            warm_rss = process.memory_info().rss
            time.sleep(SECONDS - WARM_UP)
            stop.set()
            for done in clients:
                done.result()
        end_rss = process.memory_info().rss
    finally:
        server.stop()
    depth = queued(db_url)
    requests = sum(tally.answers.values())
    figures = {
        "seconds": SECONDS,
        "requests": requests,
        "requests_per_second": round(requests / SECONDS, 1),
        "escalations_accepted": len(tally.escalations),
        "claimed": tally.claimed,
        "queue_depth": depth,
        "rss_after_warm_up_mb": round(warm_rss / 2**20, 1),
        "rss_end_mb": round(end_rss / 2**20, 1),
        "rss_growth_percent": round(100 * (end_rss - warm_rss) / warm_rss, 2),
    }
    for name, value in figures.items():
        record_property(name, value)
    print(f"\nsoak: {figures}; answers {dict(tally.answers)}")

    assert tally.errors() == {}
    assert tally.answers["calm", "200"] > 0 and tally.claimed > 0  # the mix really ran
    assert end_rss < 1.10 * warm_rss
    assert depth == len(tally.escalations) - tally.claimed
