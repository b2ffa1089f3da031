"""Reading and writing ticket JSONL files without losing a line.

Every line read ends as exactly one of: a ticket, a rejected row with its line number and the
reason, or a blank line. ``lines read = tickets + rejected + blank`` always holds, so a data scientist
can reconcile counts. A UTF-8 byte-order mark at the start of the file (as Windows tools write it) is
not part of the first row; a file without a single ticket row is refused by its readers
(``no_tickets``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ticketbuddy.schemas import LabelledTicket, Ticket

T = TypeVar("T", bound=Ticket)

#: Training labels, dropped when a labelled file is read for scoring.
LABEL_FIELDS = ("escalated", "priority", "route", "triggers")
#: The UTF-8 byte-order mark some editors put at the start of a file.
UTF8_BOM = b"\xef\xbb\xbf"
#: UTF-16 byte-order marks (little- and big-endian): a file saved in the wrong encoding.
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
#: Longest line read, in bytes: a ticket of 500 messages of 20,000 characters fits well below it.
MAX_LINE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Reject:
    """A row that could not become a ticket.

    Attributes:
        line: 1-based line number in the source file.
        reason: Why it was refused, naming the field where there is one.
        raw: The row as read (cut to 2,000 characters), so it can be fixed and re-imported.

    """

    line: int
    reason: str
    raw: str

    def to_json(self) -> str:
        """One JSON line for the side file of rejected rows."""
        return json.dumps({"line": self.line, "reason": self.reason, "raw": self.raw})


@dataclass
class ReadResult(Generic[T]):
    """What came out of a file: the tickets, the rejects, the rows read and the blank lines skipped."""

    tickets: list[T] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rows_read: int = 0
    blank_lines: int = 0
    lines: dict[str, int] = field(default_factory=dict)
    """The line each ticket was read from, by ticket id (for errors found after reading)."""

    @property
    def reconciles(self) -> bool:
        """True when every row read is either a ticket or a reject."""
        return self.rows_read == len(self.tickets) + len(self.rejects)

    @property
    def lines_read(self) -> int:
        """Every line of the file: rows (tickets and rejects) and blank lines."""
        return self.rows_read + self.blank_lines

    def summary(self) -> str:
        """The reconciliation line: ``lines read 4 = tickets valid 2 + rows rejected 1 + blank lines 1``."""
        return (
            f"lines read {self.lines_read} = tickets valid {len(self.tickets)}"
            f" + rows rejected {len(self.rejects)} + blank lines {self.blank_lines}"
        )


def no_tickets(path: str | Path, result: ReadResult) -> str | None:
    """Why ``path`` holds no ticket row at all (empty, or only blank lines); None when it has rows.

    Example:
        >>> no_tickets("t.jsonl", ReadResult(blank_lines=2))
        't.jsonl holds no tickets: only 2 blank lines'
        >>> no_tickets("t.jsonl", ReadResult(rows_read=1)) is None
        True

    """
    if result.rows_read:
        return None
    blank = result.blank_lines
    if blank:
        return f"{path} holds no tickets: only {blank} blank line{'s' * (blank > 1)}"
    return f"{path} holds no tickets: the file is empty"


def format_validation_error(error: ValidationError) -> str:
    """Render a pydantic error as ``field.path: message`` parts, the field first."""
    parts = []
    for item in error.errors():
        loc = ".".join(str(p) for p in item["loc"]) or "ticket"
        parts.append(f"{loc}: {item['msg']}")
    return "; ".join(parts)


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The numbered lines of ``path``, the first without a UTF-8 byte-order mark."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            yield number, raw.removeprefix(UTF8_BOM) if number == 1 else raw


def parse_line(raw: bytes, model: type[T]) -> T | str:
    """Parse one JSONL line into ``model``; return the reason as a string when it cannot."""
    if len(raw) > MAX_LINE_BYTES:
        return f"line is {len(raw):,} bytes, more than the {MAX_LINE_BYTES:,} allowed"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if raw.startswith(UTF16_BOMS):
            return "not UTF-8 text (UTF-16: save the file as UTF-8)"
        return f"not UTF-8 text (byte {exc.start}: {raw[exc.start : exc.start + 1]!r})"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    if not issubclass(model, LabelledTicket):
        # Scoring a labelled history is normal (evaluation, backfills): the labels are not inputs.
        for name in LABEL_FIELDS:
            obj.pop(name, None)
    try:
        return model.model_validate(obj)
    except ValidationError as exc:
        return format_validation_error(exc)


def read_tickets(path: str | Path, labelled: bool = False) -> ReadResult:
    """Read a ticket JSONL file, keeping every bad row as a reject with its line number.

    Blank lines are skipped and counted (they are not rows). A ticket id seen before is rejected as a
    duplicate, naming the line of the first occurrence.

    Args:
        path: The JSONL file.
        labelled: Require the training labels (``escalated`` and friends).

    Returns:
        The tickets in file order, the rejects, the number of rows read and of blank lines.

    """
    model: type[Ticket] = LabelledTicket if labelled else Ticket
    result: ReadResult = ReadResult()
    first_seen = result.lines
    for number, raw in _lines(Path(path)):
        if not raw.strip():
            result.blank_lines += 1
            continue
        result.rows_read += 1
        parsed = parse_line(raw, model)
        if isinstance(parsed, str):
            result.rejects.append(Reject(number, parsed, _preview(raw)))
        elif parsed.ticket_id in first_seen:
            reason = f"ticket_id: duplicate of line {first_seen[parsed.ticket_id]} ({parsed.ticket_id!r})"
            result.rejects.append(Reject(number, reason, _preview(raw)))
        else:
            first_seen[parsed.ticket_id] = number
            result.tickets.append(parsed)
    return result


def _preview(raw: bytes) -> str:
    return raw[:2000].decode("utf-8", errors="replace").rstrip("\n")


def write_jsonl(records: Iterable[BaseModel | dict], path: str | Path) -> int:
    """Write models or dicts as one compact JSON object per line; return the number written."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with target.open("w", encoding="utf-8") as handle:
        for record in records:
            if isinstance(record, BaseModel):
                line = record.model_dump_json(exclude_none=True)
            else:
                line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
            handle.write(line + "\n")
            count += 1
    return count


def write_rejects(rejects: Iterable[Reject], path: str | Path) -> int:
    """Write rejected rows (line, reason, raw) as JSONL next to the output; return how many."""
    return write_jsonl((json.loads(r.to_json()) for r in rejects), path)
