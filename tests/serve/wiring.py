"""The real service (``create_app``) with per-scope keys, a fresh hand-off store and a chosen scorer.

The serve tests that check guards (keys, limits, redaction, metrics, reload) build the app with
``build_wired_app``: the same routers, middleware order and scopes as ``ticketbuddy serve``, but with
keys per scope and a scorer the test chooses, so nothing is wired twice.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import Scorer
from ticketbuddy.serve.app import create_app
from ticketbuddy.serve.redaction import uninstall_log_redaction
from ticketbuddy.serve.reload import ModelHolder
from ticketbuddy.settings import LimitsSettings, RateLimitSettings, SecuritySettings, ServiceSettings

SCORE_KEY = "score-key-0123456789"
AGENT_KEY = "agent-key-0123456789"
ADMIN_KEY = "admin-key-0123456789"
CHAMPION_URI = "models:/ticket-escalation@champion"
ALL_KEYS = f"{SCORE_KEY}:score,{AGENT_KEY}:agent,{ADMIN_KEY}:admin+score"
log = logging.getLogger("ticketbuddy.tests.leaky")

TICKET = {
    "ticket_id": "sec-1",
    "channel": "chat",
    "created_at": "2026-11-21T09:00:00Z",
    "customer": {"tier": "standard"},
    "messages": [{"role": "customer", "text": "Do you sell gift cards?"}],
}


@pytest.fixture(autouse=True)
def no_redaction_left_behind():
    """The app redacts the process's logs; undo it so other test modules log as usual."""
    yield
    uninstall_log_redaction()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


class LeakyScorer(Scorer):
    """A scorer written carelessly: it logs the customer's text (redaction must catch it)."""

    def predictions(self, tickets):
        for ticket in tickets:
            log.warning("scoring ticket text: %s", ticket.messages[-1].text)
        return super().predictions(tickets)


_STORES: list[tempfile.TemporaryDirectory[str]] = []


def build_wired_app(
    keys: SecuritySettings | None = None,
    limits: LimitsSettings | None = None,
    scorer: Scorer | None = None,
    holder: ModelHolder | None = None,
    rate_limits: RateLimitSettings | None = None,
) -> FastAPI:
    """``create_app`` serving ``holder`` (or ``scorer``; a rules-only ``LeakyScorer`` by default).

    Each app gets its own empty hand-off store, so tickets scored by one test never meet another's.
    """
    if holder is None:
        scorer = scorer or LeakyScorer(load_policy(), None)
        holder = ModelHolder(scorer.policy, CHAMPION_URI, scorer.model, scorer_factory=type(scorer))
    store = tempfile.TemporaryDirectory(prefix="ticketbuddy-wired-")
    _STORES.append(store)  # removed when the test process ends
    db = Path(store.name) / "handoffs.db"
    settings = ServiceSettings(db_url=f"sqlite:///{db}", sweep_interval_seconds=0, _env_file=None)
    return create_app(
        settings,
        holder=holder,
        security=keys or SecuritySettings(_env_file=None),
        limits=limits or LimitsSettings(_env_file=None),
        rate_limits=rate_limits,
    )


def wired_client(**kwargs) -> TestClient:
    return TestClient(build_wired_app(SecuritySettings(api_keys=ALL_KEYS, _env_file=None), **kwargs))
