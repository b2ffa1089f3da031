"""Complexity of a complaint: several issues at once, a long story, a customer repeating, a bot looping.

A bot handles one question well; it fails on a customer with three problems on two orders who has
said the same thing twice while the bot sends the same answer again. These figures read the whole
conversation; the customer's sentences are embedded once (``SentenceEncoder`` keeps them, so the
trigger features and these share one encoder call).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from itertools import combinations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from ticketbuddy.features.conversation import Turn, messages_column
from ticketbuddy.features.encoder import EMBEDDING_DIM, encoder_variant
from ticketbuddy.features.feature_cache import remembered
from ticketbuddy.features.memo import Memo
from ticketbuddy.features.semantic import SentenceEncoder, split_sentences

COMPLEXITY_FIGURES = [
    "references",
    "topic_spread",
    "customer_repeat",
    "bot_loop",
    "customer_words",
    "customer_sentences",
]
_REFERENCE = re.compile(
    r"(?:\b(?:order|account|acct|invoice|booking|ref(?:erence)?|case|ticket|tracking|policy)"
    r"\s*(?:no\.?|number|num|id)?\s*[:#]?\s*)([a-z]{0,4}-?\d[\d-]{3,})\b|#\s?(\d{4,})\b|\b([a-z]{2,4}-\d{4,})\b",
    re.IGNORECASE,
)
_WORDS = re.compile(r"[a-z0-9']+")
_CHUNK = 512
_LOGGED = ("customer_words", "customer_sentences")  # model features on a log scale
_TOPIC_WORDS = 5
#: Figures of recent conversations, by encoder and turns: the model's features and the policy's
#: rules both read them for every ticket scored.
_FIGURES: Memo[tuple, dict[str, float]] = Memo(1024, dict, per_ticket=1)


def references(text: str) -> set[str]:
    """Distinct order, account and case references mentioned in a text (case and dashes ignored).

    Example:
        >>> sorted(references("Order #48213 and order no. 48213, also account AB-99120; ticket 5521"))
        ['48213', '5521', 'ab99120']

    """
    found = set()
    for match in _REFERENCE.finditer(text):
        value = next(g for g in match.groups() if g)
        found.add(value.lower().replace("-", ""))
    return found


def _lexical(a: str, b: str) -> float:
    """Share of words two texts have in common (Jaccard): a bot's looping template scores near 1."""
    left, right = set(_WORDS.findall(a.lower())), set(_WORDS.findall(b.lower()))
    return len(left & right) / len(left | right) if left and right else 0.0


def _turn_vectors(texts: Sequence[str], encoder: SentenceEncoder) -> np.ndarray:
    """One unit vector per turn: the mean of its sentences' vectors."""
    rows = []
    for text in texts:
        sentences = split_sentences([text]) or [text]
        mean = encoder(sentences).mean(axis=0)
        rows.append(mean / max(float(np.linalg.norm(mean)), 1e-12))
    return np.vstack(rows) if rows else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)


def _max_pair(values: np.ndarray) -> float:
    """Largest off-diagonal entry of a similarity matrix (0 with fewer than two rows)."""
    if len(values) < 2:
        return 0.0
    return float(values[~np.eye(len(values), dtype=bool)].max())


def complexity(turns: Sequence[Turn], encoder: SentenceEncoder) -> dict[str, float]:
    """The figures in ``COMPLEXITY_FIGURES`` for one conversation.

    ``topic_spread`` is one minus the mean similarity of the customer's sentences of five words or
    more to each other (0 for fewer than two: "Thanks, that fixed it!" is not a second topic);
    ``customer_repeat`` the highest similarity of two customer turns (meaning);
    ``bot_loop`` the highest word overlap of two bot turns. Kept per process for recent
    conversations: the model's features and the policy's rules both ask for every ticket.

    Example:
        >>> turns = [Turn("customer", "My order #11111 is late."), Turn("bot", "Please wait 2 days."),
        ...     Turn("customer", "My order #11111 still has not come."), Turn("bot", "Please wait 2 days.")]
        >>> figures = complexity(turns, SentenceEncoder())
        >>> figures["references"], figures["bot_loop"], figures["customer_repeat"] > 0.7
        (1.0, 1.0, True)

    """
    return complexity_many([turns], encoder)[0]


