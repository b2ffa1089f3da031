"""One MLflow run per window in ``ticket-escalation-live``: figures, drift, trend plot and alert tags.

The run is named after the window and tagged ``window_start`` / ``window_end``; running a window
again (a late verdict came in, a cron retried) replaces its run, so each window has exactly one.
Every metric, param and tag is a count, share, category name or version: no customer text, no ids.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ticketbuddy.handoff.monitor.alerts import Breach, breaches
from ticketbuddy.handoff.monitor.champion import Champion
from ticketbuddy.handoff.monitor.drift import embedding_shift, mix_drift, window_tickets
from ticketbuddy.handoff.monitor.figures import all_figures
from ticketbuddy.handoff.monitor.params import MonitorParams
from ticketbuddy.handoff.monitor.plots import trend_plot
from ticketbuddy.handoff.monitor.window import Window, read_window
from ticketbuddy.handoff.store import HandoffStore
from ticketbuddy.scoring.tracking import ensure_experiment

log = logging.getLogger(__name__)
TREND_ARTIFACT = "monitor/trends.png"
#: MLflow 3's UI shows an experiment of this kind as runs and charts, not as GenAI traces.
EXPERIMENT_KIND = {"mlflow.experimentKind": "custom_model_development"}


@dataclass
class WindowResult:
    """What one window's run recorded."""

    window: Window
    run_id: str
    metrics: dict[str, float]
    breaches: list[Breach] = field(default_factory=list)
    too_few: bool = False
    replaced: int = 0

    @property
    def alert(self) -> str:
        """The ``alert`` tag: the breached metrics, comma-separated, or ``none``."""
        return ",".join(b.metric for b in self.breaches) or "none"


def measure(store: HandoffStore, window: Window, champion: Champion | None) -> dict[str, float]:
    """The window's figures and, with a champion that has a reference profile, its drift."""
    cohort, requests = read_window(store, window)
    metrics = {**all_figures(cohort), "scoring_requests": float(requests)}
    if champion is None or champion.reference is None or cohort.empty:
        return metrics
    metrics.update(mix_drift(champion.reference, cohort))
    tickets = window_tickets(store, list(cohort["ticket_id"]))
    metrics.update(embedding_shift(champion.reference, champion.features, tickets))
    return metrics


def log_window(
    store: HandoffStore, window: Window, champion: Champion | None, params: MonitorParams
) -> WindowResult:
    """Measure ``window`` and log it as the experiment's one run for that window."""
    import mlflow

    experiment_id = ensure_experiment(params.experiment)
    for key, value in EXPERIMENT_KIND.items():
        mlflow.MlflowClient().set_experiment_tag(experiment_id, key, value)
    metrics = measure(store, window, champion)
    too_few = metrics.get("tickets", 0.0) < params.min_tickets
    found = [] if too_few else breaches(metrics, params.alerts)
    replaced = _delete_runs_of(experiment_id, window)
    history = [*_history(experiment_id, window, params.trend_windows - 1), (window.name, metrics)]
    result = WindowResult(window, "", metrics, found, too_few, replaced)
    with mlflow.start_run(experiment_id=experiment_id, run_name=window.name) as run:
        mlflow.log_metrics(metrics)
        mlflow.log_params(_params(params, champion))
        mlflow.set_tags(_tags(result, champion))
        with tempfile.TemporaryDirectory() as tmp:
            mlflow.log_artifact(str(trend_plot(history, Path(tmp) / "trends.png")), "monitor")
    result.run_id = run.info.run_id
    return result


def _tags(result: WindowResult, champion: Champion | None) -> dict[str, str]:
    window = result.window
    reference = champion is not None and champion.reference is not None
    return {
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "alert": result.alert,
        "alert_detail": "; ".join(b.describe() for b in result.breaches) or "none",
        "too_few_tickets": str(result.too_few).lower(),
        "model_version": (champion.version or "unregistered") if champion else "unavailable",
        "drift": "measured" if reference else "not measured (no champion reference profile)",
    }


def _params(params: MonitorParams, champion: Champion | None) -> dict[str, Any]:
    alerts = {f"alerts.{k}": v for k, v in params.alerts.model_dump().items()}
    return {"min_tickets": params.min_tickets, "model": champion.describe() if champion else "none", **alerts}


def _runs_of(experiment_id: str, window: Window) -> list[Any]:
    """Active runs of the experiment for exactly this window."""
    from mlflow import MlflowClient

    query = (
        f"tags.window_start = '{window.start.isoformat()}' and tags.window_end = '{window.end.isoformat()}'"
    )
    return list(MlflowClient().search_runs([experiment_id], filter_string=query, max_results=100))


def _delete_runs_of(experiment_id: str, window: Window) -> int:
    """Delete the window's earlier runs (it is being measured again); how many there were."""
    from mlflow import MlflowClient

    earlier = _runs_of(experiment_id, window)
    for run in earlier:
        MlflowClient().delete_run(run.info.run_id)
    if earlier:
        log.info("window %s measured again: replacing %d earlier run(s)", window.name, len(earlier))
    return len(earlier)


def _history(experiment_id: str, window: Window, n: int) -> list[tuple[str, dict[str, float]]]:
    """The ``n`` latest earlier windows' metrics (run name, metrics), oldest first, for the trend plot."""
    from mlflow import MlflowClient

    if n <= 0:
        return []
    runs = MlflowClient().search_runs([experiment_id], max_results=5000)
    start = window.start.isoformat()
    earlier = [r for r in runs if r.data.tags.get("window_end", "9999") <= start]
    earlier.sort(key=lambda r: r.data.tags.get("window_start", ""))
    return [(r.info.run_name, dict(r.data.metrics)) for r in earlier[-n:]]
