"""The column-mapping YAML of ``ticketbuddy data import mapping``: which export column is which field.

A field is either a column name (``subject: title``) or an object with the column, a value map
(compared ignoring case and extra spaces), a default for empty or unmapped cells, and for timestamps a
``strptime`` format. See ``docs/IMPORTING.md`` for a full example.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ticketbuddy.data.importers.fields import ConfidenceScale, folded_map, map_value, parse_time
from ticketbuddy.data.importers.rules import as_text
from ticketbuddy.data.importers.sources import SourceRow
from ticketbuddy.schemas import Role

CUSTOMER_FIELDS = ("customer_id", "tier", "lifetime_value", "tenure_days", "orders_12m", "prior_escalations")


class Column(BaseModel):
    """One field of the contract read from one export column.

    Attributes:
        column: The export column (a dotted path reaches into JSON objects); none for a constant.
        values: Map from export values to contract values, e.g. ``{urgent: P1}``.
        default: The value when the cell is empty (or absent), and for cells not in ``values``.
        format: ``strptime`` format, for timestamps only (default: ISO 8601 or epoch seconds).
        prefix: For ticket ids only: put before the id, or before the row number without a column.

    """

    model_config = ConfigDict(extra="forbid")

    column: str | None = None
    values: dict[str, Any] | None = None
    default: Any = None
    format: str | None = None
    prefix: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        if isinstance(data, dict) and isinstance(data.get("values"), dict):
            data = {**data, "values": {as_text(k): v for k, v in data["values"].items()}}
        return data

    @cached_property
    def _lookup(self) -> dict[str, Any]:
        return folded_map(self.values)

    def raw(self, row: SourceRow) -> Any:
        """The cell as exported (``None`` when there is no column)."""
        return row.get(self.column)

    def read(self, row: SourceRow) -> Any:
        """The cell mapped through ``values`` and ``default``."""
        return map_value(self.raw(row), self._lookup, self.default)


class Confidence(Column):
    """The bot platform's confidence in each bot message (``fields.parse_confidence`` reads it).

    Attributes:
        scale: How bare numbers are read: ``auto`` (up to 1 a fraction, above a percentage),
            ``fraction`` (0–1) or ``percent`` (0–100); ``87%`` is a percentage whatever the scale.

    """

    scale: ConfidenceScale = "auto"

    @model_validator(mode="after")
    def _no_default(self) -> Confidence:
        if self.default is not None:
            raise ValueError("no default: a confidence the platform did not report stays absent")
        if self.column is None:
            raise ValueError("name the confidence column")
        return self


class Escalated(BaseModel):
    """The escalation label: a column whose truthy values mean "went to a human".

    Attributes:
        column: The label column.
        truthy: Values meaning escalated (case ignored).
        falsy: If given, values meaning not escalated; a cell in neither list is then rejected.
            Without it, anything not truthy (including an empty cell) is ``false``.

    """

    model_config = ConfigDict(extra="forbid")

    column: str
    truthy: list[str] = Field(default_factory=lambda: ["true", "yes", "y", "1"])
    falsy: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"column": data}
        if isinstance(data, dict):
            lists = {
                k: [as_text(v) for v in data[k]] for k in ("truthy", "falsy") if isinstance(data.get(k), list)
            }
            data = {**data, **lists}
        return data


class Labels(BaseModel):
    """Training labels; with them the import writes ``LabelledTicket`` rows."""

    model_config = ConfigDict(extra="forbid")

    escalated: Escalated
    priority: Column | None = None
    route: Column | None = None


class Answer(BaseModel):
    """A reply column of a one-row-per-ticket export, added as the second turn."""

    model_config = ConfigDict(extra="forbid")

    column: str
    role: Role = "agent"

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"column": data} if isinstance(data, str) else data


class Customer(BaseModel):
    """Customer profile columns; each optional."""

    model_config = ConfigDict(extra="forbid")

    customer_id: Column | None = None
    tier: Column | None = None
    lifetime_value: Column | None = None
    tenure_days: Column | None = None
    orders_12m: Column | None = None
    prior_escalations: Column | None = None


class ColumnMapping(BaseModel):
    """A whole column mapping.

    Attributes:
        format: ``csv``, ``jsonl`` or ``parquet``; default: from the file name's extension.
        layout: ``per_ticket`` (one row is one ticket) or ``per_message`` (one row is one message; the
            rows of a ticket are grouped by ``ticket_id`` and put in time order).
        ticket_id: The id column; ``per_ticket`` may omit it, the row number (with ``prefix``) is used.
        text: The message text (``per_message``) or the customer's first message (``per_ticket``).
        role: The author role of each message (``per_message`` only), mapped to customer/agent/bot.
        answer: A reply column (``per_ticket`` only).
        confidence: The bot platform's confidence in its answer, read on bot messages only
            (``per_message`` rows whose role is ``bot``, or a ``per_ticket`` answer with ``role: bot``).
        intent: The intent label the bot platform matched, read on the same messages.
        timestamp: When the message / ticket was written; ``default`` for exports without times.
        channel: The channel column with a value map, or just a ``default``.
        subject: The subject column.
        customer: Customer profile columns.
        labels: Training label columns.
        metadata: Columns kept in ``metadata``: a list of names, or ``{key: column}``.

    """

    model_config = ConfigDict(extra="forbid")

    format: Literal["csv", "jsonl", "parquet"] | None = None
    layout: Literal["per_ticket", "per_message"] = "per_ticket"
    ticket_id: Column = Field(default_factory=Column)
    text: Column
    role: Column | None = None
    answer: Answer | None = None
    confidence: Confidence | None = None
    intent: Column | None = None
    timestamp: Column
    channel: Column
    subject: Column | None = None
    customer: Customer = Field(default_factory=Customer)
    labels: Labels | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _metadata_list(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("metadata"), list):
            data = {**data, "metadata": {str(c): str(c) for c in data["metadata"]}}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ColumnMapping:
        if self.text.column is None:
            raise ValueError("text: name the message text column")
        if self.layout == "per_message":
            if self.ticket_id.column is None:
                raise ValueError("ticket_id: the per_message layout groups rows by a ticket id column")
            if self.role is None:
                raise ValueError("role: the per_message layout needs the author role column (or a default)")
            if self.answer is not None:
                raise ValueError("answer: only for the per_ticket layout; per_message rows are turns")
        elif self.answer is None or self.answer.role != "bot":
            for name in ("confidence", "intent"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name}: per_ticket rows carry it only on an answer with role: bot")
        for name in ("timestamp", "channel"):
            spec = getattr(self, name)
            if spec.column is None and spec.default is None:
                raise ValueError(f"{name}: give a column, or a default for exports without one")
        if self.timestamp.default is not None and isinstance(
            problem := parse_time(self.timestamp.default), str
        ):
            raise ValueError(f"timestamp.default: {problem}")
        return self

    def columns(self) -> list[str]:
        """Every export column the mapping reads (they must all exist in a CSV or Parquet file)."""
        specs: list[Any] = [self.ticket_id, self.text, self.role, self.answer, self.confidence, self.intent]
        specs += [self.timestamp, self.channel]
        specs += [self.subject, *(getattr(self.customer, f) for f in CUSTOMER_FIELDS)]
        if self.labels is not None:
            specs += [self.labels.escalated, self.labels.priority, self.labels.route]
        names = [s.column for s in specs if s is not None and s.column is not None]
        return list(dict.fromkeys([*names, *self.metadata.values()]))


def load_mapping(path: Path) -> ColumnMapping:
    """Read and check a mapping YAML file; ``ValueError`` naming the file and the key at fault."""
    from ticketbuddy.data.importers.rules import load_yaml
    from ticketbuddy.data.jsonl import format_validation_error

    try:
        return ColumnMapping.model_validate(load_yaml(path))
    except ValidationError as exc:
        raise ValueError(f"{path}: {format_validation_error(exc)}") from exc
