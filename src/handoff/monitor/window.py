"""One window of live traffic as a table: a row per ticket scored in it, with how it turned out.

The **cohort** of a window is every ticket with a scoring in ``[start, end)``. Each row says what the
service decided (escalated if any scoring in the window escalated it), whether the rules decided alone,
the ticket's latest verdict (explicit beats inferred, as for labels) and — when the ticket's own
hand-off was created in the window — its outcome, minutes to claim, SLA breaches and re-routes.
Verdicts and outcomes are read as they stand when the monitor runs, so running a window again later
picks up late verdicts. Only names, flags and figures are read: no customer text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from ticketbuddy.handoff.feedback import entry, label_of
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.handoff.tables import feedback, handoff_events, handoffs, scorings

COLUMNS = [
    "ticket_id", "channel", "tier", "route", "escalated", "rules_only", "probability", "families",
    "customer_chars", "explicit_miss", "probable_miss", "confirmed", "outcome",
    "claim_minutes", "sla_breaches", "reroutes",
]  # fmt: skip


@dataclass(frozen=True)
class Window:
    """A half-open time window ``[start, end)`` in UTC."""

    start: datetime
    end: datetime

    @property
    def name(self) -> str:
        """The run name: ``2026-11-20`` for a whole day, else ``start..end`` in ISO form."""
        whole_day = self.start.time() == self.end.time() == datetime.min.time()
        if whole_day and (self.end - self.start).days == 1:
            return self.start.date().isoformat()
        return f"{self.start.isoformat(timespec='minutes')}..{self.end.isoformat(timespec='minutes')}"


def windows(length: timedelta, until: datetime | None, count: int, now: datetime) -> list[Window]:
    """The ``count`` windows ending at ``until`` (default: ``now`` floored to the length), oldest first."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    end = until or epoch + ((now - epoch) // length) * length
    return [Window(end - k * length, end - (k - 1) * length) for k in range(count, 0, -1)]


def read_window(store: HandoffStore, window: Window) -> tuple[pd.DataFrame, int]:
    """The window's cohort (one row per ticket, ``COLUMNS``) and its number of scoring requests."""
    with store.reading() as conn:
        rows = _scorings(conn, window)
        if not rows:
            return pd.DataFrame(columns=COLUMNS), 0
        ids = sorted({r.ticket_id for r in rows})
        verdicts = _verdicts(conn, ids)
        own = _handoffs(conn, ids, window)
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.ticket_id, []).append(row)
    tickets = [_ticket_row(tid, grouped[tid], verdicts, own) for tid in ids]
    return pd.DataFrame(tickets, columns=COLUMNS), len(rows)


def _scorings(conn: Connection, window: Window) -> list[Any]:
    query = (
        select(scorings)
        .where(scorings.c.at >= window.start, scorings.c.at < window.end)
        .order_by(scorings.c.at, scorings.c.scoring_id)
    )
    return list(conn.execute(query))


def _verdicts(conn: Connection, ids: list[str]) -> dict[str, Any]:
    """Each ticket's labelling verdict (``label_of``), for the tickets that have any."""
    by_ticket: dict[str, list[Any]] = {}
    for chunk in _chunks(ids):
        for row in conn.execute(select(feedback).where(feedback.c.ticket_id.in_(chunk))):
            by_ticket.setdefault(row.ticket_id, []).append(entry(row))
    return {tid: label_of(entries) for tid, entries in by_ticket.items()}


def _handoffs(conn: Connection, ids: list[str], window: Window) -> dict[str, dict[str, Any]]:
    """The tickets' own hand-offs created in the window: outcome, minutes to claim, breaches, re-routes."""
    reroutes = (
        select(handoff_events.c.handoff_id, func.count().label("n"))
        .where(handoff_events.c.kind == "rerouted")
        .group_by(handoff_events.c.handoff_id)
        .subquery()
    )
    out: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(ids):
        query = (
            select(handoffs, reroutes.c.n)
            .outerjoin(reroutes, reroutes.c.handoff_id == handoffs.c.handoff_id)
            .where(
                handoffs.c.ticket_id.in_(chunk),
                handoffs.c.created_at >= window.start,
                handoffs.c.created_at < window.end,
            )
        )
        for row in conn.execute(query):
            claimed = row.claimed_at
            out[row.ticket_id] = {
                "outcome": row.outcome,
                "claim_minutes": (claimed - row.created_at).total_seconds() / 60 if claimed else None,
                "sla_breaches": int(row.sla_breaches or 0),
                "reroutes": int(row.n or 0),
            }
    return out


def _ticket_row(
    ticket_id: str, rows: list[Any], verdicts: dict[str, Any], own: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """One cohort row: the last scoring's names and figures, the decision, verdict and hand-off."""
    last = rows[-1]
    escalated = any(r.escalated for r in rows)
    routed = [r.route for r in rows if r.escalated and r.route]
    verdict = verdicts.get(ticket_id)
    says_miss = verdict is not None and verdict.should_have_escalated and not escalated
    provenance = verdict.provenance if verdict is not None else None
    handoff = own.get(ticket_id, {})
    return {
        "ticket_id": ticket_id,
        "channel": last.channel,
        "tier": last.tier or "missing",
        "route": routed[-1] if routed else (verdict.route if says_miss and verdict else None),
        "escalated": escalated,
        "rules_only": bool(last.rules_only),
        "probability": last.probability,
        "families": [f for f in (last.families or "").split(",") if f],
        "customer_chars": int(last.customer_chars),
        "explicit_miss": says_miss and provenance == "explicit",
        "probable_miss": says_miss and provenance == "inferred",
        "confirmed": escalated
        and (handoff.get("outcome") == "needed" or bool(verdict and verdict.should_have_escalated)),
        "outcome": handoff.get("outcome"),
        "claim_minutes": handoff.get("claim_minutes"),
        "sla_breaches": handoff.get("sla_breaches", 0),
        "reroutes": handoff.get("reroutes", 0),
    }


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    """Ids in chunks small enough for an ``IN (...)`` on every dialect."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
