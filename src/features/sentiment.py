"""Sentiment trajectory: how the customer's mood moves over the conversation.

Each customer turn is scored with VADER (a lexicon scorer that ships its lexicon, so it runs offline
at ~19,000 texts/s), then the sequence is summarised: where it started and ended, its low point, its
slope, its largest drop between consecutive turns and how many turns were negative. A conversation that
starts calm and ends angry is a different ticket from one that starts angry and ends resolved, even
when the words are alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features.conversation import customer_texts, messages_column

TRAJECTORY_FIGURES = [
    "first",
    "last",
    "min",
    "mean",
    "slope",
    "largest_drop",
    "last_minus_first",
    "n_negative",
    "share_negative",
]


@lru_cache(maxsize=1)
def _vader() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def message_sentiment(text: str) -> float:
    """VADER compound score of one message, from -1 (very negative) to +1 (very positive)."""
    return float(_vader().polarity_scores(text)["compound"])


def trajectory(scores: Sequence[float], negative_below: float = -0.05) -> dict[str, float]:
    """Summarise a sequence of per-turn sentiment scores.

    Args:
        scores: Sentiment of each customer turn, in order. An empty sequence gives neutral figures.
        negative_below: A turn scoring below this counts as negative.

    Returns:
        The figures named in ``TRAJECTORY_FIGURES``. ``slope`` is the least-squares slope per turn
        (0 for a single turn); ``largest_drop`` is the largest fall between consecutive turns (>= 0).

    Example:
        >>> trajectory([0.5, -0.5])["largest_drop"]
        1.0

    """
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        values = np.zeros(1)
    steps = np.diff(values)
    slope = float(np.polyfit(np.arange(values.size), values, 1)[0]) if values.size > 1 else 0.0
    negative = int((values < negative_below).sum())
    return {
        "first": float(values[0]),
        "last": float(values[-1]),
        "min": float(values.min()),
        "mean": float(values.mean()),
        "slope": slope,
        "largest_drop": float(max(0.0, -steps.min())) if steps.size else 0.0,
        "last_minus_first": float(values[-1] - values[0]),
        "n_negative": float(negative),
        "share_negative": negative / values.size,
    }


def customer_trajectory(turns: Sequence, negative_below: float = -0.05) -> dict[str, float]:
    """Trajectory figures of the customer's turns of one conversation."""
    scores = [message_sentiment(t) for t in customer_texts(turns)]
    return trajectory(scores, negative_below)


class SentimentTrajectory(TransformerMixin, BaseEstimator):
    """Per-message sentiment of the customer's turns, summarised as trajectory features.

    Args:
        negative_below: Compound score under which a turn counts as negative (VADER's usual cut-off).

    Example:
        >>> import pandas as pd
        >>> from ticketbuddy.features.conversation import Turn
        >>> X = pd.Series([[Turn("customer", "Great, thanks!")]])
        >>> SentimentTrajectory().fit(X).transform(X)[0, 0] > 0
        True

    """

    def __init__(self, negative_below: float = -0.05) -> None:
        self.negative_below = negative_below

    def fit(self, X: pd.Series, y: object = None) -> SentimentTrajectory:
        """Nothing is learned; the lexicon is fixed."""
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket with the figures in ``TRAJECTORY_FIGURES`` order."""
        rows = [
            [figures[name] for name in TRAJECTORY_FIGURES]
            for figures in (customer_trajectory(turns, self.negative_below) for turns in messages_column(X))
        ]
        return np.asarray(rows, dtype=float).reshape(len(rows), len(TRAJECTORY_FIGURES))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``sentiment_<figure>`` for each trajectory figure."""
        return np.asarray([f"sentiment_{n}" for n in TRAJECTORY_FIGURES], dtype=object)
