"""What every importer shares: contract validation, the output and side files, and the reconciliation.

Every row read from an export ends in exactly one place: in a ticket that was written, in the rejects
file (with its line number and the reason, naming the field) or, for rows that are by definition not
tickets, in the skipped file. ``rows read = ticket rows + rejected + skipped`` is checked and printed,
so a data scientist can account for every row of the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from pydantic import ValidationError

from ticketbuddy.data.bots import BotCoverage
from ticketbuddy.data.importers.sources import SourceRow
from ticketbuddy.data.jsonl import Reject, format_validation_error
from ticketbuddy.schemas import LabelledTicket, Ticket

#: Rejects kept in memory for the command to print; all of them go to the rejects file.
SHOWN_REJECTS = 20


@dataclass
class ImportReport:
    """The counts of one import; they reconcile exactly.

    Attributes:
        source: The export file read.
        out: The ticket JSONL written.
        rejects_path: Where rejected rows went (only created when there are some).
        skipped_path: Where skipped rows went (only created when there are some).
        labelled: Whether tickets carry training labels (``LabelledTicket``) or not (``Ticket``).
        shows_skipped: Whether the format skips rows by design, so the count is always shown.
        rows_read: Rows read from the source (blank lines are not rows).
        tickets_written: Tickets written to ``out``.
        ticket_rows: Source rows that went into the tickets written.
        rows_rejected: Rows that could not become (part of) a valid ticket.
        rows_skipped: Rows that are not tickets by definition (e.g. a complaint without text).
        escalated: Written tickets labelled ``escalated``.
        bots: Bot messages in the tickets written, and how many carry a confidence and an intent.
        ignored: Rows (read, whether or not their ticket was written) from which a value was dropped
            rather than refused, by what was dropped, e.g. a confidence on a customer row.
        first_rejects: The first rejects, for the command to print.

    """

    source: Path
    out: Path
    rejects_path: Path
    skipped_path: Path
    labelled: bool = False
    shows_skipped: bool = False
    rows_read: int = 0
    tickets_written: int = 0
    ticket_rows: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    escalated: int = 0
    bots: BotCoverage = field(default_factory=BotCoverage)
    ignored: dict[str, int] = field(default_factory=dict)
    first_rejects: list[Reject] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        """True when every row read is in a written ticket, the rejects or the skipped rows."""
        return self.rows_read == self.ticket_rows + self.rows_rejected + self.rows_skipped

    def summary(self) -> str:
        """The reconciliation line, e.g. ``rows read 10 = tickets written 4 (from 8 rows) + ...``."""
        line = (
            f"rows read {self.rows_read} = tickets written {self.tickets_written}"
            f" (from {self.ticket_rows} rows) + rows rejected {self.rows_rejected}"
        )
        if self.shows_skipped or self.rows_skipped:
            line += f" + rows skipped {self.rows_skipped}"
        return line

    def label_balance(self) -> str | None:
        """The escalation rate of the tickets written, when they are labelled."""
        if not self.labelled:
            return None
        rate = self.escalated / self.tickets_written if self.tickets_written else 0.0
        return f"labels: escalated {self.escalated} of {self.tickets_written} tickets ({rate:.1%})"


def default_side_file(out: Path, kind: str) -> Path:
    """``tickets.jsonl`` -> ``tickets.<kind>.jsonl``, the convention of ``ticketbuddy score``."""
    return out.with_suffix(f".{kind}.jsonl")


class ImportSink:
    """Validates tickets against the contract and writes them, the rejects and the skipped rows.

    Use as a context manager. Each source row must be passed exactly once: through ``count`` when
    read, then to ``write`` (as part of a ticket), ``reject`` or ``skip``. Files are written only
    once rows arrive; on a clean exit the output exists (maybe empty) and stale side files are gone.

    Args:
        report: The report to fill in; its paths say where to write.
        model: ``Ticket``, or ``LabelledTicket`` when the import produces training labels.

    """

    def __init__(self, report: ImportReport, model: type[Ticket]) -> None:
        self.report = report
        self.model = model
        report.labelled = issubclass(model, LabelledTicket)
        self._first_line: dict[str, int] = {}
        self._files: dict[Path, IO[str]] = {}

    def __enter__(self) -> ImportSink:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for handle in self._files.values():
            handle.close()
        if exc_type is not None:
            return
        if self.report.out not in self._files:
            self._open(self.report.out).close()  # no tickets is an answer too: an empty file
        for path in (self.report.rejects_path, self.report.skipped_path):
            if path not in self._files:
                path.unlink(missing_ok=True)  # a side file left by an earlier run would mislead

    def count(self, rows: Iterable[SourceRow]) -> Iterator[SourceRow]:
        """Pass rows through, counting each as read."""
        for row in rows:
            self.report.rows_read += 1
            yield row

    def _open(self, path: Path) -> IO[str]:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._files[path] = path.open("w", encoding="utf-8")
        return handle

    def _append(self, path: Path, line: str) -> None:
        """Write a line; files are created on first use, so a source that cannot be read touches none."""
        handle = self._files.get(path) or self._open(path)
        handle.write(line + "\n")

    def reject(self, row: SourceRow, reason: str) -> None:
        """Record a row that could not become (part of) a valid ticket."""
        item = Reject(row.line, reason, row.raw)
        self.report.rows_rejected += 1
        if len(self.report.first_rejects) < SHOWN_REJECTS:
            self.report.first_rejects.append(item)
        self._append(self.report.rejects_path, item.to_json())

    def skip(self, row: SourceRow, reason: str) -> None:
        """Record a row that is not a ticket by definition (not an error)."""
        self.report.rows_skipped += 1
        self._append(self.report.skipped_path, Reject(row.line, reason, row.raw).to_json())

    def ignore(self, what: str) -> None:
        """Count a row from which ``what`` was dropped (not an error: the row is still imported)."""
        self.report.ignored[what] = self.report.ignored.get(what, 0) + 1

    def write(self, ticket: dict[str, Any], rows: Sequence[SourceRow]) -> bool:
        """Validate ``ticket`` (built from ``rows``) and write it; otherwise reject every row with the reason.

        Returns:
            True when the ticket was written.

        """
        try:
            parsed = self.model.model_validate(ticket)
        except ValidationError as exc:
            self._reject_all(rows, ticket, format_validation_error(exc))
            return False
        first = self._first_line.get(parsed.ticket_id)
        if first is not None:
            self._reject_all(rows, ticket, f"ticket_id: duplicate of line {first} ({parsed.ticket_id!r})")
            return False
        self._first_line[parsed.ticket_id] = min(row.line for row in rows)
        self._append(self.report.out, parsed.model_dump_json(exclude_none=True))
        self.report.tickets_written += 1
        self.report.ticket_rows += len(rows)
        self.report.escalated += bool(getattr(parsed, "escalated", False))
        self.report.bots.add(parsed)
        return True

    def _reject_all(self, rows: Sequence[SourceRow], ticket: dict[str, Any], reason: str) -> None:
        if len(rows) > 1:
            reason = f"ticket {ticket.get('ticket_id')!r} ({len(rows)} rows): {reason}"
        for row in rows:
            self.reject(row, reason)
