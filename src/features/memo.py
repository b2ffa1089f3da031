"""Bounded, thread-safe memories of recent results, kept per process and forgotten together.

A ticket is read twice when it is scored: by the model's features, then by the policy's rules. The
sentence vectors, the trigger findings and the complexity figures the first look works out, the
second one reuses from a ``Memo``. ``forget_all`` clears every memo of the process at once (a
benchmark, so that each ticket pays for its own work; ``SentenceEncoder.forget``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import ClassVar, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


def as_is(value: V) -> V:
    """The value itself: for a memo of values nobody changes (sentence vectors)."""
    return value


class Memo(Generic[K, V]):
    """The last ``size`` results stored, by key; the oldest stored goes first.

    ``copy`` is applied on the way in and on the way out, so a caller that changes what it got
    changes nothing kept.

    Example:
        >>> memo: Memo[str, list[int]] = Memo(2, list)
        >>> memo.put("a", [1]); memo.put("b", [2]); memo.put("c", [3])
        >>> memo.get("a"), memo.get("c"), len(memo)
        (None, [3], 2)

    """

    _every: ClassVar[list[Memo]] = []

    def __init__(self, size: int, copy: Callable[[V], V]) -> None:
        self.size = size
        self.copy = copy
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        Memo._every.append(self)

    def get(self, key: K) -> V | None:
        """A copy of what was kept under ``key``, or None."""
        with self._lock:
            value = self._kept.get(key)
        return None if value is None else self.copy(value)

    def put(self, key: K, value: V) -> None:
        """Keep a copy of ``value``; the oldest entry goes when the memo is full."""
        kept = self.copy(value)
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def snapshot(self) -> dict[K, V]:
        """Everything kept, oldest first (for ``restore``)."""
        with self._lock:
            return dict(self._kept)

    def restore(self, kept: Mapping[K, V]) -> None:
        """Keep exactly ``kept`` (from ``snapshot``) again."""
        with self._lock:
            self._kept = OrderedDict(kept)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        return len(self._kept)

    @classmethod
    def forget_all(cls) -> None:
        """Clear every memo of the process."""
        for memo in cls._every:
            memo.clear()