def complexity_many(
    conversations: Sequence[Sequence[Turn]], encoder: SentenceEncoder
) -> list[dict[str, float]]:
    """``complexity`` of each conversation, in order.

    Conversations seen before are answered from memory, or inside an ``embedding_cache`` block
    (training, evaluation) from disk (``feature_cache.remembered``); the rest are worked out
    ``_CHUNK`` at a time, with one encoder call per chunk.
    """
    variant = encoder_variant(encoder.directory())
    return remembered(
        _FIGURES,
        [(variant, tuple((t.role, t.text) for t in turns)) for turns in conversations],
        lambda key: json.dumps(key[1], ensure_ascii=False),
        "complexity",
        lambda: variant,
        lambda rows: _worked_out([conversations[r] for r in rows], encoder),
        (_figures_bytes, _figures_read),
    )


def _figures_bytes(figures: dict[str, float]) -> bytes:
    """The figures as 64-bit floats in ``COMPLEXITY_FIGURES`` order: read back, the very numbers."""
    return np.asarray([figures[n] for n in COMPLEXITY_FIGURES], dtype=np.float64).tobytes()


def _figures_read(blob: bytes) -> dict[str, float]:
    """``_figures_bytes`` read back."""
    return dict(zip(COMPLEXITY_FIGURES, np.frombuffer(blob, dtype=np.float64).tolist(), strict=True))


def _worked_out(conversations: Sequence[Sequence[Turn]], encoder: SentenceEncoder) -> list[dict[str, float]]:
    """``_figures`` of each conversation, the sentences of ``_CHUNK`` of them embedded in one call."""
    out: list[dict[str, float]] = []
    for start in range(0, len(conversations), _CHUNK):
        chunk = conversations[start : start + _CHUNK]
        sentences = [s for turns in chunk for s in split_sentences(_customer(turns))]
        if sentences:
            encoder(sentences)  # one batched call; the figures below read the kept vectors
        out.extend(_figures(turns, encoder) for turns in chunk)
    return out


def _figures(turns: Sequence[Turn], encoder: SentenceEncoder) -> dict[str, float]:
    """``complexity`` without the memory."""
    customer = [t.text for t in turns if t.role == "customer"]
    bot = [t.text for t in turns if t.role == "bot"]
    sentences = split_sentences(customer)
    vectors = encoder(sentences) if sentences else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    substantive = vectors[[len(s.split()) >= _TOPIC_WORDS for s in sentences]] if sentences else vectors
    spread = 0.0
    if len(substantive) >= 2:
        pairs = substantive @ substantive.T
        spread = 1.0 - float(pairs[~np.eye(len(substantive), dtype=bool)].mean())
    turn_vectors = _turn_vectors(customer, encoder) if len(customer) >= 2 else np.zeros((0, EMBEDDING_DIM))
    loop = max((_lexical(a, b) for a, b in combinations(bot, 2)), default=0.0)
    return {
        "references": float(len(references("\n".join(customer)))),
        "topic_spread": round(spread, 4),
        "customer_repeat": round(_max_pair(turn_vectors @ turn_vectors.T), 4),
        "bot_loop": round(loop, 4),
        "customer_words": float(sum(len(t.split()) for t in customer)),
        "customer_sentences": float(len(sentences)),
    }


class Complexity(TransformerMixin, BaseEstimator):
    """``complexity`` figures as model features (word and sentence counts on a log scale).

    Args:
        encoder_path: Encoder directory (serving points it at the copy inside the logged model).

    """

    def __init__(self, encoder_path: str | None = None) -> None:
        self.encoder_path = encoder_path

    def fit(self, X: pd.Series, y: object = None) -> Complexity:
        """Nothing to learn; returns self."""
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """One row per ticket with the figures in ``COMPLEXITY_FIGURES`` order."""
        rows = []
        encoder = SentenceEncoder(self.encoder_path)
        for figures in complexity_many(list(messages_column(X)), encoder):
            row = [float(np.log1p(figures[n])) if n in _LOGGED else figures[n] for n in COMPLEXITY_FIGURES]
            rows.append(row)
        return np.asarray(rows, dtype=float).reshape(len(rows), len(COMPLEXITY_FIGURES))

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``complexity_<figure>`` for each figure."""
        return np.asarray([f"complexity_{n}" for n in COMPLEXITY_FIGURES], dtype=object)


def _customer(turns: Sequence[Turn]) -> list[str]:
    return [t.text for t in turns if t.role == "customer"]
