"""The monitor inside the service: every ``TICKETBUDDY_MONITOR_INTERVAL_SECONDS``, the last whole day.

Off by default (0): a scheduler running ``ticketbuddy monitor`` is the usual way, because its exit code
can page. Switched on, each pass measures the day that ended last (UTC) again — late verdicts count, and
the window's run is replaced, never duplicated — and logs a warning per breached alert. A failing pass
(store or tracking server down) is logged and tried again at the next interval; the service goes on.
With several replicas, switch it on in one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from ticketbuddy.handoff.clock import Clock
from ticketbuddy.handoff.store import HandoffStore

if TYPE_CHECKING:
    from ticketbuddy.handoff.monitor.params import MonitorParams
    from ticketbuddy.handoff.monitor.runs import WindowResult

log = logging.getLogger(__name__)


def run_once(
    store: HandoffStore, clock: Clock, model_uri: str, params: MonitorParams | None = None
) -> WindowResult:
    """Measure the last whole day before ``clock.now()`` and log its run; warn on each breach."""
    from ticketbuddy.handoff.monitor.champion import Champion, load_champion
    from ticketbuddy.handoff.monitor.params import load_monitor_params
    from ticketbuddy.handoff.monitor.runs import log_window
    from ticketbuddy.handoff.monitor.window import windows
    from ticketbuddy.scoring.lookup import ModelUnavailable

    champion: Champion | None
    try:
        champion = load_champion(model_uri)
    except ModelUnavailable as exc:
        log.warning("live monitor: drift not measured: %s", exc)
        champion = None
    window = windows(timedelta(days=1), None, 1, clock.now())[0]
    result = log_window(store, window, champion, params or load_monitor_params())
    for breach in result.breaches:
        log.warning("live monitor alert for %s: %s", window.name, breach.describe())
    return result


async def run_forever(store: HandoffStore, clock: Clock, interval: float, model_uri: str) -> None:
    """A pass every ``interval`` seconds, off the event loop; a failure waits for the next pass."""
    while True:
        try:
            await asyncio.to_thread(run_once, store, clock, model_uri)
        except Exception:  # the service must outlive its monitor
            log.exception("live monitor pass failed; next pass in %.0f s", interval)
        await asyncio.sleep(interval)


def start(store: HandoffStore, clock: Clock, interval: float, model_uri: str) -> asyncio.Task | None:
    """Start the in-service monitor; None when ``interval`` is 0 (then schedule ``ticketbuddy monitor``)."""
    if interval <= 0:
        return None
    return asyncio.create_task(run_forever(store, clock, interval, model_uri), name="live-monitor")
