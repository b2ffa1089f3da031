"""What the features found in tickets seen before, read back on a retrain instead of worked out again.

A retrain reads mostly the same history as the last one. The embedding cache already spares the
encoder; what is left is the work done *with* the vectors: matching every sentence against the
trigger families' keywords and examples, and the complexity figures (together about a third of a
warm retrain on 100,000 tickets, and the policy's decisions in evaluation need both again,
docs/PERFORMANCE.md). Those findings depend on nothing but the conversation, the step's settings and
the code that computes them, so inside an ``embedding_cache`` block (training, evaluation; never the
service) they are kept in the same SQLite file, in a form that gives back the very values computed.

The key of a record holds the conversation, the finder's own identity (its families, examples and
encoder), the source of every module of this package and the versions of numpy and scikit-learn: a
change to any of them computes the findings afresh.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import numpy as np

from ticketbuddy.features import embedding_cache
from ticketbuddy.features.memo import Memo

K = TypeVar("K")
T = TypeVar("T")


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A digest of this package's source and the numeric libraries it computes with."""
    return source_digest(Path(__file__).parent)


def source_digest(folder: Path) -> str:
    """A digest of the ``*.py`` files in ``folder`` (names, contents) and the numpy / sklearn versions."""
    import sklearn

    digest = hashlib.sha256(f"numpy {np.__version__} sklearn {sklearn.__version__}".encode())
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\x00" + path.read_bytes())
    return digest.hexdigest()[:16]


def kept_records(
    kind: str,
    identity: Callable[[], str],
    keys: Sequence[str],
    compute: Callable[[list[int]], list[T]],
    encode: Callable[[T], bytes],
    decode: Callable[[bytes], T],
) -> list[T]:
    """One record per key: kept ones read back (``decode``), the rest computed and kept (``encode``).

    Without an active ``embedding_cache`` block this is ``compute`` of every position. A key given
    twice is computed once.

    Args:
        kind: What the records are (``found``, ``complexity``): part of the key.
        identity: What they depend on besides the key and the code (the finder's families, the
            encoder); asked only when the cache is on, so the service pays nothing for it.
        keys: One string per item, its whole input (the conversation's turns).
        compute: The real work, given positions in ``keys``; returns one record per position.
        encode: A record as bytes that ``decode`` turns back into an equal record.
        decode: Bytes back into a record.

    Example:
        >>> kept_records("squares", lambda: "v1", ["3", "4"], lambda rows: [int(k) ** 2 for k in
        ...     (["3", "4"][r] for r in rows)], lambda n: str(n).encode(), lambda b: int(b))
        [9, 16]

    """
    cache = embedding_cache.active()
    if cache is None or not keys:
        return compute(list(range(len(keys))))
    first = {key: i for i, key in reversed(list(enumerate(keys)))}
    computed: dict[str, T] = {}

    def fresh(missing: list[str]) -> list[bytes]:
        records = compute([first[key] for key in missing])
        computed.update(zip(missing, records, strict=True))
        return [encode(record) for record in records]

    unique = list(first)
    blobs = dict(zip(unique, cache.blobs(f"{kind}:{code_digest()}:{identity()}", unique, fresh), strict=True))
    return [computed[key] if key in computed else decode(blobs[key]) for key in keys]


def remembered(
    memo: Memo[K, T],
    keys: Sequence[K],
    disk_key: Callable[[K], str],
    kind: str,
    identity: Callable[[], str],
    compute: Callable[[list[int]], list[T]],
    codec: tuple[Callable[[T], bytes], Callable[[bytes], T]],
) -> list[T]:
    """One record per key, from the process's ``memo``, else ``kept_records``; kept in the memo.

    Inside an ``embedding_cache`` block the disk is asked for every key, the memo for none: a record
    the memo got outside the block (the int8 encoder's vectors move in the fourth decimal with the
    batch a sentence was embedded in) would otherwise stand beside one computed again elsewhere,
    and a retrain or an evaluation would read different findings for the same ticket.

    ``compute`` gets positions in ``keys``; ``disk_key`` turns a memo key into the string the disk
    keeps it under; ``codec`` is ``kept_records``' ``encode`` and ``decode``.
    """
    on_disk = embedding_cache.active() is not None
    kept = [None if on_disk else memo.get(key) for key in keys]
    missing = [i for i, record in enumerate(kept) if record is None]
    if missing:
        disk = [disk_key(keys[i]) for i in missing]
        fresh = kept_records(kind, identity, disk, lambda rows: compute([missing[r] for r in rows]), *codec)
        for i, record in zip(missing, fresh, strict=True):
            memo.put(keys[i], record)
            kept[i] = record
    return [record for record in kept if record is not None]
