"""The model's input frame: one flat row per ticket, and the step that parses it back into turns.

MLflow signatures, Spark UDFs and pandas all want flat columns, so a ticket enters the model as a row
whose ``messages`` column holds the conversation as a JSON string. ``TicketParser``, the first step of
the pipeline, turns that string into a list of ``Turn`` so every later transformer reads the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.schemas import Message, Ticket

CUSTOMER_NUMERIC = ["lifetime_value", "tenure_days", "orders_12m", "prior_escalations"]
FRAME_COLUMNS = [
    "ticket_id",
    "channel",
    "created_at",
    "subject",
    "customer_id",
    "tier",
    *CUSTOMER_NUMERIC,
    "messages",
]


class Turn(NamedTuple):
    """One parsed message: who wrote it, what it says, and (bot turns) the bot's own confidence."""

    role: str
    text: str
    confidence: float | None = None


def ticket_row(ticket: Ticket) -> dict[str, object]:
    """Flatten one ticket into the model's input row (missing numbers become NaN)."""
    customer = ticket.customer
    row: dict[str, object] = {
        "ticket_id": ticket.ticket_id,
        "channel": ticket.channel,
        "created_at": ticket.created_at.isoformat(),
        "subject": ticket.subject or "",
        "customer_id": customer.customer_id or "",
        "tier": customer.tier or "",
    }
    for name in CUSTOMER_NUMERIC:
        row[name] = customer_number(getattr(customer, name))
    row["messages"] = json.dumps([_message(m) for m in ticket.messages], ensure_ascii=False)
    return row


def customer_number(value: float | int | None) -> float:
    """A customer figure as the model reads it: a float, NaN when unknown."""
    return float(value) if value is not None else np.nan


def tidy_tier(value: object) -> str:
    """A tier as the model reads it: trimmed, lower case, ``missing`` when empty or absent.

    Example:
        >>> [tidy_tier(v) for v in (" VIP ", None, float("nan"), "")]
        ['vip', 'missing', 'missing', 'missing']

    """
    return _text(value).strip().lower() or "missing"


def tidy_channel(value: object) -> str:
    """A channel as the model reads it: as given, ``missing`` when empty or absent."""
    return _text(value) or "missing"


def _text(value: object) -> str:
    """A frame cell as text; an absent value (None, NaN) as the empty string."""
    return "" if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)) else str(value)


def message_turn(message: Message) -> Turn:
    """One message as ``TicketParser`` reads it back from the frame's JSON, without the JSON."""
    return _turn(_message(message))


def _message(message: Message) -> dict[str, object]:
    """One message as the frame carries it; ``confidence`` only when the bot platform reported one."""
    item: dict[str, object] = {"role": message.role, "text": message.text}
    if message.confidence is not None:
        item["confidence"] = message.confidence
    return item


def tickets_to_frame(tickets: Iterable[Ticket]) -> pd.DataFrame:
    """The model's input frame for a batch of tickets, columns in ``FRAME_COLUMNS`` order."""
    frame = pd.DataFrame([ticket_row(t) for t in tickets], columns=FRAME_COLUMNS)
    return frame.astype({name: "float64" for name in CUSTOMER_NUMERIC})


def parse_turns(value: object) -> list[Turn]:
    """Turns from a JSON string or an already-parsed list of dicts / turns."""
    items: Any = json.loads(value) if isinstance(value, str) else (value or [])
    return [_turn(i) for i in items]


def _turn(item: Any) -> Turn:
    """One turn from a ``(role, text[, confidence])`` sequence or a message dict."""
    if isinstance(item, tuple | list):
        return Turn(str(item[0]), str(item[1]), _confidence(item[2] if len(item) > 2 else None))
    return Turn(str(item["role"]), str(item["text"]), _confidence(item.get("confidence")))


def _confidence(value: Any) -> float | None:
    """A bot confidence in [0, 1], or None when absent or not a number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return min(max(number, 0.0), 1.0) if number == number else None


def customer_texts(turns: Sequence[Turn]) -> list[str]:
    """The customer's messages, in order."""
    return [t.text for t in turns if t.role == "customer"]


def messages_column(X: pd.Series | pd.DataFrame) -> pd.Series:
    """The parsed ``messages`` column, whether a transformer gets it as a Series or a 1-column frame."""
    return X.iloc[:, 0] if isinstance(X, pd.DataFrame) else X


class TicketParser(TransformerMixin, BaseEstimator):
    """First pipeline step: parse the ``messages`` JSON and tidy the customer columns.

    Stateless; accepts frames from ``tickets_to_frame``, from a JSONL file read by pandas, or from a
    Spark UDF. Missing customer columns are added as missing values, so a frame with only
    ``ticket_id``, ``channel`` and ``messages`` can still be scored.
    """

    def fit(self, X: pd.DataFrame, y: object = None) -> TicketParser:
        """Nothing to learn; returns self."""
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """A copy of ``X`` whose ``messages`` are lists of ``Turn`` and whose numbers are floats."""
        out = X.copy()
        for name in FRAME_COLUMNS:
            if name not in out:
                out[name] = np.nan if name in CUSTOMER_NUMERIC else ""
        out["messages"] = [parse_turns(v) for v in out["messages"]]
        for name in CUSTOMER_NUMERIC:
            out[name] = pd.to_numeric(out[name], errors="coerce").astype("float64")
        out["tier"] = out["tier"].map(tidy_tier).astype(str)
        out["channel"] = out["channel"].map(tidy_channel).astype(str)
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """The frame's columns, unchanged."""
        return np.asarray(FRAME_COLUMNS, dtype=object)


@dataclass(frozen=True)
class ParsedTickets:
    """Tickets as ``TicketParser`` leaves them, without the frame: turns, and the customer columns.

    ``columns`` holds ``tier`` and ``channel`` (object arrays of text) and the ``CUSTOMER_NUMERIC``
    fields (float64, NaN when unknown), tidied by the same functions ``TicketParser`` uses.
    """

    messages: list[list[Turn]]
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.messages)


def parse_tickets(tickets: Sequence[Ticket]) -> ParsedTickets:
    """``TicketParser().transform(tickets_to_frame(tickets))`` without the frame or the JSON round trip.

    Example:
        >>> t = Ticket.model_validate({"ticket_id": "t1", "channel": "chat",
        ...     "created_at": "2026-01-01T00:00:00Z", "customer": {"tier": " VIP "},
        ...     "messages": [{"role": "customer", "text": "Hi"}]})
        >>> parsed = parse_tickets([t])
        >>> parsed.messages[0][0].text, parsed.columns["tier"][0], float(parsed.columns["orders_12m"][0])
        ('Hi', 'vip', nan)

    """
    columns: dict[str, np.ndarray] = {
        "tier": np.asarray([tidy_tier(t.customer.tier) for t in tickets], dtype=object),
        "channel": np.asarray([tidy_channel(t.channel) for t in tickets], dtype=object),
    }
    for name in CUSTOMER_NUMERIC:
        numbers = [customer_number(getattr(t.customer, name)) for t in tickets]
        columns[name] = np.asarray(numbers, dtype="float64")
    return ParsedTickets([[message_turn(m) for m in t.messages] for t in tickets], columns)
