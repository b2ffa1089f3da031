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


def shifted(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, held at the first or last time a datetime can hold instead of overflowing.

    Windows and due times are computed from times a client may have sent (a ticket dated year 1 or
    9999, one stored before the contract bounded them): such a window reaches back to the beginning of
    time rather than failing the request. The result of an overflow is in UTC, as the store keeps times.

    Example:
        >>> shifted(datetime(1, 1, 1, 2, tzinfo=UTC), -timedelta(hours=72)).isoformat()
        '0001-01-01T00:00:00+00:00'
        >>> shifted(datetime(9999, 12, 31, tzinfo=UTC), timedelta(minutes=60)).year
        9999
        >>> shifted(datetime(2026, 11, 20, 10, 0, tzinfo=UTC), timedelta(minutes=30)).isoformat()
        '2026-11-20T10:30:00+00:00'

    """
    try:
        return moment + delta
    except OverflowError:
        end = datetime.max if delta > timedelta(0) else datetime.min
        return end.replace(tzinfo=UTC if moment.tzinfo is not None else None)
