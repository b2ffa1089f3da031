"""Batch scoring: a JSONL file of tickets scored with the same ``Scorer`` and answers as the API.

Offline analysis: every escalation's packet is written to the output, nothing is queued and no
ticket is recorded (live tickets go through the API, whose intake stores them).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from ticketbuddy.data.jsonl import read_tickets, write_rejects
from ticketbuddy.handoff.answer import answer, preview
from ticketbuddy.handoff.domain import Scored
from ticketbuddy.schemas import Ticket
from ticketbuddy.scoring.scorer import Scorer


@dataclass(frozen=True)
class BatchReport:
    """Counts that reconcile: rows read = scored + rejected."""

    rows_read: int
    scored: int
    rejected: int
    escalated: int
    rejects_path: Path | None = None


def score_tickets(scorer: Scorer, tickets: Sequence[Ticket]) -> list[Scored]:
    """Score tickets in order, each escalation with a packet built from its own messages."""
    return [answer(scorer, a, preview(scorer, a)) for a in scorer.assess(tickets)]


def score_file(
    scorer: Scorer,
    source: str | Path,
    target: str | Path,
    rejects_path: str | Path | None = None,
    batch_size: int = 256,
) -> BatchReport:
    """Score every valid ticket of ``source`` into ``target`` (one score JSON per line, input order).

    Rows that break the contract are not scored; they are written with line number and reason to
    ``rejects_path`` when there are any (default: ``rejects_file(target)``: ``scores.jsonl`` →
    ``scores.rejects.jsonl``, beside the output, as the importers name theirs).
    """
    read = read_tickets(source)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    escalated = 0
    with (
        target.open("w", encoding="utf-8") as out,
        tqdm(total=len(read.tickets), unit="ticket", desc="scoring", disable=len(read.tickets) < 1000) as bar,
    ):
        for start in range(0, len(read.tickets), batch_size):
            batch = read.tickets[start : start + batch_size]
            for result in score_tickets(scorer, batch):
                escalated += result.escalate
                out.write(result.model_dump_json() + "\n")
            bar.update(len(batch))
    written = None
    if read.rejects:
        written = Path(rejects_path) if rejects_path else rejects_file(target)
        write_rejects(read.rejects, written)
    return BatchReport(read.rows_read, len(read.tickets), len(read.rejects), escalated, written)


def rejects_file(target: Path) -> Path:
    """Where the rejects of scoring into ``target`` go by default: its suffix becomes ``.rejects.jsonl``."""
    return target.with_suffix(".rejects.jsonl")  # never the target itself: its suffix grows
