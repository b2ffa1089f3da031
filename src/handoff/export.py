"""Resolved hand-offs as new training labels: the agents' verdicts, in the ticket contract.

An agent who resolves a hand-off says whether a human was really needed. Each resolved hand-off
becomes one labelled ticket (the escalated ticket with every message received): ``escalated`` is
``outcome == "needed"``, with the route and priority it was handled at; a ``not_needed`` hand-off is a
false alarm, labelled ``escalated: false`` without route or priority, as in the training histories.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Row

from ticketbuddy.handoff import records
from ticketbuddy.handoff.linking import scoring_ticket
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.schemas import STORED, LabelledTicket, metadata_problem


@dataclass(frozen=True)
class ExportReport:
    """Counts that reconcile: resolved = needed + not needed."""

    resolved: int
    needed: int
    not_needed: int


def labelled(row: Row) -> LabelledTicket:
    """The labelled ticket of one resolved hand-off, its verdict recorded under ``metadata.handoff``.

    The ticket's own metadata is left out when the verdict would not fit beside it within the
    contract's limits, so that every exported line reads back as a valid labelled ticket.
    """
    ticket = scoring_ticket(row.ticket)
    needed = row.outcome == "needed"
    verdict = {
        "handoff_id": row.handoff_id,
        "outcome": row.outcome,
        "resolved_at": _iso(row.resolved_at),
        "agent": row.claimed_by,
        "model_version": row.model_version,
    }
    metadata = {**ticket.metadata, "handoff": verdict}
    if metadata_problem(metadata):  # no room left for the verdict: the label matters more
        metadata = {"handoff": verdict}
    fields = {
        **ticket.model_dump(exclude={"metadata"}),
        "metadata": metadata,
        "escalated": needed,
        "priority": row.priority if needed else None,
        "route": row.route if needed else None,
    }
    return LabelledTicket.model_validate(fields, context=STORED)  # accepted under the rules of its day


def export_resolved(store: HandoffStore, out: str | Path) -> ExportReport:
    """Write every resolved hand-off to ``out`` as labelled ticket JSONL (one line each)."""
    with store.reading() as conn:
        rows = records.resolved(conn)
    target = Path(out)
    target.parent.mkdir(parents=True, exist_ok=True)
    needed = 0
    with target.open("w", encoding="utf-8") as handle:
        for row in rows:
            label = labelled(row)
            needed += label.escalated
            handle.write(label.model_dump_json(exclude_none=True) + "\n")
    return ExportReport(len(rows), needed, len(rows) - needed)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
