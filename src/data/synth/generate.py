"""Write a labelled ticket history: scenario, labels and conversation per ticket, as JSONL.

Everything comes from one ``random.Random(seed)`` consumed in a fixed order, times are offsets from a
fixed base date, and dictionaries are built in a fixed key order: the same seed and settings give the
same bytes on every run. The bot messages' ``confidence`` and ``intent`` come from a random source of
each ticket's own, seeded by its id (``confidence``), so they leave that stream, and with it every
text and label, as it was.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ticketbuddy.data.synth.confidence import annotate_bot_messages
from ticketbuddy.data.synth.config import SynthConfig
from ticketbuddy.data.synth.conversation import render_conversation
from ticketbuddy.data.synth.customers import CustomerPool, customer_record
from ticketbuddy.data.synth.labels import Labels, decide, threshold
from ticketbuddy.data.synth.scenario import Scenario, draw_scenario
from ticketbuddy.data.synth.slots import make_slots

#: Tickets are spread over the year that starts here; nothing depends on the clock.
BASE_DATE = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_DAYS = 365.0
#: Seconds between turns, by channel: (shortest, longest).
_GAPS = {
    "chat": (20, 240),
    "phone": (15, 120),
    "social": (300, 6 * 3600),
    "email": (3600, 30 * 3600),
    "web": (1800, 24 * 3600),
}
_PROGRESS_FROM = 10_000


@dataclass(frozen=True)
class SynthSummary:
    """What a run wrote: how many tickets, how many escalated, where, and how long it took."""

    tickets: int
    escalated: int
    path: Path
    seconds: float


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _metadata(sc: Scenario) -> dict[str, object]:
    """Ground truth for slicing evaluations; the model must never read it."""
    return {
        "source": "ticketbuddy-synth",
        "topic": sc.topic.name,
        "intent": sc.intent.name,
        "severity": sc.intent.severity,
        "trajectory": sc.trajectory,
        "moods": list(sc.moods),
        "resolved": sc.resolved,
        "acts": [a.kind for a in sc.acts],
        "returning_customer": sc.returning,
        "prior_contact": sc.prior_contact,
        "open_orders": sc.open_orders,
        "locale": sc.profile.locale,
        "label_flipped": sc.flip,
    }


def ticket_record(
    rng: random.Random,
    sc: Scenario,
    labels: Labels,
    ticket_id: str,
    day: float,
    missing: float,
    unreported: float = 0.0,
) -> dict[str, object]:
    """One labelled ticket in the contract's JSON shape.

    Args:
        rng: The history's random source.
        sc: The ticket's hidden facts.
        labels: The decision drawn for them.
        ticket_id: Unique id of the ticket.
        day: Days after ``BASE_DATE`` the ticket was opened.
        missing: Chance that any one customer field is missing.
        unreported: Chance that the ticket's bot messages carry no confidence (see ``confidence``).

    """
    profile = sc.profile
    slots = make_slots(rng, profile.locale, profile.first_name, profile.last_name, profile.tenure_days)
    subject, turns = render_conversation(rng, sc, slots)
    created = BASE_DATE + timedelta(days=day)
    low, high = _GAPS[sc.channel]
    moment, messages = created, []
    for role, text in turns:
        messages.append({"role": role, "text": text, "sent_at": _iso(moment)})
        moment += timedelta(seconds=low + rng.random() * (high - low))
    annotate_bot_messages(messages, sc, ticket_id, unreported)
    record: dict[str, object] = {"ticket_id": ticket_id, "channel": sc.channel, "created_at": _iso(created)}
    if subject:
        record["subject"] = subject
    record["customer"] = customer_record(rng, profile, day, missing)
    record["messages"] = messages
    record["metadata"] = _metadata(sc)
    record["escalated"] = labels.escalated
    if labels.escalated:
        record["priority"] = labels.priority
        record["route"] = labels.route
    return record


def generate(cfg: SynthConfig, n: int, seed: int) -> Iterator[dict[str, object]]:
    """Yield ``n`` labelled tickets as dicts, in time order.

    Example:
        >>> from ticketbuddy.data.synth.config import config_from_dict
        >>> next(generate(config_from_dict({}), 1, seed=1))["ticket_id"]
        'T-1-0000001'

    """
    rng = random.Random(seed)
    tag = "TD" if cfg.drifted else "T"
    pool = CustomerPool(rng, f"C{tag[1:]}-{seed}-", cfg.repeat_rate)
    threshold(cfg)  # calibrate before the first ticket, outside the per-ticket loop
    for i in range(n):
        sc = draw_scenario(rng, cfg, pool)
        labels = decide(sc, cfg)
        day = SPAN_DAYS * (i + rng.random()) / n
        ticket_id = f"{tag}-{seed}-{i + 1:07d}"
        yield ticket_record(rng, sc, labels, ticket_id, day, cfg.missing_rate, cfg.confidence_missing_rate)


def write_history(cfg: SynthConfig, n: int, seed: int, out: str | Path) -> SynthSummary:
    """Generate ``n`` tickets and write them as JSONL, with a progress bar for large runs.

    Args:
        cfg: Generator settings.
        n: Number of tickets.
        seed: Random seed; the same seed and settings give the same file, byte for byte.
        out: Output path; parent folders are created.

    """
    from tqdm import tqdm

    started = time.perf_counter()
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    escalated = 0
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        bar = tqdm(total=n, unit="ticket", disable=n < _PROGRESS_FROM, desc="synth", leave=False)
        for record in generate(cfg, n, seed):
            escalated += bool(record["escalated"])
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            bar.update()
        bar.close()
    return SynthSummary(n, escalated, path, time.perf_counter() - started)
