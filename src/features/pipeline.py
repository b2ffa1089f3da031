"""The one model object: feature transformers and a classifier in a single scikit-learn Pipeline.

Training fits it, batch scoring and the API call it, and the MLflow model wraps it; no feature code
exists anywhere else.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ticketbuddy.features.conversation import CUSTOMER_NUMERIC, TicketParser
from ticketbuddy.features.customer import customer_value_features
from ticketbuddy.features.sentiment import SentimentTrajectory
from ticketbuddy.features.shape import ConversationShape
from ticketbuddy.features.text import TextEmbedder
from ticketbuddy.features.triggers import TriggerSignals
from ticketbuddy.features.words import WordScore


@dataclass(frozen=True)
class TextSettings:
    """Which turns the embedding reads, and how it batches them (``params.yaml`` ``train.text``)."""

    scope: str = "customer"
    last_k: int = 0
    batch_size: int = 64
    word_score: bool = True


def _scaled(step: BaseEstimator) -> Pipeline:
    return Pipeline([("extract", step), ("scale", StandardScaler())])


def build_features(families: Mapping[str, Sequence[str]], text: TextSettings | None = None) -> Pipeline:
    """The feature half of the model: parse, then text, sentiment, shape, triggers, value and words.

    Args:
        families: Trigger keyword families (normally ``Policy.keyword_families()``).
        text: Embedding settings; defaults to the customer's turns, all of them.

    """
    text = text or TextSettings()
    columns = ColumnTransformer(
        [
            (
                "text",
                TextEmbedder(scope=text.scope, last_k=text.last_k, batch_size=text.batch_size),
                "messages",
            ),
            ("sentiment", _scaled(SentimentTrajectory()), "messages"),
            ("shape", _scaled(ConversationShape()), "messages"),
            ("triggers", TriggerSignals(families), "messages"),
            ("customer", customer_value_features(), ["tier", "channel", *CUSTOMER_NUMERIC]),
            *([("words", _scaled(WordScore()), "messages")] if text.word_score else []),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("parse", TicketParser()), ("features", columns)])


def text_embedder(pipeline: Pipeline) -> TextEmbedder:
    """The embedding step inside a fitted or unfitted pipeline (serving repoints its model path)."""
    columns = pipeline.named_steps["features"]
    if hasattr(columns, "named_transformers_"):
        return columns.named_transformers_["text"]
    return {name: step for name, step, _ in columns.transformers}["text"]
