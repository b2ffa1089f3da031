"""Drift against the champion's reference profile, and no customer text anywhere in a monitor run."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mlflow import MlflowClient

from tests.conftest import synth
from tests.monitor.conftest import SECRET_EMAIL, SECRET_NAME, params_file, run_monitor, runs_of
from ticketbuddy.data.jsonl import read_tickets
from ticketbuddy.handoff.clock import FakeClock
from ticketbuddy.handoff.intake import Intake
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.scoring.profile import REFERENCE_ARTIFACT, psi
from ticketbuddy.scoring.tracking import REGISTERED_MODEL

TICKETS_PER_DAY = 200
MIX = ("psi_channel", "psi_tier", "psi_topic")


def _generated_day(folder: Path, seed: int, drift: bool) -> list:
    path = folder / f"day-{seed}.jsonl"
    if drift:
        from typer.testing import CliRunner

        from ticketbuddy.cli import app

        args = ["data", "synth", "--n", str(TICKETS_PER_DAY), "--seed", str(seed), "--out", str(path)]
        assert CliRunner().invoke(app, [*args, "--drift"]).exit_code == 0
    else:
        synth(path, TICKETS_PER_DAY, seed)
    return read_tickets(path).tickets


@pytest.fixture(scope="module")
def drifted(scorer, mlflow_store, tmp_path_factory):
    """Day 1 like the training traffic, day 2 drifted (new topic, more VIPs and social), then monitored."""
    folder = tmp_path_factory.mktemp("drift")
    store = HandoffStore(f"sqlite:///{folder / 'handoffs.db'}")
    clock = FakeClock(datetime(2026, 11, 10, 1, 0, tzinfo=UTC))
    intake = Intake(store, clock, timedelta(hours=72))
    for day, (seed, drift) in enumerate(((303, False), (304, True))):
        for ticket in _generated_day(folder, seed, drift):
            intake.score(ticket, scorer)
            clock.advance(minutes=5)
        clock.advance(seconds=(datetime(2026, 11, 11 + day, 1, tzinfo=UTC) - clock.now()).total_seconds())
    store.close()
    path, experiment = params_file(folder, max_psi=100.0, max_embedding_shift=2.0, min_recall=0.0,
                                   min_precision=0.0, max_missed_escalation_rate=1.0)  # fmt: skip
    result = run_monitor(store.url, path, "2026-11-12", 2)
    assert result.exit_code == 0, result.output
    runs = runs_of(experiment)
    return runs["2026-11-10"].data.metrics, runs["2026-11-11"].data.metrics


def test_psi_is_near_zero_on_traffic_like_the_training_data(drifted):
    same, _ = drifted
    for name in (*MIX, "psi_message_length", "psi_probability"):  # 200 tickets: sampling noise alone
        assert same[name] < 0.15, (name, same[name])  # well below the 0.25 of a large shift
    assert same["embedding_shift"] < 0.02


def test_psi_rises_clearly_on_drifted_traffic(drifted):
    same, moved = drifted
    assert sum(moved[n] for n in MIX) > 2 * sum(same[n] for n in MIX)
    assert moved["psi_tier"] > 0.05 and moved["psi_tier"] > 2 * same["psi_tier"]
    assert moved["embedding_shift"] > same["embedding_shift"]


def test_psi_is_zero_for_the_same_mix_and_grows_with_the_change():
    base = {"a": 0.5, "b": 0.5}
    assert psi(base, base) == 0.0
    assert 0 < psi(base, {"a": 0.6, "b": 0.4}) < psi(base, {"a": 0.8, "b": 0.2})
    assert psi([0.5, 0.5], [1.0, 0.0]) > 1  # an emptied bin is a large change, and finite


def test_the_champion_run_carries_a_reference_profile_without_text(trained, tmp_path):
    run_id = MlflowClient().get_model_version(REGISTERED_MODEL, trained.model_version).run_id
    folder = MlflowClient().download_artifacts(run_id, "monitor", str(tmp_path))  # not a temp dir left behind
    profile = json.loads((Path(folder) / Path(REFERENCE_ARTIFACT).name).read_text())
    assert len(profile["embedding_mean"]) == 384 and profile["tickets"] > 0
    assert sum(profile["probability"]) == pytest.approx(1.0) and sum(
        profile["channel"].values()
    ) == pytest.approx(1.0)
    assert 0 < profile["base_rate"] < 1
    assert "T-" not in json.dumps(profile) and "C-" not in json.dumps(profile)  # no ticket or customer id


def test_no_customer_text_or_id_in_any_metric_param_tag_or_artifact(scenario, mlflow_store, tmp_path):
    path, experiment = params_file(tmp_path, max_psi=100.0, max_embedding_shift=2.0)
    assert run_monitor(scenario.url, path).exit_code in (0, 3)
    runs = runs_of(experiment)
    assert len(runs) == 2
    texts = [SECRET_NAME, SECRET_EMAIL, "Quixotefield", "solicitor", "C-K1", "C-E4"]
    ids = ["K1", "K2", "E1", "R2"]  # too short to look for in compressed PNG bytes
    for run in runs.values():
        names = [*run.data.metrics, *run.data.params, *run.data.tags]
        values = [*map(str, run.data.params.values()), *run.data.tags.values()]
        folder = Path(MlflowClient().download_artifacts(run.info.run_id, "", str(tmp_path / run.info.run_id)))
        files = [p for p in folder.rglob("*") if p.is_file()]
        assert files, "the run has artifacts to scan"
        blobs = [p.read_bytes().decode("latin-1") for p in files]
        for text in texts:
            hits = [s for s in names + values + blobs if text.lower() in s.lower()]
            assert not hits, (text, [h[:80] for h in hits])
        for text in ids:
            assert not [s for s in names + values if text in s], text
