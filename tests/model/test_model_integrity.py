"""Model integrity: digests recorded at registration, checked at load; a changed file is refused by name.

Each test registers the session's trained model again, in an MLflow store of its own (a real SQLite
store and artifact folder), through the same call training uses, then changes the stored files.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import httpx
import mlflow
import pytest
from mlflow import MlflowClient

from tests.mlflow_uris import own_store
from tests.serve import api
from tests.serve.servers import serve_refusing, start_server
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring import copies
from ticketbuddy.scoring.integrity import DIGEST_TAG
from ticketbuddy.scoring.lookup import ModelTampered
from ticketbuddy.scoring.scorer import load_model
from ticketbuddy.scoring.tracking import CHAMPION, ensure_experiment
from ticketbuddy.serve.reload import ModelHolder
from ticketbuddy.train.runs import register_model

pytestmark = pytest.mark.slow

NAME = "ticket-escalation"


@pytest.fixture(scope="module")
def fitted(trained):
    """The session's trained ``EscalationModel`` (loaded from its own, untouched store)."""
    return load_model(f"models:/{NAME}@{CHAMPION}").pyfunc.unwrap_python_model().model


@pytest.fixture
def store(tmp_path):
    """An MLflow store of this test's own, in force for the test; the session's again after it."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with own_store(uri):
        yield {"uri": uri, "folder": tmp_path}


def register(fitted, champion: bool = True) -> str:
    """Log and register ``fitted`` as training does (digests included); optionally make it champion."""
    with mlflow.start_run(experiment_id=ensure_experiment("integrity")):
        version = register_model(fitted, NAME)
    if champion:
        MlflowClient().set_registered_model_alias(NAME, CHAMPION, version)
    return version


def stored(store, version: str, relative: str) -> Path:
    """The stored file ``relative`` of model ``version`` in the store's artifact folder."""
    source = MlflowClient().get_model_version(NAME, version).source
    model_id = MlflowClient().get_logged_model(source.removeprefix("models:/")).model_id
    [path] = [p for p in (store["folder"] / "mlartifacts").rglob(relative) if model_id in p.as_posix()]
    return path


def test_digests_are_recorded_at_registration_and_an_untouched_model_loads_verified(fitted, store):
    version = register(fitted)
    tags = MlflowClient().get_model_version(NAME, version).tags
    assert int(tags[f"{DIGEST_TAG}.parts"]) >= 1
    assert all(len(v) <= 5000 for k, v in tags.items() if k.startswith(DIGEST_TAG))
    loaded = load_model(f"models:/{NAME}@{CHAMPION}")
    assert loaded.verified and loaded.version == version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("append", "file artifacts/escalation_model.joblib changed"),
        ("delete", "file artifacts/escalation_model.joblib missing"),
        ("add", "file artifacts/extra.py added"),
    ],
)
def test_a_changed_missing_or_added_file_is_refused_naming_it(fitted, store, change, message, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(store["folder"]))  # where load copies the files
    version = register(fitted)
    target = stored(store, version, "escalation_model.joblib")
    if change == "append":
        with target.open("ab") as handle:
            handle.write(b"\x80\x04injected")
    elif change == "delete":
        target.unlink()
    else:
        (target.parent / "extra.py").write_text("import os\n")
    with pytest.raises(ModelTampered, match="refused") as refused:
        load_model(f"models:/{NAME}/{version}")
    assert message in str(refused.value) and f"{NAME} version {version}" in str(refused.value)
    assert not list(store["folder"].glob(f"{copies.PREFIX}*")), "a refused copy is removed at once"


def test_a_version_registered_before_digests_loads_unverified_and_says_so(fitted, store, caplog):
    version = register(fitted)
    client = MlflowClient()
    for key in list(client.get_model_version(NAME, version).tags):
        if key.startswith(DIGEST_TAG):
            client.delete_model_version_tag(NAME, version, key)
    with caplog.at_level(logging.WARNING, logger="ticketbuddy.scoring.lookup"):
        loaded = load_model(f"models:/{NAME}/{version}")
    assert loaded.verified is False
    assert "no recorded file digests" in caplog.text and "UNVERIFIED" in caplog.text


def test_a_reload_onto_a_tampered_version_keeps_the_current_one(fitted, store, caplog):
    first = register(fitted)
    holder = ModelHolder(
        load_policy(), f"models:/{NAME}@{CHAMPION}", load_model(f"models:/{NAME}@{CHAMPION}")
    )
    second = register(fitted)  # now the champion
    stored(store, second, "python_model.pkl").write_bytes(b"\x80\x04not the model")
    with caplog.at_level(logging.WARNING, logger="ticketbuddy.serve.reload"):
        result = holder.reload()
    assert (result.outcome, result.version) == ("failed", first)
    assert holder.current().model.version == first and not holder.current().degraded
    assert "file python_model.pkl changed" in holder.last_error
    assert "file python_model.pkl changed" in caplog.text and f"still serving version {first}" in caplog.text


def test_a_service_started_on_a_tampered_champion_decides_by_rules_only(fitted, store, tmp_path):
    version = register(fitted)
    with stored(store, version, "MLmodel").open("a") as handle:
        handle.write("# changed\n")
    env = {"MLFLOW_TRACKING_URI": store["uri"], "TICKETBUDDY_DB_URL": f"sqlite:///{tmp_path / 'h.db'}"}
    refused = serve_refusing(env)  # the model is required by default: no start, the file named
    assert refused.returncode == 1 and "file MLmodel changed" in refused.stderr
    server = start_server(env, tmp_path / "server.log", args=("--allow-rules-only",))
    try:
        assert httpx.get(f"{server.base}/readyz").json()["status"] == "degraded: rules only"
        status = api.get(f"{server.base}/v1/admin/model").json()
        assert status["model"]["degraded"] is True and "file MLmodel changed" in status["last_error"]
        assert "ticketbuddy_model_degraded 1.0" in api.get(f"{server.base}/metrics").text
    finally:
        server.stop()
