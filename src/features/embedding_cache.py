"""A disk cache of text embeddings (and other per-text numbers) for training-time work.

Embedding is by far the slowest step, and data scientists embed the same tickets again and again:
retraining, evaluating the champion on the same test set, comparing heads. Vectors are stored in one
SQLite file keyed by the encoder variant and a hash of the text; each message's sentiment score is
kept there too, as a one-number vector under its own variant (``sentiment.message_sentiments``),
and so is what each ticket's trigger families and complexity figures came to (``feature_cache``).
The cache is switched on only inside ``embedding_cache(...)`` blocks, so the scoring service never
writes one.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ticketbuddy.settings import CacheSettings

_ACTIVE: EmbeddingCache | None = None


def default_cache_path(settings: CacheSettings | None = None) -> Path | None:
    """The embedding cache file in force (``CacheSettings.embedding_cache_path``); None when off."""
    return (settings or CacheSettings()).embedding_cache_path()


class EmbeddingCache:
    """Embeddings by (encoder variant, text) in a SQLite file.

    Args:
        path: The SQLite file (created with its folder when missing).

    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(variant: str, text: str) -> str:
        """Stable key of one text under one encoder."""
        return hashlib.sha256(f"{variant}\x00{text}".encode()).hexdigest()

    def encode(
        self,
        variant: str,
        texts: list[str],
        encode: Callable[[list[str]], np.ndarray],
        dtype: type[np.floating] = np.float32,
    ) -> np.ndarray:
        """Vectors for ``texts``: cached ones read, the rest computed by ``encode`` and stored.

        ``dtype`` is how the numbers are kept (and given back); a variant must always use the same.
        """

        def computed(missing: list[str]) -> list[bytes]:
            return [np.asarray(row, dtype=dtype).tobytes() for row in encode(missing)]

        vectors = [np.frombuffer(blob, dtype=dtype) for blob in self.blobs(variant, texts, computed)]
        return np.vstack(vectors) if vectors else np.zeros((0, 0), dtype=dtype)

    def blobs(
        self, variant: str, texts: list[str], compute: Callable[[list[str]], list[bytes]]
    ) -> list[bytes]:
        """What is kept for ``texts`` under ``variant``: kept ones read, the rest made by ``compute``."""
        keys = [self.key(variant, t) for t in texts]
        found = self._lookup(keys)
        missing = [i for i, k in enumerate(keys) if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            fresh = compute([texts[i] for i in missing])
            rows = [(keys[i], fresh[j]) for j, i in enumerate(missing)]
            with self._db:
                self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            found.update(rows)
        return [found[k] for k in keys]

    def _lookup(self, keys: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for start in range(0, len(keys), 900):  # SQLite's limit on bound parameters
            chunk = keys[start : start + 900]
            marks = ",".join("?" * len(chunk))
            for key, blob in self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk
            ):
                found[key] = blob
        return found

    def close(self) -> None:
        """Close the database."""
        self._db.close()


def active() -> EmbeddingCache | None:
    """The cache switched on for this block of work, if any."""
    return _ACTIVE


@contextmanager
def embedding_cache(path: Path | None = None) -> Iterator[EmbeddingCache | None]:
    """Switch the cache on (at ``path`` or the default) for the duration of the block."""
    global _ACTIVE
    target = path or default_cache_path()
    if target is None:
        yield None
        return
    cache = EmbeddingCache(target)
    previous, _ACTIVE = _ACTIVE, cache
    try:
        yield cache
    finally:
        _ACTIVE = previous
        cache.close()
