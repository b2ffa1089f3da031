"""Feature rows of tickets seen before, read back on a retrain instead of worked out again.

A retrain reads mostly the same history as the last one. The embedding cache already spares the
encoder; what is left is the work done *with* the vectors: matching every sentence against the
trigger families' examples and keywords, and the complexity figures (together about a third of a
warm retrain on 100,000 tickets, docs/PERFORMANCE.md). Those rows depend on nothing but the
conversation, the transformer's settings and the code that computes them, so inside an
``embedding_cache`` block (training, evaluation; never the service) they are kept in the same SQLite
file, as 64-bit floats, so a row read back is the very row computed.

The key of a row holds the conversation's turns (role and text), the transformer's own identity (its
families, examples and columns; its encoder), the source of every module of this package and the
versions of numpy and scikit-learn: a change to any of them computes the rows afresh.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

from ticketbuddy.features import embedding_cache


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of this package's source and the numeric libraries it computes with."""
    import sklearn

    digest = hashlib.sha256(f"numpy {np.__version__} sklearn {sklearn.__version__}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:16]


def conversation_key(turns: Sequence) -> str:
    """The turns of one conversation (role and text) as one string."""
    return json.dumps([[t.role, t.text] for t in turns], ensure_ascii=False)


def cached_rows(
    identity: Callable[[], str],
    conversations: Sequence[Sequence],
    compute: Callable[[list[Sequence]], np.ndarray],
    width: int,
) -> np.ndarray:
    """One feature row per conversation: kept rows read back, the rest computed by ``compute``.

    Without an active ``embedding_cache`` block this is ``compute(conversations)``.

    Args:
        identity: What the rows depend on besides the turns and the code (the transformer's settings);
            asked only when the cache is on, so the service pays nothing for it.
        conversations: Parsed turns per ticket.
        compute: The transformer's own work on a list of conversations.
        width: Columns per row (the shape of an empty answer).

    Example:
        >>> from ticketbuddy.features.conversation import Turn
        >>> cached_rows(lambda: "ones", [[Turn("customer", "hi there")]], lambda c: np.ones((len(c), 2)), 2)
        array([[1., 1.]])

    """
    cache = embedding_cache.active()
    if cache is None or not conversations:
        return np.asarray(compute(list(conversations)), dtype=float).reshape(len(conversations), width)
    keys = [conversation_key(turns) for turns in conversations]
    by_key = dict(zip(keys, conversations, strict=True))
    unique = list(by_key)

    def fresh(missing: list[str]) -> np.ndarray:
        return np.asarray(compute([by_key[k] for k in missing]), dtype=np.float64)

    variant = f"rows:{code_digest()}:{identity()}"
    kept = cache.encode(variant, unique, fresh, dtype=np.float64).reshape(len(unique), width)
    index = {key: i for i, key in enumerate(unique)}
    return kept[[index[k] for k in keys]]
