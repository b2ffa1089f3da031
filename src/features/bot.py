"""The bot's own confidence: an unsure answer that the customer comes back to is a reason to escalate.

Bot platforms report how sure they were of each answer (``confidence`` on ``bot`` messages). A ticket
where the bot was unsure, or grew less sure, and the customer wrote again, is one the bot is failing.
Platforms that do not report it leave the figures neutral (full confidence) and ``reported`` at 0.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features.conversation import Turn, messages_column

BOT_FIGURES = ["last", "lowest", "low_turns", "low_then_customer", "reported"]


def bot_confidence(turns: Sequence[Turn], low: float = 0.5) -> dict[str, float]:
    """Last and lowest bot confidence, unsure bot turns, those the customer answered, turns reported.

    ``low_turns`` counts bot turns below ``low``; ``low_then_customer`` those the customer wrote after;
    ``reported`` the bot turns that carried a confidence at all.

    Example:
        >>> turns = [Turn("customer", "hi"), Turn("bot", "maybe this?", 0.3), Turn("customer", "no")]
        >>> bot_confidence(turns)
        {'last': 0.3, 'lowest': 0.3, 'low_turns': 1.0, 'low_then_customer': 1.0, 'reported': 1.0}

    """
    scored = [(i, t.confidence) for i, t in enumerate(turns) if t.role == "bot" and t.confidence is not None]
    if not scored:
        return {"last": 1.0, "lowest": 1.0, "low_turns": 0.0, "low_then_customer": 0.0, "reported": 0.0}
    values = [c for _, c in scored]
    answered = sum(1 for i, c in scored if c < low and any(t.role == "customer" for t in turns[i + 1 :]))
    return {
        "last": float(values[-1]),
        "lowest": float(min(values)),
        "low_turns": float(sum(c < low for c in values)),
        "low_then_customer": float(answered),
        "reported": float(len(values)),
    }


class BotConfidence(TransformerMixin, BaseEstimator):
    """``bot_confidence`` figures as model features.

    Args:
        low: Confidence below which a bot answer counts as unsure.

    Example:
        >>> X = pd.Series([[Turn("customer", "hi"), Turn("bot", "hm", 0.2), Turn("customer", "??")]])
        >>> BotConfidence().fit(X).transform(X).tolist()
        [[0.2, 0.2, 1.0, 1.0, 1.0]]

    """

    def __init__(self, low: float = 0.5) -> None:
        self.low = low

    def fit(self, X: pd.Series, y: object = None) -> BotConfidence:
        """Nothing to learn; returns self."""
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket with the figures in ``BOT_FIGURES`` order."""
        rows = [
            [f[n] for n in BOT_FIGURES] for f in (bot_confidence(t, self.low) for t in messages_column(X))
        ]
        return np.asarray(rows, dtype=float).reshape(len(rows), len(BOT_FIGURES))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``bot_<figure>`` for each figure."""
        return np.asarray([f"bot_{n}" for n in BOT_FIGURES], dtype=object)
