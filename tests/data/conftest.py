"""Shared generated histories for the data tests: generated once per session, read-only."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.data.synth import config_from_dict, write_history

SYNTH_N = 4000
SYNTH_SEED = 11


@pytest.fixture(scope="session")
def synth_n() -> int:
    """Size of the shared history."""
    return SYNTH_N


@pytest.fixture(scope="session")
def synth_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4,000-ticket history with the shipped settings."""
    path = tmp_path_factory.mktemp("synth") / "tickets.jsonl"
    write_history(config_from_dict({}), SYNTH_N, SYNTH_SEED, path)
    return path


@pytest.fixture(scope="session")
def synth_tickets(synth_path: Path) -> list:
    """The history parsed against the ``LabelledTicket`` contract (rejects checked in a test)."""
    return read_tickets(synth_path, labelled=True).tickets
