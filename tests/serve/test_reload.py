"""Model reload: the holder follows the champion alias, swaps atomically and keeps the old model on failure."""

import asyncio
import threading
import time

import pytest
from fastapi.testclient import TestClient

from ticketbuddy.handoff.batch import score_tickets
from ticketbuddy.policy.model import load_policy
from ticketbuddy.scoring.scorer import LoadedModel, Scorer, load_model
from ticketbuddy.serve import reload as reload_module
from ticketbuddy.serve.reload import ModelHolder, ModelPoller, split_alias
from ticketbuddy.settings import SecuritySettings, ServiceSettings

from .wiring import (
    ADMIN_KEY,
    ALL_KEYS,
    CHAMPION_URI,
    bearer,
    build_wired_app,
    no_redaction_left_behind,  # noqa: F401 - autouse fixture
)

NAME = "ticket-escalation"


def stub_model(version, routes=()):
    return LoadedModel(pyfunc=None, name=NAME, version=version, threshold=0.3, routes=list(routes))


class Registry:
    """The alias in a stub registry, and a loader that records what it was asked to load."""

    def __init__(self, version="1"):
        self.version = version
        self.loaded = []
        self.fail_with = None

    def resolve(self, uri):
        if isinstance(self.fail_with, ConnectionError):
            raise self.fail_with
        return self.version if split_alias(uri) else None

    def load(self, uri):
        self.loaded.append(uri)
        if isinstance(self.fail_with, OSError) and not isinstance(self.fail_with, ConnectionError):
            raise self.fail_with
        return stub_model(uri.rsplit("/", 1)[-1])


@pytest.fixture
def registry(monkeypatch):
    stub = Registry()
    monkeypatch.setattr(reload_module, "registry_version", stub.resolve)
    return stub


@pytest.fixture(scope="module")
def policy():
    return load_policy()


def holder_for(policy, registry, model=None, uri=CHAMPION_URI, **kwargs):
    return ModelHolder(policy, uri, model or stub_model("1"), loader=registry.load, **kwargs)


def test_alias_move_swaps_the_scorer_and_the_old_one_finishes_its_requests(policy, registry):
    results = []
    holder = holder_for(policy, registry, on_reload=results.append)
    in_flight = holder.current()
    assert holder.reload().outcome == "unchanged" and registry.loaded == []
    registry.version = "2"
    result = holder.reload()
    assert (result.outcome, result.version, result.previous_version) == ("reloaded", "2", "1")
    assert registry.loaded == [f"models:/{NAME}/2"]  # the exact version, not the moving alias
    assert holder.current().model.version == "2" and holder.current() is not in_flight
    assert in_flight.model.version == "1"  # a request holding the old scorer keeps it whole
    assert [r.outcome for r in results] == ["unchanged", "reloaded"]
    assert holder.last_error is None and holder.last_reloaded_at is not None


def test_force_reloads_the_same_version(policy, registry):
    holder = holder_for(policy, registry)
    assert holder.reload(force=True).outcome == "reloaded" and registry.loaded == [f"models:/{NAME}/1"]


@pytest.mark.parametrize(
    "failure",
    [ConnectionError("registry unreachable"), OSError("artifact missing"), "orphan route"],
)
def test_a_failed_reload_keeps_the_old_model_and_reports_why(policy, registry, failure):
    holder = holder_for(policy, registry)
    before = holder.current()
    registry.version = "2"
    if failure == "orphan route":  # a model predicting a route the policy gives no owning team
        registry.load = lambda uri: stub_model("2", routes=["nowhere"])
        holder = holder_for(policy, registry)
        before = holder.current()
    else:
        registry.fail_with = failure
    result = holder.reload()
    assert result.outcome == "failed" and result.version == "1"
    expected = "nowhere" if failure == "orphan route" else str(failure)
    assert expected in result.error and expected in holder.last_error
    assert holder.current() is before


def test_a_fixed_uri_never_moves_but_a_degraded_service_picks_a_model_up(policy, registry):
    fixed = holder_for(policy, registry, uri=f"models:/{NAME}/1")
    assert fixed.reload().outcome == "unchanged" and registry.loaded == []
    degraded = ModelHolder(policy, CHAMPION_URI, None, loader=registry.load)
    assert degraded.current().degraded
    assert degraded.reload().outcome == "reloaded" and degraded.current().model.version == "1"


