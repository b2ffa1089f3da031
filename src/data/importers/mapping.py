"""``ticketbuddy data import mapping``: any CSV / JSONL / Parquet helpdesk export through a column mapping.

Two layouts. ``per_ticket``: one row is one ticket, its text the customer's message, optionally
followed by an answer column as an agent or bot turn. ``per_message``: one row is one message; the
rows of a ticket are grouped by ticket id (they need not be adjacent) and put in time order, and the
ticket-level columns (channel, subject, customer, labels, metadata), which exports repeat on every
row, are taken from the first row, in time order, where they are not empty. Grouping holds the mapped
columns of every row in memory; ``per_ticket`` files are streamed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ticketbuddy.data.importers.base import ImportSink
from ticketbuddy.data.importers.bot_fields import bot_fields
from ticketbuddy.data.importers.fields import clean, is_truthy, parse_time
from ticketbuddy.data.importers.mapping_config import CUSTOMER_FIELDS, Column, ColumnMapping, Labels
from ticketbuddy.data.importers.sources import (
    SourceError,
    SourceRow,
    not_utf8_reason,
    parquet_columns,
    read_csv,
    read_header,
    read_jsonl,
    read_parquet,
    require_columns,
)
from ticketbuddy.data.jsonl import format_validation_error
from ticketbuddy.schemas import LabelledTicket, Message, Ticket

_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet"}
_WHAT = "an export with the mapped columns"
ROLES = ("customer", "agent", "bot")
#: Sorts messages without a time before the others, in file order.
_UNKNOWN_TIME = datetime.min.replace(tzinfo=UTC)


def source_format(src: Path, mapping: ColumnMapping) -> str:
    """The mapping's ``format``, else the one the file extension names."""
    fmt = mapping.format or _SUFFIXES.get(src.suffix.lower())
    if fmt is None:
        raise SourceError(
            f"{src}: cannot tell csv/jsonl/parquet from the extension; set 'format' in the mapping"
        )
    return fmt


def open_rows(src: Path, mapping: ColumnMapping) -> Iterator[SourceRow]:
    """The source's rows, after checking that a CSV or Parquet file has every mapped column.

    JSONL objects may differ from line to line, so their keys are not checked up front: a missing key
    is an empty cell.
    """
    fmt = source_format(src, mapping)
    if fmt == "csv":
        require_columns(src, read_header(src), mapping.columns(), _WHAT)
        return read_csv(src, label="import")
    if fmt == "parquet":
        require_columns(src, parquet_columns(src), mapping.columns(), _WHAT)
        return read_parquet(src, label="import")
    return read_jsonl(src, label="import")


def _named(field: str, spec: Column | None) -> str:
    return f"{field} (column {spec.column!r})" if spec is not None and spec.column else field


def _first(rows: Sequence[SourceRow], spec: Column | None) -> Any:
    """The mapped value of the first row whose cell is not empty; the default when all are."""
    if spec is None:
        return None
    for row in rows:
        if clean(spec.raw(row)) is not None:
            return spec.read(row)
    return spec.default


def _time(spec: Column, row: SourceRow) -> datetime | str:
    raw = spec.raw(row)
    if clean(raw) is None and spec.default is not None:
        return parse_time(spec.default)
    parsed = parse_time(raw, spec.format)
    return parsed if isinstance(parsed, datetime) else f"{_named('timestamp', spec)}: {parsed}"


def _message(
    mapping: ColumnMapping, row: SourceRow, role: Any, sent_at: datetime | None, sink: ImportSink
) -> dict | str:
    """One validated message, or the reason (naming the field and column) why the row has none."""
    text = mapping.text.raw(row)
    if clean(text) is None:
        return f"{_named('text', mapping.text)}: empty message"
    # per_ticket rows give confidence and intent to their answer, not to this customer message
    extra = bot_fields(mapping, row, role, sink.ignore) if mapping.layout == "per_message" else {}
    if isinstance(extra, str):
        return extra
    message = {"role": role, "text": str(text), "sent_at": sent_at, **extra}
    try:
        Message.model_validate(message)
    except ValidationError as exc:
        return "message." + format_validation_error(exc)
    return message


def _labels(rows: Sequence[SourceRow], labels: Labels) -> dict[str, Any] | str:
    spec = labels.escalated
    raw = next((r.get(spec.column) for r in rows if clean(r.get(spec.column)) is not None), None)
    escalated = is_truthy(raw, spec.truthy)
    if spec.falsy is not None and not escalated and not is_truthy(raw, spec.falsy):
        return (
            f"escalated (column {spec.column!r}): {clean(raw)!r} is neither a truthy value"
            f" ({', '.join(spec.truthy)}) nor a falsy one ({', '.join(spec.falsy)})"
        )
    return {
        "escalated": escalated,
        "priority": _first(rows, labels.priority),
        "route": _first(rows, labels.route),
    }


def _metadata(rows: Sequence[SourceRow], mapping: ColumnMapping, src: Path) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key, column in mapping.metadata.items():
        value = next((r.get(column) for r in rows if clean(r.get(column)) is not None), None)
        if value is not None:
            meta[key] = value.strip() if isinstance(value, str) else value
    meta["import"] = {"file": src.name, "line": rows[0].line}
    return meta


