"""Conversation shape: how long the customer has been at it, and how loudly.

A third customer message after two bot replies is a different situation from a first message with the
same words; so is a message in capitals with three exclamation marks. These counts are cheap and read
the whole conversation, not only the customer's words.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features.conversation import Turn, messages_column

SHAPE_FIGURES = [
    "customer_turns",
    "bot_turns",
    "agent_turns",
    "customer_turns_after_bot",
    "log_customer_chars",
    "exclamations",
    "caps_share",
]


def conversation_shape(turns: Sequence[Turn]) -> dict[str, float]:
    """Counts describing one conversation; see ``SHAPE_FIGURES``.

    ``customer_turns_after_bot`` counts customer turns that follow a bot reply: the customer came back
    after the AI answered, i.e. the answer did not solve it.
    """
    roles = [t.role for t in turns]
    customer = [t.text for t in turns if t.role == "customer"]
    text = " ".join(customer)
    letters = [c for c in text if c.isalpha()]
    after_bot = sum(
        1 for prev, cur in zip(roles, roles[1:], strict=False) if prev == "bot" and cur == "customer"
    )
    return {
        "customer_turns": float(len(customer)),
        "bot_turns": float(roles.count("bot")),
        "agent_turns": float(roles.count("agent")),
        "customer_turns_after_bot": float(after_bot),
        "log_customer_chars": math.log1p(len(text)),
        "exclamations": float(min(text.count("!"), 10)),
        "caps_share": sum(c.isupper() for c in letters) / len(letters) if letters else 0.0,
    }


class ConversationShape(TransformerMixin, BaseEstimator):
    """Turn counts, repeat contact after bot replies, length and shouting, as features.

    Example:
        >>> import pandas as pd
        >>> X = pd.Series([[Turn("customer", "hi"), Turn("bot", "hello"), Turn("customer", "HELP")]])
        >>> float(ConversationShape().fit(X).transform(X)[0, 3])
        1.0

    """

    def fit(self, X: pd.Series, y: object = None) -> ConversationShape:
        """Nothing to learn; returns self."""
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket with the figures in ``SHAPE_FIGURES`` order."""
        rows = [
            [shape[name] for name in SHAPE_FIGURES]
            for shape in (conversation_shape(turns) for turns in messages_column(X))
        ]
        return np.asarray(rows, dtype=float).reshape(len(rows), len(SHAPE_FIGURES))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``shape_<figure>`` for each figure."""
        return np.asarray([f"shape_{n}" for n in SHAPE_FIGURES], dtype=object)
