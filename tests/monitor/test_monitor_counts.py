"""``ticketbuddy monitor`` on a store with known counts: every figure equals the hand count."""

import pytest
from mlflow import MlflowClient

from tests.monitor.conftest import params_file, run_monitor, runs_of

DAY1 = {
    "tickets": 8,
    "escalated": 4,
    "kept": 4,
    "escalation_share": 0.5,
    "kept_share": 0.5,
    "rules_only_share": 0.0,
    "handoffs_resolved": 3,
    "handoffs_needed": 2,
    "precision": 2 / 3,
    "explicit_misses": 1,  # K1, by QA
    "probable_misses": 1,  # K2: its customer came back and was escalated
    "misses": 2,
    "explicit_missed_escalation_rate": 1 / 4,
    "probable_missed_escalation_rate": 1 / 4,
    "missed_escalation_rate": 2 / 4,
    "confirmed_escalations": 2,  # E1, E3 resolved as needed
    "recall": 2 / (2 + 2),
    "time_to_claim_p50_minutes": 20.0,  # claims at 10, 20, 40 minutes
    "time_to_claim_p90_minutes": 36.0,  # 20 + 0.8 * (40 - 20)
    "by_channel/email/tickets": 2,
    "by_channel/email/missed_escalation_rate": 1.0,
    "by_channel/chat/escalation_share": 4 / 6,
    "by_channel/chat/missed_escalation_rate": 0.0,
    "by_tier/standard/tickets": 8,
    "by_route/legal_compliance/misses": 2,  # K1's verdict named it; K2's came-back escalation went there
}


@pytest.fixture(scope="module")
def logged(scenario, mlflow_store, tmp_path_factory):
    path, experiment = params_file(tmp_path_factory.mktemp("params"), min_recall=0.1, max_psi=100.0,
                                   max_embedding_shift=2.0, min_precision=0.1,
                                   max_missed_escalation_rate=1.0)  # fmt: skip
    result = run_monitor(scenario.url, path)
    assert result.exit_code == 0, result.output
    return runs_of(experiment), experiment, path, result


def test_the_traffic_went_as_the_scenario_says(scenario):
    escalated = {t for t, up in scenario.decisions.items() if up}
    assert escalated == {"E1", "E2", "E3", "E4", "R2"}
    assert scenario.moves["sla_breached"] == 1


def test_day_one_figures_equal_the_hand_counts(logged, scenario):
    runs, *_ = logged
    metrics = runs["2026-11-20"].data.metrics
    for name, expected in DAY1.items():
        assert metrics[name] == pytest.approx(expected), name
    assert metrics["sla_breaches"] == scenario.moves["sla_breached"] == 1
    assert metrics["reroutes"] == scenario.moves["rerouted"] >= 1
    assert metrics["scoring_requests"] == 8


def test_day_two_counts_its_own_tickets_only(logged):
    runs, *_ = logged
    metrics = runs["2026-11-21"].data.metrics
    assert metrics["tickets"] == 2 and metrics["escalated"] == 1 and metrics["misses"] == 0
    assert "precision" not in metrics  # nothing resolved yet: no denominator, no figure
    assert "time_to_claim_p50_minutes" not in metrics


def test_each_run_is_named_and_tagged_with_its_window_and_has_a_trend_plot(logged):
    runs, *_ = logged
    run = runs["2026-11-21"]
    assert run.data.tags["window_start"] == "2026-11-21T00:00:00+00:00"
    assert run.data.tags["window_end"] == "2026-11-22T00:00:00+00:00"
    assert run.data.tags["alert"] == "none" and run.data.tags["drift"] == "measured"
    files = [a.path for a in MlflowClient().list_artifacts(run.info.run_id, "monitor")]
    assert files == ["monitor/trends.png"]


def test_measuring_a_window_again_replaces_its_run(logged, scenario):
    runs, experiment, path, _ = logged
    again = run_monitor(scenario.url, path, "2026-11-21", 1)
    assert again.exit_code == 0, again.output
    now = runs_of(experiment)
    assert sorted(now) == ["2026-11-20", "2026-11-21"]
    assert now["2026-11-20"].info.run_id != runs["2026-11-20"].info.run_id
    assert now["2026-11-20"].data.metrics["precision"] == pytest.approx(2 / 3)


def test_a_breach_pages_and_tags_the_run(scenario, mlflow_store, tmp_path):
    path, experiment = params_file(tmp_path, min_recall=0.8, max_psi=100.0, max_embedding_shift=2.0)
    result = run_monitor(scenario.url, path, "2026-11-21", 1)
    assert result.exit_code == 3, result.output
    tags = runs_of(experiment)["2026-11-20"].data.tags
    assert "recall" in tags["alert"].split(",") and "missed_escalation_rate" in tags["alert"].split(",")
    assert "recall 0.500 < 0.800" in tags["alert_detail"]
    assert "alert=" in result.output


def test_a_window_with_too_few_tickets_says_so_instead_of_paging(scenario, mlflow_store, tmp_path):
    path, experiment = params_file(tmp_path, min_tickets=50, min_recall=0.99)
    result = run_monitor(scenario.url, path, "2026-11-21", 1)
    assert result.exit_code == 0, result.output
    assert "too few tickets (< 50): no alert" in result.output
    tags = runs_of(experiment)["2026-11-20"].data.tags
    assert tags["too_few_tickets"] == "true" and tags["alert"] == "none"


def test_the_service_timer_measures_the_last_whole_day(scenario, mlflow_store, tmp_path):
    from datetime import UTC, datetime

    from ticketbuddy.handoff.clock import FakeClock
    from ticketbuddy.handoff.monitor import timer
    from ticketbuddy.handoff.monitor.params import load_monitor_params
    from ticketbuddy.handoff.store import HandoffStore

    path, experiment = params_file(tmp_path, max_psi=100.0, max_embedding_shift=2.0, min_recall=0.9)
    store = HandoffStore(scenario.url)
    clock = FakeClock(datetime(2026, 11, 21, 9, 30, tzinfo=UTC))
    result = timer.run_once(store, clock, "models:/ticket-escalation@champion", load_monitor_params(path))
    store.close()
    assert result.window.name == "2026-11-20" and result.alert.startswith("recall")
    assert runs_of(experiment)["2026-11-20"].data.metrics["tickets"] == 8
    assert timer.start(store, clock, 0, "models:/ticket-escalation@champion") is None  # off by default
