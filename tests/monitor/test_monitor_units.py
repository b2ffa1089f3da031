"""The monitor's parameters, windows and alert rules, without a store."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
import yaml

from ticketbuddy.handoff.monitor.alerts import breaches
from ticketbuddy.handoff.monitor.cli import window_length
from ticketbuddy.handoff.monitor.params import (
    AlertParams,
    MonitorParams,
    MonitorParamsError,
    load_monitor_params,
)
from ticketbuddy.handoff.monitor.window import windows

ROOT = Path(__file__).resolve().parents[2]


def test_the_built_in_defaults_are_the_shipped_monitor_section():
    shipped = yaml.safe_load((ROOT / "params.yaml").read_text())["monitor"]
    assert MonitorParams.model_validate(shipped) == MonitorParams(), (
        "params.yaml and monitor/params.py disagree"
    )
    assert load_monitor_params(ROOT / "params.yaml").experiment == "ticket-escalation-live"


def test_a_bad_monitor_section_is_refused_naming_the_field(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("monitor: {alerts: {min_recall: 2}}\n")
    with pytest.raises(MonitorParamsError, match="min_recall"):
        load_monitor_params(path)


def test_windows_end_at_the_last_whole_window_by_default():
    now = datetime(2026, 11, 21, 13, 7, tzinfo=UTC)
    days = windows(timedelta(days=1), None, 2, now)
    assert [w.name for w in days] == ["2026-11-19", "2026-11-20"]
    hours = windows(window_length("6h"), None, 1, now)
    assert hours[0].start == datetime(2026, 11, 21, 6, tzinfo=UTC) and hours[0].end.hour == 12
    assert hours[0].name == "2026-11-21T06:00+00:00..2026-11-21T12:00+00:00"


@pytest.mark.parametrize("text", ["1w", "0d", "d", "-1d"])
def test_a_window_length_other_than_days_or_hours_is_refused(text):
    with pytest.raises(typer.BadParameter, match="days or hours"):
        window_length(text)


def test_alerts_fire_only_on_measured_figures_outside_their_limits():
    limits = AlertParams()
    assert breaches({"tickets": 100.0}, limits) == []  # nothing measured, nothing breached
    found = breaches({"recall": 0.5, "precision": 0.9, "psi_tier": 0.3, "psi_channel": 0.1}, limits)
    assert [b.metric for b in found] == ["recall", "psi_tier"]
    assert found[0].describe() == "recall 0.500 < 0.800"
