"""Batch scoring: a JSONL file of tickets scored with the same ``Scorer`` and answers as the API.

Offline analysis: every escalation's packet is written to the output, nothing is queued and no
ticket is recorded (live tickets go through the API, whose intake stores them).

Chunks of the file are scored by ``workers`` threads at once, each running the encoder on one core
(onnxruntime releases the interpreter while it computes), and written in input order. On 2 cores two
one-thread workers scored 92.5–93.8 tickets a second where one worker with a two-thread encoder
scored 82–87 (docs/PERFORMANCE.md). The scores are the same either way: the per-token encoder gives
a text the same vector in any call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from ticketbuddy.data.jsonl import read_tickets, write_rejects
from ticketbuddy.handoff.answer import answer, preview
from ticketbuddy.handoff.domain import Scored
from ticketbuddy.schemas import Ticket
from ticketbuddy.scoring.scorer import Scorer

T = TypeVar("T")
R = TypeVar("R")


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


def in_order(work: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``work`` of each item, in the items' order, computed by up to ``workers`` threads at once.

    At most ``2 * workers`` items are in hand at a time, so a long file is never held twice in
    memory; an exception in ``work`` is raised here, for the item it failed on.

    Example:
        >>> import time
        >>> slow_first = lambda n: time.sleep(0.02 * (3 - n)) or n * 10
        >>> list(in_order(slow_first, range(4), workers=3))
        [0, 10, 20, 30]

    """
    if workers <= 1:
        yield from map(work, items)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="score") as pool:
        pending: deque[Future[R]] = deque()
        for item in items:
            pending.append(pool.submit(work, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def score_file(
    scorer: Scorer,
    source: str | Path,
    target: str | Path,
    rejects_path: str | Path | None = None,
    batch_size: int = 256,
    workers: int = 1,
) -> BatchReport:
    """Score every valid ticket of ``source`` into ``target`` (one score JSON per line, input order).

    Rows that break the contract are not scored; they are written with line number and reason to
    ``rejects_path`` when there are any (default: ``rejects_file(target)``: ``scores.jsonl`` →
    ``scores.rejects.jsonl``, beside the output, as the importers name theirs). ``workers`` chunks
    of ``batch_size`` tickets are scored at once (``in_order``).
    """
    read = read_tickets(source)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    escalated = 0
    with (
        target.open("w", encoding="utf-8") as out,
        tqdm(total=len(read.tickets), unit="ticket", desc="scoring", disable=len(read.tickets) < 1000) as bar,
    ):
        chunks = (read.tickets[i : i + batch_size] for i in range(0, len(read.tickets), batch_size))
        for results in in_order(lambda chunk: score_tickets(scorer, chunk), chunks, workers):
            for result in results:
                escalated += result.escalate
                out.write(result.model_dump_json() + "\n")
            bar.update(len(results))
    written = None
    if read.rejects:
        written = Path(rejects_path) if rejects_path else rejects_file(target)
        write_rejects(read.rejects, written)
    return BatchReport(read.rows_read, len(read.tickets), len(read.rejects), escalated, written)


def rejects_file(target: Path) -> Path:
    """Where the rejects of scoring into ``target`` go by default: its suffix becomes ``.rejects.jsonl``."""
    return target.with_suffix(".rejects.jsonl")  # never the target itself: its suffix grows
