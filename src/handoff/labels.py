"""New training labels from what happened after each decision: ``ticketbuddy labels export``.

Three kinds of verdict become labelled tickets in the history format (``LabelledTicket`` JSONL):

- a **resolved hand-off**: the agent said whether a human was needed (provenance ``handoff``);
- an **explicit verdict** (``POST /v1/feedback``) from an agent, QA, a CSAT survey or the customer, on
  any scored ticket, kept or escalated (provenance ``feedback``);
- a **probable miss** the service inferred: a kept ticket whose customer came back and was escalated,
  or wrote again angrier after the bot's answer (provenance ``inferred``, flagged as such).

One line per ticket id: the newest explicit verdict (hand-off or feedback) wins, and an inferred one
is used only when no explicit verdict exists. Each line carries the ticket's full conversation — for a
hand-off, every linked ticket of its history in time order — and ``metadata.label`` says where the
label came from (provenance, source, when, how many verdicts the ticket had, the linked tickets).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from ticketbuddy.handoff import records
from ticketbuddy.handoff import tickets as ticket_log
from ticketbuddy.handoff.clock import shifted
from ticketbuddy.handoff.feedback import FeedbackEntry, entry
from ticketbuddy.handoff.linking import Conversation, in_time_order
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import feedback, handoffs, tickets
from ticketbuddy.schemas import MAX_MESSAGES, STORED, LabelledTicket, Ticket, metadata_problem


@dataclass(frozen=True)
class Candidate:
    """One verdict on a ticket, before deduplication."""

    ticket_id: str
    at: datetime
    escalated: bool
    provenance: str  # handoff | feedback | inferred
    source: str
    route: str | None = None
    priority: str | None = None
    handoff_id: str | None = None
    rule: str | None = None

    @property
    def explicit(self) -> bool:
        """Given by a person (a hand-off outcome or a verdict), not inferred by the service."""
        return self.provenance != "inferred"


@dataclass
class LabelsReport:
    """Counts that reconcile: verdicts read = labels written + superseded + without a conversation."""

    verdicts: Counter[str] = field(default_factory=Counter)
    written: Counter[str] = field(default_factory=Counter)
    superseded: int = 0
    forgotten: int = 0

    def describe(self) -> str:
        """One line per count, for the command's output."""
        read = ", ".join(f"{k} {v}" for k, v in sorted(self.verdicts.items())) or "none"
        written = ", ".join(f"{k} {v}" for k, v in sorted(self.written.items())) or "none"
        return (
            f"verdicts read {sum(self.verdicts.values())} ({read})\n"
            f"labels written {sum(self.written.values())} ({written}); superseded by a newer or explicit"
            f" verdict on the same ticket {self.superseded}; conversation no longer stored {self.forgotten}"
        )


def candidates(conn: Connection, since: datetime) -> list[Candidate]:
    """Every verdict given since ``since``: resolved hand-offs and feedback rows (inferred included)."""
    found = [
        Candidate(
            r.ticket_id,
            r.resolved_at,
            r.outcome == "needed",
            "handoff",
            "agent",
            r.route,
            r.priority,
            r.handoff_id,
        )
        for r in conn.execute(
            select(handoffs).where(handoffs.c.status == "resolved", handoffs.c.resolved_at >= since)
        )
    ]
    for row in conn.execute(select(feedback).where(feedback.c.at >= since)):
        verdict: FeedbackEntry = entry(row)
        found.append(
            Candidate(
                verdict.ticket_id,
                verdict.at,
                verdict.should_have_escalated,
                "inferred" if verdict.provenance == "inferred" else "feedback",
                verdict.source,
                verdict.route,
                verdict.priority,
                rule=(verdict.evidence or {}).get("rule"),
            )
        )
    return found


def chosen(found: list[Candidate]) -> dict[str, tuple[Candidate, int]]:
    """Per ticket: the newest explicit verdict, else the newest inferred one, and how many it had."""
    by_ticket: dict[str, list[Candidate]] = {}
    for candidate in found:
        by_ticket.setdefault(candidate.ticket_id, []).append(candidate)
    return {ticket_id: (_winner(verdicts), len(verdicts)) for ticket_id, verdicts in by_ticket.items()}


def _winner(verdicts: list[Candidate]) -> Candidate:
    """The deciding verdict; a "should have escalated" naming no route or priority takes the newest named."""
    best = max(verdicts, key=lambda c: (c.explicit, c.at))
    if not best.escalated:
        return best
    named = sorted((c for c in verdicts if c.escalated), key=lambda c: (c.explicit, c.at), reverse=True)
    route = best.route or next((c.route for c in named if c.route), None)
    priority = best.priority or next((c.priority for c in named if c.priority), None)
    return replace(best, route=route, priority=priority)


def export_labels(
    store: HandoffStore, out: str | Path, since: datetime, link_window: timedelta
) -> LabelsReport:
    """Write one labelled ticket per ticket with a verdict since ``since`` to ``out`` (JSONL)."""
    report = LabelsReport()
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    with store.reading() as conn, target.open("w", encoding="utf-8") as handle:
        found = candidates(conn, since)
        report.verdicts.update(c.provenance for c in found)
        picked = chosen(found)
        report.superseded = len(found) - len(picked)
        for _, (verdict, count) in sorted(picked.items()):
            label = _labelled(conn, verdict, count, link_window)
            if label is None:
                report.forgotten += 1
                continue
            report.written[verdict.provenance] += 1
            handle.write(label.model_dump_json(exclude_none=True) + "\n")
    return report


def _labelled(
    conn: Connection, verdict: Candidate, count: int, link_window: timedelta
) -> LabelledTicket | None:
    """The ticket's full conversation with its label, or None when its text is no longer stored."""
    data = conn.execute(select(tickets.c.ticket).where(tickets.c.ticket_id == verdict.ticket_id)).scalar()
    if data is None:
        return None
    conversations = _conversations(conn, verdict, data, link_window)
    ticket = Conversation.from_json(data)
    messages = [message for _, message in in_time_order(conversations)][-MAX_MESSAGES:]
    label: dict[str, Any] = {
        "provenance": verdict.provenance,
        "source": verdict.source,
        "at": verdict.at.isoformat(),
        "verdicts": count,
        "linked_tickets": [c.ticket_id for c in conversations if c.ticket_id != ticket.ticket_id],
    }
    if verdict.rule:
        label["rule"] = verdict.rule
    base = Ticket.model_validate({**data, "messages": data["messages"][:1]}, context=STORED)
    metadata = {**base.metadata, "label": label}
    if metadata_problem(metadata):
        metadata = {"label": label}
    fields = {
        **base.model_dump(exclude={"metadata", "messages"}),
        "messages": messages,
        "metadata": metadata,
        "escalated": verdict.escalated,
        "route": verdict.route if verdict.escalated else None,
        "priority": verdict.priority if verdict.escalated else None,
    }
    return LabelledTicket.model_validate(fields, context=STORED)  # accepted under the rules of its day


def _conversations(
    conn: Connection, verdict: Candidate, data: dict[str, Any], link_window: timedelta
) -> list[Conversation]:
    """The ticket alone, or, when a hand-off holds it, the hand-off's whole linked history."""
    holder = records.for_ticket(conn, verdict.ticket_id)
    if holder is None:
        return [Conversation.from_json(data)]
    since = shifted(holder.created_at, -link_window)
    return ticket_log.history(conn, holder.handoff_id, holder.customer_id, since)