def build_ticket(
    mapping: ColumnMapping, src: Path, rows: Sequence[SourceRow], messages: list[dict], created: datetime
) -> dict[str, Any] | str:
    """A ticket from its rows (time-ordered) and messages, or why its labels cannot be read."""
    ident = _first(rows, mapping.ticket_id)
    if mapping.ticket_id.column is None:
        ident = rows[0].line
    subject = _first(rows, mapping.subject)
    ticket: dict[str, Any] = {
        "ticket_id": f"{mapping.ticket_id.prefix}{ident}" if ident is not None else None,
        "channel": _first(rows, mapping.channel),
        "created_at": created,
        "subject": None if subject is None else str(subject),
        "customer": {f: _first(rows, getattr(mapping.customer, f)) for f in CUSTOMER_FIELDS},
        "messages": messages,
        "metadata": _metadata(rows, mapping, src),
    }
    if mapping.labels is not None:
        labels = _labels(rows, mapping.labels)
        if isinstance(labels, str):
            return labels
        ticket.update(labels)
    return ticket


def _row_error(row: SourceRow) -> str | None:
    if "__error__" in row.values:
        return str(row.values["__error__"])
    return not_utf8_reason(row) if row.bad_column else None


def _ticket_of_row(
    mapping: ColumnMapping, src: Path, row: SourceRow, sink: ImportSink
) -> dict[str, Any] | str:
    """The ticket of one ``per_ticket`` row, or the reason it has none."""
    if error := _row_error(row):
        return error
    created = _time(mapping.timestamp, row)
    if isinstance(created, str):
        return created
    first = _message(mapping, row, "customer", created, sink)
    if isinstance(first, str):
        return first
    messages = [first]
    if mapping.answer is not None:  # confidence and intent are mapped only when its role is bot
        answer = clean(row.get(mapping.answer.column))
        extra = bot_fields(mapping, row, mapping.answer.role if answer else None, sink.ignore)
        if isinstance(extra, str):
            return extra
        if answer is not None:
            messages.append({"role": mapping.answer.role, "text": answer, **extra})
    return build_ticket(mapping, src, [row], messages, created)


def _message_of_row(mapping: ColumnMapping, row: SourceRow, sink: ImportSink) -> tuple[str, dict] | str:
    """The ticket id and message of one ``per_message`` row, or the reason it has none."""
    if error := _row_error(row):
        return error
    ident = clean(mapping.ticket_id.raw(row))
    if ident is None:
        return f"{_named('ticket_id', mapping.ticket_id)}: empty"
    sent_at: datetime | None = None
    if clean(mapping.timestamp.raw(row)) is not None:
        read = _time(mapping.timestamp, row)
        if isinstance(read, str):
            return read
        sent_at = read
    assert mapping.role is not None
    role = mapping.role.read(row)
    if role not in ROLES:
        shown = clean(mapping.role.raw(row))
        return (
            f"{_named('role', mapping.role)}: {shown!r} is not mapped to {', '.join(ROLES)} (see role.values)"
        )
    message = _message(mapping, row, role, sent_at, sink)
    return message if isinstance(message, str) else (ident, message)


def _per_ticket(mapping: ColumnMapping, src: Path, sink: ImportSink, rows: Iterator[SourceRow]) -> None:
    for row in rows:
        ticket = _ticket_of_row(mapping, src, row, sink)
        if isinstance(ticket, str):
            sink.reject(row, ticket)
        else:
            sink.write(ticket, [row])


def _group(mapping: ColumnMapping, sink: ImportSink, rows: Iterator[SourceRow]) -> dict[str, list]:
    """Rows by ticket id with their messages; rows that cannot be a message are rejected here."""
    needed = mapping.columns()
    groups: dict[str, list[tuple[SourceRow, dict]]] = {}
    for row in rows:
        found = _message_of_row(mapping, row, sink)
        if isinstance(found, str):
            sink.reject(row, found)
            continue
        row.values = {c: row.get(c) for c in needed}  # keep only what the ticket needs
        groups.setdefault(found[0], []).append((row, found[1]))
    return groups


def _per_message(mapping: ColumnMapping, src: Path, sink: ImportSink, rows: Iterator[SourceRow]) -> None:
    for items in _group(mapping, sink, rows).values():
        items.sort(key=lambda item: (item[1]["sent_at"] or _UNKNOWN_TIME, item[0].line))
        ordered = [row for row, _ in items]
        messages = [message for _, message in items]
        times = [m["sent_at"] for m in messages if m["sent_at"] is not None]
        created = min(times) if times else _time(mapping.timestamp, ordered[0])
        ticket = (
            created if isinstance(created, str) else build_ticket(mapping, src, ordered, messages, created)
        )
        if isinstance(ticket, str):
            for row in ordered:
                sink.reject(row, ticket)
        else:
            sink.write(ticket, ordered)


def import_mapping(src: Path, sink: ImportSink, mapping: ColumnMapping) -> None:
    """Import an export through ``mapping`` into ``sink``; every row is written or rejected.

    Raises:
        SourceError: The format is unknown, or a CSV / Parquet file lacks mapped columns.

    """
    rows = sink.count(open_rows(src, mapping))
    if mapping.layout == "per_ticket":
        _per_ticket(mapping, src, sink, rows)
    else:
        _per_message(mapping, src, sink, rows)


def ticket_model(mapping: ColumnMapping) -> type[Ticket]:
    """``LabelledTicket`` when the mapping has labels, else ``Ticket``."""
    return LabelledTicket if mapping.labels is not None else Ticket
