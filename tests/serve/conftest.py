"""The API tests' hand-off store: one SQLite file in a temporary folder, never in the repository.

``create_app(ServiceSettings())`` reads ``TICKETBUDDY_DB_URL``, and so do the servers started as subprocesses.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def handoff_db_in_tmp(tmp_path_factory):
    previous = os.environ.get("TICKETBUDDY_DB_URL")
    os.environ["TICKETBUDDY_DB_URL"] = f"sqlite:///{tmp_path_factory.mktemp('handoffs') / 'handoffs.db'}"
    yield os.environ["TICKETBUDDY_DB_URL"]
    if previous is None:
        os.environ.pop("TICKETBUDDY_DB_URL", None)
    else:
        os.environ["TICKETBUDDY_DB_URL"] = previous
