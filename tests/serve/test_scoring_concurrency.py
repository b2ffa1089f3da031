"""``/v1/score`` runs a bounded number of requests' blocking work at once; the others wait their turn."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx

from tests.serve.api import AUTH
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.serve.app import create_app
from ticketbuddy.serve.deps import get_scorer
from ticketbuddy.settings import ServiceSettings

from .wiring import TICKET


class SlowRules(Scorer):
    """The rules alone, each assessment taking 50 ms, counting how many run at once."""

    def __init__(self) -> None:
        super().__init__(load_policy(), None)
        self.running = self.most = 0
        self.lock = threading.Lock()

    def assess(self, tickets):  # type: ignore[no-untyped-def]
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self.lock:
            self.running -= 1
        return super().assess(tickets)


def test_blocking_work_runs_twice_the_scoring_slots_at_a_time(tmp_path):
    settings = ServiceSettings(
        db_url=f"sqlite:///{tmp_path / 'h.db'}", sweep_interval_seconds=0, scoring_concurrency=1
    )
    app = create_app(settings)
    scorer = SlowRules()
    app.dependency_overrides[get_scorer] = lambda: scorer

    async def send_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=AUTH) as client:
            bodies = [{**TICKET, "ticket_id": f"c-{n}"} for n in range(8)]
            answers = await asyncio.gather(*(client.post("/v1/score", json=b) for b in bodies))
        return [a.status_code for a in answers]

    assert asyncio.run(send_all()) == [200] * 8
    assert scorer.most == 2  # TICKETBUDDY_SCORING_CONCURRENCY=1: two requests' work at once, not eight
