"""A small live store filled through the real Intake on a fake clock, with counts known by hand.

Day 1 (2026-11-20): four legal complaints are escalated (E1–E4, chat) and four calm questions kept
(K1, K2 by email; K3, K4 by chat). E1, E2 and E3 are claimed 10, 20 and 40 minutes after they were
made and resolved needed, not needed, needed; E4 is never claimed, so the SLA sweeper re-routes it and,
its chain exhausted, records a breach. QA says K1 should have gone to a human (an explicit miss), an
agent says K3 was rightly kept. Day 2 (2026-11-21): K2's customer comes back with a legal complaint
(escalated, so K2 becomes a probable miss) and one more calm question is kept.

The calm questions carry a distinctive name and e-mail address, which must appear in no metric, param,
tag or artifact of the monitor's runs.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ticketbuddy.cli import app
from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.feedback import FeedbackDesk, Verdict
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.queue import HandoffQueue
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.sweeper import sweep
from ticketbuddy.policy.model import load_policy
from ticketbuddy.schemas import Ticket

DAY1 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
DAY2 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
SECRET_NAME = "Zebedee Quixotefield"
SECRET_EMAIL = "zebedee.quixote@example.org"
CALM = f"Hi, I'm {SECRET_NAME} ({SECRET_EMAIL}). Could you tell me which days you deliver to my area? Thanks."
LEGAL = [
    "Third time I'm asking. My solicitor is preparing a claim against your company.",
    "I want a manager to call me today or we will see you in court.",
]


def ticket(ticket_id: str, texts: list[str], channel: str, customer: str, at: datetime) -> Ticket:
    """A standard-tier ticket of customer turns a minute apart."""
    return Ticket.model_validate(
        {
            "ticket_id": ticket_id,
            "channel": channel,
            "created_at": at.isoformat(),
            "customer": {"customer_id": customer, "tier": "standard", "lifetime_value": 120},
            "messages": [
                {"role": "customer", "text": t, "sent_at": (at + timedelta(minutes=i)).isoformat()}
                for i, t in enumerate(texts)
            ],
        }
    )


@dataclass
class Scenario:
    """The filled store and what happened in it, as the test's own record."""

    url: str
    decisions: dict[str, bool]
    moves: Counter


def _fill(url: str, scorer) -> Scenario:
    store = HandoffStore(url)
    clock = FakeClock(DAY1)
    intake, queue = Intake(store, clock, timedelta(hours=72)), HandoffQueue(store, clock)
    decisions, handoffs = {}, {}
    day1 = [(f"E{i}", LEGAL, "chat") for i in range(1, 5)]
    day1 += [("K1", [CALM], "email"), ("K2", [CALM], "email"), ("K3", [CALM], "chat"), ("K4", [CALM], "chat")]
    for ticket_id, texts, channel in day1:
        scored = intake.score(ticket(ticket_id, texts, channel, f"C-{ticket_id}", clock.now()), scorer)
        decisions[ticket_id] = scored.escalate
        handoffs[ticket_id] = scored.handoff.handoff_id if scored.handoff else None
    for ticket_id, minutes in (("E1", 10), ("E2", 10), ("E3", 20)):  # claimed at +10, +20, +40 min
        clock.advance(minutes=minutes)
        queue.claim(handoffs[ticket_id], agent_id="agent-1")
    for ticket_id, outcome in (("E1", "needed"), ("E2", "not_needed"), ("E3", "needed")):
        queue.resolve(handoffs[ticket_id], outcome, agent_id="agent-1")
    desk = FeedbackDesk(store, clock)
    desk.give(Verdict(ticket_id="K1", should_have_escalated=True, source="qa", route="legal_compliance"))
    desk.give(Verdict(ticket_id="K3", should_have_escalated=False, source="agent"))
    moves: Counter = Counter()
    while not moves["sla_breached"]:
        clock.advance(hours=5)
        moves.update(m.kind for m in sweep(store, load_policy(), clock).moves)
    clock.advance(seconds=(DAY2 - clock.now()).total_seconds())
    for ticket_id, texts, channel, customer in (
        ("R2", LEGAL, "chat", "C-K2"),
        ("K5", [CALM], "chat", "C-K5"),
    ):
        decisions[ticket_id] = intake.score(
            ticket(ticket_id, texts, channel, customer, clock.now()), scorer
        ).escalate
    store.close()
    return Scenario(url, decisions, moves)


@pytest.fixture(scope="module")
def scenario(scorer, tmp_path_factory) -> Scenario:
    """The two days of traffic above in a fresh SQLite store."""
    path = tmp_path_factory.mktemp("live") / "handoffs.db"
    return _fill(f"sqlite:///{path}", scorer)


def params_file(folder: Path, experiment: str | None = None, **alerts: float) -> tuple[Path, str]:
    """A params file with a monitor section of its own experiment (so tests never share runs)."""
    name = experiment or f"live-{uuid.uuid4().hex[:8]}"
    section = {"experiment": name, "min_tickets": int(alerts.pop("min_tickets", 1)), "alerts": alerts}
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"monitor": section}))
    return path, name


def run_monitor(url: str, params: Path, until: str = "2026-11-22", backfill: int = 2, *extra: str):
    """``ticketbuddy monitor`` as cron runs it."""
    args = ["monitor", "--window", "1d", "--until", until, "--backfill", str(backfill), "--db-url", url]
    return CliRunner().invoke(app, [*args, "--params", str(params), *extra])


def runs_of(experiment: str) -> dict[str, object]:
    """The experiment's active runs by run name."""
    import mlflow

    found = mlflow.search_runs(experiment_names=[experiment], output_format="list")
    return {r.info.run_name: r for r in found}