def test_concurrent_reloads_load_once(policy, registry):
    holder = holder_for(policy, registry)
    registry.version = "2"
    slow = registry.load

    def slow_load(uri):
        time.sleep(0.2)
        return slow(uri)

    holder._loader = slow_load
    outcomes = []
    threads = [threading.Thread(target=lambda: outcomes.append(holder.reload().outcome)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["reloaded", "unchanged"] and len(registry.loaded) == 1


def test_poller_reloads_on_its_interval_and_stops():
    class Counting:
        calls = 0

        def reload(self):
            Counting.calls += 1

    async def run():
        async with ModelPoller(Counting(), 0.02):
            await asyncio.sleep(0.15)
        stopped_at = Counting.calls
        await asyncio.sleep(0.08)
        return stopped_at

    stopped_at = asyncio.run(run())
    assert stopped_at >= 3 and Counting.calls == stopped_at

    async def disabled():
        poller = ModelPoller(Counting(), 0)
        poller.start()
        return poller._task

    assert asyncio.run(disabled()) is None


def test_poll_interval_setting(monkeypatch):
    assert ServiceSettings(_env_file=None).model_poll_seconds == 60
    monkeypatch.setenv("TICKETBUDDY_MODEL_POLL_SECONDS", "0")
    assert ServiceSettings(_env_file=None).model_poll_seconds == 0


def admin_client(policy, registry):
    keys = SecuritySettings(api_keys=ALL_KEYS, _env_file=None)
    return TestClient(build_wired_app(keys, holder=holder_for(policy, registry)))


def test_admin_reload_endpoint_reports_the_outcome(policy, registry):
    client = admin_client(policy, registry)
    unchanged = client.post("/v1/admin/reload", headers=bearer(ADMIN_KEY))
    assert unchanged.status_code == 200 and unchanged.json()["outcome"] == "unchanged"
    registry.version = "2"
    moved = client.post("/v1/admin/reload", headers=bearer(ADMIN_KEY)).json()
    assert moved["outcome"] == "reloaded" and moved["model"]["version"] == "2"
    assert moved["previous_version"] == "1"
    registry.version, registry.fail_with = "3", OSError("artifact store down")
    failed = client.post("/v1/admin/reload", headers=bearer(ADMIN_KEY))
    assert failed.status_code == 502
    assert failed.json()["model"]["version"] == "2" and "artifact store down" in failed.json()["error"]
    status = client.get("/v1/admin/model", headers=bearer(ADMIN_KEY)).json()
    assert status["model"] == {"name": NAME, "version": "2", "threshold": 0.3, "degraded": False}
    assert "artifact store down" in status["last_error"] and status["uri"] == CHAMPION_URI


# --- the session's real MLflow registry ----------------------------------------------------------


def test_reload_follows_the_champion_alias_in_the_real_registry(
    policy, trained, worse_trained, champion_restored, seed_tickets
):
    holder = ModelHolder(policy, CHAMPION_URI, load_model(f"models:/{NAME}/{trained.model_version}"))
    assert holder.reload().outcome == "unchanged"
    in_flight = holder.current()
    champion_restored.set_registered_model_alias(NAME, "champion", worse_trained.model_version)
    result = holder.reload()
    assert (result.outcome, result.version) == ("reloaded", worse_trained.model_version)
    assert holder.current().model.version == worse_trained.model_version
    assert score_tickets(in_flight, seed_tickets[:1])[0].model.version == trained.model_version
    assert score_tickets(holder.current(), seed_tickets[:1])[0].model.version == worse_trained.model_version


def test_a_bad_uri_keeps_the_loaded_model(policy, trained):
    model = load_model(f"models:/{NAME}/{trained.model_version}")
    for uri in ("models:/no-such-model@champion", f"models:/{NAME}@no-such-alias", "runs:/0000/nothing"):
        holder = ModelHolder(policy, uri, model)
        before = holder.current()
        result = holder.reload(force=True)
        assert result.outcome == "failed" and result.error, uri
        assert holder.current() is before and before.model.version == trained.model_version


def test_a_service_started_without_a_model_loads_the_champion(policy, trained):
    holder = ModelHolder(policy, CHAMPION_URI, None)
    assert isinstance(holder.current(), Scorer) and holder.current().degraded
    result = holder.reload()
    assert result.outcome == "reloaded" and holder.current().model.version == trained.model_version
