"""A generated week of live traffic, monitored day by day: the data behind docs/img/live_dashboard.png.

Everything goes into a fresh folder (``--out``, default ``build/demo-week``), never the project's
stores: a small model is trained into ``<out>/mlflow.db`` (skipped when that store already has a
champion), then each of the last seven days gets ``--per-day`` generated tickets scored through the
real ``Intake`` on a ``FakeClock`` placed in that day, with the last two days drifted
(``ticketbuddy data synth --drift``: a new topic, more VIP and social-media tickets, a changed rule).
Agents claim and resolve most hand-offs (needed when the generated label says so), QA reviews kept tickets
(every one that needed a human, a third of the rest), and customers who come back are caught as
probable misses. Finally ``ticketbuddy monitor --window 1d --backfill 7`` logs one run per day to
``ticket-escalation-live``.

Run:
    .venv/bin/python scripts/demo_week.py --out build/demo-week
    MLFLOW_TRACKING_URI=sqlite:///build/demo-week/mlflow.db make mlflow-ui
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketbuddy.schemas import Ticket

BIN = Path(sys.executable).parent
DAYS, DRIFTED_DAYS = 7, 2


def ticketbuddy(*args: str) -> subprocess.CompletedProcess[str]:
    """Run a ``ticketbuddy`` command of this environment, echoing it."""
    print("$ ticketbuddy", " ".join(args), flush=True)
    return subprocess.run([str(BIN / "ticketbuddy"), *args], text=True, check=False)


def train_model(out: Path) -> None:
    """Train and promote a small model into the demo's MLflow store, unless it has a champion."""
    from ticketbuddy.scoring.lookup import ModelUnavailable, champion

    try:
        champion()
        return
    except ModelUnavailable:
        pass
    ticketbuddy("data", "synth", "--n", "2000", "--seed", "11", "--out", str(out / "train.jsonl"))
    ticketbuddy("data", "synth", "--n", "600", "--seed", "12", "--out", str(out / "test.jsonl"))
    done = ticketbuddy("train", "--data", str(out / "train.jsonl"), "--test-data", str(out / "test.jsonl"),
                       "--out-dir", str(out / "models"))  # fmt: skip
    if done.returncode != 0:
        raise SystemExit("demo: training failed")


def day_tickets(out: Path, day: int, n: int, drift: bool) -> list:
    """Generated tickets for one day (seed per day), drifted when asked."""
    from ticketbuddy.data.jsonl import read_tickets

    path = out / f"day-{day}.jsonl"
    ticketbuddy("data", "synth", "--n", str(n), "--seed", str(500 + day), "--out", str(path),
                *(["--drift"] if drift else []))  # fmt: skip
    return read_tickets(path, labelled=True).tickets


def at(ticket, when: datetime) -> Ticket:  # noqa: ANN001 - a LabelledTicket
    """The ticket as the API would receive it ``when``: no labels, messages keeping their spacing."""
    shift = when - ticket.created_at
    data = ticket.model_dump(mode="json", exclude={"escalated", "priority", "route", "triggers"})
    data["created_at"] = when.isoformat()
    for message in data["messages"]:
        message["sent_at"] = (datetime.fromisoformat(message["sent_at"]) + shift).isoformat()
    return Ticket.model_validate(data)


def set_time(clock, when: datetime) -> None:  # noqa: ANN001 - a FakeClock
    """Put the fake clock at ``when`` (earlier or later)."""
    clock.advance(seconds=(when - clock.now()).total_seconds())


def play_day(intake, queue, desk, scorer, clock, tickets, rng: random.Random) -> None:  # noqa: ANN001
    """Score the day's tickets through the intake; then agents claim and resolve, QA gives verdicts."""
    from ticketbuddy.handoff.feedback import Verdict

    start, spacing = clock.now(), timedelta(hours=20) / max(len(tickets), 1)
    made, kept = [], []
    for i, ticket in enumerate(tickets):
        set_time(clock, start + i * spacing)
        scored = intake.score(at(ticket, clock.now()), scorer)
        if scored.handoff is not None and scored.handoff.ticket_id == ticket.ticket_id:
            made.append((clock.now(), scored.handoff.handoff_id, ticket.escalated))
        elif not scored.escalate:
            kept.append((ticket.ticket_id, ticket.escalated))
    for created, handoff_id, needed in made:
        if rng.random() < 0.85:
            set_time(clock, created + timedelta(minutes=rng.uniform(2, 90)))
            agent = f"agent-{rng.randint(1, 6)}"
            queue.claim(handoff_id, agent_id=agent)
            queue.resolve(handoff_id, "needed" if needed else "not_needed", agent_id=agent)
    set_time(clock, start + timedelta(hours=22))
    for ticket_id, needed in kept:  # QA reviews every kept ticket that needed a human, a third of the rest
        if needed or rng.random() < 0.3:
            desk.give(Verdict(ticket_id=ticket_id, should_have_escalated=needed, source="qa"))


def main() -> None:
    """Build the demo week and monitor it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/demo-week"))
    parser.add_argument("--per-day", type=int, default=120)
    args = parser.parse_args()
    out: Path = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{out / 'mlflow.db'}"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    train_model(out)
    db = out / "handoffs.db"
    db.unlink(missing_ok=True)
    week_start = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=DAYS)
    fill(out, f"sqlite:///{db}", week_start, args.per_day)
    done = ticketbuddy("monitor", "--window", "1d", "--backfill", str(DAYS), "--db-url", f"sqlite:///{db}")
    print(f"monitor exit code {done.returncode} (3 = an alert was raised); store {db}")


def fill(out: Path, url: str, week_start: datetime, per_day: int) -> None:
    """Seven days of traffic, the last two drifted, into the store at ``url``."""
    from ticketbuddy.handoff.clock import FakeClock
    from ticketbuddy.handoff.feedback import FeedbackDesk
    from ticketbuddy.handoff.intake import Intake
    from ticketbuddy.handoff.queue import HandoffQueue
    from ticketbuddy.handoff.store import HandoffStore
    from ticketbuddy.policy.model import load_policy
    from ticketbuddy.scoring.scorer import Scorer, load_model

    scorer = Scorer(load_policy(), load_model("models:/ticket-escalation@champion"))
    store, clock, rng = HandoffStore(url), FakeClock(week_start), random.Random(7)
    intake, queue, desk = (
        Intake(store, clock, timedelta(hours=72)),
        HandoffQueue(store, clock),
        FeedbackDesk(store, clock),
    )
    for day in range(DAYS):
        set_time(clock, week_start + timedelta(days=day, hours=1))
        tickets = day_tickets(out, day, per_day, drift=day >= DAYS - DRIFTED_DAYS)
        play_day(intake, queue, desk, scorer, clock, tickets, rng)
    store.close()


if __name__ == "__main__":
    main()
