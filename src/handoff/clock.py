"""Where the hand-off queue reads the time: injectable, so SLA tests run on a fake clock, not on sleeps.

Every due time, event time and sweep of the queue asks a ``Clock`` instead of calling
``datetime.now`` itself, so a test can create a hand-off with a one-minute SLA, move the clock two
minutes on and watch the sweeper re-route it, in milliseconds.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock, in UTC."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to; safe to share between threads.

    Args:
        start: The time it starts at (UTC; a naive time is read as UTC).

    Example:
        >>> clock = FakeClock(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))
        >>> clock.advance(minutes=2).isoformat()
        '2026-11-20T10:02:00+00:00'

    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
        self._now = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The time the clock was last set or advanced to."""
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward by a ``timedelta``'s keyword arguments and return the new time."""
        with self._lock:
            self._now += timedelta(**delta)
            return self._now
