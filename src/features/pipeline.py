"""The one model object: feature transformers and a classifier in a single scikit-learn Pipeline.

Training fits it, batch scoring and the API call it, and the MLflow model wraps it; no feature code
exists anywhere else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ticketbuddy.features.bot import BotConfidence
from ticketbuddy.features.complexity import Complexity
from ticketbuddy.features.conversation import CUSTOMER_NUMERIC, TicketParser
from ticketbuddy.features.customer import customer_value_features
from ticketbuddy.features.sentiment import SentimentTrajectory
from ticketbuddy.features.shape import ConversationShape
from ticketbuddy.features.text import TextEmbedder
from ticketbuddy.features.triggers import Specs, TriggerSignals
from ticketbuddy.features.words import WordScore


@dataclass(frozen=True)
class TextSettings:
    """Which turns the embedding reads, and how it batches them (``params.yaml`` ``train.text``)."""

    scope: str = "customer"
    last_k: int = 0
    batch_size: int = 64
    word_score: bool = True
    pooling: str = "text"


def _scaled(step: BaseEstimator) -> Pipeline:
    return Pipeline([("extract", step), ("scale", StandardScaler())])


def build_features(families: Specs, text: TextSettings | None = None, others: Sequence[str] = ()) -> Pipeline:
    """The feature half of the model: parse, then the groups of features the heads read.

    Groups: text, sentiment, shape, triggers, the bot's confidence, complexity, customer value, words.

    Args:
        families: Trigger families (normally ``Policy.trigger_specs()``; bare keyword lists work too).
        others: Messages of no family the examples are told from (``Policy.other_examples``).
        text: Embedding settings; defaults to the customer's turns, all of them.

    """
    text = text or TextSettings()
    columns = ColumnTransformer(
        [
            (
                "text",
                TextEmbedder(
                    scope=text.scope, last_k=text.last_k, batch_size=text.batch_size, pooling=text.pooling
                ),
                "messages",
            ),
            ("sentiment", _scaled(SentimentTrajectory()), "messages"),
            ("shape", _scaled(ConversationShape()), "messages"),
            ("triggers", TriggerSignals(families, others=tuple(others)), "messages"),
            ("bot", BotConfidence(), "messages"),
            ("complexity", _scaled(Complexity()), "messages"),
            ("customer", customer_value_features(), ["tier", "channel", *CUSTOMER_NUMERIC]),
            # The customer id only counts who wrote a term (``words.shared_terms``); it is no feature.
            *([("words", _scaled(WordScore()), ["messages", "customer_id"])] if text.word_score else []),
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


def use_encoder_at(pipeline: Pipeline, path: str) -> None:
    """Point every step that embeds text (the ticket, its sentences) at one encoder directory."""
    text_embedder(pipeline).model_path = path
    columns = pipeline.named_steps["features"]
    fitted = getattr(columns, "named_transformers_", {})
    for name in ("triggers", "complexity"):
        step = fitted.get(name) if hasattr(fitted, "get") else None
        if step is None:
            continue
        step = step.named_steps["extract"] if isinstance(step, Pipeline) else step
        if hasattr(step, "encoder_path"):
            step.encoder_path = path
