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


def make_client(scorer, db_url, store=None):
    """The real app on its own SQLite file, scoring with ``scorer`` (and ``store`` if given)."""
    from fastapi.testclient import TestClient

    from tests.serve.api import AUTH
    from ticketbuddy.serve.app import create_app
    from ticketbuddy.serve.deps import get_scorer, get_store
    from ticketbuddy.settings import ServiceSettings

    app = create_app(ServiceSettings(db_url=db_url, sweep_interval_seconds=0))
    app.dependency_overrides[get_scorer] = lambda: scorer
    if store is not None:
        app.dependency_overrides[get_store] = lambda: store
    return TestClient(app, headers=AUTH)


@pytest.fixture
def db_url(tmp_path):
    """A fresh hand-off store file for one test."""
    return f"sqlite:///{tmp_path / 'handoffs.db'}"


@pytest.fixture
def client(scorer, db_url):
    """A client of the real app with the session's trained model."""
    return make_client(scorer, db_url)


@pytest.fixture
def champion_restored(trained):
    """The registry's client; afterwards the champion alias is back on the session's trained model."""
    from mlflow import MlflowClient

    yield MlflowClient()
    MlflowClient().set_registered_model_alias("ticket-escalation", "champion", trained.model_version)
