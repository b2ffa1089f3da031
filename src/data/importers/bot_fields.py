"""The bot platform's ``confidence`` and matched ``intent`` of a message row in a column mapping.

The contract keeps both for bot messages. On a bot row a bad confidence (a word, more than 100 %)
rejects the row, naming the field and column, as a bad timestamp does. On a customer or agent row a
filled cell is not an error in the row's message, only a value the contract has no place for: it is
dropped and counted, and the import prints how many rows it dropped it from (``ImportReport.ignored``),
rather than failing the whole ticket.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ticketbuddy.data.importers.fields import clean, parse_confidence
from ticketbuddy.data.importers.mapping_config import Column, ColumnMapping
from ticketbuddy.data.importers.sources import SourceRow


def _label(field: str, spec: Column) -> str:
    return f"{field} (column {spec.column!r})" if spec.column else field


def ignored_note(field: str, spec: Column, role: str | None) -> str:
    """The key under which rows whose ``field`` was dropped are counted, e.g. on customer rows.

    Example:
        >>> ignored_note("confidence", Column(column="score"), "customer")
        "confidence (column 'score') on customer rows: ignored (bot messages only)"

    """
    rows = f"{role} rows" if role else "rows without a bot message"
    return f"{_label(field, spec)} on {rows}: ignored (bot messages only)"


def bot_fields(
    mapping: ColumnMapping, row: SourceRow, role: str | None, ignore: Callable[[str], None]
) -> dict[str, Any] | str:
    """The ``confidence`` and ``intent`` of the message of ``row``, or the reason the row is refused.

    Args:
        mapping: The column mapping (fields it does not map are left out).
        row: The source row.
        role: The message's role, ``None`` when the row has no message for them (a ``per_ticket``
            row with an empty answer); only ``bot`` messages carry the fields.
        ignore: Called with ``ignored_note(...)`` for each field dropped from a non-bot row.

    Returns:
        The fields to add to the message (empty cells are left out), or why the row is refused.

    """
    found: dict[str, Any] = {}
    for field in ("confidence", "intent"):
        spec: Column | None = getattr(mapping, field)
        if spec is None:
            continue
        if role != "bot":
            if clean(spec.raw(row)) is not None:
                ignore(ignored_note(field, spec, role))
            continue
        value = spec.read(row)
        if field == "confidence":
            value = parse_confidence(value, mapping.confidence.scale if mapping.confidence else "auto")
            if isinstance(value, str):
                return f"{_label(field, spec)}: {value}"
        else:
            value = clean(value)
        if value is not None:
            found[field] = value
    return found
