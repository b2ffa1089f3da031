"""Bounded, thread-safe memories of recent results, kept per process and forgotten together.

A ticket is read twice when it is scored: by the model's features, then by the policy's rules. The
sentence vectors, the trigger findings and the complexity figures the first look works out, the
second one reuses from a ``Memo``. ``forget_all`` clears every memo of the process at once (a
benchmark, so that each ticket pays for its own work; ``SentenceEncoder.forget``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import ClassVar, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class InFlight(Generic[K]):
    """Keys some thread is working out right now, so that another thread waits instead of repeating it.

    Two chunks of a file scored side by side (``handoff.batch``) often hold the same sentence ("thank
    you"); without this, each worker's encoder call embeds it, since neither is kept until a call
    returns (4.3 % more texts on 2,000 generated tickets, before this was built).

    Example:
        >>> flight: InFlight[str] = InFlight()
        >>> mine, _ = flight.claim(["a", "b"])
        >>> others, wait = flight.claim(["b", "c"])  # "b" is being worked out already
        >>> others, [event.is_set() for event in wait]
        (['c'], [False])
        >>> flight.release(mine); [event.is_set() for event in wait]
        [True]

    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[K, threading.Event] = {}

    def claim(self, keys: list[K]) -> tuple[list[K], list[threading.Event]]:
        """The keys this caller now works out (claimed), and events set when the others are done."""
        mine: list[K] = []
        theirs: list[threading.Event] = []
        with self._lock:
            for key in dict.fromkeys(keys):
                event = self._events.get(key)
                if event is None:
                    self._events[key] = threading.Event()
                    mine.append(key)
                else:
                    theirs.append(event)
        return mine, theirs

    def release(self, keys: list[K]) -> None:
        """Done with ``keys`` (whether or not it worked): wake whoever waits for them."""
        with self._lock:
            events = [self._events.pop(key) for key in keys]
        for event in events:
            event.set()


def as_is(value: V) -> V:
    """The value itself: for a memo of values nobody changes (sentence vectors)."""
    return value


class Memo(Generic[K, V]):
    """The last ``size`` results stored or asked for, by key; the least recently used goes first.

    ``copy`` is applied on the way in and on the way out, so a caller that changes what it got
    changes nothing kept.

    Example:
        >>> memo: Memo[str, list[int]] = Memo(2, list)
        >>> memo.put("a", [1]); memo.put("b", [2]); memo.put("c", [3])
        >>> memo.get("a"), memo.get("c"), len(memo)
        (None, [3], 2)
        >>> _ = memo.get("b"); memo.put("d", [4])  # "b" was asked for since "c" was: "c" goes
        >>> memo.get("b"), memo.get("c")
        ([2], None)

    """

    _every: ClassVar[list[Memo]] = []
    _room: ClassVar[list[int]] = []  # tickets asked for by the open ``room_for`` blocks

    def __init__(self, size: int, copy: Callable[[V], V], per_ticket: int = 0) -> None:
        self.base = size
        self.per_ticket = per_ticket
        self.copy = copy
        self._kept: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        Memo._every.append(self)

    @property
    def size(self) -> int:
        """Entries kept: ``size``, or ``per_ticket`` for each ticket of the widest open ``room_for``."""
        return max(self.base, self.per_ticket * max(Memo._room, default=0))

    def get(self, key: K) -> V | None:
        """A copy of what was kept under ``key``, or None."""
        with self._lock:
            value = self._kept.get(key)
            if value is not None:  # the least recently used goes first, not what was just asked for
                self._kept.move_to_end(key)
        return None if value is None else self.copy(value)

    def put(self, key: K, value: V) -> None:
        """Keep a copy of ``value``; the least recently used entry goes when the memo is full."""
        kept = self.copy(value)
        with self._lock:
            self._kept[key] = kept
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def snapshot(self) -> dict[K, V]:
        """Everything kept, least recently used first (for ``restore``)."""
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

    def _trim(self) -> None:
        with self._lock:
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    @classmethod
    @contextmanager
    def room_for(cls, tickets: int) -> Iterator[None]:
        """Inside the block, memos with a ``per_ticket`` keep what that many tickets need.

        Evaluation reads a test set of thousands of tickets three times (the model's features, the
        policy's decisions, the reference profile); with room for all of them the second and third
        reads are answered from memory instead of finding every trigger again. Afterwards the memos
        shrink back to their own size, the oldest entries going first.

        Example:
            >>> memo: Memo[int, int] = Memo(2, int, per_ticket=1)
            >>> with Memo.room_for(3):
            ...     for i in range(3):
            ...         memo.put(i, i)
            ...     print(len(memo))
            3
            >>> len(memo), memo.get(0), memo.get(2)
            (2, None, 2)

        """
        cls._room.append(tickets)
        try:
            yield
        finally:
            cls._room.remove(tickets)
            for memo in cls._every:
                memo._trim()

    @classmethod
    def forget_all(cls) -> None:
        """Clear every memo of the process."""
        for memo in cls._every:
            memo.clear()
