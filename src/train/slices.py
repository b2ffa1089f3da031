"""Metrics by slice: a model that is good on average can still miss every VIP or every long chat.

Slices: customer tier, VIP status (by the policy's VIP rule), channel, topic (from ``metadata.topic``
when the history carries it), conversation length (customer turns) and trajectory (``metadata.trajectory``
when present, otherwise read from the customer's sentiment: worsens / stays / improves).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ticketbuddy.features.conversation import Turn
from ticketbuddy.features.sentiment import customer_trajectory
from ticketbuddy.policy.engine import PolicyEngine
from ticketbuddy.schemas import Ticket
from ticketbuddy.train.metrics import classification_metrics

SLICE_COLUMNS = ["tier", "vip", "channel", "topic", "length", "trajectory"]
#: Figures reported per slice.
SLICE_FIGURES = [
    "pr_auc",
    "roc_auc",
    "recall_at_80_kept",
    "recall",
    "precision",
    "f1",
    "escalation_share",
    "base_rate",
]


def _trajectory(ticket: Ticket) -> str:
    given = ticket.metadata.get("trajectory")
    if isinstance(given, str) and given:
        return given
    change = customer_trajectory([Turn(m.role, m.text) for m in ticket.messages])["last_minus_first"]
    return "worsens" if change < -0.2 else "improves" if change > 0.2 else "stays"


def _length(ticket: Ticket) -> str:
    turns = sum(m.role == "customer" for m in ticket.messages)
    return "1 turn" if turns <= 1 else "2 turns" if turns == 2 else "3+ turns"


def slice_keys(tickets: Sequence[Ticket], engine: PolicyEngine) -> pd.DataFrame:
    """One row per ticket with its value in every slice column."""
    rows = []
    for t in tickets:
        vip = engine.is_vip(t.customer.tier, t.customer.lifetime_value)
        rows.append(
            {
                "tier": t.customer.tier or "missing",
                "vip": "vip" if vip else "non-vip",
                "channel": t.channel,
                "topic": str(t.metadata.get("topic") or "unknown"),
                "length": _length(t),
                "trajectory": _trajectory(t),
            }
        )
    return pd.DataFrame(rows, columns=SLICE_COLUMNS)


def slice_metrics(
    keys: pd.DataFrame, y: np.ndarray, proba: np.ndarray, threshold: float, min_size: int = 20
) -> pd.DataFrame:
    """Metrics for every value of every slice column with at least ``min_size`` tickets.

    Returns:
        Columns ``slice``, ``value``, ``n`` and ``SLICE_FIGURES``, sorted by slice then size.

    """
    y = np.asarray(y, dtype=int)
    proba = np.asarray(proba, dtype=float)
    rows = []
    for column in SLICE_COLUMNS:
        for value, index in keys.groupby(column).indices.items():
            if len(index) < min_size:
                continue
            figures = classification_metrics(y[index], proba[index], threshold)
            rows.append(
                {"slice": column, "value": str(value), "n": len(index)}
                | {k: figures[k] for k in SLICE_FIGURES}
            )
    table = pd.DataFrame(rows, columns=["slice", "value", "n", *SLICE_FIGURES])
    return table.sort_values(["slice", "n"], ascending=[True, False]).reset_index(drop=True)


def slice_value(table: pd.DataFrame, column: str, value: str, figure: str) -> float:
    """One figure of one slice value, NaN when the slice is absent (too small or not present)."""
    match = table[(table["slice"] == column) & (table["value"] == value)]
    return float(match[figure].iloc[0]) if len(match) else float("nan")
