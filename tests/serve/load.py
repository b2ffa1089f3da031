"""Load for the crash and soak tests: numbered tickets, client threads, and what the store holds.

The clients keep going when the server dies under them: a request that gets no answer is simply not
acknowledged. What the tests then compare is what the clients were told (the acknowledgements) with
what the store holds after a restart.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import select

from tests.serve.api import AUTH
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import handoffs

from .servers import body

CLIENTS = 20


def numbered(ticket: Any, prefix: str, count: int) -> list[dict[str, Any]]:
    """``count`` copies of ``ticket``, each its own ticket of its own customer (so none joins another's hand-off)."""
    return list(itertools.islice(endless(ticket, prefix, threading.Event()), count))


def endless(ticket: Any, prefix: str, stop: threading.Event) -> Iterator[dict[str, Any]]:
    """Numbered copies of ``ticket`` (as ``numbered``) until ``stop`` is set."""
    customer = ticket.customer.model_dump(mode="json")
    for n in itertools.count():
        if stop.is_set():
            return
        yield body(ticket, ticket_id=f"{prefix}-{n}", customer={**customer, "customer_id": f"{prefix}-C{n}"})


@dataclass
class Sent:
    """What the clients were told: the hand-off of every acknowledged ticket, and every other outcome."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, ticket_id: str, outcome: str, handoff_id: str | None = None) -> int:
        """Count one answer (``outcome`` is a status code or an error name); the acknowledgements so far."""
        with self._lock:
            self.outcomes[outcome] += 1
            if outcome == "200" and handoff_id is not None:
                self.acknowledged[ticket_id] = handoff_id
            elif outcome == "200":
                self.kept.add(ticket_id)
            return len(self.acknowledged)


def send(client: httpx.Client, base: str, ticket: dict[str, Any], sent: Sent) -> int:
    """POST one ticket to /v1/score and record its outcome; a dead server is an outcome, not an error."""
    try:
        response = client.post(f"{base}/v1/score", json=ticket, timeout=120)
    except httpx.TransportError as exc:
        return sent.record(ticket["ticket_id"], type(exc).__name__)
    outcome = str(response.status_code)
    if response.status_code == 503 and "retry-after" not in response.headers:
        outcome = "503 without Retry-After"
    handoff = response.json().get("handoff") if response.status_code == 200 else None
    return sent.record(ticket["ticket_id"], outcome, handoff and handoff["handoff_id"])


def submit(
    base: str,
    tickets: Iterable[dict[str, Any]],
    clients: int = CLIENTS,
    on_answer: Callable[[int], None] | None = None,
    sent: Sent | None = None,
) -> Sent:
    """Send every ticket from ``clients`` threads at once; ``on_answer`` hears the acknowledgement count.

    ``tickets`` may be endless (a generator that stops when told); ``sent`` lets the caller watch the
    answers while they come in.
    """
    sent = sent if sent is not None else Sent()
    pending = iter(tickets)
    lock = threading.Lock()

    def client_loop() -> None:
        with httpx.Client(headers=AUTH) as client:
            while True:
                with lock:
                    ticket = next(pending, None)
                if ticket is None:
                    return
                count = send(client, base, ticket, sent)
                if on_answer is not None:
                    on_answer(count)

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(client_loop) for _ in range(clients)]:
            future.result()
    return sent


def stored_handoffs(db_url: str) -> dict[str, list[str]]:
    """Every ticket with a hand-off in the store, and its hand-off ids (one each, if nothing is duplicated)."""
    store = HandoffStore(db_url)
    try:
        with store.reading() as conn:
            rows = conn.execute(select(handoffs.c.ticket_id, handoffs.c.handoff_id)).all()
    finally:
        store.close()
    found: dict[str, list[str]] = {}
    for ticket_id, handoff_id in rows:
        found.setdefault(ticket_id, []).append(handoff_id)
    return found


def crash_counts(sent: Sent, found: dict[str, list[str]]) -> dict[str, int]:
    """Acknowledged, found after restart, duplicated (a ticket with two hand-offs), lost (acknowledged, absent)."""
    present = [t for t, h in sent.acknowledged.items() if h in found.get(t, [])]
    return {
        "acknowledged": len(sent.acknowledged),
        "found_after_restart": len(present),
        "duplicated": sum(1 for ids in found.values() if len(ids) > 1),
        "lost": len(sent.acknowledged) - len(present),
    }
