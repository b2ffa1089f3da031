"""Fixtures for the hand-off queue: a real database per test, a fake clock and a rules-only scorer.

Every test that takes ``db_url`` (or ``store``, ``intake``, ``queue``) runs twice: on a SQLite file,
the default store, and on a fresh PostgreSQL database (marker ``postgres``), the store several API
replicas share.

The rules-only scorer needs no trained model, so these tests run in seconds; the trained model is
exercised through the API in tests/serve.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.postgres import postgres_database
from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.policy.model import default_policy_path, load_policy
from ticketbuddy.schemas import STORED, Ticket
from ticketbuddy.scoring.scorer import Scorer

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
LINK_WINDOW = timedelta(hours=72)
LEGAL = "I am talking to my solicitor about taking legal action against you."
# A refund demand (P3 by the refund family) in one sentence with plain anger: the whole sentence reads
# as no family (0.707), but an angry sentence does not veto (``no_family_veto_min_sentiment``).
ANGRY = "This is awful, I am furious, nobody helps me and I want a refund now."
CALM = "Do you sell gift cards?"
SOUR = "This is awful, I am furious, nobody helps me."


def make_ticket(
    ticket_id: str,
    *texts: str,
    channel: str = "chat",
    customer_id: str | None = "C-1",
    at: datetime = START,
    roles: tuple[str, ...] = (),
    stored: bool = False,
) -> Ticket:
    """A ticket whose messages are ``texts`` (customer turns unless ``roles`` says otherwise), a minute apart."""
    messages = [
        {
            "role": roles[i] if i < len(roles) else "customer",
            "text": text,
            "sent_at": (at + timedelta(minutes=i)).isoformat(),
        }
        for i, text in enumerate(texts)
    ]
    return Ticket.model_validate(
        {
            "ticket_id": ticket_id,
            "channel": channel,
            "created_at": at.isoformat(),
            "customer": {"customer_id": customer_id, "tier": "standard", "lifetime_value": 120},
            "messages": messages,
        },
        context=STORED if stored else None,  # stored: read back as accepted under older rules
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A real, empty hand-off store: a SQLite file, or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'handoffs.db'}"
    else:
        yield from postgres_database()


@pytest.fixture
def store(db_url):
    store = HandoffStore(db_url)
    yield store
    store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture(scope="session")
def rules_scorer() -> Scorer:
    """Decides by the shipped policy's rules alone: any trigger or a sour last message escalates."""
    return Scorer(load_policy(), None)


@pytest.fixture
def intake(store, clock) -> Intake:
    return Intake(store, clock, LINK_WINDOW)


@pytest.fixture
def queue(store, clock) -> HandoffQueue:
    return HandoffQueue(store, clock)


@pytest.fixture
def one_minute_policy(tmp_path: Path) -> Path:
    """The shipped policy with a 1-minute SLA on every route and a two-team chain on the fallback route."""
    raw = yaml.safe_load(default_policy_path().read_text())
    raw = copy.deepcopy(raw)
    for route in raw["routes"].values():
        route["sla_minutes"] = 1
    raw["routes"]["general_escalations"]["escalation_chain"] = ["duty_manager", "senior_cx"]
    path = tmp_path / "one-minute-policy.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path
